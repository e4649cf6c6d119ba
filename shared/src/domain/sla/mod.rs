//! The sales–marketing SLA as a versioned JSON document.
//!
//! Marketing and sales agree on it; Leadflow executes it. `shared/sla/sla.schema.json`,
//! generated from these types (`UPDATE_SCHEMA=1 cargo test -p leadflow schema`), lets
//! editors validate SLA files; [`Sla::from_json`] names the offending field on any error.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::reading::Vocabulary;
use crate::domain::stage::Stage;

mod condition;

use condition::{check_condition, has_window};
pub use condition::{AnswerField, Condition};

/// The SLA Leadflow ships with: the article's qualification rules, German and English.
pub const DEFAULT_SLA_JSON: &str = include_str!("../../../sla/default.json");
/// The JSON Schema of SLA documents, as committed.
pub const SLA_SCHEMA_JSON: &str = include_str!("../../../sla/sla.schema.json");

/// A sales–marketing service level agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Where editors find the schema (ignored by Leadflow).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Stamped on every score, so each explanation says which agreement produced it.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Display names of the six stages (ids are fixed).
    pub stages: BTreeMap<Stage, DisplayName>,
    /// Fit points at which a lead earns grades A, B and C; below C it is D.
    pub grades: Grades,
    /// Profile: position, seniority, company size, industry, country, free-mail penalty.
    pub fit: Vec<Rule>,
    /// The need (Bedarf), not mere desire (Bedürfnis).
    pub need: Vec<Rule>,
    /// Can this person decide on the budget?
    pub authority: Vec<Rule>,
    /// Is the person ready in their own buying process?
    pub readiness: Vec<Rule>,
    pub engagement: EngagementModel,
    /// Interested, but not buyers: checked in order, the first that holds decides.
    pub disqualifiers: Vec<Disqualifier>,
    pub mql: MqlRule,
    pub response: ResponseTimes,
    pub retention: Retention,
    /// The phrase tables that read job titles, answers and messages into facts
    /// (`shared/sla/vocabulary.json` when absent).
    #[serde(default = "Vocabulary::default_data")]
    pub vocabulary: Vocabulary,
}

/// A name in German and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisplayName {
    pub de: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grades {
    pub a: i32,
    pub b: i32,
    pub c: i32,
}

/// One scoring rule: if `when` holds, `points` go to the rule's dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique in the SLA; shown in every explanation.
    pub id: String,
    /// Of the rules sharing a group, only the first that holds counts
    /// (a CEO is not also counted as a manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub points: i32,
    pub when: Condition,
}

/// Engagement: points per activity, decaying with a half-life (closed form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EngagementModel {
    /// After this many days an activity's points count half.
    pub half_life_days: f64,
    /// Engagement never exceeds this many points.
    pub max_points: f64,
    /// Points per activity kind; kinds not listed earn none.
    pub activities: BTreeMap<String, f64>,
}

/// Why a lead is kept away from sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisqualificationReason {
    Applicant,
    Competitor,
    Press,
    Student,
    Spam,
    Invalid,
}

impl DisqualificationReason {
    /// The snake_case code recorded as the reason of the move (`applicant`, `press`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Competitor => "competitor",
            Self::Press => "press",
            Self::Student => "student",
            Self::Spam => "spam",
            Self::Invalid => "invalid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disqualifier {
    pub id: String,
    pub reason: DisqualificationReason,
    pub when: Condition,
}

/// When is a lead marketing-qualified? Every minimum AND the total must be reached:
/// a high total alone is not enough, since desire is not need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MqlRule {
    pub min_need: i32,
    pub min_authority: i32,
    pub min_readiness: i32,
    pub min_total: i32,
    /// Where an MQL goes when it falls below the rule: `nurture` or `unqualified`.
    pub below_threshold_stage: Stage,
}

/// How long each side may take before the lead is escalated or recycled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseTimes {
    /// Inside sales should call an MQL within this many hours (then it is flagged breached).
    pub mql_call_within_hours: u32,
    /// After a breach, this many more hours until the MQL is recycled to `nurture`.
    pub mql_grace_hours: u32,
    /// Sales should accept or reject an SQL within this many hours.
    pub sql_decision_within_hours: u32,
    /// Flag an SQL as breached before recycling it, for this many hours (0: recycle at once).
    pub sql_grace_hours: u32,
}

