use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

use super::{check, reader};
use crate::domain::reading::Timeframe::{self, NoPlan};

/// Friday, 27 November 2026, 10:00 UTC: when the answers below were given.
fn now() -> i64 {
    datetime!(2026-11-27 10:00 UTC).unix_timestamp()
}

fn by(at: i64) -> Option<Timeframe> {
    Some(Timeframe::By { at })
}

/// The last second of a day.
fn end(d: Date) -> Option<Timeframe> {
    by(d.midnight().assume_utc().unix_timestamp() + 86_399)
}

/// The first second of a day.
fn start(d: Date) -> Option<Timeframe> {
    by(d.midnight().assume_utc().unix_timestamp())
}

fn at(t: OffsetDateTime) -> Option<Timeframe> {
    by(t.unix_timestamp())
}

#[test]
fn asap_and_relative_periods() {
    let asap = by(now() + 14 * 86_400);
    check(
        &[
            ("ASAP", asap),
            ("asap", asap),
            ("sofort", asap),
            ("ab sofort", asap),
            ("umgehend", asap),
            ("zeitnah", asap),
            ("immediately", asap),
            ("so schnell wie möglich", asap),
            ("urgent", asap),
            ("Now", asap),
            ("this week", end(date!(2026 - 11 - 29))),
            ("diese Woche", end(date!(2026 - 11 - 29))),
            ("next week", end(date!(2026 - 12 - 06))),
            ("nächste Woche", end(date!(2026 - 12 - 06))),
            ("this month", end(date!(2026 - 11 - 30))),
            ("nächsten Monat", end(date!(2026 - 12 - 31))),
            ("next month", end(date!(2026 - 12 - 31))),
            ("this quarter", end(date!(2026 - 12 - 31))),
            ("dieses Quartal", end(date!(2026 - 12 - 31))),
            ("next quarter", end(date!(2027 - 03 - 31))),
            ("nächstes Quartal", end(date!(2027 - 03 - 31))),
            ("this year", end(date!(2026 - 12 - 31))),
            ("Ende des Jahres", end(date!(2026 - 12 - 31))),
            ("bis Jahresende", end(date!(2026 - 12 - 31))),
            ("end of the month", end(date!(2026 - 11 - 30))),
            ("next year", end(date!(2027 - 12 - 31))),
            ("nächstes Jahr", end(date!(2027 - 12 - 31))),
            ("Ende nächsten Jahres", end(date!(2027 - 12 - 31))),
        ],
        |t| reader().timeframe(t, now()),
    );
}

#[test]
fn durations_ranges_and_dropdowns() {
    let three_months = at(datetime!(2027-02-27 10:00 UTC));
    let six_months = at(datetime!(2027-05-27 10:00 UTC));
    let a_year = at(datetime!(2027-11-27 10:00 UTC));
    check(
        &[
            ("within 3 months", three_months),
            ("innerhalb von 3 Monaten", three_months),
            ("in the next 3 months", three_months),
            ("in den nächsten drei Monaten", three_months),
            ("in 2 Wochen", at(datetime!(2026-12-11 10:00 UTC))),
            ("in 10 days", at(datetime!(2026-12-07 10:00 UTC))),
            ("within a month", at(datetime!(2026-12-27 10:00 UTC))),
            ("in zwei Jahren", at(datetime!(2028-11-27 10:00 UTC))),
            ("innerhalb von zwölf Monaten", a_year),
            ("in einem Jahr", a_year),
            ("within one year", a_year),
            ("within twelve months", a_year),
            ("in five weeks", at(datetime!(2027-01-01 10:00 UTC))),
            ("in eins bis zwei Monaten", at(datetime!(2027-01-27 10:00 UTC))),
            ("a few weeks", at(datetime!(2026-12-18 10:00 UTC))),
            ("within 2-3 weeks", at(datetime!(2026-12-18 10:00 UTC))),
            ("3–6 Monate", six_months),
            ("3 to 6 months", six_months),
            ("3 bis 6 Monate", six_months),
            ("0-3 months", three_months),
            ("1-3 Monate", three_months),
            ("12+ months", a_year),
            ("> 12 Monate", a_year),
            ("mehr als ein Jahr", a_year),
            ("more than 12 months", a_year),
            ("within_3_months", three_months),
            ("less_than_3_months", three_months),
            ("6_12_months", a_year),
            ("12_plus_months", a_year),
            ("innerhalb_von_3_monaten", three_months),
            ("ein halbes Jahr", six_months),
            ("1,5 Jahre", at(datetime!(2028-05-27 10:00 UTC))),
        ],
        |t| reader().timeframe(t, now()),
    );
}

