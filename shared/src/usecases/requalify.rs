//! Keeping every lead's qualification true as time passes: decay and readiness windows
//! (through re-scoring) and the response-time SLAs (flag, then recycle), visiting only
//! the leads that are due.

use serde::Serialize;

use crate::domain::clock::Timestamp;
use crate::domain::funnel::event_count;
use crate::domain::lead::Lead;
use crate::domain::stage::Stage;
use crate::engine::refresh::changed;
use crate::engine::scoring::Scorer;
use crate::usecases::deadline::Deadline;
use crate::usecases::retry::{update, Outcome, RetryPolicy, Step, UpdateError};
use crate::usecases::store::{Checkpoint, LeadStore, StoreError};

pub use crate::engine::refresh::REASON_SLA_EXPIRED;

/// How many due leads a run reads per page.
pub const PAGE: usize = 100;

/// What one scheduled run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub as_of: Timestamp,
    /// Leads read from the due index.
    pub read: u64,
    /// Leads written (only those whose state changed).
    pub written: u64,
    /// Stage moves made.
    pub transitions: u64,
    /// Response-time SLAs newly found breached.
    pub breaches: u64,
    /// Lost races, re-read and retried.
    pub conflicts: u64,
    /// Leads that could not be read or written (logged as `requalify_failed` with the
    /// lead id; the run went on with everyone else).
    pub failed: u64,
    /// Every due lead was visited. `false`: the run stopped at its deadline; the leads
    /// it did not reach stay due, and the next run takes them.
    pub complete: bool,
}

/// Counts and logs a lead that could not be requalified, and goes on: one broken lead
/// stops nobody else. When the store itself is unavailable the run stops instead, so
/// the schedule retries it.
fn isolate(failed: &mut u64, id: &str, e: StoreError) -> Result<(), StoreError> {
    match e {
        StoreError::Unavailable(_) => Err(e),
        e => {
            *failed += 1;
            tracing::error!(lead = %id, error = %e, "requalify_failed");
            Ok(())
        }
    }
}

/// Re-scores one lead as of `now` and writes it if its state changed, re-reading and
/// retrying a lost race. Returns the lead as stored.
pub async fn rescore_one<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    lead: Lead,
    now: Timestamp,
    report: &mut RunReport,
) -> Result<Lead, StoreError> {
    let id = lead.id.clone();
    let mut last = lead.clone();
    let mut attempts = 0;
    let result = update(store, &id, &RetryPolicy::default(), Some(Some(lead)), |current, attempt| {
        attempts = attempt;
        // Erased since it was listed: nothing to do.
        let Some(before) = current else { return Ok(Step::Done(last.clone())) };
        last = before.clone();
        let mut next = before.clone();
        // Only a new vocabulary (a full re-score after an SLA change) reads text again.
        if scorer.facts_stale(&next) {
            scorer.read_facts(&mut next);
        }
        scorer.refresh(&mut next, now).map_err(|e| StoreError::Internal(e.to_string()))?;
        if !changed(&before, &next) {
            return Ok(Step::Done(before));
        }
        next.updated_at = next.updated_at.max(now);
        Ok(Step::Write(Box::new(next), before))
    })
    .await;
    report.conflicts += u64::from(attempts.saturating_sub(1));
    match result {
        Ok(Outcome::Written(stored, before)) => {
            let stored = *stored;
            report.written += 1;
            report.transitions += u64::from(event_count(&stored).saturating_sub(event_count(&before)));
            report.breaches +=
                u64::from(stored.sla_breached_at.is_some() && before.sla_breached_at.is_none());
            Ok(stored)
        }
        Ok(Outcome::Done(lead)) => Ok(lead),
        Err(UpdateError::Store(e) | UpdateError::Refused(e)) => Err(e),
        Err(UpdateError::Contention(_)) => Err(StoreError::Conflict),
    }
}

/// The scheduled requalification: every due lead (and only those), as of `now`.
pub async fn run_due<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    now: Timestamp,
) -> Result<RunReport, StoreError> {
    run_due_until(store, scorer, now, Deadline::NONE).await
}

