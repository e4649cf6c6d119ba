//! The waterfall report: how many leads entered each stage, how fast they moved on, and
//! why they left. Counted as leads move, never by reading leads: every stored write
//! that carries new funnel events adds them to one small aggregate per day and source.
//!
//! A lead's funnel events are its creation (it entered `unqualified`) and each entry of
//! its history. The events function counts them off the request path, from the table's
//! change stream: each lead record adds the events of its new image beyond the lead's
//! fold mark ([`counted_before`], [`since`]), and moves the mark, in one conditional
//! write. A redelivered record finds the mark at or past it and adds nothing; a record
//! that was never counted is made up by the lead's next one.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use time::{Date, Duration, Month};

use crate::domain::clock::Timestamp;
use crate::domain::lead::Lead;
use crate::domain::stage::Stage;

/// The waterfall's stages, top to bottom, in the article's order.
pub const FUNNEL_STAGES: [Stage; 4] = [Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Sal];

/// The longest period one report covers (a query per month touched).
pub const MAX_REPORT_DAYS: i64 = 366;

/// A UTC calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(Date);

impl Day {
    pub fn of(t: Timestamp) -> Day {
        let days = t.unix().div_euclid(86_400);
        Day(Date::from_calendar_date(1970, Month::January, 1).expect("valid date") + Duration::days(days))
    }

    /// The days a report may name: a calendar a person plans in, and far from where the
    /// date arithmetic runs out (`9999-12-31` has no next month).
    pub const FIRST_YEAR: i32 = 1970;
    pub const LAST_YEAR: i32 = 2999;

    /// `YYYY-MM-DD` from [`Day::FIRST_YEAR`] to [`Day::LAST_YEAR`], nothing else.
    pub fn parse(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
            return None;
        }
        let year: i32 =
            text[0..4].parse().ok().filter(|y| (Self::FIRST_YEAR..=Self::LAST_YEAR).contains(y))?;
        let month = Month::try_from(text[5..7].parse::<u8>().ok()?).ok()?;
        let day: u8 = text[8..10].parse().ok()?;
        Date::from_calendar_date(year, month, day).ok().map(Day)
    }

    /// The first second of the day.
    pub fn start(self) -> Timestamp {
        Timestamp::from_unix(self.0.midnight().assume_utc().unix_timestamp())
    }

    pub fn next(self) -> Day {
        Day(self.0 + Duration::days(1))
    }

    /// Days from `self` to `later`, both counted (`d..=d` is 1).
    pub fn days_through(self, later: Day) -> i64 {
        (later.0 - self.0).whole_days() + 1
    }

    /// `YYYY-MM`: the month the day belongs to.
    pub fn month(self) -> String {
        format!("{:04}-{:02}", self.0.year(), self.0.month() as u8)
    }

    /// The first day of the next month.
    pub fn next_month(self) -> Day {
        let (year, month) = match self.0.month() {
            Month::December => (self.0.year() + 1, Month::January),
            m => (self.0.year(), m.next()),
        };
        Day(Date::from_calendar_date(year, month, 1).expect("the first of a month exists"))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), self.0.month() as u8, self.0.day())
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which aggregate a funnel event is counted in: the day it happened, the lead's source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bucket {
    pub day: Day,
    pub source: String,
}

/// What one bucket holds. No personal data: counts, durations, reason codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Leads that entered each stage.
    pub entered: BTreeMap<Stage, u64>,
    /// For each funnel stage after the first: how long leads took from entering the stage
    /// before it to entering this one, as counts per duration bucket ([`DURATION_BUCKETS`]):
    /// an aggregate stays the same size however many leads move.
    pub velocity: BTreeMap<Stage, BTreeMap<u8, u64>>,
    /// Moves to `nurture` or `disqualified`, by (stage moved to, reason code).
    pub left: BTreeMap<(Stage, String), u64>,
}

impl Tally {
    pub fn is_empty(&self) -> bool {
        self.entered.is_empty() && self.velocity.is_empty() && self.left.is_empty()
    }

