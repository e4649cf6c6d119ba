//! The handover function: the sales queue, a lead, and inside sales' qualification call;
//! also the data-subject requests and the waterfall report, which read like the rest.
//!
//! `GET /leads?stage=mql&limit=N&cursor=C`, `GET /leads/{id}`, `POST /lookup`,
//! `POST /leads/{id}/handover`, `DELETE /leads/{id}`, `POST /leads/{id}/objection`,
//! `GET /funnel`, `GET /funnel.svg`.

use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::json;

use super::routes::{serve, Function};
use super::view::{LeadSummary, LeadView};
use super::{json_body, json_response, lead_id, sales, App, Problem};
use crate::domain::lead::normalise_email;
use crate::domain::lead::Confirmation;
use crate::domain::sales::{CallOutcome, QualificationCall};
use crate::domain::stage::Stage;
use crate::domain::vocabulary::{Note, Owner};
use crate::usecases::store::{LeadStore, MAX_PAGE, QUEUED_STAGES};

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    serve(app, Function::Handover, req).await
}

pub(crate) async fn get<S: LeadStore>(app: &App<S>, id: &str) -> Result<Response<Body>, Problem> {
    let id = lead_id(id)?;
    let lead = app.store.get(&id).await?.ok_or_else(|| Problem::not_found("no lead with this id"))?;
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}

/// `POST /lookup` with `{"email": "..."}`: the lead for that email. The email comes in
/// the body, not the URL, so no access log, trace or browser history holds it. One key
/// read: the id is the keyed hash of the email's canonical form, as intake computes it.
pub(crate) async fn lookup<S: LeadStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, Problem> {
    let body = json_body::<LookupBody>(req)?;
    if body.email.is_empty() || body.email.chars().count() > MAX_LOOKUP_EMAIL {
        return Err(Problem::invalid_field(
            "email",
            format!("`email` is 1 to {MAX_LOOKUP_EMAIL} characters"),
        ));
    }
    // What is not a valid email was refused by intake, so no lead has it.
    let Ok(email) = normalise_email(&body.email) else {
        return Err(Problem::not_found("no lead with this email (it is not a valid email)"));
    };
    let id = app.id_key.lead_id(&email);
    let lead = app.store.get(&id).await?.ok_or_else(|| Problem::not_found("no lead with this email"))?;
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}

/// The longest `email` a lookup reads (as intake: an address with room for full-width
/// forms and a Unicode domain).
pub const MAX_LOOKUP_EMAIL: usize = 1_024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupBody {
    email: String,
}

pub(crate) async fn queue<S: LeadStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, Problem> {
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
    let leads: Vec<LeadSummary> = page.leads.iter().map(|l| LeadSummary::of(l, &app.scorer)).collect();
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

impl HandoverBody {
    fn command(self) -> Result<QualificationCall, Problem> {
        let owner = Owner::parse("owner", &self.owner)?;
        let note = self.note.as_deref().map(|n| Note::parse("note", n)).transpose()?;
        let outcome = match self.outcome {
            Outcome::Qualified => CallOutcome::Qualified,
            Outcome::NotReady => CallOutcome::NotReady,
            Outcome::Disqualified => CallOutcome::Disqualified,
        };
        Ok(QualificationCall::new(outcome, owner, self.reason.as_deref(), note, self.confirmed)?)
    }
}

pub(crate) async fn handover<S: LeadStore>(
    app: &App<S>,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    let id = lead_id(id)?;
    let call = json_body::<HandoverBody>(req)?.command()?;
    let lead = sales(app).handover(&id, &call).await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, "handover");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
