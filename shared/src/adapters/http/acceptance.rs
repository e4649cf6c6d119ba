//! The acceptance function: `POST /leads/{id}/acceptance`, sales accepts or rejects an SQL.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::routes::{serve, Function};
use super::view::LeadView;
use super::{json_body, json_response, lead_id, sales, App, Problem};
use crate::domain::sales::{Decision, SalesDecision};
use crate::domain::vocabulary::{Note, OpportunityId, Owner};
use crate::usecases::store::LeadStore;

pub async fn handle<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    serve(app, Function::Acceptance, req).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DecisionBody {
    Accept,
    Reject,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptanceBody {
    decision: DecisionBody,
    owner: String,
    #[serde(default)]
    opportunity_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

impl AcceptanceBody {
    fn command(self) -> Result<SalesDecision, Problem> {
        let owner = Owner::parse("owner", &self.owner)?;
        let note = self.note.as_deref().map(|n| Note::parse("note", n)).transpose()?;
        let opportunity =
            self.opportunity_id.as_deref().map(|o| OpportunityId::parse("opportunity_id", o)).transpose()?;
        let decision = match self.decision {
            DecisionBody::Accept => Decision::Accept,
            DecisionBody::Reject => Decision::Reject,
        };
        Ok(SalesDecision::new(decision, owner, self.reason.as_deref(), note, opportunity)?)
    }
}

pub(crate) async fn accept<S: LeadStore>(
    app: &App<S>,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    let id = lead_id(id)?;
    let decision = json_body::<AcceptanceBody>(req)?.command()?;
    let lead = sales(app).decide(&id, &decision).await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, "acceptance");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