/// [`run_due`] up to `deadline`: it stops before the next lead once the deadline has
/// passed, and says so (`complete: false`).
pub async fn run_due_until<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    now: Timestamp,
    deadline: Deadline,
) -> Result<RunReport, StoreError> {
    let mut report = RunReport { as_of: now, ..RunReport::default() };
    let mut cursor: Option<String> = None;
    'pages: loop {
        let page = store.due(now, PAGE, cursor.as_deref()).await?;
        for id in &page.unreadable {
            report.read += 1;
            isolate(&mut report.failed, id, StoreError::Internal("the item is not a readable lead".into()))?;
        }
        for lead in page.leads {
            if deadline.passed() {
                break 'pages;
            }
            let id = lead.id.clone();
            // A lead still at work when the deadline comes is cut off (and stays due).
            match deadline.run(rescore_one(store, scorer, lead, now, &mut report)).await {
                None => break 'pages,
                Some(Ok(_)) => {}
                Some(Err(e)) => isolate(&mut report.failed, id.as_str(), e)?,
            }
            report.read += 1;
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => {
                report.complete = true;
                break;
            }
        }
    }
    if !report.complete {
        // Counted by a metric filter: runs that keep ending here mean a growing backlog.
        tracing::warn!(read = report.read, "requalify_incomplete");
    }
    tracing::info!(
        complete = report.complete,
        read = report.read,
        written = report.written,
        transitions = report.transitions,
        breaches = report.breaches,
        failed = report.failed,
        "requalification run"
    );
    Ok(report)
}

/// What a full re-score did, and whether it finished.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RescoreReport {
    pub sla_version: String,
    pub segments: u32,
    pub visited: u64,
    pub rescored: u64,
    /// Leads that could not be re-scored (logged as `requalify_failed`).
    pub failed: u64,
    pub done: bool,
}

/// Re-scores every lead under the scorer's SLA version after an SLA change: one task per
/// scan segment, each saving its position in a checkpoint item after every page. A run
/// stopped by `stop()` (the Lambda's remaining time) resumes where it was; a lead already
/// scored under this version is skipped, so none is scored twice and none is skipped.
pub async fn rescore_all<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    now: Timestamp,
    segments: u32,
    page: usize,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<RescoreReport, StoreError> {
    let version = scorer.sla().version.clone();
    let tasks =
        (0..segments).map(|segment| rescore_segment(store, scorer, now, (segment, segments), page, stop));
    let results = futures_util::future::join_all(tasks).await;
    let mut report = RescoreReport { sla_version: version, segments, done: true, ..RescoreReport::default() };
    for r in results {
        let (visited, rescored, failed, done) = r?;
        report.visited += visited;
        report.rescored += rescored;
        report.failed += failed;
        report.done &= done;
    }
    tracing::info!(visited = report.visited, rescored = report.rescored, done = report.done, "full re-score");
    Ok(report)
}

async fn rescore_segment<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    now: Timestamp,
    (segment, segments): (u32, u32),
    page_size: usize,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(u64, u64, u64, bool), StoreError> {
    let version = &scorer.sla().version;
    let key = format!("rescore:{version}:{segments}:{segment}");
    let mut checkpoint = store.get_checkpoint(&key).await?.unwrap_or(Checkpoint {
        key,
        cursor: None,
        done: false,
        visited: 0,
        version: 0,
    });
    let (mut visited, mut rescored, mut failed) = (0, 0, 0);
    while !checkpoint.done && !stop() {
        let page = store.scan(segment, segments, page_size, checkpoint.cursor.as_deref()).await?;
        checkpoint.visited += (page.leads.len() + page.unreadable.len()) as u64;
        for id in &page.unreadable {
            visited += 1;
            isolate(&mut failed, id, StoreError::Internal("the item is not a readable lead".into()))?;
        }
        for lead in page.leads {
            // Stopped mid-page, the checkpoint stays before the page: the next run reads it
            // again and skips the leads already scored under this version.
            if stop() {
                return Ok((visited, rescored, failed, false));
            }
            visited += 1;
            if lead.score.as_ref().is_some_and(|s| *s.sla_version == **version) {
                continue;
            }
            let id = lead.id.clone();
            let mut report = RunReport::default();
            match rescore_one(store, scorer, lead, now, &mut report).await {
                Ok(_) => rescored += report.written,
                Err(e) => isolate(&mut failed, id.as_str(), e)?,
            }
        }
        checkpoint.done = page.cursor.is_none();
        checkpoint.cursor = page.cursor;
        checkpoint.version += 1;
        if !save(store, &checkpoint).await? {
            // Another run of this segment moved on: it finishes the segment.
            return Ok((visited, rescored, failed, false));
        }
    }
    Ok((visited, rescored, failed, checkpoint.done))
}

