//! The scoring engine: the SLA, compiled once, applied to a lead at an instant.
//!
//! Every score explains itself (rule -> points, summing to the total) and says when it
//! can next change by the passing of time alone, so the scheduler visits only leads
//! that are due.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::lead::{email_domain, Activity, Lead};
use crate::matching::{answer_key, words, GlobSet, KeywordSet};
use crate::sla::{AnswerField, Condition, DisqualificationReason, Sla};
use crate::stage::{IllegalTransition, Stage, Trigger};

/// What a score is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Need,
    Authority,
    Readiness,
    Fit,
    Engagement,
}

/// A, B, C or D by profile fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// One line of an explanation: which rule gave how many points to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Contribution {
    pub rule: String,
    pub dimension: Dimension,
    pub points: i32,
}

/// Why the scorer keeps a lead away from sales, and which rule said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Disqualification {
    pub reason: DisqualificationReason,
    pub rule: String,
}

/// A lead's qualification at one instant, under one SLA version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    pub total: i32,
    pub need: i32,
    pub authority: i32,
    pub readiness: i32,
    pub fit: i32,
    pub engagement: i32,
    pub grade: Grade,
    /// Whether the SLA's MQL rule holds: every minimum and the total reached, not disqualified.
    pub mql: bool,
    pub disqualification: Option<Disqualification>,
    /// Sums to `total`.
    pub explanation: Vec<Contribution>,
    pub sla_version: String,
    pub scored_at: Timestamp,
    /// The first instant at which `mql` or `disqualification` changes if nothing else
    /// happens (decay, readiness windows). `None`: never by time alone.
    pub next_change_at: Option<Timestamp>,
}

/// Decayed engagement in closed form: E(t) = points * 0.5^((t - at) / half_life).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Engagement {
    pub points: f64,
    pub at: Timestamp,
}

impl Engagement {
    pub fn value_at(&self, t: Timestamp, half_life_seconds: f64) -> f64 {
        let elapsed = t.seconds_since(self.at);
        if elapsed <= 0 || self.points == 0.0 {
            return self.points;
        }
        self.points * (-(elapsed as f64) / half_life_seconds).exp2()
    }

    /// Adds an activity's points at its own instant; one arriving late is decayed to now.
    pub fn add(&mut self, points: f64, at: Timestamp, half_life_seconds: f64, cap: f64) {
        if at >= self.at {
            self.points = (self.value_at(at, half_life_seconds) + points).min(cap);
            self.at = at;
        } else {
            let late = Engagement { points, at };
            self.points = (self.points + late.value_at(self.at, half_life_seconds)).min(cap);
        }
    }
}

/// A condition compiled for fast matching.
#[derive(Debug)]
enum Matcher {
    JobTitle(KeywordSet),
    Message(KeywordSet),
    Company(KeywordSet),
    Industry(KeywordSet),
    Country(Vec<String>),
    CompanySize(Option<u32>, Option<u32>),
    EmailDomain(GlobSet),
    EmailLocal(GlobSet),
    Filled(Vec<String>),
    Answer(AnswerField, GlobSet, Option<i64>),
    Activity(Vec<String>, Option<i64>),
    Any(Vec<Matcher>),
}

/// Whether a condition holds now, and until when.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Holds {
    No,
    Forever,
    /// Holds before this instant, not from it on.
    Until(Timestamp),
}

impl Holds {
    fn at(self, t: Timestamp) -> bool {
        match self {
            Holds::No => false,
            Holds::Forever => true,
            Holds::Until(end) => t < end,
        }
    }

    fn either(self, other: Holds) -> Holds {
        match (self, other) {
            (Holds::Forever, _) | (_, Holds::Forever) => Holds::Forever,
            (Holds::Until(a), Holds::Until(b)) => Holds::Until(a.max(b)),
            (Holds::No, h) | (h, Holds::No) => h,
        }
    }
}

