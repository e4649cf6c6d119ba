//! The grammar of time expressions, read over tokens: an optional prefix (prepositions,
//! "Anfang/Mitte/Ende", fillers) and then one core expression.

use super::calendar::{add, day_at, day_of, num, period, pick, relative, sym, tokens, year_at, DAY};
use super::{Found, Kind, Part, Prep, TimeTables, Timeframe, Unit};
use crate::domain::reading::{clean, fold, strip_links, words, Reader};

/// A core expression found in the text.
struct Hit {
    found: Found,
    end: usize,
    part: Option<Part>,
}

impl TimeTables {
    /// Prepositions, parts and fillers before an expression: "bis Ende", "by the end of".
    fn prefix(&self, t: &[String], i: usize) -> (Option<Prep>, Option<Part>, usize) {
        let (mut prep, mut part, mut j) = (None, None, i);
        for _ in 0..6 {
            if let Some((p, n)) = self.preps.at(t, j) {
                prep = prep.or(Some(p));
                j += n;
            } else if let Some((p, n)) = self.parts.at(t, j) {
                part = Some(p);
                j += n;
            } else if let Some(n) = self.fillers.longest_at(t, j) {
                j += n;
            } else if j > i && sym(t, j, "-") {
                j += 1;
            } else {
                break;
            }
        }
        (prep, part, j)
    }

    /// A count: digits, a decimal ("1,5"), or a number word ("zwei", "a").
    fn count(&self, t: &[String], i: usize) -> Option<(f64, usize)> {
        if let Some(n) = num(t, i) {
            if sym(t, i + 1, ",") || sym(t, i + 1, ".") {
                if let Some(f) = num(t, i + 2) {
                    return Some((f64::from(n) + f64::from(f) / 10f64.powi(t[i + 2].len() as i32), i + 3));
                }
            }
            return Some((f64::from(n), i + 1));
        }
        self.numbers.at(t, i).map(|(n, len)| (f64::from(n), i + len))
    }

    /// "3 Monate", "3–6 months" (the upper bound), "12+ months" (the lower), "6_12_months".
    fn duration(&self, t: &[String], i: usize) -> Option<(f64, Unit, usize)> {
        let (mut v, mut k) = self.count(t, i)?;
        let join = if sym(t, k, "-") || sym(t, k, "/") { Some(1) } else { self.joiners.longest_at(t, k) };
        if let Some((b, e)) = join.and_then(|n| self.count(t, k + n)) {
            (v, k) = (b, e);
        } else if let Some((b, e)) = self.count(t, k) {
            (v, k) = (b, e);
        }
        if sym(t, k, "+") {
            k += 1;
        } else if let Some(n) = self.open_ended.longest_at(t, k) {
            k += n;
        }
        k += self.fillers.longest_at(t, k).unwrap_or(0);
        let (unit, n) = self.units.at(t, k)?;
        Some((v, unit, k + n))
    }

    /// A year after an expression: "2027", "/2027", "/27", ", 2027", "of 2027".
    fn year_after(&self, t: &[String], k: usize) -> (Option<i32>, usize) {
        let (mut i, mut short) = (k, false);
        while i < k + 4 {
            if [",", "/", "-", "."].iter().any(|s| sym(t, i, s)) {
                short |= !sym(t, i, ",");
                i += 1;
            } else if let Some(n) = self.fillers.longest_at(t, i) {
                i += n;
            } else {
                break;
            }
        }
        year_at(t, i, short).map_or((None, k), |y| (Some(y), i + 1))
    }