/// Saves a checkpoint over the version before it. `Ok(false)`: another run of the same
/// segment saved this version or a later one first. A conflict with a transaction in
/// flight (the version read is still the one before) is tried again.
async fn save<S: LeadStore>(store: &S, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
    let retry = RetryPolicy::default();
    for attempt in 1..=3 {
        match store.put_checkpoint(checkpoint).await {
            Ok(()) => return Ok(true),
            // Our own write whose answer was lost is already Ok (the store's write token).
            Err(StoreError::Conflict) => match store.get_checkpoint(&checkpoint.key).await? {
                Some(stored) if stored.version + 1 == checkpoint.version && attempt < 3 => {
                    tokio::time::sleep(retry.backoff(attempt)).await
                }
                None if checkpoint.version == 1 && attempt < 3 => {
                    tokio::time::sleep(retry.backoff(attempt)).await
                }
                Some(stored) if stored.version >= checkpoint.version => return Ok(false),
                _ => return Err(StoreError::Conflict),
            },
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}

/// What the due requalification would do as of an instant, written nowhere: a what-if
/// ("who leaves MQL by Friday?") over the due index up to that instant.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    pub as_of: Timestamp,
    /// Leads due by then (read from the due index).
    pub read: u64,
    /// Moves by stage: `from` -> `to` -> how many.
    pub moves: std::collections::BTreeMap<Stage, std::collections::BTreeMap<Stage, u64>>,
    /// Response-time SLAs that would be found breached.
    pub breaches: u64,
    /// The leads that would move or breach, at most [`FORECAST_LEADS`].
    pub leads: Vec<ForecastLead>,
    /// Leads that could not be read or judged (logged).
    pub failed: u64,
}

/// One lead in a forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForecastLead {
    pub id: String,
    pub from: Stage,
    pub to: Stage,
    /// The reason the last move would record (`sla_expired`, `below_mql_rule`, ...);
    /// `None` when the lead would only be flagged as breached.
    pub reason: Option<String>,
    pub breached: bool,
}

/// How many leads a forecast lists one by one (the counts cover all).
pub const FORECAST_LEADS: usize = 1000;

/// Brings copies of the due leads up to `as_of` and reports what would change.
pub async fn forecast<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    as_of: Timestamp,
) -> Result<Forecast, StoreError> {
    let mut report = Forecast { as_of, ..Forecast::default() };
    let mut cursor: Option<String> = None;
    loop {
        let page = store.due(as_of, PAGE, cursor.as_deref()).await?;
        report.read += page.unreadable.len() as u64;
        report.failed += page.unreadable.len() as u64;
        for lead in page.leads {
            report.read += 1;
            let mut next = lead.clone();
            if let Err(e) = scorer.refresh(&mut next, as_of) {
                report.failed += 1;
                tracing::error!(lead = %lead.id, error = %e, "forecast_failed");
                continue;
            }
            let breached = next.sla_breached_at.is_some() && lead.sla_breached_at.is_none();
            report.breaches += u64::from(breached);
            if next.stage != lead.stage {
                *report.moves.entry(lead.stage).or_default().entry(next.stage).or_default() += 1;
            }
            if (next.stage != lead.stage || breached) && report.leads.len() < FORECAST_LEADS {
                report.leads.push(ForecastLead {
                    id: lead.id.as_str().to_owned(),
                    from: lead.stage,
                    to: next.stage,
                    reason: (next.stage != lead.stage)
                        .then(|| next.history.last().map(|t| t.reason.as_str().to_owned()))
                        .flatten(),
                    breached,
                });
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(report)
}