impl Matcher {
    fn compile(c: &Condition) -> Matcher {
        let days = |d: &Option<u32>| d.map(|d| i64::from(d) * 86_400);
        match c {
            Condition::JobTitle(k) => Matcher::JobTitle(KeywordSet::new(k)),
            Condition::Message(k) => Matcher::Message(KeywordSet::new(k)),
            Condition::Company(k) => Matcher::Company(KeywordSet::new(k)),
            Condition::Industry(k) => Matcher::Industry(KeywordSet::new(k)),
            Condition::Country(c) => Matcher::Country(c.iter().map(|c| c.trim().to_uppercase()).collect()),
            Condition::CompanySize { min, max } => Matcher::CompanySize(*min, *max),
            Condition::EmailDomain(p) => Matcher::EmailDomain(GlobSet::new(p)),
            Condition::EmailLocal(p) => Matcher::EmailLocal(GlobSet::new(p)),
            Condition::Filled(f) => Matcher::Filled(f.clone()),
            Condition::Answer { field, values, within_days } => {
                let keys: Vec<String> =
                    values.iter().map(|v| answer_key(v).replace("_*", "*").replace("*_", "*")).collect();
                Matcher::Answer(*field, GlobSet::new(&keys), days(within_days))
            }
            Condition::Activity { kinds, within_days } => Matcher::Activity(kinds.clone(), days(within_days)),
            Condition::Any(inner) => Matcher::Any(inner.iter().map(Matcher::compile).collect()),
        }
    }

    fn holds(&self, lead: &Facts, now: Timestamp) -> Holds {
        let flag = |b: bool| if b { Holds::Forever } else { Holds::No };
        let window = |at: Timestamp, w: Option<i64>| match w {
            None => Holds::Forever,
            Some(w) => {
                let end = at.plus_seconds(w + 1);
                if now < end {
                    Holds::Until(end)
                } else {
                    Holds::No
                }
            }
        };
        match self {
            Matcher::JobTitle(k) => flag(k.found_in(&lead.job_title)),
            Matcher::Message(k) => flag(k.found_in(&lead.message)),
            Matcher::Company(k) => flag(k.found_in(&lead.company)),
            Matcher::Industry(k) => flag(k.found_in(&lead.industry)),
            Matcher::Country(codes) => flag(lead.country.is_some_and(|c| codes.iter().any(|x| x == c))),
            Matcher::CompanySize(min, max) => flag(
                lead.company_size.is_some_and(|s| min.is_none_or(|m| s >= m) && max.is_none_or(|m| s <= m)),
            ),
            Matcher::EmailDomain(g) => flag(g.matches(lead.domain)),
            Matcher::EmailLocal(g) => flag(g.matches(lead.local)),
            Matcher::Filled(fields) => {
                flag(fields.iter().any(|f| lead.lead.attributes.get(f).is_some_and(|v| !v.trim().is_empty())))
            }
            Matcher::Answer(field, values, w) => {
                let answer = match field {
                    AnswerField::PurchaseTimeframe => &lead.lead.answers.purchase_timeframe,
                    AnswerField::BudgetRole => &lead.lead.answers.budget_role,
                    AnswerField::InquiryType => &lead.lead.answers.inquiry_type,
                };
                match answer {
                    Some(a) if values.matches(&answer_key(&a.value)) => window(a.at, *w),
                    _ => Holds::No,
                }
            }
            Matcher::Activity(kinds, w) => {
                let latest = kinds.iter().filter_map(|k| lead.lead.last_activity.get(k)).max();
                match latest {
                    Some(at) => window(*at, *w),
                    None => Holds::No,
                }
            }
            Matcher::Any(inner) => inner.iter().fold(Holds::No, |acc, m| acc.either(m.holds(lead, now))),
        }
    }
}

/// What the matchers look at, prepared once per scoring.
struct Facts<'a> {
    lead: &'a Lead,
    job_title: Vec<String>,
    message: Vec<String>,
    company: Vec<String>,
    industry: Vec<String>,
    country: Option<&'a str>,
    company_size: Option<u32>,
    domain: &'a str,
    local: &'a str,
}

