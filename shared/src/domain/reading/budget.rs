//! The budget-role answer ("Entscheiden Sie über das Budget?") in people's own words.
//!
//! Order of reading, per the whole answer: a sign of shared or delegated authority
//! ("entscheide mit", "I recommend", "our CFO signs off", "together with") makes it
//! `influences`, even next to a yes; then an un-negated sign of own authority ("Ich
//! entscheide", "budget owner", "Ja") makes it `decides`; then a plain no ("nein", "not
//! involved") or a negated authority phrase ("I am not the decision maker") makes it `none`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Phrases, Reader};

/// Who decides on the budget, as the lead describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetRole {
    /// Signs off the budget.
    Decides,
    /// Shapes the decision: recommends, co-decides, prepares it, sits on the committee.
    Influences,
    /// Has no part in it.
    None,
}

/// Phrase tables for budget-role answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetRoleVocabulary {
    pub decides: Vec<String>,
    /// Includes phrases that name someone else who signs ("signs off", "mein Chef").
    pub influences: Vec<String>,
    pub none: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct BudgetTables {
    decides: Phrases,
    influences: Phrases,
    none: Phrases,
}

impl BudgetTables {
    pub(super) fn new(v: &BudgetRoleVocabulary) -> Self {
        Self {
            decides: Phrases::new(&v.decides),
            influences: Phrases::new(&v.influences),
            none: Phrases::new(&v.none),
        }
    }
}

impl Reader {
    /// The budget role in an answer; `None` when the answer says nothing we recognise.
    pub fn budget_role(&self, answer: &str) -> Option<BudgetRole> {
        let b = &self.budget;
        let (mut influences, mut decides, mut none, mut negated) = (false, false, false, false);
        for clause in self.clauses(answer) {
            let cues = self.negation.cues(&clause);
            for (phrases, found) in [(&b.influences, &mut influences), (&b.decides, &mut decides)] {
                for span in phrases.spans(&clause) {
                    if self.negation.negates(&cues, &span) {
                        negated = true;
                    } else {
                        *found = true;
                    }
                }
            }
            none |= b.none.any(&clause);
        }
        if influences {
            Some(BudgetRole::Influences)
        } else if decides {
            Some(BudgetRole::Decides)
        } else if none || negated {
            Some(BudgetRole::None)
        } else {
            None
        }
    }
}
