//! Applying a form submission to its lead: read, merge, score, conditional write.
//!
//! The common path is exactly one read and one write, no transaction. A lost race
//! (another submission for the same person landed in between) is retried with jittered
//! backoff; the idempotency key travels inside the item, so the same conditional write
//! that applies a delivery also makes its redelivery a no-op.

use std::collections::BTreeMap;

use crate::domain::clock::Timestamp;
use crate::domain::funnel::event_count;
use crate::domain::identity::IdKey;
use crate::domain::lead::{Activity, Answers, Consent, Lead, Profile};
use crate::domain::stage::Trigger;
use crate::domain::vocabulary::{ConsentStatement, Note};
use crate::engine::scoring::Scorer;
use crate::usecases::retry::{update, Outcome, Step, UpdateError};

pub use crate::usecases::retry::RetryPolicy;
use crate::usecases::store::{LeadStore, StoreError};

/// The activity recorded for a submission that names none.
pub const FORM_SUBMISSION: &str = "form_submission";

/// One form delivery, already validated and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Which form or tool sent it (`web`, `typeform`, ...).
    pub source: String,
    pub received_at: Timestamp,
    /// The `Idempotency-Key`, or the form tool's own delivery id.
    pub delivery_key: Option<String>,
    /// Normalised; the canonical form of `profile.email` is the lead's identity (see `identity`).
    pub profile: Profile,
    pub answers: Answers,
    /// What the person did; [`FORM_SUBMISSION`] if the form does not say.
    pub activity: Option<String>,
    pub attributes: BTreeMap<String, String>,
    /// A consent statement: given or refused, and the version of the text shown.
    pub consent: Option<ConsentStatement>,
}

/// What applying a submission did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub lead: Lead,
    /// The submission created the lead.
    pub created: bool,
    /// The delivery had been applied before: nothing was written.
    pub duplicate: bool,
    /// Write attempts it took (1 without contention).
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Lost the race for the same lead this many times in a row.
    #[error("gave up after {0} conflicting writes to the same lead")]
    Contention(u32),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Applies a submission to its lead (creating it if new) and writes it back.
pub async fn apply_submission<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    id_key: &IdKey,
    submission: &Submission,
    retry: RetryPolicy,
) -> Result<Applied, IntakeError> {
    let id = id_key.lead_id(&submission.profile.email);
    let now = submission.received_at;
    let applied = update(store, &id, &retry, None, |existing, attempt| {
        if let Some(lead) = &existing {
            if submission.delivery_key.as_deref().is_some_and(|key| lead.has_delivery(key, now)) {
                let lead = lead.clone();
                return Ok(Step::Done(Applied { lead, created: false, duplicate: true, attempts: attempt }));
            }
        }
        let created = existing.is_none();
        let mut lead = existing.unwrap_or_else(|| {
            // Every field then comes in through the merge, which records its source.
            let p = &submission.profile;
            let bare = Profile {
                email: p.email.clone(),
                company_domain: p.company_domain.clone(),
                ..Profile::default()
            };
            Lead::new(id.clone(), &submission.source, bare, now)
        });
        merge(scorer, &mut lead, submission);
        let events = event_count(&lead);
        scorer.refresh(&mut lead, now).map_err(|e| IntakeError::Internal(e.to_string()))?;
        note_moves_by_submission(&mut lead, events, &submission.source);
        lead.updated_at = lead.updated_at.max(now);
        Ok(Step::Write(Box::new(lead), (created, attempt)))
    })
    .await;
    let applied = applied.map(|outcome| match outcome {
        Outcome::Done(replay) => replay,
        Outcome::Written(lead, (created, attempts)) => {
            Applied { lead: *lead, created, duplicate: false, attempts }
        }
    });
    applied.map_err(|e| match e {
        UpdateError::Store(e) => IntakeError::Store(e),
        UpdateError::Contention(n) => IntakeError::Contention(n),
        UpdateError::Refused(e) => e,
    })
}

/// Marks the moves scoring made because of this submission (a disqualification for an
/// answer, say), so sales sees which delivery caused them.
fn note_moves_by_submission(lead: &mut Lead, events_before: u32, source: &str) {
    let new = event_count(lead).saturating_sub(events_before) as usize;
    let note = Note::parse("note", &format!("after a submission from source `{source}`")).ok();
    let len = lead.history.len();
    for t in &mut lead.history[len.saturating_sub(new)..] {
        if t.trigger == Trigger::Scoring && t.note.is_none() {
            t.note.clone_from(&note);
        }
    }
}

fn merge(scorer: &Scorer, lead: &mut Lead, s: &Submission) {
    lead.merge_profile(s.profile.clone(), &s.source, s.received_at);
    lead.merge_answers(s.answers.clone());
    lead.merge_attributes(s.attributes.clone());
    scorer.read_facts(lead);
    let kind = s.activity.clone().unwrap_or_else(|| FORM_SUBMISSION.to_owned());
    scorer.record_activity(lead, Activity { kind, at: s.received_at, source: s.source.clone() });
    if let Some(key) = &s.delivery_key {
        lead.remember_delivery(key, s.received_at);
    }
    if let Some(ConsentStatement { given, text_version }) = &s.consent {
        // Append-only: a later statement is in force, an earlier one stays on record.
        lead.record_consent(Consent {
            given: *given,
            text_version: text_version.clone(),
            at: s.received_at,
            source: s.source.clone(),
        });
    }
}
