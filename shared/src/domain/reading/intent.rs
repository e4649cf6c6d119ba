//! Intents in a message, and the crude signals of spam.
//!
//! Links and e-mail addresses are removed first, the text is cut into clauses, and every
//! intent's phrases are looked for. A phrase that one of the intent's `except` phrases
//! overlaps does not count ("Ihr Angebot" is the vendor's offering, not a request for a
//! quote). For a `negatable` intent, a negation cue just before (or after) the phrase in the
//! same clause suppresses it ("we don't need a quote yet", "kein Angebot nötig").

use std::borrow::Cow;
use std::collections::BTreeSet;

use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{fold, is_link, strip_links, Phrases, Reader, Span};

/// One thing a message says its writer wants (or is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Quote,
    Proposal,
    Callback,
    Demo,
    Trial,
    Tender,
    /// A concrete need: "wir benötigen", "we need", "ablösen", "einführen", "evaluate".
    Project,
    JustLooking,
    NoProject,
    NoBudget,
    Application,
    Press,
    StudentWork,
    Competitor,
    Spam,
    /// They state their part in the purchase in the message: "I'll be making the vendor
    /// recommendation", "ich verantworte das Vergabeverfahren", "MD here".
    BuyingRole,
}

impl Intent {
    pub const ALL: [Intent; 16] = [
        Intent::Quote,
        Intent::Proposal,
        Intent::Callback,
        Intent::Demo,
        Intent::Trial,
        Intent::Tender,
        Intent::Project,
        Intent::JustLooking,
        Intent::NoProject,
        Intent::NoBudget,
        Intent::Application,
        Intent::Press,
        Intent::StudentWork,
        Intent::Competitor,
        Intent::Spam,
        Intent::BuyingRole,
    ];

    fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// A wish to buy: quote, proposal, callback, demo, trial, tender, project.
    pub fn is_positive(self) -> bool {
        self.bit() & 0b111_1111 != 0
    }

    /// Not (yet) buying: just_looking, no_project, no_budget.
    pub fn is_negative(self) -> bool {
        matches!(self, Intent::JustLooking | Intent::NoProject | Intent::NoBudget)
    }

    /// Not a buyer at all: application, press, student_work, competitor, spam.
    pub fn is_non_buyer(self) -> bool {
        matches!(
            self,
            Intent::Application | Intent::Press | Intent::StudentWork | Intent::Competitor | Intent::Spam
        )
    }

    /// The snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 16] = [
            "quote",
            "proposal",
            "callback",
            "demo",
            "trial",
            "tender",
            "project",
            "just_looking",
            "no_project",
            "no_budget",
            "application",
            "press",
            "student_work",
            "competitor",
            "spam",
            "buying_role",
        ];
        NAMES[self as usize]
    }
}

/// A set of intents, as a bitset; in JSON a list of names sorted alphabetically.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Intents(u32);

impl Intents {
    pub const fn empty() -> Self {
        Self(0)
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn contains(self, intent: Intent) -> bool {
        self.0 & intent.bit() != 0
    }

    pub fn insert(&mut self, intent: Intent) {
        self.0 |= intent.bit();
    }

    pub fn remove(&mut self, intent: Intent) {
        self.0 &= !intent.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether any intent of `other` is here.
    pub fn intersects(self, other: Intents) -> bool {
        self.0 & other.0 != 0
    }

    /// The intents, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Intent> {
        Intent::ALL.into_iter().filter(move |i| self.contains(*i))
    }
}

impl FromIterator<Intent> for Intents {
    fn from_iter<I: IntoIterator<Item = Intent>>(iter: I) -> Self {
        let mut set = Intents::empty();
        iter.into_iter().for_each(|i| set.insert(i));
        set
    }
}

impl Serialize for Intents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut names: Vec<&str> = self.iter().map(Intent::name).collect();
        names.sort_unstable();
        serializer.collect_seq(names)
    }
}

impl<'de> Deserialize<'de> for Intents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Intent>::deserialize(deserializer)?.into_iter().collect())
    }
}

impl JsonSchema for Intents {
    fn schema_name() -> Cow<'static, str> {
        "Intents".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        BTreeSet::<Intent>::json_schema(generator)
    }
}

/// The phrases of one intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentPhrases {
    pub phrases: Vec<String>,
    /// Phrases that, overlapping a match, cancel it ("ihr angebot", "university project").
    #[serde(default)]
    pub except: Vec<String>,
    /// Whether a negation cue suppresses a match (not for phrases that are negative already).
    pub negatable: bool,
}

