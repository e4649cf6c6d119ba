//! The local API: every route, served on 127.0.0.1 by the very handlers the Lambdas run.
//!
//! It stands in for API Gateway: it turns each HTTP request into the `lambda_http`
//! request the handlers take (query parameters, and for a known bearer token the JWT
//! authorizer's scopes), and their response back into HTTP.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use leadflow::forms::{MAX_BODY, MAX_IMPORT_BYTES};
use leadflow::http::{route, App, Problem};
use leadflow::requalify::run_due;
use leadflow::store::LeadStore;
use leadflow::Timestamp;
use tokio::net::TcpListener;

/// Bearer tokens the local server accepts, each with its scopes (stands in for the JWT
/// authorizer). Empty: sales routes are open.
#[derive(Debug, Clone, Default)]
pub struct Tokens(pub BTreeMap<String, Vec<String>>);

impl Tokens {
    /// `TOKEN=scope,scope`
    pub fn parse_one(&mut self, spec: &str) -> Result<(), String> {
        let (token, scopes) =
            spec.split_once('=').ok_or_else(|| format!("`{spec}`: expected TOKEN=scope,scope"))?;
        if token.is_empty() {
            return Err(format!("`{spec}`: the token is empty"));
        }
        self.0.insert(
            token.to_owned(),
            scopes.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        );
        Ok(())
    }
}

/// An API Gateway v2 request context as its JWT authorizer leaves it, with these scopes.
pub fn context_with_scopes(scopes: &[String]) -> RequestContext {
    let ctx = serde_json::json!({
        "routeKey": "$default", "accountId": "local", "stage": "$default", "requestId": "local",
        "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost", "time": "", "timeEpoch": 0,
        "http": { "method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "" },
        "authorizer": { "jwt": { "claims": { "sub": "local" }, "scopes": scopes } }
    });
    RequestContext::ApiGatewayV2(serde_json::from_value(ctx).expect("a valid API Gateway v2 context"))
}

async fn to_lambda(req: hyper::Request<Incoming>, tokens: &Tokens) -> Result<lambda_http::Request, Problem> {
    let (parts, body) = req.into_parts();
    // Read one byte past the limit so the handler can answer 413 itself; a list import
    // takes more than a form.
    let limit = if parts.uri.path().starts_with("/imports/") { MAX_IMPORT_BYTES } else { MAX_BODY };
    let bytes = match Limited::new(body, limit + 1).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(Problem::too_large(limit)),
    };
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        query.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    // Everything but the signed intake webhooks sits behind the JWT authorizer.
    let sales_route = parts.uri.path() == REQUALIFY_PATH
        || !matches!(
            leadflow::http::function_for(parts.uri.path()),
            None | Some(leadflow::http::Function::Intake)
        );
    let bearer = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned));
    let mut request = lambda_http::Request::from_parts(parts, body).with_query_string_parameters(query);
    if sales_route && !tokens.0.is_empty() {
        if let Some(token) = bearer {
            let scopes = tokens.0.get(&token).ok_or_else(|| {
                Problem::unauthorized(
                    leadflow::http::problem::ProblemKind::InvalidToken,
                    "the bearer token is not valid",
                )
            })?;
            request = request.with_request_context(context_with_scopes(scopes));
        }
    }
    Ok(request)
}

fn to_hyper(resp: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// The local server's own route: run the scheduled requalification once, now or
/// `?as_of=<RFC 3339>` ("who is still an MQL in 30 days?"). Not part of the deployed API.
pub const REQUALIFY_PATH: &str = "/_local/requalify";

async fn requalify<S: LeadStore>(app: &App<S>, req: &lambda_http::Request) -> lambda_http::Response<Body> {
    if req.method() != "POST" {
        return Problem::method_not_allowed("POST").into_response();
    }
    // A private route, guarded like the sales routes when tokens are configured.
    if let Err(p) = leadflow::http::auth::require(app.auth, req, leadflow::http::auth::SCOPE_SCORE) {
        return p.into_response();
    }
    let as_of = match req.query_string_parameters_ref().and_then(|q| q.first("as_of")) {
        None => app.clock.now(),
        Some(text) => match Timestamp::parse_rfc3339(text) {
            Ok(t) if t > Timestamp::LATEST => {
                return Problem::invalid_field(
                    "as_of",
                    format!("`as_of` may be at most {}", Timestamp::LATEST),
                )
                .into_response()
            }
            Ok(t) => t,
            Err(e) => {
                return Problem::invalid_field("as_of", format!("`as_of` is an RFC 3339 instant: {e}"))
                    .into_response()
            }
        },
    };
    match run_due(&app.store, &app.scorer, as_of).await {
        Ok(report) => {
            let body = serde_json::to_string(&report).unwrap_or_default();
            lambda_http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::Text(body))
                .expect("static headers")
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

/// Runs the scheduled requalification every `every`, as the EventBridge schedule does.
pub async fn requalify_every<S: LeadStore + 'static>(app: Arc<App<S>>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = run_due(&app.store, &app.scorer, app.clock.now()).await {
            tracing::warn!(error = %e, "scheduled requalification failed");
        }
    }
}

/// Serves until the listener fails. Each connection runs on its own task.
pub async fn serve<S: LeadStore + 'static>(listener: TcpListener, app: Arc<App<S>>, tokens: Arc<Tokens>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let (app, tokens) = (app.clone(), tokens.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<Incoming>| {
                let (app, tokens) = (app.clone(), tokens.clone());
                async move {
                    let response = match to_lambda(req, &tokens).await {
                        Ok(req) if req.uri().path() == REQUALIFY_PATH => requalify(&app, &req).await,
                        Ok(req) => route(&app, req).await,
                        Err(problem) => problem.into_response(),
                    };
                    Ok::<_, Infallible>(to_hyper(response))
                }
            });
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}
