//! The lead: who the person is, what they told us, what they did, and where they stand.

use std::collections::BTreeMap;

use crate::domain::clock::Timestamp;
use crate::domain::identity::LeadId;
use crate::domain::reading::Facts;
use crate::domain::score::{Engagement, Score};
use crate::domain::stage::{check_transition, IllegalTransition, Stage, Transition, Trigger};
use crate::domain::vocabulary::{Actor, Note, OpportunityId, Owner, ReasonCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod normalise;
mod parts;

pub use normalise::{
    email_domain, is_invisible, normalise_country, normalise_email, normalise_multiline, normalise_text,
    parse_company_size, truncate_chars, InvalidEmail,
};
pub use parts::{
    Activity, Answer, Answers, Confirmation, Consent, Delivery, FieldSource, Objection, Profile,
    DELIVERY_KEY_TTL_SECONDS, MAX_DELIVERY_KEY_LEN, RECENT_DELIVERIES,
};

/// How many recent activities a lead keeps; older ones live on only in `activity_count`,
/// `last_activity` and the decayed engagement, which is all scoring needs.
pub const RECENT_ACTIVITIES: usize = 20;
/// How many activity kinds a lead remembers the last time of.
pub const ACTIVITY_KINDS: usize = 24;
/// How many free-form attributes a lead keeps, and how long each value may be.
pub const MAX_ATTRIBUTES: usize = 24;
pub const MAX_ATTRIBUTE_LEN: usize = 256;
/// The longest attribute name kept (longer names are cut).
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 64;
/// The longest raw value kept in [`Profile::unparsed`].
pub const MAX_UNPARSED_LEN: usize = 256;
/// The longest free text (a form's message) kept for scoring.
pub const MAX_MESSAGE_LEN: usize = 2_000;
/// How many stage moves a lead keeps in its history (a lead moves a few times in its
/// life; only someone flipping answers on purpose reaches this).
pub const MAX_HISTORY: usize = 50;
/// The profile fields whose source is recorded (kept raw in `unparsed` or not).
const PROFILE_FIELDS: [&str; 11] = [
    "first_name",
    "last_name",
    "name",
    "company",
    "job_title",
    "company_size",
    "industry",
    "country",
    "phone",
    "activity",
    "email",
];

/// How many consent statements a lead keeps (the oldest are folded into a count).
pub const MAX_CONSENT_STATEMENTS: usize = 20;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A lead's full state: one item in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lead {
    pub id: LeadId,
    /// The source of the first submission (`web`, `typeform`, ...).
    pub source: String,
    pub profile: Profile,
    /// Which source set each profile field last, and when: a submission is evidence, and
    /// anyone can post any email.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profile_sources: BTreeMap<String, FieldSource>,
    #[serde(default)]
    pub answers: Answers,
    /// What reading the job title, the answers and the message found (at intake).
    #[serde(default)]
    pub facts: Facts,
    /// Form fields Leadflow has no meaning for, kept as given (bounded).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The most recent activities, newest last, at most [`RECENT_ACTIVITIES`].
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// The last time of each activity kind (for readiness windows).
    #[serde(default)]
    pub last_activity: BTreeMap<String, Timestamp>,
    #[serde(default)]
    pub activity_count: u64,
    #[serde(default)]
    pub engagement: Engagement,
    pub stage: Stage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// The most recent stage moves, at most [`MAX_HISTORY`]; older ones are folded into
    /// `history_folded`, so a lead that flips back and forth stays small.
    #[serde(default)]
    pub history: Vec<Transition>,
    /// How many of the oldest moves were folded out of `history` (counted, never lost
    /// without trace: the funnel counted them when they happened).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history_folded: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the lead must next be looked at by the scheduler: its qualification can
    /// change by time alone, or a response-time SLA runs out. `None`: never by time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    /// When DynamoDB's TTL removes the lead: unqualified, nurture and disqualified leads
    /// without activity expire after the SLA's retention period; MQL, SQL and SAL never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When the scheduler found the current stage's response-time SLA breached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_breached_at: Option<Timestamp>,
    /// The sales owner named at hand-over or acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// What inside sales confirmed in the qualification call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The CRM opportunity sales opened on acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<OpportunityId>,
    /// Idempotency keys of recent deliveries (at most [`RECENT_DELIVERIES`], each kept
    /// for [`DELIVERY_KEY_TTL_SECONDS`]): a redelivery finds its key here and changes nothing.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    /// The person's latest consent statement, if a form carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Every consent statement, oldest first (append-only, at most
    /// [`MAX_CONSENT_STATEMENTS`]; older ones folded into `consent_statements_folded`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_statements: Vec<Consent>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub consent_statements_folded: u32,
    /// Set when the person objected to profiling: the lead is no longer scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection: Option<Objection>,
    /// Optimistic concurrency: the store writes only if this is still what it read.
    #[serde(default)]
    pub version: u64,
}