#[derive(Debug, Clone)]
pub(super) struct IntentTables {
    phrases: Phrases,
    except: Phrases,
    negatable: bool,
}

impl IntentTables {
    pub(super) fn new(v: &IntentPhrases) -> Self {
        Self { phrases: Phrases::new(&v.phrases), except: Phrases::new(&v.except), negatable: v.negatable }
    }
}

/// When a message's signals make it spam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpamThresholds {
    /// Below this many letters the upper-case share is not measured.
    pub min_letters: u32,
    /// Spam at this share of upper-case letters alone (per mille).
    pub caps_permille: u16,
    /// Spam at this many links alone.
    pub links: u32,
    /// Runs of three or more '!' that count…
    pub exclamation_runs: u32,
    /// …together with this upper-case share (per mille)…
    pub exclamation_caps_permille: u16,
    /// …or with this many links.
    pub exclamation_links: u32,
    /// Keyboard mash: spam when at least this share (per mille) of the lower-case words
    /// of three letters or more have no vowel or repeat one letter ("asdkjfh zzz lkjlkj")…
    #[serde(default = "default_mash_permille")]
    pub mash_permille: u16,
    /// …in a message of at least this many such words.
    #[serde(default = "default_mash_min_words")]
    pub mash_min_words: u32,
}

fn default_mash_permille() -> u16 {
    500
}

fn default_mash_min_words() -> u32 {
    4
}

/// Crude signals of spam in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SpamSignals {
    /// Share of letters in upper case, per mille; only with enough letters.
    pub caps_permille: Option<u16>,
    /// Links (with a scheme or `www.`).
    pub links: u32,
    /// Runs of three or more '!'.
    pub exclamation_runs: u32,
    /// Share of keyboard-mash words, per mille; only with enough words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mash_permille: Option<u16>,
}

impl SpamSignals {
    pub fn looks_like_spam(&self, t: &SpamThresholds) -> bool {
        if self.mash_permille.is_some_and(|m| m >= t.mash_permille) {
            return true;
        }
        let caps = self.caps_permille.unwrap_or(0);
        caps >= t.caps_permille
            || self.links >= t.links
            || (self.exclamation_runs >= t.exclamation_runs
                && (caps >= t.exclamation_caps_permille || self.links >= t.exclamation_links))
    }
}

impl Reader {
    /// The intents a message states.
    pub fn intents(&self, message: &str) -> Intents {
        let mut found = Intents::empty();
        for clause in self.clauses(message) {
            let cues = self.negation.cues(&clause);
            for (intent, tables) in &self.intents {
                let except = tables.except.spans(&clause);
                let excepted = |s: &Span| except.iter().any(|e| e.start < s.end() && s.start < e.end());
                let negated = |s: &Span| tables.negatable && self.negation.negates(&cues, s);
                let fires = tables.phrases.spans(&clause).iter().any(|s| !excepted(s) && !negated(s));
                if fires {
                    found.insert(*intent);
                }
            }
        }
        found
    }

    /// Upper-case share, links and runs of '!' in a message.
    pub fn spam_signals(&self, message: &str) -> SpamSignals {
        let links = message.split_whitespace().filter(|t| is_link(t)).count() as u32;
        let text = strip_links(message);
        let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
        let upper = letters.iter().filter(|c| c.is_uppercase()).count();
        let caps_permille = (letters.len() as u32 >= self.spam.min_letters && !letters.is_empty())
            .then(|| (upper * 1000 / letters.len()) as u16);
        let mut exclamation_runs = 0;
        let mut run = 0;
        for c in fold(message).chars().chain(std::iter::once(' ')) {
            if c == '!' {
                run += 1;
            } else {
                exclamation_runs += u32::from(run >= 3);
                run = 0;
            }
        }
        // Abbreviations (CRM, B2B) are upper case: only lower-case words can be a mash.
        let vowel = |c: char| "aeiouyäöü".contains(c);
        let candidates: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_lowercase))
            .collect();
        let mashed = candidates
            .iter()
            .filter(|w| !w.chars().any(vowel) || w.chars().all(|c| w.starts_with(c)))
            .count();
        let mash_permille = (candidates.len() as u32 >= self.spam.mash_min_words)
            .then(|| (mashed * 1000 / candidates.len().max(1)) as u16);
        SpamSignals { caps_permille, links, exclamation_runs, mash_permille }
    }
}