impl<'a> Facts<'a> {
    fn of(lead: &'a Lead) -> Self {
        let p = &lead.profile;
        let text = |t: &Option<String>| t.as_deref().map(words).unwrap_or_default();
        Self {
            lead,
            job_title: text(&p.job_title),
            message: lead.answers.message.as_ref().map(|m| words(&m.value)).unwrap_or_default(),
            company: text(&p.company),
            industry: text(&p.industry),
            country: p.country.as_deref(),
            company_size: p.company_size,
            domain: email_domain(&p.email),
            local: p.email.rsplit_once('@').map_or("", |(l, _)| l),
        }
    }
}

#[derive(Debug)]
struct CompiledRule {
    id: String,
    dimension: Dimension,
    group: Option<usize>,
    points: i32,
    matcher: Matcher,
}

/// A rule that held at scoring time, and until when.
#[derive(Debug, Clone, Copy)]
struct Held {
    rule: usize,
    holds: Holds,
}

/// Sub-scores at one instant.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    need: i32,
    authority: i32,
    readiness: i32,
    fit: i32,
    engagement: i32,
    disqualified: Option<usize>,
}

impl Tally {
    fn total(&self) -> i32 {
        self.need + self.authority + self.readiness + self.fit + self.engagement
    }
}

/// The SLA compiled for scoring. Build once, score many leads.
#[derive(Debug)]
pub struct Scorer {
    sla: Sla,
    rules: Vec<CompiledRule>,
    groups: usize,
    disqualifiers: Vec<(String, DisqualificationReason, Matcher)>,
    half_life_seconds: f64,
}

/// The reason recorded when scoring moves a lead into `mql`.
pub const REASON_MQL: &str = "mql_rule_met";
/// The reason recorded when an MQL falls below the rule.
pub const REASON_BELOW_MQL: &str = "below_mql_rule";
/// The reason recorded when an automatic disqualifier no longer holds.
pub const REASON_REQUALIFIED: &str = "disqualifier_no_longer_holds";

impl Scorer {
    pub fn new(sla: Sla) -> Self {
        let mut group_ids: Vec<(Dimension, String)> = Vec::new();
        let mut rules = Vec::new();
        let dims = [
            (Dimension::Fit, &sla.fit),
            (Dimension::Need, &sla.need),
            (Dimension::Authority, &sla.authority),
            (Dimension::Readiness, &sla.readiness),
        ];
        for (dimension, list) in dims {
            for r in list {
                let group = r.group.as_ref().map(|g| {
                    let key = (dimension, g.clone());
                    group_ids.iter().position(|k| *k == key).unwrap_or_else(|| {
                        group_ids.push(key);
                        group_ids.len() - 1
                    })
                });
                rules.push(CompiledRule {
                    id: r.id.clone(),
                    dimension,
                    group,
                    points: r.points,
                    matcher: Matcher::compile(&r.when),
                });
            }
        }
        let disqualifiers =
            sla.disqualifiers.iter().map(|d| (d.id.clone(), d.reason, Matcher::compile(&d.when))).collect();
        Self {
            half_life_seconds: sla.engagement.half_life_days * 86_400.0,
            groups: group_ids.len(),
            rules,
            disqualifiers,
            sla,
        }
    }

    pub fn sla(&self) -> &Sla {
        &self.sla
    }

    /// Records an activity on the lead and adds its engagement points.
    pub fn record_activity(&self, lead: &mut Lead, activity: Activity) {
        let points = self.sla.engagement.activities.get(&activity.kind).copied().unwrap_or(0.0);
        lead.engagement.add(points, activity.at, self.half_life_seconds, self.sla.engagement.max_points);
        lead.record_activity(activity);
    }

    /// Engagement points at `t`, rounded down.
    pub fn engagement_at(&self, lead: &Lead, t: Timestamp) -> i32 {
        lead.engagement.value_at(t, self.half_life_seconds).floor() as i32
    }

