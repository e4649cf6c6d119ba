//! Calendar arithmetic (UTC, whole days) and the tokens time expressions are read from.

use time::{Date, Month};

use super::{Kind, Part, Prep, Unit};

/// Tokens: runs of letters, runs of digits, and the symbols that matter in dates and ranges.
pub(super) fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let (mut out, mut i) = (Vec::new(), 0);
    let digit = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_digit());
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && chars[i].is_alphanumeric()
                && chars[i].is_ascii_digit() == c.is_ascii_digit()
            {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
            continue;
        }
        let prev = chars[..i].iter().rev().find(|c| !c.is_whitespace());
        let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
        let glued_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let keep = match c {
            '+' | '>' | '<' | '≥' | '≤' => true,
            '.' => glued_digit,
            ',' => glued_digit && digit(chars.get(i + 1)),
            '-' | '–' | '—' | '/' => digit(prev) || digit(next),
            _ => false,
        };
        if keep {
            out.push(if matches!(c, '–' | '—') { "-".to_owned() } else { c.to_string() });
        }
        i += 1;
    }
    out
}

pub(super) fn num(t: &[String], i: usize) -> Option<u32> {
    let s = t.get(i)?;
    (s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

pub(super) fn sym(t: &[String], i: usize, s: &str) -> bool {
    t.get(i).is_some_and(|x| x == s)
}

/// A year: four digits (1900–2199), or two after a date separator ("31.3.27", "Q1/27").
pub(super) fn year_at(t: &[String], i: usize, short: bool) -> Option<i32> {
    let n = i32::try_from(num(t, i)?).ok()?;
    match t[i].len() {
        4 if (1900..=2199).contains(&n) => Some(n),
        2 if short => Some(2000 + n),
        _ => None,
    }
}

/// A day of the month: one or two digits, 1–31.
pub(super) fn day_at(t: &[String], i: usize) -> Option<u32> {
    num(t, i).filter(|d| (1..=31).contains(d) && t[i].len() <= 2)
}

pub(super) const DAY: i64 = 86_400;

pub(super) fn date(y: i32, m: u32, d: u32) -> Option<Date> {
    Date::from_calendar_date(y, Month::try_from(u8::try_from(m).ok()?).ok()?, u8::try_from(d).ok()?).ok()
}

pub(super) fn month_end(y: i32, m: u32) -> Option<Date> {
    date(y, m, Month::try_from(u8::try_from(m).ok()?).ok()?.length(y).into())
}

pub(super) fn start_of(d: Date) -> i64 {
    (i64::from(d.to_julian_day()) - 2_440_588) * DAY
}

pub(super) fn end_of(d: Date) -> i64 {
    start_of(d) + DAY - 1
}

pub(super) fn plus_days(d: Date, n: i64) -> Option<Date> {
    Date::from_julian_day(i32::try_from(i64::from(d.to_julian_day()) + n).ok()?).ok()
}

pub(super) fn plus_months(d: Date, n: i32) -> Option<Date> {
    let index = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + n;
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    date(y, m, u32::from(d.day()).min(month_end(y, m)?.day().into()))
}

/// The first and last day of a named period in a year.
pub(super) fn period(kind: Kind, y: i32) -> Option<(Date, Date)> {
    let months = |a: u32, b: u32| Some((date(y, a, 1)?, month_end(y, b)?));
    match kind {
        Kind::Year => months(1, 12),
        Kind::Half(h) => months(h * 6 - 5, h * 6),
        Kind::Quarter(q) => months(q * 3 - 2, q * 3),
        Kind::Month(m) => months(m, m),
        Kind::Months(a, b) => months(a, b),
        Kind::Day(m, d) => date(y, m, d).map(|d| (d, d)),
        Kind::Week(w) => {
            let monday = Date::from_iso_week_date(y, u8::try_from(w).ok()?, time::Weekday::Monday).ok()?;
            Some((monday, plus_days(monday, 6)?))
        }
    }
}

/// The period of `unit` that contains `today`, moved by `offset` periods.
pub(super) fn relative(unit: Unit, offset: i32, today: Date) -> Option<(Date, Date)> {
    let span = match unit {
        Unit::Day => return plus_days(today, offset.into()).map(|d| (d, d)),
        Unit::Week => {
            let monday = plus_days(today, -i64::from(today.weekday().number_days_from_monday()))?;
            let first = plus_days(monday, 7 * i64::from(offset))?;
            return Some((first, plus_days(first, 6)?));
        }
        Unit::Month => 1,
        Unit::Quarter => 3,
        Unit::HalfYear => 6,
        Unit::Year => 12,
    };
    let m0 = (u32::from(u8::from(today.month())) - 1) / span * span + 1;
    let first = plus_months(date(today.year(), m0, 1)?, span as i32 * offset)?;
    let last = plus_months(first, span as i32 - 1)?;
    Some((first, month_end(last.year(), u8::from(last.month()).into())?))
}

/// The instant a period stands for, given the words before it.
pub(super) fn pick(
    (s, e): (Date, Date),
    prep: Option<Prep>,
    part: Option<Part>,
    named_month: bool,
) -> Option<i64> {
    let days = i64::from(e.to_julian_day() - s.to_julian_day()) + 1;
    match (part, prep) {
        (Some(Part::End), _) => Some(end_of(e)),
        (Some(Part::Start), _) => plus_days(s, (days / 4).max(1) - 1).map(end_of),
        (Some(Part::Mid), _) => plus_days(s, (days / 2).max(1) - 1).map(end_of),
        (None, Some(Prep::Before | Prep::From)) => Some(start_of(s)),
        (None, Some(Prep::Deadline)) if named_month => Some(start_of(s)),
        _ => Some(end_of(e)),
    }
}

/// The day an instant falls on.
pub(super) fn day_of(at: i64) -> Option<Date> {
    Date::from_julian_day(i32::try_from(at.div_euclid(DAY) + 2_440_588).ok()?).ok()
}

/// `at` plus a duration: calendar months (the day clamped to the month's length), then days.
pub(super) fn add(at: i64, count: f64, unit: Unit) -> Option<i64> {
    let (months, days) = match unit {
        Unit::Day => (0.0, count),
        Unit::Week => (0.0, 7.0 * count),
        Unit::Month => (count, 0.0),
        Unit::Quarter => (3.0 * count, 0.0),
        Unit::HalfYear => (6.0 * count, 0.0),
        Unit::Year => (12.0 * count, 0.0),
    };
    if !(0.0..=1200.0).contains(&months) || !(0.0..=36_500.0).contains(&days) {
        return None;
    }
    let whole = months.trunc();
    let days = days + (months - whole) * 30.0;
    let moved = plus_months(day_of(at)?, whole as i32)?;
    Some(start_of(moved) + at.rem_euclid(DAY) + days.round() as i64 * DAY)
}
