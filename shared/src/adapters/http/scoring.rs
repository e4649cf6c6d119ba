//! The scoring function's HTTP route: `POST /leads/{id}/score`, re-score one lead now.

use lambda_http::{Body, Request, Response};

use super::routes::{serve, Function};
use super::view::LeadView;
use super::{json_response, lead_id, App, Problem};
use crate::adapters::store::LeadStore;
use crate::usecases::requalify::{rescore_one, RunReport};

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    serve(app, Function::Scoring, req).await
}

pub(crate) async fn score<S: LeadStore>(app: &App<S>, id: &str) -> Result<Response<Body>, Problem> {
    let id = lead_id(id)?;
    let lead = app.store.get(&id).await?.ok_or_else(|| Problem::not_found("no lead with this id"))?;
    let mut report = RunReport::default();
    let lead = rescore_one(&app.store, &app.scorer, lead, app.clock.now(), &mut report).await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, written = report.written, "rescore");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
