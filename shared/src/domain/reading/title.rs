//! Job titles: seniority and function.
//!
//! Every phrase of every level is looked for; a match that a longer or more specific match
//! of another level covers is dropped ("Office Manager" is not a manager, "Teamleiter" not a
//! head, "Vice President" not a deputy president). Words after a linking word ("of", "to",
//! "der", "des", "im", …) describe the domain, not the rank: "Assistenz der
//! Geschäftsführung" is an assistant, "Referent im Vorstandsbüro" an individual; only when
//! nothing stands before the link ("Mitglied der Geschäftsleitung") does the rest count.
//! Of the levels left, the first in `precedence` wins (trainee and assistant before the
//! ranks, so "Werkstudent Geschäftsführung" is a trainee). A deputy modifier lowers the
//! result by one level; acting/interim modifiers are read and keep it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{clean, fold, words, Phrases, Reader, Span};

/// How senior a person is, read from the job title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    /// Owner, founder, board, managing director, CEO/CFO/CTO/…, president.
    CLevel,
    /// VP, director, head of …, Leiter/in, Prokurist/in.
    Head,
    /// Manager, team lead, Teamleiter/in.
    Manager,
    /// Engineer, consultant, Sachbearbeiter, Referent, Office Manager, …
    Individual,
    /// Assistenz, Sekretariat, PA, executive assistant.
    Assistant,
    /// Trainee, intern, Praktikant, Werkstudent, student, Azubi.
    Trainee,
}

impl Seniority {
    /// One level lower, for deputies: c_level -> head -> manager -> individual.
    pub fn lowered(self) -> Self {
        match self {
            Seniority::CLevel => Seniority::Head,
            Seniority::Head => Seniority::Manager,
            Seniority::Manager => Seniority::Individual,
            other => other,
        }
    }
}

/// What a person works on, read from the job title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobFunction {
    Management,
    It,
    Sales,
    Marketing,
    Finance,
    Purchasing,
    Operations,
    Hr,
    Engineering,
    /// A recognised function outside the list (legal, customer service, research, …).
    Other,
}

/// Facts from a job title.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TitleFacts {
    pub seniority: Option<Seniority>,
    pub function: Option<JobFunction>,
}

/// Phrase tables for job titles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleVocabulary {
    /// Phrases per level.
    pub seniority: BTreeMap<Seniority, Vec<String>>,
    /// Which level wins when several are found (first wins).
    pub precedence: Vec<Seniority>,
    pub modifiers: Modifiers,
    /// Words after which a title names the domain, not the rank: "of", "to", "der", "des".
    pub links: Vec<String>,
    /// Phrases per function.
    pub function: BTreeMap<JobFunction, Vec<String>>,
}

/// Words that change the level a title names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Modifiers {
    /// "assistant to", "Assistenz der", "EA to": always an assistant.
    pub assistant_to: Vec<String>,
    /// "stellvertretende/r", "stellv.", "deputy", "vice": one level lower.
    pub deputy: Vec<String>,
    /// "acting", "interim", "kommissarisch": the level stays.
    pub keep: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct TitleTables {
    levels: Vec<(Seniority, Phrases)>,
    precedence: Vec<Seniority>,
    assistant_to: Phrases,
    deputy: Phrases,
    keep: Phrases,
    links: Phrases,
    functions: Vec<(JobFunction, Phrases)>,
}

/// A word that no phrase matches, standing in for words already read.
const MASK: &str = "\u{1}";

impl TitleTables {
    pub(super) fn new(v: &TitleVocabulary) -> Self {
        Self {
            levels: v.seniority.iter().map(|(s, p)| (*s, Phrases::new(p))).collect(),
            precedence: v.precedence.clone(),
            assistant_to: Phrases::new(&v.modifiers.assistant_to),
            deputy: Phrases::new(&v.modifiers.deputy),
            keep: Phrases::new(&v.modifiers.keep),
            links: Phrases::new(&v.links),
            functions: v.function.iter().map(|(f, p)| (*f, Phrases::new(p))).collect(),
        }
    }
}

/// The matches of a table that no match of another entry beats.
fn standing<T: Copy + PartialEq>(table: &[(T, Phrases)], words: &[String]) -> Vec<(T, Span)> {
    let all: Vec<(T, Span)> =
        table.iter().flat_map(|(t, p)| p.spans(words).into_iter().map(move |s| (*t, s))).collect();
    all.iter().filter(|(t, s)| !all.iter().any(|(o, os)| o != t && os.beats(s))).copied().collect()
}

impl Reader {
    /// Seniority and function of a job title ("Stellv. Abteilungsleiterin Einkauf").
    pub fn title(&self, title: &str) -> TitleFacts {
        let t = &self.title;
        let mut w = words(&clean(&fold(title)));
        for span in t.keep.spans(&w) {
            w[span.start..span.end()].iter_mut().for_each(|x| *x = MASK.to_owned());
        }
        let levels = standing(&t.levels, &w);
        let covered =
            |s: &Span| levels.iter().any(|(_, l)| l.start <= s.start && s.end() <= l.end() && l.len > s.len);
        let link = (0..w.len())
            .find(|&i| {
                t.links.longest_at(&w, i).is_some()
                    && !levels.iter().any(|(_, l)| l.start <= i && i + 1 < l.end())
            })
            .unwrap_or(w.len());
        let before: Vec<Seniority> = levels.iter().filter(|(_, s)| s.start < link).map(|(l, _)| *l).collect();
        let pool = if before.is_empty() { levels.iter().map(|(l, _)| *l).collect() } else { before };
        let seniority = if t.assistant_to.any(&w) {
            Some(Seniority::Assistant)
        } else {
            let chosen = t.precedence.iter().find(|p| pool.contains(p)).copied();
            let deputy = t.deputy.spans(&w).iter().any(|d| d.start < link && !covered(d));
            chosen.map(|s| if deputy { s.lowered() } else { s })
        };
        let functions = standing(&t.functions, &w);
        let first = |pick: &dyn Fn(JobFunction) -> bool| {
            functions.iter().filter(|(f, _)| pick(*f)).min_by_key(|(_, s)| s.start).map(|(f, _)| *f)
        };
        let function =
            first(&|f| f != JobFunction::Management).or_else(|| first(&|f| f == JobFunction::Management));
        TitleFacts { seniority, function }
    }
}
