//! The lead stages of the sales–marketing SLA and the one table of allowed moves.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::clock::Timestamp;
use crate::domain::vocabulary::{Actor, Note, ReasonCode};

/// Where a lead stands in the waterfall. The ids are fixed; display names come from the SLA.
///
/// The article's order is unqualified -> MQL -> SQL (confirmed by inside sales in a call)
/// -> SAL (accepted by sales). Classic SiriusDecisions puts SAL before SQL; see README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Unqualified,
    Mql,
    Sql,
    Sal,
    Nurture,
    Disqualified,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Sal, Stage::Nurture, Stage::Disqualified];

    pub const fn id(self) -> &'static str {
        match self {
            Stage::Unqualified => "unqualified",
            Stage::Mql => "mql",
            Stage::Sql => "sql",
            Stage::Sal => "sal",
            Stage::Nurture => "nurture",
            Stage::Disqualified => "disqualified",
        }
    }

    pub fn from_id(id: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.id() == id)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What moves a lead: each transition in the table names the one trigger allowed to make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The scoring engine, at intake or on re-scoring (profile, behaviour, decay).
    Scoring,
    /// Inside sales records the qualification call.
    Handover,
    /// Sales accepts or rejects an SQL.
    Acceptance,
    /// A response-time SLA ran out.
    SlaTimer,
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trigger::Scoring => "scoring",
            Trigger::Handover => "handover",
            Trigger::Acceptance => "acceptance",
            Trigger::SlaTimer => "sla_timer",
        })
    }
}

use Stage::*;
use Trigger::*;

/// Every allowed move, and who may make it. Anything not listed is illegal.
pub const TRANSITIONS: &[(Stage, Stage, Trigger)] = &[
    // Marketing qualifies (or keeps out) by profile and behaviour.
    (Unqualified, Mql, Scoring),
    (Unqualified, Disqualified, Scoring),
    (Nurture, Mql, Scoring),
    (Nurture, Disqualified, Scoring),
    // An MQL cools off below the threshold, or turns out not to be a buyer.
    (Mql, Nurture, Scoring),
    (Mql, Unqualified, Scoring),
    (Mql, Disqualified, Scoring),
    // Data changed and the automatic disqualifier no longer holds.
    (Disqualified, Unqualified, Scoring),
    // Inside sales' qualification call.
    (Mql, Sql, Handover),
    (Mql, Nurture, Handover),
    (Mql, Disqualified, Handover),
    // Sales accepts the SQL, or sends it back.
    (Sql, Sal, Acceptance),
    (Sql, Nurture, Acceptance),
    (Sql, Disqualified, Acceptance),
    // Nobody acted within the SLA: recycle to marketing.
    (Mql, Nurture, SlaTimer),
    (Sql, Nurture, SlaTimer),
];

/// A move the table does not allow. Names both stages and the trigger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a lead in stage `{from}` cannot move to `{to}` by {trigger}")]
pub struct IllegalTransition {
    pub from: Stage,
    pub to: Stage,
    pub trigger: Trigger,
}

/// Checks a move against the table.
pub fn check_transition(from: Stage, to: Stage, trigger: Trigger) -> Result<(), IllegalTransition> {
    if TRANSITIONS.contains(&(from, to, trigger)) {
        Ok(())
    } else {
        Err(IllegalTransition { from, to, trigger })
    }
}

/// One recorded move in a lead's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Transition {
    pub from: Stage,
    pub to: Stage,
    pub at: Timestamp,
    /// Who moved it: `scoring`, `sla_timer`, or the owner named by sales.
    pub by: Actor,
    pub trigger: Trigger,
    /// Why: a reason code (`score_threshold_reached`, `applicant`, `sla_expired`, ...).
    pub reason: ReasonCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_is_either_in_the_table_or_a_named_error() {
        let triggers = [Scoring, Handover, Acceptance, SlaTimer];
        let mut allowed = 0;
        for from in Stage::ALL {
            for to in Stage::ALL {
                for trigger in triggers {
                    match check_transition(from, to, trigger) {
                        Ok(()) => allowed += 1,
                        Err(e) => {
                            let text = e.to_string();
                            assert!(text.contains(from.id()) && text.contains(to.id()), "{text}");
                        }
                    }
                }
            }
        }
        assert_eq!(allowed, TRANSITIONS.len());
    }

    #[test]
    fn the_article_waterfall_is_walkable_and_not_skippable() {
        assert!(check_transition(Unqualified, Mql, Scoring).is_ok());
        assert!(check_transition(Mql, Sql, Handover).is_ok());
        assert!(check_transition(Sql, Sal, Acceptance).is_ok());
        // Sales cannot accept what inside sales never confirmed, scoring cannot make an SQL.
        assert!(check_transition(Mql, Sal, Acceptance).is_err());
        assert!(check_transition(Unqualified, Sql, Handover).is_err());
        assert!(check_transition(Mql, Sql, Scoring).is_err());
        // A human disqualification is not undone by a score.
        assert!(check_transition(Sal, Mql, Scoring).is_err());
    }

    #[test]
    fn stage_ids_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::from_id(s.id()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.id()));
        }
        assert_eq!(Stage::from_id("won"), None);
    }
}
