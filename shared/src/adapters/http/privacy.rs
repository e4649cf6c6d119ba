//! Data-subject requests under the GDPR: erasure of the person (`DELETE /leads/{id}`)
//! and objection to profiling (`POST /leads/{id}/objection`). Both need `leads/erase`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::view::LeadView;
use super::{json_body, json_response, lead_id, sales, App, Problem};
use crate::domain::sales::RecordObjection;
use crate::domain::vocabulary::{Note, Owner};
use crate::usecases::store::LeadStore;

/// Removes the lead's item: everything Leadflow holds about the person lives in it. The
/// funnel's aggregates keep their counts (they hold none of it), and a later submission
/// by the same person starts a fresh lead.
pub(crate) async fn erase<S: LeadStore>(app: &App<S>, id: &str) -> Result<Response<Body>, Problem> {
    let id = lead_id(id)?;
    sales(app).erase(&id).await?;
    // The id is a keyed hash of the email, not the person: safe to log.
    tracing::info!(lead = %id, "erased");
    Ok(Response::builder().status(204).body(Body::Empty).expect("static response"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectionBody {
    by: String,
    #[serde(default)]
    note: Option<String>,
}

/// Records the objection: from now on the lead is not scored and stays in its stage.
/// Recording it again changes nothing.
pub(crate) async fn object<S: LeadStore>(
    app: &App<S>,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    let id = lead_id(id)?;
    let body: ObjectionBody = json_body(req)?;
    let objection = RecordObjection {
        by: Owner::parse("by", &body.by)?,
        note: body.note.as_deref().map(|n| Note::parse("note", n)).transpose()?,
    };
    let lead = sales(app).object(&id, &objection).await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, "profiling_objection");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
