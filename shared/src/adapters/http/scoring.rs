//! The scoring function's HTTP routes: `POST /leads/{id}/score` (re-score one lead now)
//! and `GET /forecast?as_of=` (what the schedule would do by then, written nowhere).

use lambda_http::{Body, Request, RequestExt, Response};

use super::routes::{serve, Function};
use super::view::LeadView;
use super::{json_response, lead_id, App, Problem};
use crate::adapters::store::LeadStore;
use crate::domain::clock::Timestamp;
use crate::usecases::requalify::{forecast as what_if, rescore_one, RunReport};

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

pub(crate) async fn forecast<S: LeadStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, Problem> {
    let query = req.query_string_parameters();
    let as_of = match query.first("as_of") {
        None => {
            return Err(Problem::invalid_field("as_of", "`as_of` is required: the instant to look ahead to"))
        }
        Some(text) => Timestamp::parse_rfc3339(text)
            .map_err(|e| Problem::invalid_field("as_of", format!("`as_of` is an RFC 3339 instant: {e}")))?,
    };
    if as_of > Timestamp::LATEST {
        return Err(Problem::invalid_field("as_of", format!("`as_of` may be at most {}", Timestamp::LATEST)));
    }
    let report = what_if(&app.store, &app.scorer, as_of).await?;
    Ok(json_response(200, &report))
}
