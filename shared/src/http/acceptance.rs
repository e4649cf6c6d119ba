//! The acceptance function: `POST /leads/{id}/acceptance`, sales accepts or rejects an SQL.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::auth::{require, SCOPE_ACCEPT};
use super::view::LeadView;
use super::{
    check_reason, check_text, json_body, json_response, lead_id, segments, update_lead, App, Problem,
};
use crate::stage::{Stage, Trigger};
use crate::store::LeadStore;

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let result = match (segments(&path).as_slice(), req.method().as_str()) {
        (["leads", id, "acceptance"], "POST") => accept(app, &req, id).await,
        (["leads", _, "acceptance"], _) => Err(Problem::method_not_allowed("POST")),
        _ => Err(Problem::not_found(format!("no route for `{path}`"))),
    };
    result.unwrap_or_else(Problem::into_response)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Decision {
    Accept,
    Reject,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptanceBody {
    decision: Decision,
    owner: String,
    #[serde(default)]
    opportunity_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn accept<S: LeadStore>(app: &App<S>, req: &Request, id: &str) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_ACCEPT)?;
    let id = lead_id(id)?;
    let body: AcceptanceBody = json_body(req)?;
    check_text("owner", &body.owner, 100)?;
    if let Some(note) = &body.note {
        check_text("note", note, 1000)?;
    }
    if let Some(opportunity) = &body.opportunity_id {
        check_text("opportunity_id", opportunity, 100)?;
    }
    let (to, reason) = match body.decision {
        Decision::Accept => (Stage::Sal, body.reason.clone().unwrap_or_else(|| "accepted_by_sales".into())),
        Decision::Reject => (
            Stage::Nurture,
            body.reason
                .clone()
                .ok_or_else(|| Problem::invalid_field("reason", "a reason is required to reject"))?,
        ),
    };
    check_reason("reason", &reason)?;
    let now = app.clock.now();
    let lead = update_lead(app, &id, |lead| {
        lead.move_to(to, Trigger::Acceptance, &body.owner, &reason, body.note.clone(), now)?;
        lead.owner = Some(body.owner.clone());
        app.scorer.refresh(lead, now)?;
        if to == Stage::Sal {
            lead.opportunity_id = body.opportunity_id.clone();
        }
        Ok(())
    })
    .await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, "acceptance");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
