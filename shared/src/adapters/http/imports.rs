//! `POST /imports/{source}`: a contact list (a trade-show scan, a webinar's attendees) as
//! one form post per row. Each row goes the intake's way (normalisation, the email's
//! identity, merge, scoring, limits, consent) under the source's name and consent text;
//! the answer reports every row. A row's idempotency key is a hash of its fields, so
//! importing the same list again within the delivery-key window (24 hours) writes
//! nothing: every row is a replay.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::problem::ProblemKind;
use super::{body_bytes, header, json_response, App, Problem};
use crate::adapters::intake::{self as forms, Fields, MAX_IMPORT_BYTES};
use crate::adapters::store::LeadStore;
use crate::domain::identity::LeadId;
use crate::usecases::intake::{apply_submission, Submission};

/// Leads written at the same time; one lead's rows are applied one after another, in
/// the order of the file.
pub const IMPORT_CONCURRENCY: usize = 8;

/// The idempotency key of a row: the same fields (names and values as sent) are the
/// same key, whichever file or line they come in.
fn row_key(fields: &Fields) -> String {
    let mut hash = Sha256::new();
    for (name, value) in &fields.values {
        hash.update(name.as_bytes());
        hash.update([0x1f]);
        hash.update(value.as_bytes());
        hash.update([0x1e]);
    }
    if let Some(id) = &fields.delivery_id {
        hash.update(b"delivery_id\x1f");
        hash.update(id.as_bytes());
    }
    format!("import-{}", &hex::encode(hash.finalize())[..32])
}

/// What became of one row.
enum Outcome {
    Created(LeadId),
    Updated(LeadId),
    Replay(LeadId),
    Refused(Problem),
}

pub(crate) async fn import<S: LeadStore>(
    app: &App<S>,
    req: &Request,
    name: &str,
) -> Result<Response<Body>, Problem> {
    let source = app.sources.get(name).ok_or_else(|| {
        Problem::of(ProblemKind::UnknownSource, format!("no source `{name}` is configured"))
            .with("source", name)
    })?;
    let body = body_bytes(req);
    if body.len() > MAX_IMPORT_BYTES {
        return Err(Problem::too_large(MAX_IMPORT_BYTES));
    }
    let rows = forms::parse_list(header(req, "content-type").unwrap_or(""), body)?;
    let now = app.clock.now();
    let submissions: Vec<(usize, Result<Submission, Problem>)> = rows
        .into_iter()
        .map(|row| {
            let submission = row.fields.and_then(|fields| {
                let key = row_key(&fields);
                forms::submission(name, fields, Some(&key), source.consent_version.as_deref(), now)
            });
            (row.line, submission.map_err(Problem::from))
        })
        .collect();

    // One lead's rows in file order; the leads side by side.
    let mut by_lead: BTreeMap<LeadId, Vec<usize>> = BTreeMap::new();
    for (i, (_, submission)) in submissions.iter().enumerate() {
        if let Ok(s) = submission {
            by_lead.entry(app.id_key.lead_id(&s.profile.email)).or_default().push(i);
        }
    }
    let applied: Vec<Vec<(usize, Outcome)>> = stream::iter(by_lead.into_values())
        .map(|indexes| {
            let submissions = &submissions;
            async move {
                let mut out = Vec::with_capacity(indexes.len());
                for i in indexes {
                    let Ok(submission) = &submissions[i].1 else { continue };
                    let outcome =
                        match apply_submission(&app.store, &app.scorer, &app.id_key, submission, app.retry)
                            .await
                        {
                            Ok(a) if a.duplicate => Outcome::Replay(a.lead.id),
                            Ok(a) if a.created => Outcome::Created(a.lead.id),
                            Ok(a) => Outcome::Updated(a.lead.id),
                            Err(e) => Outcome::Refused(e.into()),
                        };
                    out.push((i, outcome));
                }
                out
            }
        })
        .buffer_unordered(IMPORT_CONCURRENCY)
        .collect()
        .await;
    let mut outcomes: BTreeMap<usize, Outcome> = applied.into_iter().flatten().collect();

    let (mut created, mut updated, mut replayed, mut refused) = (0, 0, 0, 0);
    let mut results = Vec::with_capacity(submissions.len());
    for (i, (line, submission)) in submissions.into_iter().enumerate() {
        let outcome = match submission {
            Err(problem) => Outcome::Refused(problem),
            Ok(_) => outcomes
                .remove(&i)
                .unwrap_or_else(|| Outcome::Refused(Problem::internal("the row was not applied"))),
        };
        results.push(match outcome {
            Outcome::Created(id) => {
                created += 1;
                json!({ "line": line, "lead_id": id, "outcome": "created" })
            }
            Outcome::Updated(id) => {
                updated += 1;
                json!({ "line": line, "lead_id": id, "outcome": "updated" })
            }
            Outcome::Replay(id) => {
                replayed += 1;
                json!({ "line": line, "lead_id": id, "outcome": "replay" })
            }
            Outcome::Refused(problem) => {
                refused += 1;
                json!({ "line": line, "problem": problem.to_json() })
            }
        });
    }
    tracing::info!(source = %name, rows = results.len(), created, updated, replayed, refused, "import");
    Ok(json_response(
        200,
        &json!({
            "source": name,
            "rows": results.len(),
            "created": created,
            "updated": updated,
            "replayed": replayed,
            "refused": refused,
            "results": Value::Array(results),
        }),
    ))
}
