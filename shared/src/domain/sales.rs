//! What sales does to a lead, as commands with their rules: inside sales' qualification
//! call (MQL -> SQL, or back to marketing, or out), sales' decision on an SQL (accept ->
//! SAL, or reject to nurture), and a recorded objection to profiling.
//!
//! A command is valid when built (the SLA's rules: an SQL needs need, authority and
//! timing all confirmed; sending a lead back needs a reason); applying it makes the move
//! through `TRANSITIONS`, which may still refuse it for the lead's current stage.

use crate::domain::clock::Timestamp;
use crate::domain::lead::{Confirmation, Lead, Objection};
use crate::domain::stage::{IllegalTransition, Stage, Trigger};
use crate::domain::vocabulary::{InvalidText, Note, OpportunityId, Owner, ReasonCode};

/// The reason recorded when a call qualifies the lead and no other is given.
pub const REASON_QUALIFIED_IN_CALL: &str = "qualified_in_call";
/// The reason recorded when sales accepts and names no other.
pub const REASON_ACCEPTED: &str = "accepted_by_sales";

/// What the qualification call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// Need, authority and timing confirmed: the lead becomes an SQL.
    Qualified,
    /// A buyer, not yet: back to marketing.
    NotReady,
    /// Not a buyer at all.
    Disqualified,
}

/// Inside sales' qualification call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualificationCall {
    pub outcome: CallOutcome,
    pub owner: Owner,
    pub reason: ReasonCode,
    pub note: Option<Note>,
    pub confirmed: Confirmation,
}

impl QualificationCall {
    pub fn new(
        outcome: CallOutcome,
        owner: Owner,
        reason: Option<&str>,
        note: Option<Note>,
        confirmed: Confirmation,
    ) -> Result<Self, InvalidText> {
        let reason = match (outcome, reason) {
            (CallOutcome::Qualified, _) if !confirmed.all() => {
                return Err(InvalidText {
                    field: "confirmed",
                    detail: "an SQL needs need, authority and timing all confirmed in the call".into(),
                })
            }
            (CallOutcome::Qualified, None) => ReasonCode::from(REASON_QUALIFIED_IN_CALL),
            (_, Some(reason)) => ReasonCode::parse("reason", reason)?,
            (_, None) => {
                return Err(InvalidText {
                    field: "reason",
                    detail: "a reason is required for this outcome".into(),
                })
            }
        };
        Ok(Self { outcome, owner, reason, note, confirmed })
    }

    pub fn target(&self) -> Stage {
        match self.outcome {
            CallOutcome::Qualified => Stage::Sql,
            CallOutcome::NotReady => Stage::Nurture,
            CallOutcome::Disqualified => Stage::Disqualified,
        }
    }

    /// Moves the lead and records who took it over and what the call confirmed.
    /// The lead's last move is this very call: a retry of a request whose answer was
    /// lost (a timeout, a dropped connection) finds its own work done.
    pub fn already_applied(&self, lead: &Lead) -> bool {
        repeats(lead, self.target(), Trigger::Handover, &self.owner, &self.reason)
    }

    pub fn apply(&self, lead: &mut Lead, now: Timestamp) -> Result<(), IllegalTransition> {
        lead.move_to(
            self.target(),
            Trigger::Handover,
            &self.owner,
            self.reason.clone(),
            self.note.clone(),
            now,
        )?;
        lead.owner = Some(self.owner.clone());
        lead.confirmation = Some(self.confirmed);
        Ok(())
    }
}

/// Sales' decision on an SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
}

/// Sales accepts an SQL (usually with the CRM opportunity) or rejects it to nurture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesDecision {
    pub decision: Decision,
    pub owner: Owner,
    pub reason: ReasonCode,
    pub note: Option<Note>,
    pub opportunity_id: Option<OpportunityId>,
}

impl SalesDecision {
    pub fn new(
        decision: Decision,
        owner: Owner,
        reason: Option<&str>,
        note: Option<Note>,
        opportunity_id: Option<OpportunityId>,
    ) -> Result<Self, InvalidText> {
        let reason = match (decision, reason) {
            (_, Some(reason)) => ReasonCode::parse("reason", reason)?,
            (Decision::Accept, None) => ReasonCode::from(REASON_ACCEPTED),
            (Decision::Reject, None) => {
                return Err(InvalidText { field: "reason", detail: "a reason is required to reject".into() })
            }
        };
        Ok(Self { decision, owner, reason, note, opportunity_id })
    }

    pub fn target(&self) -> Stage {
        match self.decision {
            Decision::Accept => Stage::Sal,
            Decision::Reject => Stage::Nurture,
        }
    }

    /// The lead's last move is this very decision (see [`QualificationCall::already_applied`]).
    pub fn already_applied(&self, lead: &Lead) -> bool {
        repeats(lead, self.target(), Trigger::Acceptance, &self.owner, &self.reason)
            && (self.target() != Stage::Sal || lead.opportunity_id == self.opportunity_id)
    }

    /// Moves the lead, records the owner and, on acceptance, the opportunity.
    pub fn apply(&self, lead: &mut Lead, now: Timestamp) -> Result<(), IllegalTransition> {
        let to = self.target();
        lead.move_to(to, Trigger::Acceptance, &self.owner, self.reason.clone(), self.note.clone(), now)?;
        lead.owner = Some(self.owner.clone());
        if to == Stage::Sal {
            lead.opportunity_id = self.opportunity_id.clone();
        }
        Ok(())
    }
}

