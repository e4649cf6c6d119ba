//! Score values: what a score is made of, how it explains itself, and decayed
//! engagement. Pure data; the engine in `crate::engine::scoring` computes them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::clock::Timestamp;
use crate::domain::sla::DisqualificationReason;

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
    /// The rule's id, shared with the compiled SLA (scoring clones no text).
    pub rule: Arc<str>,
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
    pub sla_version: Arc<str>,
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
