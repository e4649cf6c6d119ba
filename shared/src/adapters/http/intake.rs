//! `POST /intake/{source}`: a form delivery becomes (or updates) a lead.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

use super::routes::{serve, Function};
use super::{body_bytes, header, App, Problem};
use crate::adapters::intake::{self as forms, Signed, MAX_BODY};
use crate::adapters::store::LeadStore;
use crate::usecases::intake::apply_submission;

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    serve(app, Function::Intake, req).await
}

/// The URL the request came in on, as a sender that signs it (HubSpot v3) called it:
/// `https://<host><path>?<query>`. Under API Gateway (HTTP API, payload 2.0) that is the
/// request context's domain name, the raw path and the raw query string, byte for byte:
/// lambda_http appends the raw query string to the request's URI unchanged, but builds
/// the URI's path through URL parsing (and a stage prefix), and the `host` header is
/// whatever the last hop set. Without an API Gateway context (the local server) it is the
/// `host` header, the path and the query of the request line.
pub(crate) fn called_url(req: &Request) -> String {
    let context = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
        _ => None,
    };
    let domain = context.and_then(|ctx| ctx.domain_name.as_deref()).filter(|d| !d.is_empty());
    let host = domain.or_else(|| header(req, "host")).unwrap_or("localhost");
    let raw_path = req.raw_http_path();
    let path = if context.is_some() && !raw_path.is_empty() { raw_path } else { req.uri().path() };
    match req.uri().query() {
        Some(q) if !q.is_empty() => format!("https://{host}{path}?{q}"),
        _ => format!("https://{host}{path}"),
    }
}

pub(crate) async fn intake<S: LeadStore>(
    app: &App<S>,
    req: &Request,
    name: &str,
) -> Result<Response<Body>, Problem> {
    let name = name.to_owned();
    let source = app.sources.get(&name).ok_or_else(|| {
        Problem::new(404, "unknown-source", "Unknown source", format!("no source `{name}` is configured"))
            .with("source", name.clone())
    })?;
    let body = body_bytes(req);
    if body.len() > MAX_BODY {
        return Err(Problem::too_large(MAX_BODY));
    }
    let now = app.clock.now();
    let url = called_url(req);
    let get = |h: &str| header(req, h);
    forms::verify(source, &Signed { method: req.method().as_str(), url: &url, header: &get, body, now })
        .map_err(|e| Problem::unauthorized("bad-signature", e.to_string()).with("source", name.clone()))?;

    let fields = forms::parse(header(req, "content-type").unwrap_or(""), body)?;
    let submission = forms::submission(&name, fields, header(req, "idempotency-key"), now)?;
    let applied = apply_submission(&app.store, &app.scorer, &app.id_key, &submission, app.retry).await?;
    let lead = &applied.lead;
    tracing::info!(
        source = %name,
        lead = %lead.id,
        created = applied.created,
        duplicate = applied.duplicate,
        attempts = applied.attempts,
        stage = %lead.stage,
        "intake"
    );
    let status = if applied.created { 201 } else { 200 };
    let mut response = super::json_response(
        status,
        &json!({ "lead": super::view::LeadView::of(lead, &app.scorer, false), "duplicate": applied.duplicate }),
    );
    if applied.duplicate {
        response.headers_mut().insert("idempotent-replayed", "true".parse().expect("static"));
    }
    Ok(response)
}