/// How long leads without activity are kept, per stage (TTL). SQL and SAL never expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub unqualified_days: u32,
    pub nurture_days: u32,
    pub disqualified_days: u32,
}

/// An SLA document that is not acceptable, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SLA at `{path}`: {message}")]
pub struct SlaError {
    pub path: String,
    pub message: String,
}

impl SlaError {
    fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

impl Sla {
    /// Parses and checks an SLA document.
    pub fn from_json(text: &str) -> Result<Sla, SlaError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let sla: Sla = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            SlaError::at(if path.is_empty() { ".".into() } else { path }, e.into_inner().to_string())
        })?;
        sla.validate()?;
        Ok(sla)
    }

    /// The default SLA that ships with Leadflow.
    pub fn default_sla() -> Sla {
        Sla::from_json(DEFAULT_SLA_JSON).expect("the shipped default SLA is valid")
    }

    /// The JSON Schema of SLA documents, generated from the types.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Sla)).expect("schema serialises")
    }

    /// Checks what the types cannot say.
    pub fn validate(&self) -> Result<(), SlaError> {
        if self.version.trim().is_empty() {
            return Err(SlaError::at("version", "must not be empty"));
        }
        for stage in Stage::ALL {
            if !self.stages.contains_key(&stage) {
                return Err(SlaError::at("stages", format!("needs a display name for `{stage}`")));
            }
        }
        let g = self.grades;
        if !(g.a > g.b && g.b > g.c) {
            return Err(SlaError::at("grades", "thresholds must fall strictly: a > b > c"));
        }
        let mut ids = BTreeSet::new();
        for (dimension, rules) in self.rule_lists() {
            for (i, rule) in rules.iter().enumerate() {
                let path = format!("{dimension}[{i}]");
                if rule.id.trim().is_empty() {
                    return Err(SlaError::at(format!("{path}.id"), "must not be empty"));
                }
                if !ids.insert(rule.id.as_str()) {
                    return Err(SlaError::at(format!("{path}.id"), format!("`{}` is used twice", rule.id)));
                }
                // A penalty that ran out would raise the score as time passes.
                if rule.points < 0 && has_window(&rule.when) {
                    return Err(SlaError::at(
                        format!("{path}.points"),
                        "a rule with a `within_days` window must not subtract points",
                    ));
                }
                check_condition(&rule.when, &format!("{path}.when"))?;
            }
        }
        for (i, d) in self.disqualifiers.iter().enumerate() {
            let path = format!("disqualifiers[{i}]");
            if !ids.insert(d.id.as_str()) {
                return Err(SlaError::at(format!("{path}.id"), format!("`{}` is used twice", d.id)));
            }
            check_condition(&d.when, &format!("{path}.when"))?;
        }
        let e = &self.engagement;
        if !(e.half_life_days.is_finite() && e.half_life_days > 0.0) {
            return Err(SlaError::at("engagement.half_life_days", "must be a positive number of days"));
        }
        if !(e.max_points.is_finite() && e.max_points >= 0.0) {
            return Err(SlaError::at("engagement.max_points", "must be zero or more"));
        }
        for (kind, points) in &e.activities {
            if !(points.is_finite() && *points >= 0.0) {
                return Err(SlaError::at(
                    format!("engagement.activities.{kind}"),
                    "must be zero or more points",
                ));
            }
        }
        if !matches!(self.mql.below_threshold_stage, Stage::Nurture | Stage::Unqualified) {
            return Err(SlaError::at("mql.below_threshold_stage", "must be `nurture` or `unqualified`"));
        }
        if self.response.mql_call_within_hours == 0 || self.response.sql_decision_within_hours == 0 {
            return Err(SlaError::at("response", "response times must be at least one hour"));
        }
        Ok(())
    }

    pub(crate) fn rule_lists(&self) -> [(&'static str, &Vec<Rule>); 4] {
        [
            ("fit", &self.fit),
            ("need", &self.need),
            ("authority", &self.authority),
            ("readiness", &self.readiness),
        ]
    }
}