    /// "Q1", "H2", "KW 14", "1. Quartal", "erstes Halbjahr", "first half", "Quartal 3".
    fn numbered_period(&self, t: &[String], j: usize) -> Option<(Kind, usize)> {
        let kind = |unit: Unit, n: u32| match unit {
            Unit::Quarter if (1..=4).contains(&n) => Some(Kind::Quarter(n)),
            Unit::HalfYear if (1..=2).contains(&n) => Some(Kind::Half(n)),
            Unit::Week if (1..=53).contains(&n) => Some(Kind::Week(n)),
            _ => None,
        };
        let lettered = [(&self.quarter_letters, Unit::Quarter), (&self.half_letters, Unit::HalfYear)];
        for (letters, unit) in lettered.into_iter().chain([(&self.week_numbers, Unit::Week)]) {
            if let Some(n) = letters.longest_at(t, j) {
                if let Some(k) = num(t, j + n).and_then(|q| kind(unit, q)) {
                    return Some((k, j + n + 1));
                }
            }
        }
        let ordinal = match num(t, j) {
            Some(n) if t[j].len() == 1 => {
                let k = j + 1 + usize::from(sym(t, j + 1, "."));
                Some((n, k + self.suffixes.longest_at(t, k).unwrap_or(0)))
            }
            _ => self.ordinals.at(t, j).map(|(n, len)| (n, j + len)),
        };
        if let Some((n, k)) = ordinal {
            let half = self.half_words.longest_at(t, k).map(|len| (Unit::HalfYear, len));
            let unit =
                half.or(self.units.at(t, k)).filter(|(u, _)| matches!(u, Unit::Quarter | Unit::HalfYear));
            if let Some((k2, len)) = unit.and_then(|(u, len)| kind(u, n).map(|k2| (k2, len))) {
                return Some((k2, k + len));
            }
        }
        let (unit, len) = self.units.at(t, j).filter(|(u, _)| matches!(u, Unit::Quarter))?;
        Some((kind(unit, num(t, j + len)?)?, j + len + 1))
    }

    /// Dates and months: "31.03.2027", "31.3.27", "2027-03-31", "15. Januar", "March 15th,
    /// 2027", "März 2027", "im März".
    fn date(&self, t: &[String], j: usize, context: bool) -> Option<(Found, usize)> {
        let named = |m: u32, d: Option<u32>, (y, end): (Option<i32>, usize)| {
            Some((Found::Named(d.map_or(Kind::Month(m), |d| Kind::Day(m, d)), y), end))
        };
        let month = |i: usize| num(t, i).filter(|m| (1..=12).contains(m) && t[i].len() <= 2);
        if let (Some(d), true, Some(m)) = (day_at(t, j), sym(t, j + 1, "."), month(j + 2)) {
            if sym(t, j + 3, ".") {
                let year = year_at(t, j + 4, true);
                return named(m, Some(d), (year, j + 4 + usize::from(year.is_some())));
            }
            if context {
                return named(m, Some(d), (None, j + 3));
            }
        }
        if let (Some(a), true, Some(b), true) =
            (day_at(t, j), sym(t, j + 1, "/"), day_at(t, j + 2), sym(t, j + 3, "/"))
        {
            let (d, m) = if b > 12 { (b, a) } else { (a, b) };
            if let (Some(y), true) = (year_at(t, j + 4, true), m <= 12) {
                return named(m, Some(d), (Some(y), j + 5));
            }
        }
        if let (Some(y), true, Some(m), true) =
            (year_at(t, j, false), sym(t, j + 1, "-"), month(j + 2), sym(t, j + 3, "-"))
        {
            return named(m, Some(day_at(t, j + 4)?), (Some(y), j + 5));
        }
        if let Some(d) = day_at(t, j) {
            let mut k = j + 1 + usize::from(sym(t, j + 1, "."));
            k += self.suffixes.longest_at(t, k).unwrap_or(0);
            k += self.fillers.longest_at(t, k).unwrap_or(0);
            let ((m, _), n) = self.months.at(t, k)?;
            return named(m, Some(d), self.year_after(t, k + n));
        }
        let ((m, needs_context), n) = self.months.at(t, j)?;
        if let Some(d) = day_at(t, j + n) {
            let e = j + n + 1 + self.suffixes.longest_at(t, j + n + 1).unwrap_or(0);
            return named(m, Some(d), self.year_after(t, e));
        }
        let (y, end) = self.year_after(t, j + n);
        if needs_context && !context && y.is_none() {
            return None;
        }
        named(m, None, (y, end))
    }