impl Lead {
    /// A lead as intake first sees it: unqualified, nothing done yet.
    pub fn new(id: LeadId, source: &str, profile: Profile, at: Timestamp) -> Self {
        Self {
            id,
            source: source.to_owned(),
            profile,
            profile_sources: BTreeMap::new(),
            answers: Answers::default(),
            facts: Facts::default(),
            attributes: BTreeMap::new(),
            activities: Vec::new(),
            last_activity: BTreeMap::new(),
            activity_count: 0,
            engagement: Engagement::default(),
            stage: Stage::Unqualified,
            score: None,
            history: Vec::new(),
            history_folded: 0,
            created_at: at,
            updated_at: at,
            due_at: None,
            expires_at: None,
            sla_breached_at: None,
            owner: None,
            confirmation: None,
            opportunity_id: None,
            deliveries: Vec::new(),
            consent: None,
            consent_statements: Vec::new(),
            consent_statements_folded: 0,
            objection: None,
            version: 0,
        }
    }

    /// Whether a delivery with this key was already applied (and has not expired).
    pub fn has_delivery(&self, key: &str, now: Timestamp) -> bool {
        let key = truncate_chars(key, MAX_DELIVERY_KEY_LEN);
        self.deliveries.iter().any(|d| d.key == key && d.expires_at > now)
    }

    /// Remembers a delivery key, forgetting expired ones and the oldest beyond the bound.
    pub fn remember_delivery(&mut self, key: &str, now: Timestamp) {
        let key = truncate_chars(key, MAX_DELIVERY_KEY_LEN);
        self.deliveries.retain(|d| d.expires_at > now && d.key != key);
        self.deliveries.push(Delivery { key, expires_at: now.plus_seconds(DELIVERY_KEY_TTL_SECONDS) });
        if self.deliveries.len() > RECENT_DELIVERIES {
            self.deliveries.remove(0);
        }
    }

    /// Moves the lead if the transition table allows it, and records the move.
    pub fn move_to(
        &mut self,
        to: Stage,
        trigger: Trigger,
        by: impl Into<Actor>,
        reason: impl Into<ReasonCode>,
        note: Option<Note>,
        at: Timestamp,
    ) -> Result<(), IllegalTransition> {
        check_transition(self.stage, to, trigger)?;
        self.history.push(Transition {
            from: self.stage,
            to,
            at,
            by: by.into(),
            trigger,
            reason: reason.into(),
            note,
        });
        self.stage = to;
        if self.history.len() > MAX_HISTORY {
            let fold = self.history.len() - MAX_HISTORY;
            self.history.drain(..fold);
            self.history_folded = self.history_folded.saturating_add(fold as u32);
        }
        // A new stage starts its own response-time clock.
        self.sla_breached_at = None;
        Ok(())
    }

    /// When the lead entered its current stage (its creation if it never moved).
    pub fn entered_stage_at(&self) -> Timestamp {
        self.history.iter().rev().find(|t| t.to == self.stage).map_or(self.created_at, |t| t.at)
    }

