//! A lead as the API shows it.

use serde::Serialize;

use crate::domain::clock::Timestamp;
use crate::domain::lead::{Activity, Answers, Confirmation, Consent, FieldSource, Lead, Objection, Profile};
use crate::domain::score::{Contribution, Grade, Score};
use crate::domain::sla::DisplayName;
use crate::domain::stage::{Stage, Transition, Trigger};
use crate::domain::vocabulary::{OpportunityId, Owner};
use crate::engine::scoring::Scorer;

#[derive(Debug, Serialize)]
pub struct ScoreView {
    pub total: i32,
    pub need: i32,
    pub authority: i32,
    pub readiness: i32,
    pub fit: i32,
    pub engagement: i32,
}

impl ScoreView {
    fn of(s: &Score) -> Self {
        Self {
            total: s.total,
            need: s.need,
            authority: s.authority,
            readiness: s.readiness,
            fit: s.fit,
            engagement: s.engagement,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DisqualificationView<'a> {
    pub reason: &'a str,
    /// The SLA rule, when scoring disqualified the lead.
    pub rule: Option<&'a str>,
    pub by: &'a str,
    pub at: Timestamp,
}

/// The personal part, shown only to sales routes.
#[derive(Debug, Serialize)]
pub struct PersonView<'a> {
    pub profile: &'a Profile,
    pub answers: &'a Answers,
    pub attributes: &'a std::collections::BTreeMap<String, String>,
    pub activities: &'a [Activity],
    /// The person's latest consent statement (text version, when, which form).
    pub consent: Option<&'a Consent>,
    /// Every consent statement on record, oldest first (append-only).
    pub consent_statements: &'a [Consent],
    /// Which source set each profile field last, and when.
    pub profile_sources: &'a std::collections::BTreeMap<String, FieldSource>,
    /// Set when the person objected to profiling: the lead is not scored.
    pub objection: Option<&'a Objection>,
}

#[derive(Debug, Serialize)]
pub struct LeadView<'a> {
    pub id: &'a str,
    pub stage: Stage,
    pub stage_name: Option<&'a DisplayName>,
    pub grade: Option<Grade>,
    pub score: Option<ScoreView>,
    pub mql: bool,
    pub explanation: &'a [Contribution],
    pub disqualification: Option<DisqualificationView<'a>>,
    pub history: &'a [Transition],
    pub sla_version: Option<&'a str>,
    pub scored_at: Option<Timestamp>,
    pub next_change_at: Option<Timestamp>,
    /// When the scheduler next looks at the lead.
    pub due_at: Option<Timestamp>,
    /// When the current stage's response time runs out (MQL: the call; SQL: sales' decision).
    pub sla_deadline: Option<Timestamp>,
    /// Set once the scheduler found that deadline passed: escalate.
    pub sla_breached_at: Option<Timestamp>,
    /// When retention removes the lead (unqualified, nurture, disqualified only).
    pub expires_at: Option<Timestamp>,
    pub source: &'a str,
    pub activity_count: u64,
    pub owner: Option<&'a str>,
    pub confirmation: Option<&'a Confirmation>,
    pub opportunity_id: Option<&'a str>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub person: Option<PersonView<'a>>,
}

impl<'a> LeadView<'a> {
    /// `with_person`: include name, email, answers (sales routes only, never intake).
    pub fn of(lead: &'a Lead, scorer: &'a Scorer, with_person: bool) -> Self {
        let sla = scorer.sla();
        let score = lead.score.as_ref();
        let disqualification = (lead.stage == Stage::Disqualified)
            .then(|| lead.history.iter().rev().find(|t| t.to == Stage::Disqualified))
            .flatten()
            .map(|t| DisqualificationView {
                reason: t.reason.as_str(),
                rule: (t.trigger == Trigger::Scoring)
                    .then(|| score.and_then(|s| s.disqualification.as_ref()).map(|d| d.rule.as_str()))
                    .flatten(),
                by: t.by.as_str(),
                at: t.at,
            });
        Self {
            id: lead.id.as_str(),
            stage: lead.stage,
            stage_name: sla.stages.get(&lead.stage),
            grade: score.map(|s| s.grade),
            score: score.map(ScoreView::of),
            mql: score.is_some_and(|s| s.mql),
            explanation: score.map_or(&[], |s| &s.explanation),
            disqualification,
            history: &lead.history,
            sla_version: score.map(|s| &*s.sla_version),
            scored_at: score.map(|s| s.scored_at),
            next_change_at: score.and_then(|s| s.next_change_at),
            due_at: lead.due_at,
            sla_deadline: scorer.sla_deadlines(lead).map(|(breach, _)| breach),
            sla_breached_at: lead.sla_breached_at,
            expires_at: lead.expires_at,
            source: &lead.source,
            activity_count: lead.activity_count,
            owner: lead.owner.as_ref().map(Owner::as_str),
            confirmation: lead.confirmation.as_ref(),
            opportunity_id: lead.opportunity_id.as_ref().map(OpportunityId::as_str),
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            version: lead.version,
            person: with_person.then_some(PersonView {
                profile: &lead.profile,
                answers: &lead.answers,
                attributes: &lead.attributes,
                activities: &lead.activities,
                consent: lead.consent.as_ref(),
                consent_statements: &lead.consent_statements,
                profile_sources: &lead.profile_sources,
                objection: lead.objection.as_ref(),
            }),
        }
    }
}

/// A lead in a queue: what sales needs to pick the next call, without history,
/// explanation, answers or activities, so a page stays small whatever its leads went
/// through. `GET /leads/{id}` shows the whole lead.
#[derive(Debug, Serialize)]
pub struct LeadSummary<'a> {
    pub id: &'a str,
    pub stage: Stage,
    pub stage_name: Option<&'a DisplayName>,
    pub grade: Option<Grade>,
    pub score: Option<ScoreView>,
    pub mql: bool,
    pub sla_deadline: Option<Timestamp>,
    pub sla_breached_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub source: &'a str,
    pub activity_count: u64,
    pub owner: Option<&'a str>,
    pub email: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub company: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub objection: Option<&'a Objection>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl<'a> LeadSummary<'a> {
    pub fn of(lead: &'a Lead, scorer: &'a Scorer) -> Self {
        let score = lead.score.as_ref();
        let p = &lead.profile;
        Self {
            id: lead.id.as_str(),
            stage: lead.stage,
            stage_name: scorer.sla().stages.get(&lead.stage),
            grade: score.map(|s| s.grade),
            score: score.map(ScoreView::of),
            mql: score.is_some_and(|s| s.mql),
            sla_deadline: scorer.sla_deadlines(lead).map(|(breach, _)| breach),
            sla_breached_at: lead.sla_breached_at,
            due_at: lead.due_at,
            source: &lead.source,
            activity_count: lead.activity_count,
            owner: lead.owner.as_ref().map(Owner::as_str),
            email: &p.email,
            first_name: p.first_name.as_deref(),
            last_name: p.last_name.as_deref(),
            company: p.company.as_deref(),
            job_title: p.job_title.as_deref(),
            objection: lead.objection.as_ref(),
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            version: lead.version,
        }
    }
}
