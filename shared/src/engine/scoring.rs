//! The scoring engine: the SLA, compiled once, applied to a lead at an instant.
//!
//! Every score explains itself (rule -> points, summing to the total) and says when it
//! can next change by the passing of time alone, so the scheduler visits only leads
//! that are due.

use std::sync::Arc;

use super::matcher::{ActivityKinds, Facts, Holds, Matcher};

use crate::domain::clock::Timestamp;
use crate::domain::lead::{Activity, Lead};
use crate::domain::reading::Reader;
pub use crate::domain::score::{
    sum_by_dimension, Contribution, Dimension, Disqualification, Engagement, Grade, Score,
};
use crate::domain::sla::{DisqualificationReason, Sla};
use crate::domain::stage::{IllegalTransition, Stage, Trigger};
use crate::domain::vocabulary::{Actor, ReasonCode};

#[derive(Debug)]
struct CompiledRule {
    id: Arc<str>,
    dimension: Dimension,
    group: Option<usize>,
    points: i32,
    matcher: Matcher,
}

/// A rule that held at scoring time, and until when; with what a tally needs of it, so
/// the tallies of the next-change search read only this.
#[derive(Debug, Clone, Copy)]
struct Held {
    rule: usize,
    holds: Holds,
    points: i32,
    dimension: Dimension,
    group: Option<usize>,
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

/// Which rule groups already gave points: bits for the first 128 groups (no allocation on
/// the path that runs dozens of times per lead), a vector beyond.
struct GroupsTaken {
    bits: u128,
    more: Vec<bool>,
}

impl GroupsTaken {
    fn new(groups: usize) -> Self {
        Self { bits: 0, more: if groups > 128 { vec![false; groups - 128] } else { Vec::new() } }
    }

