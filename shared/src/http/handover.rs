//! The handover function: the sales queue, a lead, and inside sales' qualification call;
//! also the data-subject requests and the waterfall report, which read like the rest.
//!
//! `GET /leads?stage=mql&limit=N&cursor=C`, `GET /leads/{id}`, `POST /leads/{id}/handover`,
//! `DELETE /leads/{id}`, `POST /leads/{id}/objection`, `GET /funnel`, `GET /funnel.svg`.

use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::json;

use super::auth::{require, SCOPE_HANDOVER, SCOPE_READ};
use super::view::LeadView;
use super::{
    check_reason, check_text, funnel, json_body, json_response, lead_id, privacy, segments, update_lead, App,
    Problem,
};
use crate::lead::Confirmation;
use crate::stage::{Stage, Trigger};
use crate::store::{LeadStore, MAX_PAGE, QUEUED_STAGES};

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let result = match (segments(&path).as_slice(), req.method().as_str()) {
        (["leads"], "GET") => queue(app, &req).await,
        (["leads", id], "GET") => get(app, &req, id).await,
        (["leads", id, "handover"], "POST") => handover(app, &req, id).await,
        (["leads", id], "DELETE") => privacy::erase(app, &req, id).await,
        (["leads", id, "objection"], "POST") => privacy::object(app, &req, id).await,
        (["funnel"], "GET") => funnel::report(app, &req).await,
        (["funnel.svg"], "GET") => funnel::chart(app, &req).await,
        (["leads"] | ["funnel"] | ["funnel.svg"], _) => Err(Problem::method_not_allowed("GET")),
        (["leads", _], _) => Err(Problem::method_not_allowed("GET, DELETE")),
        (["leads", _, "handover" | "objection"], _) => Err(Problem::method_not_allowed("POST")),
        _ => Err(Problem::not_found(format!("no route for `{path}`"))),
    };
    result.unwrap_or_else(Problem::into_response)
}

async fn get<S: LeadStore>(app: &App<S>, req: &Request, id: &str) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_READ)?;
    let id = lead_id(id)?;
    let lead = app.store.get(&id).await?.ok_or_else(|| Problem::not_found("no lead with this id"))?;
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}

async fn queue<S: LeadStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_READ)?;
    let query = req.query_string_parameters();
    let stage = match query.first("stage") {
        None => Stage::Mql,
        Some(text) => Stage::from_id(text).ok_or_else(|| {
            Problem::invalid_field(
                "stage",
                format!(
                    "unknown stage `{text}`; stages are unqualified, mql, sql, sal, nurture, disqualified"
                ),
            )
        })?,
    };
    if !QUEUED_STAGES.contains(&stage) {
        return Err(Problem::invalid_field(
            "stage",
            format!("stage `{stage}` has no queue; queues exist for mql, sql, sal and nurture"),
        ));
    }
    let limit = match query.first("limit") {
        None => 20,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(Problem::invalid_field(
                    "limit",
                    format!("`limit` is a whole number from 1 to {MAX_PAGE}"),
                ))
            }
        },
    };
    let page = app.store.queue(stage, limit, query.first("cursor")).await?;
    let leads: Vec<LeadView> = page.leads.iter().map(|l| LeadView::of(l, &app.scorer, true)).collect();
    Ok(json_response(200, &json!({ "stage": stage, "leads": leads, "next_cursor": page.cursor })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Qualified,
    NotReady,
    Disqualified,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandoverBody {
    outcome: Outcome,
    owner: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    confirmed: Confirmation,
}

async fn handover<S: LeadStore>(app: &App<S>, req: &Request, id: &str) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_HANDOVER)?;
    let id = lead_id(id)?;
    let body: HandoverBody = json_body(req)?;
    check_text("owner", &body.owner, 100)?;
    if let Some(note) = &body.note {
        check_text("note", note, 1000)?;
    }
    let (to, reason) = match body.outcome {
        Outcome::Qualified => {
            if !body.confirmed.all() {
                return Err(Problem::invalid_field(
                    "confirmed",
                    "an SQL needs need, authority and timing all confirmed in the call",
                ));
            }
            (Stage::Sql, body.reason.clone().unwrap_or_else(|| "qualified_in_call".into()))
        }
        Outcome::NotReady | Outcome::Disqualified => {
            let reason = body
                .reason
                .clone()
                .ok_or_else(|| Problem::invalid_field("reason", "a reason is required for this outcome"))?;
            let to =
                if matches!(body.outcome, Outcome::NotReady) { Stage::Nurture } else { Stage::Disqualified };
            (to, reason)
        }
    };
    check_reason("reason", &reason)?;
    let now = app.clock.now();
    let lead = update_lead(app, &id, |lead| {
        lead.move_to(to, Trigger::Handover, &body.owner, &reason, body.note.clone(), now)?;
        lead.owner = Some(body.owner.clone());
        app.scorer.refresh(lead, now)?;
        lead.confirmation = Some(body.confirmed);
        Ok(())
    })
    .await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, "handover");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