#[test]
fn named_periods_months_and_dates() {
    check(
        &[
            ("Q1 2027", end(date!(2027 - 03 - 31))),
            ("Q2/2027", end(date!(2027 - 06 - 30))),
            ("1. Quartal 2027", end(date!(2027 - 03 - 31))),
            ("first quarter of 2027", end(date!(2027 - 03 - 31))),
            ("H1 2027", end(date!(2027 - 06 - 30))),
            ("erstes Halbjahr 2027", end(date!(2027 - 06 - 30))),
            ("second half of 2027", end(date!(2027 - 12 - 31))),
            ("Q4", end(date!(2026 - 12 - 31))),
            ("Q1", end(date!(2027 - 03 - 31))),
            ("Ende Q2 2027", end(date!(2027 - 06 - 30))),
            ("im März", end(date!(2027 - 03 - 31))),
            ("bis April", start(date!(2027 - 04 - 01))),
            ("before April", start(date!(2027 - 04 - 01))),
            ("by March 2027", start(date!(2027 - 03 - 01))),
            ("by May", start(date!(2027 - 05 - 01))),
            ("Ende Januar", end(date!(2027 - 01 - 31))),
            ("Anfang März 2027", end(date!(2027 - 03 - 07))),
            ("mid-March", end(date!(2027 - 03 - 15))),
            ("Dezember", end(date!(2026 - 12 - 31))),
            ("bis 31.03.2027", end(date!(2027 - 03 - 31))),
            ("31.3.27", end(date!(2027 - 03 - 31))),
            ("2027-03-31", end(date!(2027 - 03 - 31))),
            ("15. Januar", end(date!(2027 - 01 - 15))),
            ("March 15th, 2027", end(date!(2027 - 03 - 15))),
            ("15 March 2027", end(date!(2027 - 03 - 15))),
            ("bis zum 20.12.", end(date!(2026 - 12 - 20))),
            ("KW 5 2027", end(date!(2027 - 02 - 07))),
            ("Sommer 2027", end(date!(2027 - 08 - 31))),
            ("im Frühjahr", end(date!(2027 - 05 - 31))),
            ("2027", end(date!(2027 - 12 - 31))),
            ("im Jahr 2027", end(date!(2027 - 12 - 31))),
            ("Ende 2027", end(date!(2027 - 12 - 31))),
            ("Budget erst 2028", end(date!(2028 - 12 - 31))),
            ("Wir möchten bis Ende Q2 2027 einführen.", end(date!(2027 - 06 - 30))),
            ("Demo next week please; we plan to buy in Q2 2027", end(date!(2026 - 12 - 06))),
        ],
        |t| reader().timeframe(t, now()),
    );
}

#[test]
fn no_plan_past_and_unrecognised() {
    check(
        &[
            ("just looking", Some(NoPlan)),
            ("just_looking", Some(NoPlan)),
            ("Ich möchte mich nur informieren", Some(NoPlan)),
            ("kein Bedarf", Some(NoPlan)),
            ("Kein konkretes Projekt", Some(NoPlan)),
            ("in absehbarer Zeit nicht", Some(NoPlan)),
            ("no project", Some(NoPlan)),
            ("bis 31.03.2025", None),
            ("Q1 2025", None),
            ("2024", None),
            ("im März 2026", None),
            ("vor 2 Wochen", None),
            ("2 weeks ago", None),
            ("letzten Monat", None),
            ("29.02.2027", None),
            ("", None),
            ("weiß nicht", None),
            ("unknown", None),
            ("We have 2000 employees", None),
            ("Version 3.5", None),
            ("Wir sind 50 Mitarbeiter", None),
            ("We may need it", None),
            ("Hallo, ich bin Jan", None),
        ],
        |t| reader().timeframe(t, now()),
    );
}

#[test]
fn leap_years_and_year_ends() {
    check(
        &[
            (("Ende Februar 2028", now()), end(date!(2028 - 02 - 29))),
            (("bis 29.02.2028", now()), end(date!(2028 - 02 - 29))),
            (("29.02.", now()), end(date!(2028 - 02 - 29))),
            (
                ("within 1 month", datetime!(2028-01-31 10:00 UTC).unix_timestamp()),
                at(datetime!(2028-02-29 10:00 UTC)),
            ),
            (
                ("in einem Jahr", datetime!(2028-02-29 10:00 UTC).unix_timestamp()),
                at(datetime!(2029-02-28 10:00 UTC)),
            ),
            (("Ende Dezember", datetime!(2026-12-10 09:00 UTC).unix_timestamp()), end(date!(2026 - 12 - 31))),
            (("im Dezember", datetime!(2026-12-31 23:00 UTC).unix_timestamp()), end(date!(2026 - 12 - 31))),
            (("Q4", datetime!(2026-12-31 12:00 UTC).unix_timestamp()), end(date!(2026 - 12 - 31))),
            (
                ("nächsten Monat", datetime!(2026-12-15 12:00 UTC).unix_timestamp()),
                end(date!(2027 - 01 - 31)),
            ),
            (
                ("nächstes Quartal", datetime!(2026-12-15 12:00 UTC).unix_timestamp()),
                end(date!(2027 - 03 - 31)),
            ),
            (("diese Woche", datetime!(2026-12-31 12:00 UTC).unix_timestamp()), end(date!(2027 - 01 - 03))),
            (("this year", datetime!(2026-12-31 23:59:59 UTC).unix_timestamp()), None),
        ],
        |(t, given)| reader().timeframe(t, given),
    );
}
