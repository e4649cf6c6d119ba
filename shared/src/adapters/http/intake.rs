//! `POST /intake/{source}`: a form delivery becomes (or updates) a lead; and the browser's
//! CORS preflight for a form on another origin (`OPTIONS /intake/{source}`).

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

use super::problem::ProblemKind;
use super::routes::{serve, Function};
use super::{body_bytes, header, App, Problem};
use crate::adapters::intake::{self as forms, Signed, Source, MAX_BODY};
use crate::adapters::store::LeadStore;
use crate::usecases::intake::apply_submission;

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    serve(app, Function::Intake, req).await
}

fn source<'a, S>(app: &'a App<S>, name: &str) -> Result<&'a Source, Problem> {
    app.sources.get(name).ok_or_else(|| {
        Problem::of(ProblemKind::UnknownSource, format!("no source `{name}` is configured"))
            .with("source", name)
    })
}

/// The headers that let a browser on an allowed origin read the answer.
fn allow_origin(source: &Source, req: &Request, response: &mut Response<Body>) {
    if let Some(origin) = header(req, "origin").filter(|o| source.allows_origin(o)) {
        let headers = response.headers_mut();
        if let Ok(value) = origin.parse() {
            headers.insert("access-control-allow-origin", value);
            headers.insert("vary", "Origin".parse().expect("static"));
        }
    }
}

/// Answers a preflight from an allowed origin for a POST; anything else is refused
/// (403), so the browser does not send the form.
pub(crate) fn preflight<S>(app: &App<S>, req: &Request, name: &str) -> Result<Response<Body>, Problem> {
    let source = source(app, name)?;
    let origin = header(req, "origin").unwrap_or("");
    let method = header(req, "access-control-request-method").unwrap_or("");
    if !source.allows_origin(origin) || !method.eq_ignore_ascii_case("POST") {
        return Err(Problem::of(
            ProblemKind::OriginNotAllowed,
            format!("source `{name}` takes browser posts only from its configured `allowed_origins`"),
        )
        .with("source", name));
    }
    let mut response = Response::builder()
        .status(204)
        .header("access-control-allow-methods", "POST")
        .header("access-control-allow-headers", "content-type, idempotency-key")
        .header("access-control-max-age", "600")
        .body(Body::Empty)
        .expect("static headers are valid");
    allow_origin(source, req, &mut response);
    Ok(response)
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
    let source = source(app, name)?;
    let mut response = accept(app, req, name, source).await.unwrap_or_else(Problem::into_response);
    allow_origin(source, req, &mut response);
    Ok(response)
}

async fn accept<S: LeadStore>(
    app: &App<S>,
    req: &Request,
    name: &str,
    source: &Source,
) -> Result<Response<Body>, Problem> {
    let name = name.to_owned();
    let body = body_bytes(req);
    if body.len() > MAX_BODY {
        return Err(Problem::too_large(MAX_BODY));
    }
    let now = app.clock.now();
    let url = called_url(req);
    let get = |h: &str| header(req, h);
    forms::verify(source, &Signed { method: req.method().as_str(), url: &url, header: &get, body, now })
        .map_err(|e| {
            Problem::unauthorized(ProblemKind::BadSignature, e.to_string()).with("source", name.clone())
        })?;

    // A key of other bytes than visible ASCII is refused, not read as no key: the sender
    // meant its retries to be recognised.
    let idempotency_key = match req.headers().get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            Problem::invalid_field(
                "Idempotency-Key",
                "the `Idempotency-Key` header must be 1-128 printable characters",
            )
        })?),
    };
    let fields = forms::parse(header(req, "content-type").unwrap_or(""), body)?;
    let submission =
        forms::submission(&name, fields, idempotency_key, source.consent_version.as_deref(), now)?;
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
    // Content-free: the same status and shape for a new person, a known one and a
    // replay, so an anonymous sender learns nothing about anyone's lead.
    let mut response =
        super::json_response(202, &json!({ "lead_id": lead.id.as_str(), "replay": applied.duplicate }));
    // A plain HTML form on the company's site: the browser goes on to the thank-you page.
    let browser = header(req, "accept").is_some_and(|a| a.contains("text/html"));
    if let (Some(page), true) = (source.redirect.as_deref(), browser) {
        response =
            Response::builder().status(303).header("location", page).body(Body::Empty).map_err(|e| {
                Problem::internal(format!("the redirect of source `{name}` is not a header value: {e}"))
            })?;
    }
    if applied.duplicate {
        response.headers_mut().insert("idempotent-replayed", "true".parse().expect("static"));
    }
    Ok(response)
}
