//! The HTTP side: one handler per Lambda, all generic over the store, all mounted
//! unchanged by the local server. Every outcome is a response; none is an opaque `Err`.

pub mod acceptance;
pub mod auth;
pub mod form;
pub mod funnel;
pub mod handover;
pub mod intake;
pub mod privacy;
pub mod problem;
pub mod scoring;
pub mod signature;
pub mod view;

use std::sync::Arc;

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::Clock;
use crate::identity::{IdKey, LeadId};
use crate::intake::RetryPolicy;
use crate::lead::Lead;
use crate::scoring::Scorer;
use crate::store::{LeadStore, StoreError};

pub use auth::Auth;
pub use problem::Problem;
pub use signature::Sources;

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

/// Which function serves a path: the local server's dispatch and the template's routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Intake,
    Handover,
    Acceptance,
    Scoring,
}

pub fn function_for(path: &str) -> Option<Function> {
    match segments(path).as_slice() {
        ["intake", _] => Some(Function::Intake),
        ["leads"] | ["leads", _] | ["leads", _, "handover" | "objection"] | ["funnel" | "funnel.svg"] => {
            Some(Function::Handover)
        }
        ["leads", _, "acceptance"] => Some(Function::Acceptance),
        ["leads", _, "score"] => Some(Function::Scoring),
        _ => None,
    }
}

/// Serves any route by handing it to its function's handler: what the local server runs.
pub async fn route<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    match function_for(req.uri().path()) {
        Some(Function::Intake) => intake::handle(app, req).await,
        Some(Function::Handover) => handover::handle(app, req).await,
        Some(Function::Acceptance) => acceptance::handle(app, req).await,
        Some(Function::Scoring) => scoring::handle(app, req).await,
        None => Problem::not_found(format!("no route for `{}`", req.uri().path())).into_response(),
    }
}

pub(crate) fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
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
    if bytes.len() > form::MAX_BODY {
        return Err(Problem::too_large(form::MAX_BODY));
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

/// Read-modify-write of one lead with optimistic concurrency: `change` runs on a fresh
/// read each attempt, and a lost race is retried a few times before it is a 409.
pub(crate) async fn update_lead<S: LeadStore>(
    app: &App<S>,
    id: &LeadId,
    change: impl Fn(&mut Lead) -> Result<(), Problem>,
) -> Result<Lead, Problem> {
    for _ in 0..5 {
        let mut lead = app.store.get(id).await?.ok_or_else(|| Problem::not_found("no lead with this id"))?;
        change(&mut lead)?;
        lead.version += 1;
        lead.updated_at = app.clock.now();
        match app.store.put(&lead).await {
            Ok(()) => return Ok(lead),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// A reason code: `not_ready`, `no_budget`, `competitor`, ...
pub(crate) fn check_reason(field: &str, reason: &str) -> Result<(), Problem> {
    let ok = (1..=64).contains(&reason.len())
        && reason.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Problem::invalid_field(
            field,
            format!("`{field}` is a reason code: 1-64 of a-z, 0-9 and _ (e.g. `not_ready`)"),
        ))
    }
}

/// A short human text (owner, note, opportunity id).
pub(crate) fn check_text(field: &str, text: &str, max: usize) -> Result<(), Problem> {
    if text.trim().is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        Err(Problem::invalid_field(field, format!("`{field}` must be 1-{max} printable characters")))
    } else {
        Ok(())
    }
}