    /// One core expression at `j`; `i` is where its prefix began.
    fn core(
        &self,
        t: &[String],
        (i, j): (usize, usize),
        prep: Option<Prep>,
        part: Option<Part>,
        at: i64,
    ) -> Option<Hit> {
        let today = day_of(at)?;
        let hit = |found, end| Some(Hit { found, end, part });
        let range = |(s, e)| Found::Range(s, e);
        if let Some(n) = self.asap.longest_at(t, j) {
            return hit(Found::At(at.saturating_add(self.asap_days * DAY)), j + n);
        }
        if let Some((months, n)) = self.fixed.at(t, j) {
            return hit(Found::At(add(at, months.into(), Unit::Month)?), j + n);
        }
        if let Some((v, unit, end)) = self.duration(t, j) {
            let past =
                matches!(prep, Some(Prep::Before | Prep::Ago)) || self.ago_after.longest_at(t, end).is_some();
            return hit(if past { Found::Past } else { Found::At(add(at, v, unit)?) }, end);
        }
        if let Some((offset, n)) = self.relative.at(t, j) {
            if let Some((v, unit, end)) = self.duration(t, j + n) {
                return hit(Found::At(add(at, v, unit)?), end);
            }
            if let Some((unit, len)) = self.units.at(t, j + n) {
                return hit(range(relative(unit, offset, today)?), j + n + len);
            }
            let ((m, _), len) = self.months.at(t, j + n)?;
            return hit(Found::Named(Kind::Month(m), None), j + n + len);
        }
        let whole_unit = self.period_words.at(t, j).map(|((u, p), n)| (u, Some(p), n));
        let whole_unit = whole_unit.or_else(|| part.and(self.units.at(t, j)).map(|(u, n)| (u, part, n)));
        if let Some((unit, part, n)) = whole_unit {
            let (year, end) = self.year_after(t, j + n);
            let found = match year {
                Some(y) if unit == Unit::Year => Found::Named(Kind::Year, Some(y)),
                _ => range(relative(unit, 0, today)?),
            };
            return Some(Hit { found, end, part });
        }
        if let Some(((a, b), n)) = self.seasons.at(t, j) {
            let (year, end) = self.year_after(t, j + n);
            return hit(Found::Named(Kind::Months(a, b), year), end);
        }
        if let Some((kind, k)) = self.numbered_period(t, j) {
            let (year, end) = self.year_after(t, k);
            return hit(Found::Named(kind, year), end);
        }
        let context = prep.is_some() || part.is_some();
        if let Some((found, end)) = self.date(t, j, context) {
            return hit(found, end);
        }
        let y = year_at(t, j, false).filter(|y| *y <= today.year() + 15)?;
        let after_word = t.get(j + 1).and_then(|s| s.chars().next()).is_some_and(char::is_alphanumeric);
        let before = i > 0 && self.year_context.longest_at(t, i - 1).is_some();
        (context || before || !after_word).then(|| Hit {
            found: Found::Named(Kind::Year, Some(y)),
            end: j + 1,
            part,
        })
    }

    /// The instant a hit stands for, if it is still ahead.
    fn resolve(&self, hit: &Hit, prep: Option<Prep>, at: i64) -> Option<i64> {
        let month = |k: Kind| matches!(k, Kind::Month(_));
        let t = match hit.found {
            _ if prep == Some(Prep::Ago) => return None,
            Found::Past => return None,
            Found::At(t) => t,
            Found::Range(s, e) => pick((s, e), prep, hit.part, false)?,
            Found::Named(kind, Some(y)) => pick(period(kind, y)?, prep, hit.part, month(kind))?,
            Found::Named(kind, None) => {
                let y0 = day_of(at)?.year();
                let mut next =
                    (y0..=y0 + 8).filter_map(|y| pick(period(kind, y)?, prep, hit.part, month(kind)));
                return next.find(|&t| t > at);
            }
        };
        (t > at).then_some(t)
    }
}

impl Reader {
    /// The purchase timeframe in an answer or a message given at `at_unix`: the earliest
    /// instant ahead that the text names, or no plan; `None` when nothing is recognised or
    /// everything named is past.
    pub fn timeframe(&self, text: &str, at_unix: i64) -> Option<Timeframe> {
        let tt = &self.timeframe;
        let cleaned = clean(&strip_links(&fold(text)));
        let w = words(&cleaned);
        if tt.no_plan.any(&w) {
            return Some(Timeframe::NoPlan);
        }
        if tt.asap_alone.longest_at(&w, 0).is_some_and(|n| n == w.len()) {
            return Some(Timeframe::By { at: at_unix.saturating_add(tt.asap_days * DAY) });
        }
        let t = tokens(&cleaned);
        let (mut best, mut i): (Option<i64>, usize) = (None, 0);
        while i < t.len() {
            let (prep, part, j) = tt.prefix(&t, i);
            match tt.core(&t, (i, j), prep, part, at_unix) {
                Some(hit) => {
                    if let Some(x) = tt.resolve(&hit, prep, at_unix) {
                        best = Some(best.map_or(x, |b| b.min(x)));
                    }
                    i = hit.end.max(i + 1);
                }
                None => i += 1,
            }
        }
        best.map(|at| Timeframe::By { at })
    }
}
