//! When a lead intends to buy: a purchase-timeframe answer or a message, read relative to
//! the instant it was given, as the instant by which they mean to buy (UTC; "end of" a day
//! is its last second) or as "no plan".
//!
//! Every expression in the text is read; the earliest one still ahead wins; past ones are
//! dropped. A `no_plan` phrase ("nur informieren", "kein Bedarf") wins over any date.
//! Durations count from the instant given (ranges: upper bound; open-ended: lower bound);
//! named periods mean their end, "bis"/"by" a named month and "before"/"vor"/"ab"/"from"
//! anything mean its start, "Anfang/Mitte/Ende" a point inside. Without a year a named
//! period is its next occurrence.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::{fold, Phrases, Table};

mod calendar;
mod grammar;

/// The purchase timeframe fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Timeframe {
    /// They intend to buy by this instant (unix seconds).
    By { at: i64 },
    /// Just looking, no project, no need.
    NoPlan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
}

/// A point inside a period: "Anfang" (a quarter in), "Mitte" (half-way), "Ende" (last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Start,
    Mid,
    End,
}

/// Phrase tables for timeframes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeframeVocabulary {
    pub no_plan: Vec<String>,
    pub asap: Vec<String>,
    /// What "ASAP" means, in days.
    pub asap_days: u32,
    /// Words that mean ASAP only as the whole answer ("now", "jetzt").
    pub asap_alone: Vec<String>,
    /// "zwei" -> 2, "a" -> 1 (read as a count only before a unit).
    pub number_words: BTreeMap<String, u32>,
    pub ordinal_words: BTreeMap<String, u32>,
    /// Twelve lists of names, January first.
    pub months: Vec<Vec<String>>,
    /// Month names that are also other words ("may", "jan"): only with a preposition,
    /// a day or a year beside them.
    pub months_needing_context: Vec<String>,
    pub units: UnitWords,
    /// Durations said in words: "ein halbes Jahr" -> 6 (months).
    pub fixed_months: BTreeMap<String, u32>,
    /// Seasons as first and last month: "sommer" -> [6, 8].
    pub seasons: BTreeMap<String, (u32, u32)>,
    /// "q" as in "Q1"; "h", "hj" as in "H1".
    pub quarter_letters: Vec<String>,
    pub half_letters: Vec<String>,
    /// "half", "Hälfte": a half-year only after an ordinal ("first half of 2027").
    pub half_words: Vec<String>,
    /// "KW", "calendar week".
    pub week_numbers: Vec<String>,
    pub this: Vec<String>,
    pub next: Vec<String>,
    pub after_next: Vec<String>,
    /// One-word periods of the current unit: "jahresende" -> end of this year.
    pub period_words: BTreeMap<String, (Unit, Part)>,
    pub parts: BTreeMap<Part, Vec<String>>,
    pub prepositions: Prepositions,
    /// Words skipped between the parts of an expression: "of", "the", "des", "den".
    pub fillers: Vec<String>,
    /// Words before which a bare number is a year: "jahr", "erst", "for".
    pub year_context: Vec<String>,
    /// Between the bounds of a range: "to", "bis", "und".
    pub range_joiners: Vec<String>,
    /// After an open-ended count: "plus", "oder mehr", "or more".
    pub open_ended: Vec<String>,
    /// After a day number: "st", "nd", "rd", "th".
    pub ordinal_suffixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitWords {
    pub day: Vec<String>,
    pub week: Vec<String>,
    pub month: Vec<String>,
    pub quarter: Vec<String>,
    pub half_year: Vec<String>,
    pub year: Vec<String>,
}

/// Words before an expression that change which instant of it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prepositions {
    /// "bis", "by", "until": a named month's start, other periods' end.
    pub deadline: Vec<String>,
    /// "before", "vor": the start (and "vor 2 Wochen" is in the past).
    pub before: Vec<String>,
    /// "ab", "from", "starting": the start.
    pub from: Vec<String>,
    /// "after", "nach": the end.
    pub after: Vec<String>,
    /// "in", "im", "within", "innerhalb", "am": the end.
    pub within: Vec<String>,
    /// "seit", "since": in the past.
    pub ago: Vec<String>,
    /// After a duration: "ago", "her".
    pub ago_after: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prep {
    Deadline,
    Before,
    From,
    After,
    Within,
    Ago,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Year,
    Half(u32),
    Quarter(u32),
    Month(u32),
    Months(u32, u32),
    Day(u32, u32),
    Week(u32),
}

