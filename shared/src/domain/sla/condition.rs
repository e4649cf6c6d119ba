//! What a rule looks at: raw profile values and answers, the facts read from text at
//! intake, activities; and the checks the schema cannot express.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SlaError;
use crate::domain::lists::DomainList;
use crate::domain::reading::{BudgetRole, Intent, JobFunction, Seniority};

/// What a rule looks at. Text comparisons ignore case; keywords match whole words and
/// may use `*` (`*leiter*`); domain and value patterns may use `*` (`*.edu`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Any keyword in the job title.
    JobTitle(Vec<String>),
    /// Any keyword in the latest message.
    Message(Vec<String>),
    /// Any keyword in the company name.
    Company(Vec<String>),
    /// Any keyword in the industry.
    Industry(Vec<String>),
    /// Country code (ISO 3166-1 alpha-2) is one of these.
    Country(Vec<String>),
    /// Company size within bounds (inclusive); unknown size never matches.
    CompanySize {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    /// The email's domain matches a pattern.
    EmailDomain(Vec<String>),
    /// The email's domain is on one of these vendored lists (`free_mail`, `disposable`,
    /// `university`).
    EmailList(Vec<DomainList>),
    /// The email's local part (before `@`) matches a pattern.
    EmailLocal(Vec<String>),
    /// Any of these form fields was filled in (honeypots).
    Filled(Vec<String>),
    /// A form answer is one of these values (compared as lower-case words joined by `_`).
    Answer {
        field: AnswerField,
        values: Vec<String>,
        /// Counts only while the answer is at most this many days old.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_days: Option<u32>,
    },
    /// The person did one of these activities.
    Activity {
        kinds: Vec<String>,
        /// Counts only while the latest such activity is at most this many days old.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_days: Option<u32>,
    },
    /// The job title reads as one of these seniorities (facts read at intake).
    Seniority(Vec<Seniority>),
    /// The job title's function is one of these.
    JobFunction(Vec<JobFunction>),
    /// The budget-role answer reads as one of these (`decides`, `influences`, `none`).
    BudgetRole(Vec<BudgetRole>),
    /// They intend to buy at most `max_days` after they said so (timeframe answer, else
    /// the message).
    Timeframe {
        /// At least this many days ahead (default 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_days: Option<u32>,
        max_days: u32,
        /// Counts only while what they said is at most this many days old.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_days: Option<u32>,
    },
    /// They said they have no plan to buy (just looking, no project).
    NoPurchasePlan {},
    /// The latest message reads as any of these intents.
    Intent {
        any: Vec<Intent>,
        /// Counts only while the message is at most this many days old.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_days: Option<u32>,
    },
    /// The latest message looks like spam: shouting, links, runs of `!` (thresholds in
    /// the vocabulary).
    SpamSignals(bool),
    /// Holds if any of the inner conditions holds.
    Any(Vec<Condition>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerField {
    PurchaseTimeframe,
    BudgetRole,
    InquiryType,
}

pub(super) fn has_window(c: &Condition) -> bool {
    match c {
        Condition::Answer { within_days, .. }
        | Condition::Activity { within_days, .. }
        | Condition::Timeframe { within_days, .. }
        | Condition::Intent { within_days, .. } => within_days.is_some(),
        Condition::Any(inner) => inner.iter().any(has_window),
        _ => false,
    }
}

pub(super) fn check_condition(c: &Condition, path: &str) -> Result<(), SlaError> {
    let non_empty = |list: &Vec<String>, what: &str| {
        if list.is_empty() || list.iter().any(|s| s.trim().is_empty()) {
            Err(SlaError::at(format!("{path}.{what}"), "needs at least one value and no empty ones"))
        } else {
            Ok(())
        }
    };
    match c {
        Condition::JobTitle(l) => non_empty(l, "job_title"),
        Condition::Message(l) => non_empty(l, "message"),
        Condition::Company(l) => non_empty(l, "company"),
        Condition::Industry(l) => non_empty(l, "industry"),
        Condition::Country(l) => non_empty(l, "country"),
        Condition::EmailDomain(l) => non_empty(l, "email_domain"),
        Condition::EmailLocal(l) => non_empty(l, "email_local"),
        Condition::Filled(l) => non_empty(l, "filled"),
        Condition::Answer { values, within_days, .. } => {
            non_empty(values, "answer.values")?;
            check_window(*within_days, &format!("{path}.answer.within_days"))
        }
        Condition::Activity { kinds, within_days } => {
            non_empty(kinds, "activity.kinds")?;
            check_window(*within_days, &format!("{path}.activity.within_days"))
        }
        Condition::CompanySize { min, max } => match (min, max) {
            (None, None) => Err(SlaError::at(format!("{path}.company_size"), "needs `min`, `max` or both")),
            (Some(lo), Some(hi)) if lo > hi => {
                Err(SlaError::at(format!("{path}.company_size"), "`min` is above `max`"))
            }
            _ => Ok(()),
        },
        Condition::EmailList(l) if l.is_empty() => {
            Err(SlaError::at(format!("{path}.email_list"), "needs a list"))
        }
        Condition::Seniority(l) if l.is_empty() => {
            Err(SlaError::at(format!("{path}.seniority"), "needs a value"))
        }
        Condition::JobFunction(l) if l.is_empty() => {
            Err(SlaError::at(format!("{path}.job_function"), "needs a value"))
        }
        Condition::BudgetRole(l) if l.is_empty() => {
            Err(SlaError::at(format!("{path}.budget_role"), "needs a value"))
        }
        Condition::Intent { any, .. } if any.is_empty() => {
            Err(SlaError::at(format!("{path}.intent.any"), "needs at least one intent"))
        }
        Condition::Intent { within_days, .. } => {
            check_window(*within_days, &format!("{path}.intent.within_days"))
        }
        Condition::Timeframe { within_days, .. } => {
            check_window(*within_days, &format!("{path}.timeframe.within_days"))
        }
        Condition::Seniority(_)
        | Condition::EmailList(_)
        | Condition::JobFunction(_)
        | Condition::BudgetRole(_)
        | Condition::NoPurchasePlan {}
        | Condition::SpamSignals(_) => Ok(()),
        Condition::Any(inner) => {
            if inner.is_empty() {
                return Err(SlaError::at(format!("{path}.any"), "needs at least one condition"));
            }
            inner.iter().enumerate().try_for_each(|(i, c)| check_condition(c, &format!("{path}.any[{i}]")))
        }
    }
}

fn check_window(days: Option<u32>, path: &str) -> Result<(), SlaError> {
    match days {
        Some(0) => Err(SlaError::at(path, "must be at least one day")),
        _ => Ok(()),
    }
}
