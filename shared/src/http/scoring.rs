//! The scoring function's HTTP route: `POST /leads/{id}/score`, re-score one lead now.

use lambda_http::{Body, Request, Response};

use super::auth::{require, SCOPE_SCORE};
use super::view::LeadView;
use super::{json_response, lead_id, segments, App, Problem};
use crate::requalify::{rescore_one, RunReport};
use crate::store::LeadStore;

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let result = match (segments(&path).as_slice(), req.method().as_str()) {
        (["leads", id, "score"], "POST") => score(app, &req, id).await,
        (["leads", _, "score"], _) => Err(Problem::method_not_allowed("POST")),
        _ => Err(Problem::not_found(format!("no route for `{path}`"))),
    };
    result.unwrap_or_else(Problem::into_response)
}

async fn score<S: LeadStore>(app: &App<S>, req: &Request, id: &str) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_SCORE)?;
    let id = lead_id(id)?;
    let lead = app.store.get(&id).await?.ok_or_else(|| Problem::not_found("no lead with this id"))?;
    let mut report = RunReport::default();
    let lead = rescore_one(&app.store, &app.scorer, lead, app.clock.now(), &mut report).await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, written = report.written, "rescore");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}

/// Dispatches any event the scoring function receives: API Gateway v2 requests go to
/// [`handle`] (and get an API Gateway response back), everything else to
/// [`crate::requalify::handle_event`].
pub async fn handle_any<S: LeadStore>(
    app: &App<S>,
    event: serde_json::Value,
) -> Result<serde_json::Value, String> {
    if event.get("requestContext").is_none() {
        return crate::requalify::handle_event(app, &event).await;
    }
    let request: lambda_http::request::LambdaRequest =
        serde_json::from_value(event).map_err(|e| format!("not an API Gateway v2 request: {e}"))?;
    let response = handle(app, lambda_http::Request::from(request)).await;
    let (parts, body) = response.into_parts();
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.into())))
        .collect();
    let body = match body {
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    Ok(serde_json::json!({
        "statusCode": parts.status.as_u16(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": false,
    }))
}