enum Found {
    At(i64),
    Range(Date, Date),
    Named(Kind, Option<i32>),
    Past,
}

#[derive(Debug, Clone)]
pub(super) struct TimeTables {
    no_plan: Phrases,
    asap: Phrases,
    asap_days: i64,
    asap_alone: Phrases,
    numbers: Table<u32>,
    ordinals: Table<u32>,
    months: Table<(u32, bool)>,
    units: Table<Unit>,
    fixed: Table<u32>,
    seasons: Table<(u32, u32)>,
    quarter_letters: Phrases,
    half_letters: Phrases,
    half_words: Phrases,
    week_numbers: Phrases,
    relative: Table<i32>,
    period_words: Table<(Unit, Part)>,
    parts: Table<Part>,
    preps: Table<Prep>,
    ago_after: Phrases,
    fillers: Phrases,
    year_context: Phrases,
    joiners: Phrases,
    open_ended: Phrases,
    suffixes: Phrases,
}

impl TimeTables {
    pub(super) fn new(v: &TimeframeVocabulary) -> Self {
        let ctx: Vec<String> = v.months_needing_context.iter().map(|m| fold(m)).collect();
        let months = v.months.iter().zip(1..).flat_map(|(names, m)| names.iter().map(move |n| (n, m)));
        let u = &v.units;
        let units = [
            (&u.day, Unit::Day),
            (&u.week, Unit::Week),
            (&u.month, Unit::Month),
            (&u.quarter, Unit::Quarter),
            (&u.half_year, Unit::HalfYear),
            (&u.year, Unit::Year),
        ];
        let p = &v.prepositions;
        let preps = [
            (&p.deadline, Prep::Deadline),
            (&p.before, Prep::Before),
            (&p.from, Prep::From),
            (&p.after, Prep::After),
            (&p.within, Prep::Within),
            (&p.ago, Prep::Ago),
        ];
        let rel = [(&v.this, 0), (&v.next, 1), (&v.after_next, 2)];
        Self {
            no_plan: Phrases::new(&v.no_plan),
            asap: Phrases::new(&v.asap),
            asap_days: v.asap_days.into(),
            asap_alone: Phrases::new(&v.asap_alone),
            numbers: Table::new(v.number_words.iter().map(|(k, n)| (k, *n))),
            ordinals: Table::new(v.ordinal_words.iter().map(|(k, n)| (k, *n))),
            months: Table::new(months.map(|(n, m)| (n, (m, ctx.contains(&fold(n)))))),
            units: Table::new(units.into_iter().flat_map(|(l, u)| l.iter().map(move |w| (w, u)))),
            fixed: Table::new(v.fixed_months.iter().map(|(k, n)| (k, *n))),
            seasons: Table::new(v.seasons.iter().map(|(k, m)| (k, *m))),
            quarter_letters: Phrases::new(&v.quarter_letters),
            half_letters: Phrases::new(&v.half_letters),
            half_words: Phrases::new(&v.half_words),
            week_numbers: Phrases::new(&v.week_numbers),
            relative: Table::new(rel.into_iter().flat_map(|(l, o)| l.iter().map(move |w| (w, o)))),
            period_words: Table::new(v.period_words.iter().map(|(k, p)| (k, *p))),
            parts: Table::new(v.parts.iter().flat_map(|(p, l)| l.iter().map(move |w| (w, *p)))),
            preps: Table::new(preps.into_iter().flat_map(|(l, p)| l.iter().map(move |w| (w, p)))),
            ago_after: Phrases::new(&p.ago_after),
            fillers: Phrases::new(&v.fillers),
            year_context: Phrases::new(&v.year_context),
            joiners: Phrases::new(&v.range_joiners),
            open_ended: Phrases::new(&v.open_ended),
            suffixes: Phrases::new(&v.ordinal_suffixes),
        }
    }
}
