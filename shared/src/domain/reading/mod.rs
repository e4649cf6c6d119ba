//! Reading: what people typed into a web form, turned into facts once, at intake.
//!
//! The judgement lives in data: a [`Vocabulary`] of phrase tables (German and English),
//! shipped as `vocabulary.json` and versioned with the SLA. [`Reader::new`] compiles it once;
//! the readers then turn a job title into [`TitleFacts`], a budget-role answer into a
//! [`BudgetRole`], a purchase-timeframe answer or a message into a [`Timeframe`], a message
//! into [`Intents`] and [`SpamSignals`]. Scoring runs over these facts, never over raw text.
//!
//! Text is compared folded: lower case, Unicode NFC, German letters spelt out (`ä` -> `ae`,
//! `ß` -> `ss`, other accents dropped), apostrophes inside words dropped (`don't` -> `dont`),
//! gender suffixes joined (`Leiter*in`, `Leiter/in`, `Leiter:in` -> `leiterin`). Phrases are
//! folded the same way, so `geschäftsführ*` also finds "Geschaeftsfuehrer". Phrases follow
//! [`crate::domain::matching`]: whole words, `*` as a wildcard within a word, several words in a row.

mod budget;
mod facts;
mod intent;
mod text;
mod timeframe;
mod title;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) use text::{clean, fold, is_link, strip_links, words, Negation, Phrases, Span, Table};

pub use budget::{BudgetRole, BudgetRoleVocabulary};
pub use facts::Facts;
pub use intent::{Intent, IntentPhrases, Intents, SpamSignals, SpamThresholds};
pub use timeframe::{Part, Prepositions, Timeframe, TimeframeVocabulary, Unit, UnitWords};
pub use title::{JobFunction, Modifiers, Seniority, TitleFacts, TitleVocabulary};

/// All phrase tables the readers use; the default is `vocabulary.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Version of these tables, quoted in the SLA document.
    pub version: String,
    #[serde(default)]
    pub description: String,
    pub title: TitleVocabulary,
    pub budget_role: BudgetRoleVocabulary,
    pub timeframe: TimeframeVocabulary,
    /// Phrases per intent.
    pub intents: BTreeMap<Intent, IntentPhrases>,
    pub negation: NegationVocabulary,
    pub spam: SpamThresholds,
}

impl Vocabulary {
    /// The default tables as shipped (`vocabulary.json`).
    pub const DEFAULT_JSON: &'static str = include_str!("../../../sla/vocabulary.json");

    /// The default tables, parsed from [`Vocabulary::DEFAULT_JSON`].
    pub fn default_data() -> Self {
        serde_json::from_str(Self::DEFAULT_JSON).expect("vocabulary.json is a valid Vocabulary")
    }
}

/// Negation: a cue shortly before (or, for the `after` cues, shortly after) a phrase
/// within the same clause suppresses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NegationVocabulary {
    /// Cues before a phrase: "kein", "nicht", "no", "dont", "without", …
    pub before: Vec<String>,
    /// Cues after a phrase: German verb-final "nicht" ("ein Angebot brauchen wir nicht"),
    /// "nicht nötig", "not needed".
    pub after: Vec<String>,
    /// Phrases in which a cue negates nothing: "nicht nur", "not only", "no later than".
    pub exceptions: Vec<String>,
    /// Words that end a clause, like punctuation does: "aber", "sondern", "but".
    pub clause_breaks: Vec<String>,
    /// How many words a cue may stand from the phrase.
    pub window: usize,
}

/// The compiled readers. Build once per vocabulary; reading is then cheap and pure.
#[derive(Debug, Clone)]
pub struct Reader {
    title: title::TitleTables,
    budget: budget::BudgetTables,
    timeframe: timeframe::TimeTables,
    intents: Vec<(Intent, intent::IntentTables)>,
    negation: Negation,
    spam: SpamThresholds,
}

impl Reader {
    pub fn new(vocabulary: &Vocabulary) -> Self {
        Self {
            title: title::TitleTables::new(&vocabulary.title),
            budget: budget::BudgetTables::new(&vocabulary.budget_role),
            timeframe: timeframe::TimeTables::new(&vocabulary.timeframe),
            intents: vocabulary.intents.iter().map(|(i, p)| (*i, intent::IntentTables::new(p))).collect(),
            negation: Negation::new(&vocabulary.negation),
            spam: vocabulary.spam,
        }
    }

    /// The spam thresholds of this vocabulary, for [`SpamSignals::looks_like_spam`].
    pub fn spam_thresholds(&self) -> &SpamThresholds {
        &self.spam
    }

    /// Clauses of a text, each as its words (links and e-mail addresses removed).
    fn clauses(&self, text: &str) -> Vec<Vec<String>> {
        self.negation.clauses(text)
    }
}
