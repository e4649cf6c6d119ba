//! The HTTP side: one handler per Lambda, all generic over the store, all mounted
//! unchanged by the local server. Every outcome is a response; none is an opaque `Err`.

pub mod acceptance;
pub mod auth;
pub mod funnel;
pub mod handover;
pub mod imports;
pub mod intake;
pub mod privacy;
pub mod problem;
pub mod routes;
pub mod scoring;
pub mod view;

use std::sync::Arc;

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::adapters::intake::MAX_BODY;
use crate::domain::clock::Clock;
use crate::domain::identity::{IdKey, LeadId};
use crate::engine::scoring::Scorer;
use crate::usecases::retry::RetryPolicy;
use crate::usecases::sales::Sales;

pub use crate::adapters::intake::Sources;
pub use auth::Auth;
pub use problem::{Problem, ProblemKind};
pub use routes::{function_for, route, Function, ROUTES};

/// Everything a handler needs, built once per Lambda instance (or local server).
pub struct App<S> {
    pub store: S,
    pub scorer: Scorer,
    pub id_key: IdKey,
    pub sources: Sources,
    pub auth: Auth,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
}

pub(crate) fn json_response(status: u16, value: &impl Serialize) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(text) => Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json")
            .body(Body::Text(text))
            .expect("static headers are valid"),
        Err(e) => Problem::internal(format!("cannot encode the response: {e}")).into_response(),
    }
}

pub(crate) fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

pub(crate) fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A sales route's JSON body: 415 for other media, 400 for broken JSON, 422 naming the
/// field for wrong or missing values.
pub(crate) fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let media =
        header(req, "content-type").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/json" {
        return Err(Problem::unsupported_media_type(if media.is_empty() { "(none)" } else { &media }));
    }
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY {
        return Err(Problem::too_large(MAX_BODY));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let field = if path == "." {
                inner.to_string().split('`').nth(1).unwrap_or("body").to_owned()
            } else {
                path
            };
            Problem::invalid_field(&field, inner.to_string())
        } else {
            Problem::malformed(format!("the body is not valid JSON: {inner}"))
        }
    })
}

/// The lead id in `/leads/{id}...`; a malformed id is simply not found.
pub(crate) fn lead_id(text: &str) -> Result<LeadId, Problem> {
    LeadId::parse(text).ok_or_else(|| Problem::not_found("no lead with this id"))
}

/// Everything a sales command needs from the app, at this instant.
pub(crate) fn sales<S>(app: &App<S>) -> Sales<'_, S> {
    Sales { store: &app.store, scorer: &app.scorer, retry: &app.retry, now: app.clock.now() }
}
