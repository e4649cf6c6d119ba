//! Data-subject requests under the GDPR: erasure of the person (`DELETE /leads/{id}`)
//! and objection to profiling (`POST /leads/{id}/objection`). Both need `leads/erase`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::auth::{require, SCOPE_ERASE};
use super::view::LeadView;
use super::{check_text, json_body, json_response, lead_id, update_lead, App, Problem};
use crate::lead::Objection;
use crate::store::LeadStore;

/// Removes the lead's item: everything Leadflow holds about the person lives in it. The
/// funnel's aggregates keep their counts (they hold none of it), and a later submission
/// by the same person starts a fresh lead.
pub async fn erase<S: LeadStore>(app: &App<S>, req: &Request, id: &str) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_ERASE)?;
    let id = lead_id(id)?;
    if !app.store.delete(&id).await? {
        return Err(Problem::not_found("no lead with this id"));
    }
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
pub async fn object<S: LeadStore>(app: &App<S>, req: &Request, id: &str) -> Result<Response<Body>, Problem> {
    require(app.auth, req, SCOPE_ERASE)?;
    let id = lead_id(id)?;
    let body: ObjectionBody = json_body(req)?;
    check_text("by", &body.by, 100)?;
    if let Some(note) = &body.note {
        check_text("note", note, 1000)?;
    }
    let existing = app.store.get(&id).await?.ok_or_else(|| Problem::not_found("no lead with this id"))?;
    if existing.objection.is_some() {
        return Ok(json_response(200, &LeadView::of(&existing, &app.scorer, true)));
    }
    let now = app.clock.now();
    let lead = update_lead(app, &id, |lead| {
        if lead.objection.is_none() {
            lead.objection = Some(Objection { at: now, by: body.by.clone(), note: body.note.clone() });
        }
        app.scorer.refresh(lead, now)?;
        Ok(())
    })
    .await?;
    tracing::info!(lead = %lead.id, stage = %lead.stage, "profiling_objection");
    Ok(json_response(200, &LeadView::of(&lead, &app.scorer, true)))
}
