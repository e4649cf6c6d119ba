//! The embedded store: a map behind a lock, with the DynamoDB store's semantics. Its
//! change feed is in-process, so it counts each write into the funnel as the write lands,
//! with the same fold the events function applies to DynamoDB's stream.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{
    check_limit, check_segment, cursor_id, cursor_number, decode_cursor, due_at, encode_cursor, queue_score,
    segment_of, Checkpoint, Counted, FunnelCounter, LeadStore, Page, StoreError, QUEUED_STAGES,
};
use crate::domain::clock::Timestamp;
use crate::domain::funnel::{self, Bucket, Day, Fold, FoldMark, Tally};
use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;
use crate::domain::stage::Stage;

/// One write as the in-memory store's change feed reports it (what DynamoDB's stream
/// reports with new and old images): the lead before and after, `None` for no item.
#[derive(Debug, Clone)]
pub struct LeadChange {
    pub old: Option<Lead>,
    pub new: Option<Lead>,
    pub at: Timestamp,
}

#[derive(Debug, Default)]
pub struct InMemoryStore {
    leads: Mutex<BTreeMap<LeadId, Lead>>,
    /// Where every write is reported, in order (the local server's events).
    changes: Mutex<Option<tokio::sync::mpsc::UnboundedSender<LeadChange>>>,
    checkpoints: Mutex<BTreeMap<String, Checkpoint>>,
    funnel: Mutex<BTreeMap<Bucket, Tally>>,
    /// How far each lead is counted (its fold mark).
    folds: Mutex<BTreeMap<LeadId, FoldMark>>,
    /// Disabled webhook endpoints: id -> (url, when).
    disabled_endpoints: Mutex<BTreeMap<String, (String, Timestamp)>>,
}

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports every later write, in the order written (one feed: a second call replaces it).
    pub fn change_feed(&self) -> tokio::sync::mpsc::UnboundedReceiver<LeadChange> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *self.changes.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        rx
    }

    /// Called under the leads' lock, so changes are reported in the order they land.
    fn report(&self, old: Option<Lead>, new: Option<Lead>) {
        if let Some(tx) = self.changes.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(LeadChange { old, new, at: Timestamp::now() });
        }
    }

    /// How many leads are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Every stored lead, by id: to check that a failed request wrote nothing.
    pub fn snapshot(&self) -> Vec<Lead> {
        self.lock().values().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The funnel's side of a write, as the events function counts a stream record.
    fn count_now(&self, old: Option<&Lead>, new: &Lead) -> Counted {
        let mut folds = self.folds.lock().unwrap_or_else(|p| p.into_inner());
        let seen = folds.get(&new.id).copied();
        let Some(counted) = funnel::counted_before(seen, None, old, new) else { return Counted::Already };
        let Some(fold) = funnel::since(counted, new) else { return Counted::Already };
        self.apply(&mut folds, &new.id, &fold);
        Counted::Added
    }

    fn apply(&self, folds: &mut BTreeMap<LeadId, FoldMark>, lead: &LeadId, fold: &Fold) {
        folds.insert(lead.clone(), fold.mark());
        let mut tallies = self.funnel.lock().unwrap_or_else(|p| p.into_inner());
        for (bucket, tally) in &fold.tallies {
            tallies.entry(bucket.clone()).or_default().add(tally);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<LeadId, Lead>> {
        // A panic while holding the lock cannot leave a half-written lead: writes are
        // single inserts. So a poisoned lock is still consistent.
        self.leads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sorts by `key`, continues after the cursor position, cuts a page.
    fn page<K: Ord + Clone>(
        mut rows: Vec<(K, Lead)>,
        after: Option<K>,
        limit: usize,
        cursor_of: impl Fn(&K) -> String,
    ) -> Page {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let start = after.map_or(0, |after| rows.partition_point(|(k, _)| *k <= after));
        let limit = check_limit(limit);
        let rest = rows.len().saturating_sub(start);
        let take: Vec<(K, Lead)> = rows.into_iter().skip(start).take(limit).collect();
        let cursor = if rest > limit { take.last().map(|(k, _)| cursor_of(k)) } else { None };
        Page::new(take.into_iter().map(|(_, l)| l).collect(), cursor)
    }
}

impl LeadStore for InMemoryStore {
    async fn get(&self, id: &LeadId) -> Result<Option<Lead>, StoreError> {
        Ok(self.lock().get(id).cloned())
    }

    async fn put(&self, lead: &Lead) -> Result<(), StoreError> {
        if lead.version == 0 {
            return Err(StoreError::Internal("a lead is written with version 1 or more".into()));
        }
        let mut leads = self.lock();
        let stored = leads.get(&lead.id).map(|l| l.version);
        let expected = (lead.version > 1).then_some(lead.version - 1);
        if stored != expected {
            return Err(StoreError::Conflict);
        }
        let old = leads.insert(lead.id.clone(), lead.clone());
        // Still under the leads' lock: counted in the order written, as the stream would.
        self.count_now(old.as_ref(), lead);
        self.report(old, Some(lead.clone()));
        Ok(())
    }

    async fn queue(&self, stage: Stage, limit: usize, cursor: Option<&str>) -> Result<Page, StoreError> {
        let tag = stage.id();
        let after = match cursor {
            None => None,
            Some(c) => {
                let p = decode_cursor(c, tag, 2)?;
                Some((std::cmp::Reverse(cursor_number(&p[0])?), cursor_id(&p[1])?))
            }
        };
        if !QUEUED_STAGES.contains(&stage) {
            return Ok(Page::default());
        }
        let rows = self
            .lock()
            .values()
            .filter(|l| l.stage == stage)
            .filter_map(|l| queue_score(l).map(|s| ((std::cmp::Reverse(s), l.id.clone()), l.clone())))
            .collect();
        Ok(Self::page(rows, after, limit, |(s, id)| encode_cursor(tag, &[&s.0.to_string(), id.as_str()])))
    }

    async fn due(&self, now: Timestamp, limit: usize, cursor: Option<&str>) -> Result<Page, StoreError> {
        let after = match cursor {
            None => None,
            Some(c) => {
                let p = decode_cursor(c, "due", 2)?;
                Some((cursor_number(&p[0])?, cursor_id(&p[1])?))
            }
        };
        let rows = self
            .lock()
            .values()
            .filter_map(|l| due_at(l).filter(|d| *d <= now).map(|d| ((d.unix(), l.id.clone()), l.clone())))
            .collect();
        Ok(Self::page(rows, after, limit, |(d, id)| encode_cursor("due", &[&d.to_string(), id.as_str()])))
    }

    async fn scan(
        &self,
        segment: u32,
        segments: u32,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        check_segment(segment, segments)?;
        let after = match cursor {
            None => None,
            Some(c) => Some(cursor_id(&decode_cursor(c, "scan", 1)?[0])?),
        };
        let rows = self
            .lock()
            .values()
            .filter(|l| segment_of(&l.id, segments) == segment)
            .map(|l| (l.id.clone(), l.clone()))
            .collect();
        Ok(Self::page(rows, after, limit, |id| encode_cursor("scan", &[id.as_str()])))
    }

    async fn get_checkpoint(&self, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.checkpoints.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned())
    }

    async fn put_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let mut all = self.checkpoints.lock().unwrap_or_else(|p| p.into_inner());
        let stored = all.get(&checkpoint.key).map(|c| c.version);
        if stored != (checkpoint.version > 1).then_some(checkpoint.version - 1) {
            return Err(StoreError::Conflict);
        }
        all.insert(checkpoint.key.clone(), checkpoint.clone());
        Ok(())
    }

    async fn funnel(&self, from: Day, to: Day) -> Result<Vec<(Bucket, Tally)>, StoreError> {
        let tallies = self.funnel.lock().unwrap_or_else(|p| p.into_inner());
        Ok(tallies
            .iter()
            .filter(|(b, _)| b.day >= from && b.day <= to)
            .map(|(b, t)| (b.clone(), t.clone()))
            .collect())
    }

    async fn delete(&self, id: &LeadId) -> Result<bool, StoreError> {
        let mut leads = self.lock();
        let old = leads.remove(id);
        let found = old.is_some();
        if found {
            self.report(old, None);
        }
        Ok(found)
    }
}

impl FunnelCounter for InMemoryStore {
    async fn fold_mark(&self, lead: &LeadId) -> Result<Option<FoldMark>, StoreError> {
        Ok(self.folds.lock().unwrap_or_else(|p| p.into_inner()).get(lead).copied())
    }

    async fn count(&self, lead: &LeadId, seen: Option<FoldMark>, fold: &Fold) -> Result<bool, StoreError> {
        let mut folds = self.folds.lock().unwrap_or_else(|p| p.into_inner());
        if folds.get(lead).copied() != seen {
            return Ok(false);
        }
        self.apply(&mut folds, lead, fold);
        Ok(true)
    }
}

impl crate::usecases::store::DisabledEndpoints for InMemoryStore {
    async fn disable_endpoint(&self, endpoint: &str, url: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut disabled = self.disabled_endpoints.lock().unwrap_or_else(|p| p.into_inner());
        disabled.entry(endpoint.to_owned()).or_insert_with(|| (url.to_owned(), at));
        Ok(())
    }

    async fn disabled_endpoints(
        &self,
        endpoints: &[String],
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let disabled = self.disabled_endpoints.lock().unwrap_or_else(|p| p.into_inner());
        Ok(endpoints.iter().filter(|e| disabled.contains_key(*e)).cloned().collect())
    }
}
