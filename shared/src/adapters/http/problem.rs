//! Errors as `application/problem+json` (RFC 9457), each with a stable `type`.

use lambda_http::http::header::{CONTENT_TYPE, RETRY_AFTER};
use lambda_http::{Body, Response};
use serde_json::{json, Map, Value};

use crate::adapters::intake::FormError;
use crate::adapters::store::StoreError;
use crate::domain::stage::IllegalTransition;
use crate::domain::vocabulary::InvalidText;
use crate::usecases::intake::IntakeError;
use crate::usecases::sales::SalesError;

/// The `type` of every problem is `urn:leadflow:problem:<slug>`.
pub const TYPE_PREFIX: &str = "urn:leadflow:problem:";

/// One problem response.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
    /// Extension members (`field`, `stage`, ...).
    pub extra: Map<String, Value>,
    pub retry_after: Option<u32>,
}

impl Problem {
    pub fn new(status: u16, slug: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, slug, title, detail: detail.into(), extra: Map::new(), retry_after: None }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(400, "malformed-request", "The request body could not be read", detail)
    }

    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        Self::new(422, "invalid-field", "A field is missing or invalid", detail).with("field", field)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "not-found", "Not found", detail)
    }

    pub fn unauthorized(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::new(401, slug, "Not authenticated", detail)
    }

    pub fn forbidden(scope: &str) -> Self {
        Self::new(
            403,
            "missing-scope",
            "The token lacks the scope this route needs",
            format!("this route needs the scope `{scope}`"),
        )
        .with("scope", scope)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "body-too-large",
            "The request body is too large",
            format!("the body may be at most {limit} bytes"),
        )
        .with("limit", limit)
    }

    pub fn unsupported_media_type(got: &str) -> Self {
        Self::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            format!("send `application/json` or `application/x-www-form-urlencoded`, not `{got}`"),
        )
    }

    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(405, "method-not-allowed", "Method not allowed", format!("this route allows {allowed}"))
            .with("allow", allowed)
    }

    /// Lost the race for one lead on every attempt: a conflict worth retrying shortly.
    pub fn contention(attempts: u32, advice: &str) -> Self {
        let mut p = Problem::new(
            409,
            "conflict",
            "Too many simultaneous changes to this lead",
            format!("gave up after {attempts} conflicting writes; {advice}"),
        );
        p.retry_after = Some(1);
        p
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, "internal", "Internal error", detail)
    }

    pub fn into_response(self) -> Response<Body> {
        let mut body = Map::new();
        body.insert("type".into(), json!(format!("{TYPE_PREFIX}{}", self.slug)));
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status));
        body.insert("detail".into(), json!(self.detail));
        body.extend(self.extra);
        let mut builder =
            Response::builder().status(self.status).header(CONTENT_TYPE, "application/problem+json");
        if let Some(seconds) = self.retry_after {
            builder = builder.header(RETRY_AFTER, seconds.to_string());
        }
        if self.status == 405 {
            if let Some(Value::String(allow)) = body.get("allow") {
                builder = builder.header("allow", allow.clone());
            }
        }
        builder.body(Body::Text(Value::Object(body).to_string())).expect("static headers are valid")
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Problem::new(
                409,
                "conflict",
                "The lead changed while this request was applied",
                "another change to this lead landed first; read it again and retry",
            ),
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "store unavailable");
                let mut p =
                    Problem::new(503, "unavailable", "The lead store is unavailable", "try again shortly");
                p.retry_after = Some(2);
                p
            }
            StoreError::BadCursor => Problem::new(
                400,
                "bad-cursor",
                "Invalid cursor",
                "the cursor is not one this listing handed out",
            ),
            StoreError::Internal(why) => {
                tracing::error!(error = %why, "store error");
                Problem::internal("the lead store reported an error; it has been logged")
            }
        }
    }
}

impl From<IntakeError> for Problem {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Store(s) => s.into(),
            IntakeError::Contention(n) => Problem::contention(n, "retry the delivery"),
            IntakeError::Internal(why) => {
                tracing::error!(error = %why, "intake error");
                Problem::internal("intake failed; it has been logged")
            }
        }
    }
}

impl From<IllegalTransition> for Problem {
    fn from(e: IllegalTransition) -> Self {
        Problem::new(
            409,
            "illegal-transition",
            "The lead is not in a stage that allows this",
            format!("the lead is in stage `{}`: {e}", e.from),
        )
        .with("stage", e.from.id())
        .with("target_stage", e.to.id())
    }
}

impl From<InvalidText> for Problem {
    fn from(e: InvalidText) -> Self {
        Problem::invalid_field(e.field, e.detail)
    }
}

impl From<SalesError> for Problem {
    fn from(e: SalesError) -> Self {
        match e {
            SalesError::NotFound => Problem::not_found("no lead with this id"),
            SalesError::Illegal(e) => e.into(),
            SalesError::Store(e) => e.into(),
            SalesError::Contention(n) => Problem::contention(n, "retry the request"),
        }
    }
}

impl From<FormError> for Problem {
    fn from(e: FormError) -> Self {
        match e {
            FormError::Malformed(detail) => Problem::malformed(detail),
            FormError::UnsupportedMediaType(media) => Problem::unsupported_media_type(&media),
            FormError::InvalidField { field, detail } => Problem::invalid_field(&field, detail),
        }
    }
}
