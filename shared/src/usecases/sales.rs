//! The sales commands against a store: each reads the lead, applies the command's rules
//! and the scoring engine's refresh, and writes it back with one conditional write.

use crate::domain::clock::Timestamp;
use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;
use crate::domain::sales::{QualificationCall, RecordObjection, SalesDecision};
use crate::domain::stage::IllegalTransition;
use crate::engine::scoring::Scorer;
use crate::usecases::retry::{update, Outcome, RetryPolicy, Step, UpdateError};
use crate::usecases::store::{LeadStore, StoreError};

/// Why a sales command did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SalesError {
    #[error("no lead with this id")]
    NotFound,
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Lost the race for the lead on every attempt (other writes, or transactions
    /// holding it): worth retrying later.
    #[error("gave up after {0} conflicting writes to the same lead")]
    Contention(u32),
}

impl From<UpdateError<SalesError>> for SalesError {
    fn from(e: UpdateError<SalesError>) -> Self {
        match e {
            UpdateError::Store(e) => SalesError::Store(e),
            UpdateError::Contention(n) => SalesError::Contention(n),
            UpdateError::Refused(e) => e,
        }
    }
}

/// Everything a sales command needs besides the command.
pub struct Sales<'a, S> {
    pub store: &'a S,
    pub scorer: &'a Scorer,
    pub retry: &'a RetryPolicy,
    pub now: Timestamp,
}

impl<S: LeadStore> Sales<'_, S> {
    /// Applies `change` to a fresh read of the lead and writes it; `Ok(false)` from
    /// `change` writes nothing and answers the lead as read.
    async fn change(
        &self,
        id: &LeadId,
        known: Option<Option<Lead>>,
        change: impl Fn(&mut Lead) -> Result<bool, SalesError>,
    ) -> Result<Lead, SalesError> {
        let now = self.now;
        let outcome = update(self.store, id, self.retry, known, |current, _| {
            let mut lead = current.ok_or(SalesError::NotFound)?;
            if !change(&mut lead)? {
                return Ok(Step::Done(lead));
            }
            self.scorer.refresh(&mut lead, now)?;
            lead.updated_at = now;
            Ok(Step::Write(Box::new(lead), ()))
        })
        .await?;
        Ok(match outcome {
            Outcome::Done(lead) => lead,
            Outcome::Written(lead, ()) => *lead,
        })
    }

    /// Inside sales' qualification call; the same call again (a retry) answers the lead
    /// as it is.
    pub async fn handover(&self, id: &LeadId, call: &QualificationCall) -> Result<Lead, SalesError> {
        self.change(id, None, |lead| {
            if call.already_applied(lead) {
                return Ok(false);
            }
            Ok(call.apply(lead, self.now).map(|()| true)?)
        })
        .await
    }

    /// Sales' decision on an SQL.
    pub async fn decide(&self, id: &LeadId, decision: &SalesDecision) -> Result<Lead, SalesError> {
        self.change(id, None, |lead| {
            if decision.already_applied(lead) {
                return Ok(false);
            }
            Ok(decision.apply(lead, self.now).map(|()| true)?)
        })
        .await
    }

    /// Records an objection to profiling; one already recorded costs the read only.
    pub async fn object(&self, id: &LeadId, objection: &RecordObjection) -> Result<Lead, SalesError> {
        self.change(id, None, |lead| Ok(objection.apply(lead, self.now))).await
    }

    /// Erases the person: removes the lead's item. The lead is read first, so an
    /// erasure whose delete the SDK retried after a lost answer (the retry finds
    /// nothing) still answers that it erased the person.
    pub async fn erase(&self, id: &LeadId) -> Result<(), SalesError> {
        if self.store.get(id).await?.is_none() {
            return Err(SalesError::NotFound);
        }
        self.store.delete(id).await?;
        Ok(())
    }
}