    /// Scores the lead as of `now`.
    pub fn score(&self, lead: &Lead, now: Timestamp) -> Score {
        let facts = Facts::of(lead);
        let held: Vec<Held> = self
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.matcher.holds(&facts, now) {
                Holds::No => None,
                holds => Some(Held { rule: i, holds }),
            })
            .collect();
        let disq: Vec<(usize, Holds)> = self
            .disqualifiers
            .iter()
            .enumerate()
            .map(|(i, (_, _, m))| (i, m.holds(&facts, now)))
            .filter(|(_, h)| *h != Holds::No)
            .collect();

        let mut explanation = Vec::with_capacity(held.len() + 1);
        let tally = self.tally(lead, &held, &disq, now, Some(&mut explanation));
        let disqualification = tally.disqualified.map(|i| Disqualification {
            reason: self.disqualifiers[i].1,
            rule: self.disqualifiers[i].0.clone(),
        });
        let g = self.sla.grades;
        let grade = match tally.fit {
            f if f >= g.a => Grade::A,
            f if f >= g.b => Grade::B,
            f if f >= g.c => Grade::C,
            _ => Grade::D,
        };
        Score {
            total: tally.total(),
            need: tally.need,
            authority: tally.authority,
            readiness: tally.readiness,
            fit: tally.fit,
            engagement: tally.engagement,
            grade,
            mql: self.is_mql(&tally),
            disqualification,
            explanation,
            sla_version: self.sla.version.clone(),
            scored_at: now,
            next_change_at: self.next_change(lead, &held, &disq, now),
        }
    }

    fn tally(
        &self,
        lead: &Lead,
        held: &[Held],
        disq: &[(usize, Holds)],
        t: Timestamp,
        mut explain: Option<&mut Vec<Contribution>>,
    ) -> Tally {
        let mut tally = Tally::default();
        let mut group_taken = vec![false; self.groups];
        for h in held.iter().filter(|h| h.holds.at(t)) {
            let rule = &self.rules[h.rule];
            if let Some(g) = rule.group {
                if std::mem::replace(&mut group_taken[g], true) {
                    continue;
                }
            }
            match rule.dimension {
                Dimension::Need => tally.need += rule.points,
                Dimension::Authority => tally.authority += rule.points,
                Dimension::Readiness => tally.readiness += rule.points,
                Dimension::Fit => tally.fit += rule.points,
                Dimension::Engagement => tally.engagement += rule.points,
            }
            if let Some(e) = explain.as_deref_mut() {
                e.push(Contribution {
                    rule: rule.id.clone(),
                    dimension: rule.dimension,
                    points: rule.points,
                });
            }
        }
        let engagement = self.engagement_at(lead, t);
        tally.engagement += engagement;
        if let (Some(e), true) = (explain, engagement != 0) {
            e.push(Contribution {
                rule: "engagement".into(),
                dimension: Dimension::Engagement,
                points: engagement,
            });
        }
        tally.disqualified = disq.iter().find(|(_, h)| h.at(t)).map(|(i, _)| *i);
        tally
    }

    fn is_mql(&self, t: &Tally) -> bool {
        let m = &self.sla.mql;
        t.disqualified.is_none()
            && t.need >= m.min_need
            && t.authority >= m.min_authority
            && t.readiness >= m.min_readiness
            && t.total() >= m.min_total
    }

    /// What the decision (MQL, disqualifier) is at `t`, given what held at scoring time.
    fn decision(
        &self,
        lead: &Lead,
        held: &[Held],
        disq: &[(usize, Holds)],
        t: Timestamp,
    ) -> (bool, Option<usize>) {
        let tally = self.tally(lead, held, disq, t, None);
        (self.is_mql(&tally), tally.disqualified)
    }

    /// The first instant after `now` at which the decision differs from now's.
    ///
    /// Between the instants at which windows close, rule points are constant and
    /// engagement only falls, so the decision can only flip from MQL to not-MQL inside
    /// such a segment: one binary search per segment finds it.
    fn next_change(
        &self,
        lead: &Lead,
        held: &[Held],
        disq: &[(usize, Holds)],
        now: Timestamp,
    ) -> Option<Timestamp> {
        let initial = self.decision(lead, held, disq, now);
        let mut boundaries: Vec<Timestamp> = held
            .iter()
            .map(|h| h.holds)
            .chain(disq.iter().map(|(_, h)| *h))
            .filter_map(|h| match h {
                Holds::Until(end) if end > now => Some(end),
                _ => None,
            })
            .collect();
        // After this instant engagement rounds down to zero for good.
        let e = lead.engagement;
        let quiet = if e.points >= 1.0 {
            e.at.plus_seconds((self.half_life_seconds * e.points.log2()).ceil() as i64 + 2)
        } else {
            now
        };
        let last = boundaries.iter().copied().max().unwrap_or(now).max(quiet).max(now);
        boundaries.push(last.plus_seconds(1));
        boundaries.sort_unstable();
        boundaries.dedup();

        let mut start = now;
        for end in boundaries {
            if start > now && self.decision(lead, held, disq, start) != initial {
                return Some(start);
            }
            let last_in = end.plus_seconds(-1);
            if initial.0 && last_in > start && self.decision(lead, held, disq, last_in) != initial {
                // decision(lo) == initial, decision(hi) != initial
                let (mut lo, mut hi) = (start.unix(), last_in.unix());
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if self.decision(lead, held, disq, Timestamp::from_unix(mid)) == initial {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                return Some(Timestamp::from_unix(hi));
            }
            start = end;
        }
        None
    }

    /// The stage scoring moves the lead to, if any, with the reason.
    pub fn stage_move(&self, lead: &Lead, score: &Score) -> Option<(Stage, String)> {
        match (lead.stage, &score.disqualification) {
            (Stage::Unqualified | Stage::Mql | Stage::Nurture, Some(d)) => {
                Some((Stage::Disqualified, reason_code(d.reason)))
            }
            (Stage::Disqualified, None) if lead.disqualified_by_scoring() => {
                Some((Stage::Unqualified, REASON_REQUALIFIED.into()))
            }
            (Stage::Unqualified, None) if score.mql => Some((Stage::Mql, REASON_MQL.into())),
            // Back with marketing: only new activity since then can requalify it, else an
            // MQL recycled for want of a call would bounce straight back.
            (Stage::Nurture, None) if score.mql && lead.active_since_entering_stage() => {
                Some((Stage::Mql, REASON_MQL.into()))
            }
            (Stage::Mql, None) if !score.mql => {
                Some((self.sla.mql.below_threshold_stage, REASON_BELOW_MQL.into()))
            }
            _ => None,
        }
    }

    /// Re-scores the lead as of `now` and applies the moves scoring may make.
    /// Returns whether the stage changed.
    pub fn requalify(&self, lead: &mut Lead, now: Timestamp) -> Result<bool, IllegalTransition> {
        let mut moved = false;
        // At most two moves: disqualified -> unqualified -> mql.
        for _ in 0..2 {
            let score = self.score(lead, now);
            let next = self.stage_move(lead, &score);
            lead.score = Some(score);
            match next {
                Some((to, reason)) => {
                    lead.move_to(to, Trigger::Scoring, "scoring", &reason, None, now)?;
                    moved = true;
                }
                None => break,
            }
        }
        Ok(moved)
    }
}

/// The snake_case code of a disqualification reason (`applicant`, `press`, ...).
pub fn reason_code(reason: DisqualificationReason) -> String {
    serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Scores grouped by dimension, for reports and tests.
pub fn sum_by_dimension(explanation: &[Contribution]) -> BTreeMap<&'static str, i32> {
    let mut sums = BTreeMap::new();
    for c in explanation {
        let key = match c.dimension {
            Dimension::Need => "need",
            Dimension::Authority => "authority",
            Dimension::Readiness => "readiness",
            Dimension::Fit => "fit",
            Dimension::Engagement => "engagement",
        };
        *sums.entry(key).or_insert(0) += c.points;
    }
    sums
}
