//! Keeping every lead's qualification true as time passes: decay and readiness windows
//! (through re-scoring) and the response-time SLAs (flag, then recycle), visiting only
//! the leads that are due.

use serde::Serialize;
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::http::App;
use crate::lead::Lead;
use crate::scoring::Scorer;
use crate::stage::{IllegalTransition, Stage, Trigger};
use crate::store::{Checkpoint, LeadStore, StoreError};

/// The reason recorded when a response-time SLA ran out.
pub const REASON_SLA_EXPIRED: &str = "sla_expired";
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
}

impl Scorer {
    /// Brings the lead up to `now`: scoring's moves, the response-time SLA of its stage
    /// (flag when breached, recycle to `nurture` after the grace), and its next due instant.
    pub fn refresh(&self, lead: &mut Lead, now: Timestamp) -> Result<(), IllegalTransition> {
        if lead.objection.is_some() {
            // Objection to profiling: no score, no moves by score; the lead stays where
            // it is. Response-time SLAs are process deadlines, not profiling: they stay.
            lead.score = None;
        } else {
            self.requalify(lead, now)?;
        }
        if let Some((breach_at, recycle_at)) = self.sla_deadlines(lead) {
            if now >= recycle_at {
                lead.move_to(Stage::Nurture, Trigger::SlaTimer, "sla_timer", REASON_SLA_EXPIRED, None, now)?;
                tracing::info!(lead = %lead.id, "sla_recycled");
            } else if now >= breach_at && lead.sla_breached_at.is_none() {
                lead.sla_breached_at = Some(now);
                tracing::warn!(lead = %lead.id, stage = %lead.stage, "sla_breach");
            }
        }
        lead.due_at = self.next_due(lead);
        lead.expires_at = self.expiry(lead);
        Ok(())
    }

    /// Retention: the last sign of life (activity, or entering the stage) plus the SLA's
    /// period for the stage; leads sales is working on never expire.
    pub fn expiry(&self, lead: &Lead) -> Option<Timestamp> {
        let r = self.sla().retention;
        let days = match lead.stage {
            Stage::Unqualified => r.unqualified_days,
            Stage::Nurture => r.nurture_days,
            Stage::Disqualified => r.disqualified_days,
            Stage::Mql | Stage::Sql | Stage::Sal => return None,
        };
        let last_activity = lead.last_activity.values().copied().max().unwrap_or(lead.created_at);
        Some(last_activity.max(lead.entered_stage_at()).plus_days(i64::from(days)))
    }

    /// When the current stage's response time is breached, and when the lead is recycled.
    pub fn sla_deadlines(&self, lead: &Lead) -> Option<(Timestamp, Timestamp)> {
        let r = self.sla().response;
        let (within, grace) = match lead.stage {
            Stage::Mql => (r.mql_call_within_hours, r.mql_grace_hours),
            Stage::Sql => (r.sql_decision_within_hours, r.sql_grace_hours),
            _ => return None,
        };
        let breach = lead.entered_stage_at().plus_seconds(i64::from(within) * 3600);
        Some((breach, breach.plus_seconds(i64::from(grace) * 3600)))
    }

    fn next_due(&self, lead: &Lead) -> Option<Timestamp> {
        let timer =
            self.sla_deadlines(lead)
                .map(|(breach, recycle)| if lead.sla_breached_at.is_none() { breach } else { recycle });
        let scoring_can_move = match lead.stage {
            Stage::Unqualified | Stage::Mql | Stage::Nurture => true,
            Stage::Disqualified => lead.disqualified_by_scoring(),
            Stage::Sql | Stage::Sal => false,
        };
        let decay = lead.score.as_ref().and_then(|s| s.next_change_at).filter(|_| scoring_can_move);
        [timer, decay].into_iter().flatten().min()
    }
}

/// Whether anything worth a write changed (a re-score at the same instant is not).
fn changed(before: &Lead, after: &Lead) -> bool {
    let score = |l: &Lead| {
        l.score.as_ref().map(|s| (s.total, s.mql, s.grade, s.disqualification.clone(), s.sla_version.clone()))
    };
    before.stage != after.stage
        || before.history.len() != after.history.len()
        || before.due_at != after.due_at
        || before.sla_breached_at != after.sla_breached_at
        || score(before) != score(after)
}