/// The lead stands where its last move took it, and that move was made by `trigger`,
/// `owner` and `reason`: the same command, applied before.
fn repeats(lead: &Lead, to: Stage, trigger: Trigger, owner: &Owner, reason: &ReasonCode) -> bool {
    lead.stage == to
        && lead.history.last().is_some_and(|t| {
            t.to == to && t.trigger == trigger && t.by.as_str() == owner.as_str() && t.reason == *reason
        })
}

/// The person objected to profiling (GDPR Art. 21), recorded by `by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordObjection {
    pub by: Owner,
    pub note: Option<Note>,
}

impl RecordObjection {
    /// Records the objection once; recording it again changes nothing. Returns whether
    /// the lead changed.
    pub fn apply(&self, lead: &mut Lead, now: Timestamp) -> bool {
        if lead.objection.is_some() {
            return false;
        }
        lead.objection = Some(Objection { at: now, by: self.by.clone(), note: self.note.clone() });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::LeadId;
    use crate::domain::lead::Profile;

    fn lead_in(stage: Stage) -> Lead {
        let mut lead = Lead::new(
            LeadId::parse(&"0".repeat(32)).unwrap(),
            "web",
            Profile::default(),
            Timestamp::from_unix(0),
        );
        lead.stage = stage;
        lead
    }

    fn owner() -> Owner {
        Owner::parse("owner", "M. Weber").unwrap()
    }

    const ALL: Confirmation = Confirmation { need: true, authority: true, timing: true };

    #[test]
    fn an_sql_needs_all_three_confirmed() {
        let partial = Confirmation { need: true, authority: true, timing: false };
        let e = QualificationCall::new(CallOutcome::Qualified, owner(), None, None, partial).unwrap_err();
        assert_eq!(e.field, "confirmed");
        let call = QualificationCall::new(CallOutcome::Qualified, owner(), None, None, ALL).unwrap();
        assert_eq!(call.reason, "qualified_in_call");
        let mut lead = lead_in(Stage::Mql);
        call.apply(&mut lead, Timestamp::from_unix(10)).unwrap();
        assert_eq!(lead.stage, Stage::Sql);
        assert_eq!(lead.owner.as_ref().map(Owner::as_str), Some("M. Weber"));
        assert_eq!(lead.confirmation, Some(ALL));
        assert_eq!(lead.history[0].by, "M. Weber");
    }

    #[test]
    fn sending_back_needs_a_valid_reason() {
        for outcome in [CallOutcome::NotReady, CallOutcome::Disqualified] {
            let e = QualificationCall::new(outcome, owner(), None, None, ALL).unwrap_err();
            assert_eq!(e.field, "reason");
            let e = QualificationCall::new(outcome, owner(), Some("No Budget"), None, ALL).unwrap_err();
            assert_eq!(e.field, "reason");
        }
        let call =
            QualificationCall::new(CallOutcome::NotReady, owner(), Some("no_budget"), None, ALL).unwrap();
        let mut lead = lead_in(Stage::Mql);
        call.apply(&mut lead, Timestamp::from_unix(10)).unwrap();
        assert_eq!((lead.stage, lead.history[0].reason.as_str()), (Stage::Nurture, "no_budget"));
    }

    #[test]
    fn the_table_of_moves_still_decides() {
        let call = QualificationCall::new(CallOutcome::Qualified, owner(), None, None, ALL).unwrap();
        let mut lead = lead_in(Stage::Unqualified);
        let e = call.apply(&mut lead, Timestamp::from_unix(10)).unwrap_err();
        assert_eq!((e.from, e.to), (Stage::Unqualified, Stage::Sql));
        assert!(lead.history.is_empty() && lead.owner.is_none());
    }

    #[test]
    fn sales_accepts_with_the_opportunity_or_rejects_with_a_reason() {
        let e = SalesDecision::new(Decision::Reject, owner(), None, None, None).unwrap_err();
        assert_eq!(e.field, "reason");
        let opp = OpportunityId::parse("opportunity_id", "CRM-OPP-4711").unwrap();
        let accept = SalesDecision::new(Decision::Accept, owner(), None, None, Some(opp.clone())).unwrap();
        let mut lead = lead_in(Stage::Sql);
        accept.apply(&mut lead, Timestamp::from_unix(10)).unwrap();
        assert_eq!((lead.stage, lead.opportunity_id.clone()), (Stage::Sal, Some(opp.clone())));
        assert_eq!(lead.history[0].reason, "accepted_by_sales");
        let reject =
            SalesDecision::new(Decision::Reject, owner(), Some("no_project"), None, Some(opp)).unwrap();
        let mut lead = lead_in(Stage::Sql);
        reject.apply(&mut lead, Timestamp::from_unix(10)).unwrap();
        assert_eq!((lead.stage, lead.opportunity_id.clone()), (Stage::Nurture, None));
    }

    #[test]
    fn an_objection_is_recorded_once() {
        let objection = RecordObjection { by: owner(), note: None };
        let mut lead = lead_in(Stage::Mql);
        assert!(objection.apply(&mut lead, Timestamp::from_unix(10)));
        assert!(!objection.apply(&mut lead, Timestamp::from_unix(20)));
        assert_eq!(lead.objection.as_ref().unwrap().at, Timestamp::from_unix(10));
    }
}