    /// Whether the person did anything after the lead entered its current stage.
    pub fn active_since_entering_stage(&self) -> bool {
        let entered = self.entered_stage_at();
        self.last_activity.values().any(|t| *t > entered)
    }

    /// Whether the lead is disqualified by a scoring rule (which a re-score may lift),
    /// not by a person (which only a person may).
    pub fn disqualified_by_scoring(&self) -> bool {
        self.stage == Stage::Disqualified
            && self
                .history
                .last()
                .is_some_and(|t| t.to == Stage::Disqualified && t.trigger == Trigger::Scoring)
    }

    /// Records an activity: recent list (bounded), last time per kind (bounded), count.
    /// Engagement points are added by the scorer, which knows what each kind is worth.
    pub fn record_activity(&mut self, activity: Activity) {
        let at = activity.at;
        let kind = activity.kind.clone();
        // Keep the recent list in time order even when deliveries arrive out of order.
        let pos = self.activities.partition_point(|a| a.at <= at);
        self.activities.insert(pos, activity);
        if self.activities.len() > RECENT_ACTIVITIES {
            self.activities.remove(0);
        }
        let last = self.last_activity.entry(kind).or_insert(at);
        *last = (*last).max(at);
        if self.last_activity.len() > ACTIVITY_KINDS {
            if let Some(oldest) = self.last_activity.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone()) {
                self.last_activity.remove(&oldest);
            }
        }
        self.activity_count += 1;
    }

    /// Merges newer profile data from `source` at `at`: a value given replaces the old one,
    /// a missing one keeps it; each field that changes records where it came from.
    pub fn merge_profile(&mut self, newer: Profile, source: &str, at: Timestamp) {
        let mut changed: Vec<&'static str> = Vec::new();
        fn take<T: PartialEq>(
            field: &'static str,
            old: &mut Option<T>,
            new: Option<T>,
            changed: &mut Vec<&str>,
        ) {
            if new.is_some() && *old != new {
                *old = new;
                changed.push(field);
            }
        }
        // A field given anew replaces what could not be read of it before.
        let given = [
            ("first_name", newer.first_name.is_some()),
            ("last_name", newer.last_name.is_some()),
            ("company", newer.company.is_some()),
            ("job_title", newer.job_title.is_some()),
            ("company_size", newer.company_size.is_some()),
            ("industry", newer.industry.is_some()),
            ("country", newer.country.is_some()),
            ("phone", newer.phone.is_some()),
        ];
        let p = &mut self.profile;
        take("first_name", &mut p.first_name, newer.first_name, &mut changed);
        take("last_name", &mut p.last_name, newer.last_name, &mut changed);
        take("company", &mut p.company, newer.company, &mut changed);
        take("job_title", &mut p.job_title, newer.job_title, &mut changed);
        take("company_size", &mut p.company_size, newer.company_size, &mut changed);
        take("industry", &mut p.industry, newer.industry, &mut changed);
        take("country", &mut p.country, newer.country, &mut changed);
        take("phone", &mut p.phone, newer.phone, &mut changed);
        for (field, given) in given {
            if given {
                p.unparsed.remove(field);
            }
        }
        for (field, raw) in newer.unparsed {
            if p.unparsed.get(&field) != Some(&raw) {
                changed.extend(PROFILE_FIELDS.iter().find(|f| **f == field));
            }
            p.unparsed.insert(field, raw);
        }
        for field in changed {
            self.profile_sources.insert(field.to_owned(), FieldSource { source: source.to_owned(), at });
        }
    }

    /// Appends a consent statement; the latest by time is the one in force.
    pub fn record_consent(&mut self, statement: Consent) {
        if self.consent.as_ref().is_none_or(|c| c.at <= statement.at) {
            self.consent = Some(statement.clone());
        }
        self.consent_statements.push(statement);
        if self.consent_statements.len() > MAX_CONSENT_STATEMENTS {
            self.consent_statements.remove(0);
            self.consent_statements_folded = self.consent_statements_folded.saturating_add(1);
        }
    }

    /// Merges newer answers, keeping whichever of old and new was given later.
    pub fn merge_answers(&mut self, newer: Answers) {
        fn take(old: &mut Option<Answer>, new: Option<Answer>) {
            if let Some(new) = new {
                if old.as_ref().is_none_or(|o| o.at <= new.at) {
                    *old = Some(new);
                }
            }
        }
        take(&mut self.answers.purchase_timeframe, newer.purchase_timeframe);
        take(&mut self.answers.budget_role, newer.budget_role);
        take(&mut self.answers.inquiry_type, newer.inquiry_type);
        take(&mut self.answers.message, newer.message);
    }

    /// Keeps unknown form fields, within bounds: the first ones win, values are truncated.
    pub fn merge_attributes(&mut self, attributes: BTreeMap<String, String>) {
        for (k, v) in attributes {
            if self.attributes.len() >= MAX_ATTRIBUTES && !self.attributes.contains_key(&k) {
                continue;
            }
            self.attributes
                .insert(truncate_chars(&k, MAX_ATTRIBUTE_NAME_LEN), truncate_chars(&v, MAX_ATTRIBUTE_LEN));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activities_stay_bounded_and_ordered() {
        let id = LeadId::parse(&"0".repeat(32)).unwrap();
        let mut lead = Lead::new(id, "web", Profile::default(), Timestamp::from_unix(0));
        for i in (0..50).rev() {
            lead.record_activity(Activity {
                kind: format!("kind{}", i % 30),
                at: Timestamp::from_unix(i),
                source: "web".into(),
            });
        }
        assert_eq!(lead.activity_count, 50);
        assert_eq!(lead.activities.len(), RECENT_ACTIVITIES);
        assert!(lead.activities.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(lead.activities.last().unwrap().at, Timestamp::from_unix(49));
        assert!(lead.last_activity.len() <= ACTIVITY_KINDS);
        assert_eq!(lead.last_activity.get("kind19"), Some(&Timestamp::from_unix(49)));
    }

    #[test]
    fn merging_keeps_what_was_not_resent() {
        let id = LeadId::parse(&"0".repeat(32)).unwrap();
        let mut lead = Lead::new(
            id,
            "web",
            Profile { job_title: Some("CEO".into()), ..Profile::default() },
            Timestamp::from_unix(0),
        );
        lead.merge_profile(
            Profile {
                company: Some("Groß GmbH".into()),
                job_title: Some("CEO".into()),
                ..Profile::default()
            },
            "fair",
            Timestamp::from_unix(5),
        );
        // Only what changed records its source.
        assert_eq!(
            lead.profile_sources.get("company"),
            Some(&FieldSource { source: "fair".into(), at: Timestamp::from_unix(5) })
        );
        assert_eq!(lead.profile_sources.get("job_title"), None);
        assert_eq!(lead.profile.job_title.as_deref(), Some("CEO"));
        assert_eq!(lead.profile.company.as_deref(), Some("Groß GmbH"));
        let answer = |v: &str, t| Some(Answer { value: v.into(), at: Timestamp::from_unix(t) });
        lead.merge_answers(Answers { budget_role: answer("decision_maker", 10), ..Answers::default() });
        lead.merge_answers(Answers { budget_role: answer("influencer", 5), ..Answers::default() });
        assert_eq!(lead.answers.budget_role.as_ref().unwrap().value, "decision_maker");
        let many = (0..40).map(|i| (format!("f{i}"), "x".repeat(400))).collect();
        lead.merge_attributes(many);
        assert_eq!(lead.attributes.len(), MAX_ATTRIBUTES);
        assert!(lead.attributes.values().all(|v| v.chars().count() == MAX_ATTRIBUTE_LEN));
    }
}
