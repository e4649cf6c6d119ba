//! What reading a lead's text found, kept beside the raw text: scoring (and the scheduled
//! re-scoring) runs over these facts and never re-reads text. A new vocabulary re-reads
//! in the full re-score.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BudgetRole, Intents, JobFunction, Seniority, Timeframe};

fn no_intents(i: &Intents) -> bool {
    i.is_empty()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Facts {
    /// The vocabulary version the text was read with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vocabulary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seniority: Option<Seniority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<JobFunction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_role: Option<BudgetRole>,
    /// By when they intend to buy (from the timeframe answer, else the message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeframe: Option<Timeframe>,
    /// The timeframe came from the message, not the answer (when it was said is that
    /// answer's time: the item does not store it twice).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timeframe_in_message: bool,
    /// What the latest message asks for or says (quote, call-back, no project, ...).
    #[serde(default, skip_serializing_if = "no_intents")]
    pub intents: Intents,
    /// The latest message looks like spam (shouting, links, `!!!`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spam_signals: bool,
}
