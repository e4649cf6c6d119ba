//! The port to where leads live: the `LeadStore` trait and its errors, in domain terms.
//! The adapters in `crate::adapters::store` implement it (DynamoDB, in memory); one
//! contract suite holds every implementation to the same behaviour.

use std::future::Future;

use crate::domain::clock::Timestamp;
use crate::domain::funnel::{Bucket, Day, Fold, FoldMark, Tally};
use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;
use crate::domain::stage::Stage;

/// What can go wrong in a store, in domain terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The lead changed since it was read (or already exists): re-read and retry.
    #[error("the lead was changed by someone else since it was read")]
    Conflict,
    /// The store cannot be reached or is throttling: try again later.
    #[error("the lead store is unavailable: {0}")]
    Unavailable(String),
    /// A pagination cursor that this store did not hand out.
    #[error("the cursor is not one this listing handed out")]
    BadCursor,
    /// Anything else: a bug or a misconfiguration (missing table, bad item).
    #[error("lead store error: {0}")]
    Internal(String),
}

/// One page of a listing and where the next one starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub leads: Vec<Lead>,
    /// Opaque; `None` on the last page.
    pub cursor: Option<String>,
    /// Ids of listed items that could not be read as leads (a broken or foreign item):
    /// batch work counts and logs them and goes on with the rest.
    pub unreadable: Vec<String>,
}

impl Page {
    pub fn new(leads: Vec<Lead>, cursor: Option<String>) -> Self {
        Self { leads, cursor, unreadable: Vec::new() }
    }
}

/// How far a resumable job got: one per scan segment of a full re-score.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub key: String,
    /// Where the segment's scan continues; `None` before the first page.
    pub cursor: Option<String>,
    pub done: bool,
    /// Leads visited so far.
    pub visited: u64,
    pub version: u64,
}

/// Stages that have a sales queue (the sparse queue index holds only these).
pub const QUEUED_STAGES: [Stage; 4] = [Stage::Mql, Stage::Sql, Stage::Sal, Stage::Nurture];

/// The largest page a listing returns.
pub const MAX_PAGE: usize = 100;

/// Leads by id, written with optimistic concurrency.
pub trait LeadStore: Send + Sync {
    /// The lead with this id, if any.
    fn get(&self, id: &LeadId) -> impl Future<Output = Result<Option<Lead>, StoreError>> + Send;

    /// Writes `lead` if the stored version is still `lead.version - 1` (a new lead has
    /// version 1 and must not exist yet). A lost race is [`StoreError::Conflict`].
    /// One plain conditional write: the funnel counts the write later, from the change
    /// stream ([`FunnelCounter`]), off the request path.
    fn put(&self, lead: &Lead) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Leads in a queued stage, best score first, `limit` (1..=MAX_PAGE) at a time.
    fn queue(
        &self,
        stage: Stage,
        limit: usize,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// Leads whose next due instant is at or before `now`, earliest first.
    fn due(
        &self,
        now: Timestamp,
        limit: usize,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// One segment of a full scan (for re-scoring after an SLA change): every lead is
    /// in exactly one of `segments` segments.
    fn scan(
        &self,
        segment: u32,
        segments: u32,
        limit: usize,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// A job's saved progress.
    fn get_checkpoint(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Checkpoint>, StoreError>> + Send;

    /// Saves progress if the stored checkpoint is still `version - 1` (1: new).
    fn put_checkpoint(&self, checkpoint: &Checkpoint) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The funnel's buckets for the days `from..=to`, every source.
    fn funnel(
        &self,
        from: Day,
        to: Day,
    ) -> impl Future<Output = Result<Vec<(Bucket, Tally)>, StoreError>> + Send;

    /// Removes the lead; `false` if there was none.
    fn delete(&self, id: &LeadId) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// What counting a write's funnel events came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Added,
    /// Nothing new: the lead's fold mark is at or past this write (a redelivered record,
    /// a write without a move), or on a later life of the lead.
    Already,
}

/// Counting writes into the funnel's aggregates, each at most once, guarded by the
/// lead's fold mark: the capability the events function needs besides the webhooks.
/// Errors: `Internal` only for a count the store refuses for good (a bug); anything
/// that may pass later (throttling, conflicts, a permission not there yet) is
/// `Unavailable`, so the record is held and comes again.
pub trait FunnelCounter: Send + Sync {
    /// The lead's fold mark, read consistently.
    fn fold_mark(&self, lead: &LeadId) -> impl Future<Output = Result<Option<FoldMark>, StoreError>> + Send;

    /// Adds `fold`'s tallies and moves the lead's mark to `fold.mark()`, in one atomic
    /// write, only if the mark is still `seen`; `false` (nothing written) if it moved.
    fn count(
        &self,
        lead: &LeadId,
        seen: Option<FoldMark>,
        fold: &Fold,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Webhook endpoints that answered 410 Gone, remembered beyond one process: a new
/// instance of the events function does not call them again. `endpoint` is the
/// subscriber's id (a hash of its URL): a changed URL is a new endpoint.
pub trait DisabledEndpoints: Send + Sync {
    /// Remembers that `endpoint` (at `url`) answered 410 at `at`.
    fn disable_endpoint(
        &self,
        endpoint: &str,
        url: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Which of `endpoints` are disabled.
    fn disabled_endpoints(
        &self,
        endpoints: &[String],
    ) -> impl Future<Output = Result<std::collections::BTreeSet<String>, StoreError>> + Send;
}
