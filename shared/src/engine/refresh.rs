//! Bringing one lead up to an instant: scoring's moves, the response-time SLA of its
//! stage, retention, and the next instant it is due. Pure: no store.

use super::scoring::Scorer;
use crate::domain::clock::Timestamp;
use crate::domain::lead::Lead;
use crate::domain::stage::{IllegalTransition, Stage, Trigger};

/// The reason recorded when a response-time SLA ran out.
pub const REASON_SLA_EXPIRED: &str = "sla_expired";

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
pub fn changed(before: &Lead, after: &Lead) -> bool {
    let score = |l: &Lead| {
        l.score.as_ref().map(|s| (s.total, s.mql, s.grade, s.disqualification.clone(), s.sla_version.clone()))
    };
    before.stage != after.stage
        || before.facts != after.facts
        || before.history.len() != after.history.len()
        || before.due_at != after.due_at
        || before.sla_breached_at != after.sla_breached_at
        || score(before) != score(after)
}