    /// Marks the group taken; whether it was already.
    fn take(&mut self, group: usize) -> bool {
        if group < 128 {
            let bit = 1u128 << group;
            let was = self.bits & bit != 0;
            self.bits |= bit;
            was
        } else {
            std::mem::replace(&mut self.more[group - 128], true)
        }
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
    reader: Reader,
    /// The SLA's version and the engagement line's rule id, shared by every score.
    version: Arc<str>,
    engagement_rule: Arc<str>,
    kinds: ActivityKinds,
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
        let mut kinds = ActivityKinds::default();
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
                    id: r.id.as_str().into(),
                    dimension,
                    group,
                    points: r.points,
                    matcher: Matcher::compile(&r.when, &mut kinds),
                });
            }
        }
        let disqualifiers = sla
            .disqualifiers
            .iter()
            .map(|d| (d.id.clone(), d.reason, Matcher::compile(&d.when, &mut kinds)))
            .collect();
        Self {
            half_life_seconds: sla.engagement.half_life_days * 86_400.0,
            groups: group_ids.len(),
            rules,
            disqualifiers,
            reader: Reader::new(&sla.vocabulary),
            version: sla.version.as_str().into(),
            engagement_rule: "engagement".into(),
            kinds,
            sla,
        }
    }

    pub fn sla(&self) -> &Sla {
        &self.sla
    }

    /// The SLA's vocabulary, compiled: reads text into facts at intake.
    pub fn reader(&self) -> &Reader {
        &self.reader
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
        let facts = Facts::of(lead, &self.kinds);
        // Sized once: grown push by push, these were a good part of a score's cost.
        let mut held = Vec::with_capacity(self.rules.len());
        for (i, r) in self.rules.iter().enumerate() {
            let holds = r.matcher.holds(&facts, now);
            if holds != Holds::No {
                held.push(Held { rule: i, holds, points: r.points, dimension: r.dimension, group: r.group });
            }
        }
        let mut disq = Vec::with_capacity(self.disqualifiers.len());
        for (i, (_, _, m)) in self.disqualifiers.iter().enumerate() {
            let holds = m.holds(&facts, now);
            if holds != Holds::No {
                disq.push((i, holds));
            }
        }

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
            sla_version: self.version.clone(),
            scored_at: now,
            next_change_at: self.next_change(
                lead,
                &held,
                &disq,
                now,
                (self.is_mql(&tally), tally.disqualified),
            ),
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
        let mut groups_taken = GroupsTaken::new(self.groups);
        for h in held.iter().filter(|h| h.holds.at(t)) {
            if let Some(g) = h.group {
                if groups_taken.take(g) {
                    continue;
                }
            }
            match h.dimension {
                Dimension::Need => tally.need += h.points,
                Dimension::Authority => tally.authority += h.points,
                Dimension::Readiness => tally.readiness += h.points,
                Dimension::Fit => tally.fit += h.points,
                Dimension::Engagement => tally.engagement += h.points,
            }
            if let Some(e) = explain.as_deref_mut() {
                e.push(Contribution {
                    rule: self.rules[h.rule].id.clone(),
                    dimension: h.dimension,
                    points: h.points,
                });
            }
        }
        let engagement = self.engagement_at(lead, t);
        tally.engagement += engagement;
        if let (Some(e), true) = (explain, engagement != 0) {
            e.push(Contribution {
                rule: self.engagement_rule.clone(),
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
        initial: (bool, Option<usize>),
    ) -> Option<Timestamp> {
        // Nothing that counts against the lead runs out, and no disqualifier stops holding:
        // from now on every sub-score only falls and the disqualification stays, so a lead
        // that is not an MQL now never becomes one by time alone.
        let runs_out = |h: &Holds| matches!(h, Holds::Until(end) if *end > now);
        let only_falls = !held.iter().any(|h| h.points < 0 && runs_out(&h.holds))
            && !disq.iter().any(|(_, h)| runs_out(h));
        if !initial.0 && only_falls {
            return None;
        }
        let mut boundaries: Vec<Timestamp> = Vec::with_capacity(held.len() + disq.len() + 1);
        boundaries.extend(held.iter().map(|h| h.holds).chain(disq.iter().map(|(_, h)| *h)).filter_map(|h| {
            match h {
                Holds::Until(end) if end > now => Some(end),
                _ => None,
            }
        }));
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

        if only_falls {
            // An MQL whose sub-scores only fall stops being one at most once: the first
            // boundary at which it no longer is, by bisection, then the instant inside the
            // segment before it.
            let k = boundaries.partition_point(|&b| self.decision(lead, held, disq, b) == initial);
            let end = *boundaries.get(k)?;
            let start = if k == 0 { now } else { boundaries[k - 1] };
            let last_in = end.plus_seconds(-1);
            if last_in > start && self.decision(lead, held, disq, last_in) != initial {
                return Some(self.flip_within(lead, held, disq, start, last_in, initial));
            }
            return Some(end);
        }
        let mut start = now;
        for end in boundaries {
            if start > now && self.decision(lead, held, disq, start) != initial {
                return Some(start);
            }
            let last_in = end.plus_seconds(-1);
            if initial.0 && last_in > start && self.decision(lead, held, disq, last_in) != initial {
                return Some(self.flip_within(lead, held, disq, start, last_in, initial));
            }
            start = end;
        }
        None
    }

    /// The instant in `(start, last_in]` at which an MQL's decision flips, knowing that it
    /// is `initial` at `start` and not at `last_in`, and that no window closes in between.
    fn flip_within(
        &self,
        lead: &Lead,
        held: &[Held],
        disq: &[(usize, Holds)],
        start: Timestamp,
        last_in: Timestamp,
        initial: (bool, Option<usize>),
    ) -> Timestamp {
        // decision(lo) == initial, decision(hi) != initial
        let (mut lo, mut hi) = (start.unix(), last_in.unix());
        // No window closes inside the segment: the rules' points are as at its
        // start, and each probe only decays engagement.
        let mut rules_only = self.tally(lead, held, disq, start, None);
        rules_only.engagement -= self.engagement_at(lead, start);
        let decision_at = |t: Timestamp| {
            let mut tally = rules_only;
            tally.engagement += self.engagement_at(lead, t);
            (self.is_mql(&tally), tally.disqualified)
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if decision_at(Timestamp::from_unix(mid)) == initial {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Timestamp::from_unix(hi)
    }

    /// The stage scoring moves the lead to, if any, with the reason.
    pub fn stage_move(&self, lead: &Lead, score: &Score) -> Option<(Stage, ReasonCode)> {
        match (lead.stage, &score.disqualification) {
            (Stage::Unqualified | Stage::Mql | Stage::Nurture, Some(d)) => {
                Some((Stage::Disqualified, d.reason.code().into()))
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
                    lead.move_to(to, Trigger::Scoring, Actor::SCORING, reason, None, now)?;
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
    reason.code().to_owned()
}
