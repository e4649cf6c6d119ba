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

/// Every kind of problem Leadflow answers, with its stable slug (the `type`), status and
/// title: the one list the README's error table and `openapi.json` document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Malformed,
    BadCursor,
    BadSignature,
    MissingToken,
    InvalidToken,
    MissingScope,
    OriginNotAllowed,
    NotFound,
    UnknownSource,
    MethodNotAllowed,
    Conflict,
    Contention,
    IllegalTransition,
    BodyTooLarge,
    UnsupportedMediaType,
    InvalidField,
    Unavailable,
    Internal,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 18] = [
        ProblemKind::Malformed,
        ProblemKind::BadCursor,
        ProblemKind::BadSignature,
        ProblemKind::MissingToken,
        ProblemKind::InvalidToken,
        ProblemKind::MissingScope,
        ProblemKind::OriginNotAllowed,
        ProblemKind::NotFound,
        ProblemKind::UnknownSource,
        ProblemKind::MethodNotAllowed,
        ProblemKind::Conflict,
        ProblemKind::Contention,
        ProblemKind::IllegalTransition,
        ProblemKind::BodyTooLarge,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::InvalidField,
        ProblemKind::Unavailable,
        ProblemKind::Internal,
    ];

    const fn parts(self) -> (u16, &'static str, &'static str) {
        match self {
            ProblemKind::Malformed => (400, "malformed-request", "The request body could not be read"),
            ProblemKind::BadCursor => (400, "bad-cursor", "Invalid cursor"),
            ProblemKind::BadSignature => (401, "bad-signature", "Not authenticated"),
            ProblemKind::MissingToken => (401, "missing-token", "Not authenticated"),
            ProblemKind::InvalidToken => (401, "invalid-token", "Not authenticated"),
            ProblemKind::MissingScope => (403, "missing-scope", "The token lacks the scope this route needs"),
            ProblemKind::OriginNotAllowed => {
                (403, "origin-not-allowed", "This origin may not post to this source")
            }
            ProblemKind::NotFound => (404, "not-found", "Not found"),
            ProblemKind::UnknownSource => (404, "unknown-source", "Unknown source"),
            ProblemKind::MethodNotAllowed => (405, "method-not-allowed", "Method not allowed"),
            ProblemKind::Conflict => (409, "conflict", "The lead changed while this request was applied"),
            ProblemKind::Contention => (409, "conflict", "Too many simultaneous changes to this lead"),
            ProblemKind::IllegalTransition => {
                (409, "illegal-transition", "The lead is not in a stage that allows this")
            }
            ProblemKind::BodyTooLarge => (413, "body-too-large", "The request body is too large"),
            ProblemKind::UnsupportedMediaType => (415, "unsupported-media-type", "Unsupported media type"),
            ProblemKind::InvalidField => (422, "invalid-field", "A field is missing or invalid"),
            ProblemKind::Unavailable => (503, "unavailable", "The lead store is unavailable"),
            ProblemKind::Internal => (500, "internal", "Internal error"),
        }
    }

    pub const fn status(self) -> u16 {
        self.parts().0
    }

    pub const fn slug(self) -> &'static str {
        self.parts().1
    }

    pub const fn title(self) -> &'static str {
        self.parts().2
    }
}

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
    pub fn of(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            status: kind.status(),
            slug: kind.slug(),
            title: kind.title(),
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::of(ProblemKind::Malformed, detail)
    }

    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        Self::of(ProblemKind::InvalidField, detail).with("field", field)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::of(ProblemKind::NotFound, detail)
    }

    pub fn unauthorized(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::of(kind, detail)
    }

    pub fn forbidden(scope: &str) -> Self {
        Self::of(ProblemKind::MissingScope, format!("this route needs the scope `{scope}`"))
            .with("scope", scope)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::of(ProblemKind::BodyTooLarge, format!("the body may be at most {limit} bytes"))
            .with("limit", limit)
    }

    pub fn unsupported_media_type(got: &str) -> Self {
        Self::of(
            ProblemKind::UnsupportedMediaType,
            format!("send `application/json` or `application/x-www-form-urlencoded`, not `{got}`"),
        )
    }

    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::of(ProblemKind::MethodNotAllowed, format!("this route allows {allowed}")).with("allow", allowed)
    }

    /// Lost the race for one lead on every attempt: a conflict worth retrying shortly.
    pub fn contention(attempts: u32, advice: &str) -> Self {
        let mut p = Problem::of(
            ProblemKind::Contention,
            format!("gave up after {attempts} conflicting writes; {advice}"),
        );
        p.retry_after = Some(1);
        p
    }

    /// The invocation's time ran out while the store was slow, throttled or contended.
    /// A write may or may not have landed: a retry (with its idempotency key) is safe.
    pub fn out_of_time(writes: bool) -> Self {
        let detail = if writes {
            "the lead store did not answer in time; the change may or may not have been made: try again shortly (a delivery retried with the same idempotency key or delivery id, or the same sales command, is recognised)"
        } else {
            "the lead store did not answer in time; try again shortly"
        };
        Self::unavailable(detail)
    }

    /// 503: the store is throttled, down or too slow; worth retrying in two seconds.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut p = Problem::of(ProblemKind::Unavailable, detail);
        p.retry_after = Some(2);
        p
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::of(ProblemKind::Internal, detail)
    }

    /// The problem+json document, as a response carries it (and an import's row).
    pub fn to_json(&self) -> Value {
        Value::Object(self.document())
    }

    fn document(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("type".into(), json!(format!("{TYPE_PREFIX}{}", self.slug)));
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status));
        body.insert("detail".into(), json!(self.detail));
        body.extend(self.extra.clone());
        body
    }

    pub fn into_response(self) -> Response<Body> {
        let body = self.document();
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
            StoreError::Conflict => Problem::of(
                ProblemKind::Conflict,
                "another change to this lead landed first; read it again and retry",
            ),
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "store unavailable");
                Problem::unavailable("try again shortly")
            }
            StoreError::BadCursor => {
                Problem::of(ProblemKind::BadCursor, "the cursor is not one this listing handed out")
            }
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
        Problem::of(ProblemKind::IllegalTransition, format!("the lead is in stage `{}`: {e}", e.from))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_slug_and_title_and_is_documented() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let openapi =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json")).unwrap();
        for (i, a) in ProblemKind::ALL.iter().enumerate() {
            for b in &ProblemKind::ALL[i + 1..] {
                assert_ne!((a.slug(), a.title()), (b.slug(), b.title()), "{a:?} and {b:?}");
            }
            assert!(readme.contains(&format!("`{}`", a.slug())), "README's error table lacks `{}`", a.slug());
            assert!(openapi.contains(a.slug()), "openapi.json lacks `{}`", a.slug());
            let p = Problem::of(*a, "x");
            assert_eq!((p.status, p.slug), (a.status(), a.slug()));
        }
    }
}