/// Re-scores one lead as of `now` and writes it if its state changed, re-reading and
/// retrying a lost race. Returns the lead as stored.
pub async fn rescore_one<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    mut lead: Lead,
    now: Timestamp,
    report: &mut RunReport,
) -> Result<Lead, StoreError> {
    for _ in 0..5 {
        let mut next = lead.clone();
        scorer.refresh(&mut next, now).map_err(|e| StoreError::Internal(e.to_string()))?;
        if !changed(&lead, &next) {
            return Ok(lead);
        }
        next.version += 1;
        next.updated_at = next.updated_at.max(now);
        match store.put(&next).await {
            Ok(()) => {
                report.written += 1;
                report.transitions += (next.history.len() - lead.history.len()) as u64;
                report.breaches +=
                    u64::from(next.sla_breached_at.is_some() && lead.sla_breached_at.is_none());
                return Ok(next);
            }
            Err(StoreError::Conflict) => {
                report.conflicts += 1;
                match store.get(&lead.id).await? {
                    Some(fresh) => lead = fresh,
                    None => return Ok(lead),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}

/// The scheduled requalification: every due lead (and only those), as of `now`.
pub async fn run_due<S: LeadStore>(
    store: &S,
    scorer: &Scorer,
    now: Timestamp,
) -> Result<RunReport, StoreError> {
    let mut report = RunReport { as_of: now, ..RunReport::default() };
    let mut cursor: Option<String> = None;
    loop {
        let page = store.due(now, PAGE, cursor.as_deref()).await?;
        for lead in page.leads {
            report.read += 1;
            rescore_one(store, scorer, lead, now, &mut report).await?;
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    tracing::info!(
        read = report.read,
        written = report.written,
        transitions = report.transitions,
        breaches = report.breaches,
        "requalification run"
    );
    Ok(report)
}

/// The scoring function's non-HTTP triggers: an EventBridge scheduled event (or
/// `{"action": "requalify"}`, optionally `"as_of"`) runs the due requalification.
/// An error here is an error of the invocation, so the schedule's retry policy and
/// dead-letter queue apply.
pub async fn handle_event<S: LeadStore>(app: &App<S>, event: &Value) -> Result<Value, String> {
    let scheduled = event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
    let action = event.get("action").and_then(Value::as_str).or(scheduled.then_some("requalify"));
    match action {
        Some("requalify") => {
            let now = match event.get("as_of").and_then(Value::as_str) {
                Some(text) => Timestamp::parse_rfc3339(text)
                    .map_err(|e| format!("`as_of` is not an RFC 3339 instant: {e}"))?,
                None => app.clock.now(),
            };
            let report = run_due(&app.store, &app.scorer, now).await.map_err(|e| e.to_string())?;
            Ok(json!(report))
        }
        Some("rescore") => {
            // After an SLA change: `{"action":"rescore","segments":4,"max_seconds":840}`;
            // invoke again until `done` (each run resumes from the checkpoints).
            let segments = event.get("segments").and_then(Value::as_u64).unwrap_or(4).clamp(1, 64) as u32;
            let budget = std::time::Duration::from_secs(
                event.get("max_seconds").and_then(Value::as_u64).unwrap_or(840),
            );
            let started = std::time::Instant::now();
            let stop = move || started.elapsed() >= budget;
            let report = rescore_all(&app.store, &app.scorer, app.clock.now(), segments, PAGE, &stop)
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!(report))
        }
        Some(other) => {
            Err(format!("unknown action `{other}`; the scoring function knows `requalify` and `rescore`"))
        }
        None => Err("not a scheduled event nor an action for the scoring function".into()),
    }
}

/// What a full re-score did, and whether it finished.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RescoreReport {
    pub sla_version: String,
    pub segments: u32,
    pub visited: u64,
    pub rescored: u64,
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
        let (visited, rescored, done) = r?;
        report.visited += visited;
        report.rescored += rescored;
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
) -> Result<(u64, u64, bool), StoreError> {
    let version = &scorer.sla().version;
    let key = format!("rescore:{version}:{segments}:{segment}");
    let mut checkpoint = store.get_checkpoint(&key).await?.unwrap_or(Checkpoint {
        key,
        cursor: None,
        done: false,
        visited: 0,
        version: 0,
    });
    let (mut visited, mut rescored) = (0, 0);
    while !checkpoint.done && !stop() {
        let page = store.scan(segment, segments, page_size, checkpoint.cursor.as_deref()).await?;
        checkpoint.visited += page.leads.len() as u64;
        for lead in page.leads {
            visited += 1;
            if lead.score.as_ref().is_some_and(|s| &s.sla_version == version) {
                continue;
            }
            let mut report = RunReport::default();
            rescore_one(store, scorer, lead, now, &mut report).await?;
            rescored += report.written;
        }
        checkpoint.done = page.cursor.is_none();
        checkpoint.cursor = page.cursor;
        checkpoint.version += 1;
        store.put_checkpoint(&checkpoint).await?;
    }
    Ok((visited, rescored, checkpoint.done))
}