    pub fn add(&mut self, other: &Tally) {
        for (stage, n) in &other.entered {
            *self.entered.entry(*stage).or_default() += n;
        }
        for (stage, buckets) in &other.velocity {
            let mine = self.velocity.entry(*stage).or_default();
            for (bucket, n) in buckets {
                *mine.entry(*bucket).or_default() += n;
            }
        }
        for (key, n) in &other.left {
            *self.left.entry(key.clone()).or_default() += n;
        }
    }
}

/// Upper bounds (seconds, inclusive) of the duration buckets of the funnel's velocity:
/// minutes to a year, finer where sales' response times lie. Longer goes in the last.
pub const DURATION_BUCKETS: [i64; 28] = [
    60,
    300,
    900,
    1_800,
    3_600,
    7_200,
    14_400,
    28_800,
    43_200,
    86_400,
    129_600,
    172_800,
    259_200,
    345_600,
    432_000,
    604_800,
    864_000,
    1_209_600,
    1_814_400,
    2_592_000,
    3_888_000,
    5_184_000,
    7_776_000,
    10_368_000,
    15_552_000,
    23_328_000,
    31_536_000,
    i64::MAX,
];

/// The bucket a duration falls in.
pub fn duration_bucket(seconds: i64) -> u8 {
    DURATION_BUCKETS.partition_point(|upper| *upper < seconds) as u8
}

/// The most a duration in the bucket can be: what the report shows for a median in it.
pub fn bucket_upper(bucket: u8) -> i64 {
    DURATION_BUCKETS.get(usize::from(bucket)).copied().unwrap_or(i64::MAX)
}

/// How many funnel events the lead has: its creation and each history entry.
pub fn event_count(lead: &Lead) -> u32 {
    1 + lead.history_folded + lead.history.len() as u32
}

/// How far the funnel has counted a lead: which life (its creation instant; an id comes
/// back when the same person is created again after an erasure) and how many of that
/// life's funnel events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldMark {
    pub life: Timestamp,
    pub through: u32,
}

/// How many of `new`'s funnel events are counted already. The lead's fold mark says so
/// for its life (and so a record never counted is made up now); without one (the mark
/// expired, two days after its last count) the image before the write does; an item the
/// request path counted itself, before the funnel moved to the stream, carries that
/// count as `funnel_mark` (`legacy`). `None`: the mark is on a later life, so `new` is an
/// old record of an erased lead and counts nothing.
pub fn counted_before(
    mark: Option<FoldMark>,
    legacy: Option<u32>,
    old: Option<&Lead>,
    new: &Lead,
) -> Option<u32> {
    let counted = match mark {
        Some(m) if m.life > new.created_at => return None,
        Some(m) if m.life == new.created_at => m.through,
        // This life was never counted: count it from its creation.
        Some(_) => 0,
        None => match old {
            Some(old) if old.created_at == new.created_at => event_count(old),
            _ => 0,
        },
    };
    Some(counted.max(legacy.unwrap_or(0)))
}

/// What counting `new` adds when `counted` of its funnel events are counted: every event
/// after those, so a write whose record was never counted (skipped, or aged out of the
/// stream) is counted with the lead's next one. `None`: no event after those. A fold
/// may add no tallies (a stage entered again the same day) and still moves the mark:
/// a mark left behind would count those events again once the history has moved on.
pub fn since(counted: u32, new: &Lead) -> Option<Fold> {
    let through = event_count(new);
    (counted < through).then(|| Fold { life: new.created_at, through, tallies: pending(counted, new) })
}

/// One write's share of the funnel: the new events of the lead `new` that the stored lead
/// before the write (`old`) did not have. A lead created again after its erasure (another
/// creation instant) starts a new life and counts from its creation.
pub fn between(old: Option<&Lead>, new: &Lead) -> Option<Fold> {
    let counted = match old {
        Some(old) if old.created_at == new.created_at => event_count(old),
        _ => 0,
    };
    since(counted, new)
}

