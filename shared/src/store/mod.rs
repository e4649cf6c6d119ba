//! Where leads live: the `LeadStore` trait, its errors, and its two implementations.
//!
//! The DynamoDB store is the product; the in-memory store serves the local server and
//! fast tests. One contract suite (tests/tests/store_contract.rs) holds both to the
//! same behaviour.

pub mod dynamodb;
pub mod memory;
pub mod table;

use std::future::Future;

use crate::clock::Timestamp;
use crate::funnel::{Bucket, Day, Tally};
use crate::identity::LeadId;
use crate::lead::Lead;
use crate::stage::Stage;

pub use dynamodb::DynamoStore;
pub use memory::InMemoryStore;

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
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub leads: Vec<Lead>,
    /// Opaque; `None` on the last page.
    pub cursor: Option<String>,
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
    /// The lead's funnel events not yet counted ([`crate::funnel::pending`]) are added
    /// to the funnel in the same atomic write, and the stored lead marks them counted.
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

/// The queue index's sort value: the score total (leads without a score sort last).
pub fn queue_score(lead: &Lead) -> Option<i64> {
    QUEUED_STAGES
        .contains(&lead.stage)
        .then(|| lead.score.as_ref().map_or(i64::MIN / 2, |s| i64::from(s.total)))
}

/// The due index's value: when the scheduler must next look at the lead.
pub fn due_at(lead: &Lead) -> Option<Timestamp> {
    lead.due_at
}

/// Which of `segments` scan segments a lead falls in: by its id, so stable.
pub fn segment_of(id: &LeadId, segments: u32) -> u32 {
    let head = u32::from_str_radix(&id.as_str()[..8], 16).unwrap_or(0);
    ((u64::from(head) * u64::from(segments.max(1))) >> 32) as u32
}

pub(crate) fn check_segment(segment: u32, segments: u32) -> Result<(), StoreError> {
    if segments == 0 || segment >= segments {
        return Err(StoreError::Internal(format!("there is no scan segment {segment} of {segments}")));
    }
    Ok(())
}

pub(crate) fn check_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_PAGE)
}

/// Cursors are opaque to callers: hex of the tagged position they continue after.
pub(crate) fn encode_cursor(tag: &str, parts: &[&str]) -> String {
    let mut text = tag.to_owned();
    for p in parts {
        text.push('\n');
        text.push_str(p);
    }
    hex::encode(text)
}

pub(crate) fn decode_cursor(cursor: &str, tag: &str, parts: usize) -> Result<Vec<String>, StoreError> {
    let bytes = hex::decode(cursor).map_err(|_| StoreError::BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| StoreError::BadCursor)?;
    let mut fields = text.split('\n');
    if fields.next() != Some(tag) {
        return Err(StoreError::BadCursor);
    }
    let rest: Vec<String> = fields.map(str::to_owned).collect();
    if rest.len() != parts {
        return Err(StoreError::BadCursor);
    }
    Ok(rest)
}

pub(crate) fn cursor_id(text: &str) -> Result<LeadId, StoreError> {
    LeadId::parse(text).ok_or(StoreError::BadCursor)
}

pub(crate) fn cursor_number(text: &str) -> Result<i64, StoreError> {
    text.parse().map_err(|_| StoreError::BadCursor)
}
