//! Where leads live: the two implementations of the `LeadStore` port
//! (`crate::usecases::store`), and what they share: index values, segments, cursors.
//!
//! The DynamoDB store is the product; the in-memory store serves the local server and
//! fast tests. One contract suite holds both to the same behaviour.

pub mod dynamodb;
pub mod memory;
pub mod table;

use crate::domain::clock::Timestamp;
use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;

pub use crate::usecases::store::{
    Checkpoint, Counted, DisabledEndpoints, FunnelCounter, LeadStore, Page, StoreError, MAX_PAGE,
    QUEUED_STAGES,
};

pub use dynamodb::DynamoStore;
pub use memory::InMemoryStore;

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