/// What one count adds to the funnel, and the fold mark it moves the lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// The lead's creation instant: which life of the lead.
    pub life: Timestamp,
    /// How many funnel events the lead has after the write.
    pub through: u32,
    pub tallies: Vec<(Bucket, Tally)>,
}

impl Fold {
    pub fn mark(&self) -> FoldMark {
        FoldMark { life: self.life, through: self.through }
    }
}

/// The lead's funnel events after the first `counted`, by bucket.
pub fn pending(counted: u32, lead: &Lead) -> Vec<(Bucket, Tally)> {
    let mut out: BTreeMap<Bucket, Tally> = BTreeMap::new();
    let bucket = |at: Timestamp| Bucket { day: Day::of(at), source: lead.source.clone() };
    let mark = counted as usize;
    if mark == 0 {
        *out.entry(bucket(lead.created_at)).or_default().entered.entry(Stage::Unqualified).or_default() += 1;
    }
    // Folded moves were counted when they happened (a write adds at most a few moves).
    let first = mark.saturating_sub(1).saturating_sub(lead.history_folded as usize);
    for (i, t) in lead.history.iter().enumerate().skip(first) {
        // A person flipping answers cannot inflate the waterfall: a lead enters a stage at
        // most once a day as far as the funnel counts.
        let day = Day::of(t.at);
        if lead.history[..i].iter().any(|h| h.to == t.to && Day::of(h.at) == day) {
            continue;
        }
        let tally = out.entry(bucket(t.at)).or_default();
        match t.to {
            // Back to unqualified is not a new lead: the top of the funnel counts creations.
            Stage::Unqualified => {}
            Stage::Nurture | Stage::Disqualified => {
                *tally.left.entry((t.to, t.reason.as_str().to_owned())).or_default() += 1;
                *tally.entered.entry(t.to).or_default() += 1;
            }
            to => {
                *tally.entered.entry(to).or_default() += 1;
                let previous = FUNNEL_STAGES[FUNNEL_STAGES.iter().position(|s| *s == to).unwrap_or(1) - 1];
                if t.from == previous {
                    let entered_previous = lead.history[..i]
                        .iter()
                        .rev()
                        .find(|h| h.to == previous)
                        .map_or(lead.created_at, |h| h.at);
                    let bucket = duration_bucket(t.at.seconds_since(entered_previous));
                    *tally.velocity.entry(to).or_default().entry(bucket).or_default() += 1;
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The waterfall of one population (all leads, or one source).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waterfall {
    pub stages: Vec<StageRow>,
    /// Why leads left the funnel, most frequent first.
    pub left: Vec<LeaveRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    pub stage: Stage,
    /// Leads that entered the stage in the period.
    pub entered: u64,
    /// `entered` of this stage over `entered` of the stage above; `None` at the top or
    /// when nothing entered the stage above.
    pub conversion: Option<f64>,
    /// The median time from entering the stage above to entering this one, in seconds:
    /// the upper bound of the duration bucket that holds the median move (for an even
    /// count the lower middle one), so "at most"; `None` without moves.
    pub median_seconds: Option<i64>,
    /// How many moves that median is taken over.
    pub moves: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaveRow {
    pub stage: Stage,
    pub reason: String,
    pub count: u64,
}

/// The report for a period: overall and per source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: Day,
    pub to: Day,
    /// The source the report is limited to, if any.
    pub source: Option<String>,
    #[serde(flatten)]
    pub overall: Waterfall,
    pub sources: BTreeMap<String, Waterfall>,
}

impl Waterfall {
    pub fn of(tally: &Tally) -> Waterfall {
        let mut stages = Vec::with_capacity(FUNNEL_STAGES.len());
        let mut above: Option<u64> = None;
        for stage in FUNNEL_STAGES {
            let entered = tally.entered.get(&stage).copied().unwrap_or(0);
            let conversion = above.filter(|a| *a > 0).map(|a| round4(entered as f64 / a as f64));
            let buckets = tally.velocity.get(&stage);
            let moves: u64 = buckets.map_or(0, |b| b.values().sum());
            let median_seconds = (moves > 0).then(|| {
                let middle = (moves - 1) / 2;
                let mut seen = 0;
                let bucket = buckets
                    .into_iter()
                    .flatten()
                    .find(|(_, n)| {
                        seen += **n;
                        seen > middle
                    })
                    .map_or(u8::MAX, |(b, _)| *b);
                bucket_upper(bucket)
            });
            stages.push(StageRow { stage, entered, conversion, median_seconds, moves });
            above = Some(entered);
        }
        let mut left: Vec<LeaveRow> = tally
            .left
            .iter()
            .map(|((stage, reason), count)| LeaveRow { stage: *stage, reason: reason.clone(), count: *count })
            .collect();
        left.sort_by(|a, b| {
            b.count.cmp(&a.count).then_with(|| (a.stage, &a.reason).cmp(&(b.stage, &b.reason)))
        });
        Waterfall { stages, left }
    }
}

impl Report {
    /// The report over `rows` (the buckets of the period), limited to `source` if given.
    pub fn build(from: Day, to: Day, source: Option<&str>, rows: &[(Bucket, Tally)]) -> Report {
        let mut overall = Tally::default();
        let mut by_source: BTreeMap<String, Tally> = BTreeMap::new();
        for (bucket, tally) in rows {
            if bucket.day < from || bucket.day > to || source.is_some_and(|s| s != bucket.source) {
                continue;
            }
            overall.add(tally);
            by_source.entry(bucket.source.clone()).or_default().add(tally);
        }
        Report {
            from,
            to,
            source: source.map(str::to_owned),
            overall: Waterfall::of(&overall),
            sources: by_source.iter().map(|(s, t)| (s.clone(), Waterfall::of(t))).collect(),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::LeadId;
    use crate::domain::lead::Profile;
    use crate::domain::stage::Trigger;

    const T: i64 = 1_795_773_600; // 2026-11-27T10:00:00Z

    fn lead() -> Lead {
        Lead::new(LeadId::parse(&"a".repeat(32)).unwrap(), "web", Profile::default(), Timestamp::from_unix(T))
    }

    #[test]
    fn days_parse_strictly_and_know_their_month() {
        let d = Day::parse("2026-11-27").unwrap();
        assert_eq!(d, Day::of(Timestamp::from_unix(T)));
        assert_eq!(d.to_string(), "2026-11-27");
        assert_eq!(d.month(), "2026-11");
        assert_eq!(d.next_month().to_string(), "2026-12-01");
        assert_eq!(Day::parse("2026-12-31").unwrap().next_month().to_string(), "2027-01-01");
        assert_eq!(Day::parse("2026-12-31").unwrap().next().to_string(), "2027-01-01");
        assert_eq!(d.start().to_string(), "2026-11-27T00:00:00Z");
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-11-28",
            "2026-1-28",
            "2026/11/28",
            "",
            "2026-11-28T00",
            "9999-12-31",
            "1969-12-31",
            "0000-01-01",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
        assert_eq!(d.days_through(d), 1);
    }

    #[test]
    fn a_lead_counts_each_event_once_with_its_velocity() {
        let mut l = lead();
        let at = |h: i64| Timestamp::from_unix(T + h * 3600);
        l.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, at(1)).unwrap();
        let first = pending(0, &l);
        assert_eq!(first.len(), 1);
        let tally = &first[0].1;
        assert_eq!(tally.entered[&Stage::Unqualified], 1);
        assert_eq!(tally.entered[&Stage::Mql], 1);
        assert_eq!(tally.velocity[&Stage::Mql], BTreeMap::from([(duration_bucket(3600), 1)]));
        let counted = event_count(&l);
        assert!(pending(counted, &l).is_empty(), "counted events are not counted again");

        l.move_to(Stage::Sql, Trigger::Handover, "anna", "qualified", None, at(50)).unwrap();
        l.move_to(Stage::Nurture, Trigger::SlaTimer, "sla_timer", "sla_expired", None, at(300)).unwrap();
        let rest = pending(counted, &l);
        assert_eq!(rest.len(), 2, "two days: {rest:?}");
        let all = rest.iter().fold(Tally::default(), |mut a, (_, t)| {
            a.add(t);
            a
        });
        assert_eq!(all.entered.get(&Stage::Unqualified), None);
        assert_eq!(all.velocity[&Stage::Sql], BTreeMap::from([(duration_bucket(49 * 3600), 1)]));
        assert_eq!(all.left[&(Stage::Nurture, "sla_expired".to_owned())], 1);
    }

    #[test]
    fn flipping_answers_neither_grows_the_lead_nor_inflates_the_waterfall() {
        let mut l = lead();
        let at = |m: i64| Timestamp::from_unix(T + m * 60);
        // 400 flips on one day, written (and counted) after each, as intake does.
        let mut total = Tally::default();
        let mut counted = 0;
        for i in 0..400 {
            let (to, reason) =
                if i % 2 == 0 { (Stage::Mql, "mql_rule_met") } else { (Stage::Disqualified, "applicant") };
            if to == Stage::Mql && l.stage == Stage::Disqualified {
                l.move_to(
                    Stage::Unqualified,
                    Trigger::Scoring,
                    "scoring",
                    "disqualifier_no_longer_holds",
                    None,
                    at(i),
                )
                .unwrap();
            }
            l.move_to(to, Trigger::Scoring, "scoring", reason, None, at(i)).unwrap();
            for (_, t) in pending(counted, &l) {
                total.add(&t);
            }
            counted = event_count(&l);
        }
        assert_eq!(l.history.len(), crate::domain::lead::MAX_HISTORY);
        // 1 + 200 flips out + 199 flips back in two moves each.
        assert_eq!(l.history_folded as usize + l.history.len(), 599, "every move is accounted for");
        assert_eq!(total.entered[&Stage::Unqualified], 1);
        assert_eq!(total.entered[&Stage::Mql], 1, "one MQL a day, however often it flips");
        assert_eq!(total.entered[&Stage::Disqualified], 1);
        assert_eq!(total.left[&(Stage::Disqualified, "applicant".to_owned())], 1);
        // The next day counts again.
        let next_day = Timestamp::from_unix(T + 86_400);
        l.move_to(
            Stage::Unqualified,
            Trigger::Scoring,
            "scoring",
            "disqualifier_no_longer_holds",
            None,
            next_day,
        )
        .unwrap();
        l.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, next_day).unwrap();
        let next: Vec<_> = pending(counted, &l);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].1.entered[&Stage::Mql], 1);
    }

    #[test]
    fn a_write_adds_what_its_new_image_has_beyond_its_old_one() {
        let created = lead();
        let first = between(None, &created).unwrap();
        assert_eq!((first.life, first.through), (created.created_at, 1));
        assert_eq!(first.tallies[0].1.entered[&Stage::Unqualified], 1);

        let mut moved = created.clone();
        moved
            .move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, moved.created_at)
            .unwrap();
        let second = between(Some(&created), &moved).unwrap();
        assert_eq!(second.through, 2);
        assert_eq!(second.tallies.len(), 1);
        assert_eq!(second.tallies[0].1.entered.get(&Stage::Unqualified), None, "the creation was counted");
        assert_eq!(second.tallies[0].1.entered[&Stage::Mql], 1);

        assert_eq!(between(Some(&moved), &moved), None, "a write without a move adds nothing");

        // The same person after an erasure: another life, counted from its creation.
        let later = Lead::new(created.id.clone(), "web", Profile::default(), Timestamp::from_unix(T + 60));
        let reborn = between(Some(&moved), &later).unwrap();
        assert_eq!((reborn.life, reborn.through), (later.created_at, 1));
        assert_eq!(reborn.tallies[0].1.entered[&Stage::Unqualified], 1);
    }

    #[test]
    fn a_count_starts_after_the_mark_of_the_same_life() {
        let mut l = lead();
        l.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, l.created_at).unwrap();
        let same = |through| Some(FoldMark { life: l.created_at, through });
        let before = lead();
        assert_eq!(counted_before(None, None, None, &l), Some(0));
        assert_eq!(counted_before(None, None, Some(&before), &l), Some(1), "no mark: the old image");
        assert_eq!(counted_before(same(0), None, Some(&before), &l), Some(0), "the mark: a gap made up");
        assert_eq!(counted_before(same(1), None, None, &l), Some(1));
        assert_eq!(counted_before(same(1), Some(2), None, &l), Some(2), "counted by the request path before");
        let earlier = Some(FoldMark { life: Timestamp::from_unix(T - 60), through: 9 });
        assert_eq!(counted_before(earlier, None, Some(&before), &l), Some(0), "an erased life's mark");
        let later = Some(FoldMark { life: Timestamp::from_unix(T + 60), through: 1 });
        assert_eq!(counted_before(later, None, None, &l), None, "an old record of an erased lead");
        // A record never counted (the mark at the creation) is made up by the next one.
        let made_up = since(1, &l).unwrap();
        assert_eq!(made_up.tallies[0].1.entered[&Stage::Mql], 1);
        assert_eq!(made_up.mark(), FoldMark { life: l.created_at, through: 2 });
        assert_eq!(since(2, &l), None);
        // The MQL entered again the same day adds no tallies, and still moves the mark.
        let mut again = l.clone();
        again
            .move_to(
                Stage::Unqualified,
                Trigger::Scoring,
                "scoring",
                "disqualifier_no_longer_holds",
                None,
                l.created_at,
            )
            .unwrap();
        again.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, l.created_at).unwrap();
        let quiet = since(2, &again).unwrap();
        assert!(quiet.tallies.iter().all(|(_, t)| !t.entered.contains_key(&Stage::Mql)), "{quiet:?}");
        assert_eq!(quiet.through, 4);
    }

    #[test]
    fn durations_fall_in_fixed_buckets() {
        assert_eq!(duration_bucket(0), 0);
        assert_eq!(duration_bucket(60), 0);
        assert_eq!(duration_bucket(61), 1);
        assert_eq!(bucket_upper(duration_bucket(3 * 3600)), 14_400);
        assert_eq!(bucket_upper(duration_bucket(400 * 86_400)), i64::MAX);
        assert!(DURATION_BUCKETS.windows(2).all(|w| w[0] < w[1]));
        for s in [1, 59, 60, 61, 3_599, 86_400, 1_000_000, i64::MAX] {
            let b = duration_bucket(s);
            assert!(s <= bucket_upper(b) && (b == 0 || s > bucket_upper(b - 1)), "{s}");
        }
    }

    #[test]
    fn the_waterfall_converts_stage_over_stage() {
        let mut t = Tally::default();
        t.entered.extend([(Stage::Unqualified, 200), (Stage::Mql, 50), (Stage::Sql, 20), (Stage::Sal, 0)]);
        // Four moves: 40 s, 10 min, 3 h and 2 days.
        let buckets = [40, 600, 3 * 3600, 2 * 86_400].map(duration_bucket);
        t.velocity.insert(Stage::Mql, buckets.iter().map(|b| (*b, 1)).collect());
        let w = Waterfall::of(&t);
        assert_eq!(w.stages[0].conversion, None);
        assert_eq!(w.stages[1].conversion, Some(0.25));
        assert_eq!(w.stages[2].conversion, Some(0.4));
        assert_eq!(w.stages[3].conversion, Some(0.0));
        // The lower middle move (10 min) lies in the bucket up to 15 min.
        assert_eq!(w.stages[1].median_seconds, Some(900), "lower middle of an even count, as a bound");
        assert_eq!(w.stages[1].moves, 4);
        assert_eq!(w.stages[2].median_seconds, None);
    }
}
