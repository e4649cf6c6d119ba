//! The one optimistic read-modify-write loop every writer uses, and its retry policy.
//!
//! Each attempt reads the lead (or takes the copy the caller already holds), lets the
//! caller decide what to write, and writes it conditional on the version read. A lost
//! race (another write landed in between) is retried after a jittered wait.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;
use crate::usecases::store::{LeadStore, StoreError};

/// How often and how patiently a lost race is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// Enough for a burst of a hundred deliveries for one person to land in full.
    fn default() -> Self {
        Self { max_attempts: 40, base: Duration::from_millis(4), cap: Duration::from_millis(250) }
    }
}

impl RetryPolicy {
    /// "Full jitter": a random wait up to the exponential bound.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let bound = self.base.saturating_mul(1 << attempt.min(16)).min(self.cap);
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        Duration::from_nanos(random % (bound.as_nanos() as u64).max(1))
    }
}

/// What one attempt decided.
pub enum Step<D, W> {
    /// Write this lead (its `version` is bumped here); `W` goes along with it.
    Write(Box<Lead>, W),
    /// Nothing to write: answer `D` now.
    Done(D),
}

/// How an update ended.
pub enum Outcome<D, W> {
    /// Nothing was written.
    Done(D),
    /// The lead as stored (version bumped), and what went along with it.
    Written(Box<Lead>, W),
}

/// Why an update did not land.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError<E> {
    #[error(transparent)]
    Store(StoreError),
    /// Lost the race for the same lead on every attempt.
    #[error("gave up after {0} conflicting writes to the same lead")]
    Contention(u32),
    /// The caller refused the change (not found, an illegal move, ...).
    #[error("{0}")]
    Refused(E),
}

/// Reads, decides with `step(current, attempt)`, writes; retries a lost race.
/// `known` is a copy already read, used for the first attempt instead of a read.
pub async fn update<S, D, W, E>(
    store: &S,
    id: &LeadId,
    retry: &RetryPolicy,
    mut known: Option<Option<Lead>>,
    mut step: impl FnMut(Option<Lead>, u32) -> Result<Step<D, W>, E>,
) -> Result<Outcome<D, W>, UpdateError<E>>
where
    S: LeadStore + ?Sized,
{
    for attempt in 1..=retry.max_attempts.max(1) {
        let current = match known.take() {
            Some(lead) => lead,
            None => store.get(id).await.map_err(UpdateError::Store)?,
        };
        match step(current, attempt).map_err(UpdateError::Refused)? {
            Step::Done(answer) => return Ok(Outcome::Done(answer)),
            Step::Write(mut lead, with) => {
                lead.version += 1;
                match store.put(&lead).await {
                    Ok(()) => return Ok(Outcome::Written(lead, with)),
                    Err(StoreError::Conflict) => {
                        tracing::debug!(lead = %id, attempt, "lost a write race, retrying");
                        if attempt < retry.max_attempts {
                            tokio::time::sleep(retry.backoff(attempt)).await;
                        }
                    }
                    Err(e) => return Err(UpdateError::Store(e)),
                }
            }
        }
    }
    Err(UpdateError::Contention(retry.max_attempts))
}
