//! 180 days in the life of 200 leads, on both stores: steady buyers that sales takes on,
//! leads that cool off, leads that come back, SQLs nobody decides on, and newsletter
//! readers. Every day the scheduled requalification runs; it must read exactly the due
//! leads, leave every lead settled, and change nothing when run again.

use leadflow::intake::{apply_submission, RetryPolicy, Submission};
use leadflow::lead::Confirmation;
use leadflow::requalify::run_due;
use leadflow::store::dynamodb::RequestCounter;
use leadflow::store::{InMemoryStore, LeadStore};
use leadflow::{Scorer, Sla, Stage, Timestamp, Trigger};
use leadflow_tests::{all_leads, fresh_dynamo_store_counted, id_key, SubmissionBuilder};

const T0: Timestamp = Timestamp::from_unix(1_780_000_000);
const PER_PATTERN: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pattern {
    /// Engaged every week; inside sales calls the next day, sales accepts the day after.
    SteadyHandled,
    /// Qualifies on engagement, then goes quiet and cools below the MQL rule.
    CoolsOff,
    /// Cools off, then comes back on day 100 and requalifies; nobody calls this time.
    Reactivates,
    /// Handed over on day 1, then sales never decides.
    IgnoredSql,
    /// Reads the newsletter: never qualifies, never due.
    Newsletter,
}

const PATTERNS: [Pattern; 5] = [
    Pattern::SteadyHandled,
    Pattern::CoolsOff,
    Pattern::Reactivates,
    Pattern::IgnoredSql,
    Pattern::Newsletter,
];

/// The default SLA with a longer call window, so cooling off shows before the call SLA.
fn scorer() -> Scorer {
    let mut sla = Sla::default_sla();
    sla.response.mql_call_within_hours = 1000;
    sla.response.mql_grace_hours = 240;
    sla.response.sql_decision_within_hours = 120;
    sla.response.sql_grace_hours = 48;
    Scorer::new(sla)
}

fn email(p: Pattern, i: usize) -> String {
    format!("{:?}-{i}@nordwind-logistik.de", p).to_lowercase()
}

fn submission(p: Pattern, i: usize, activity: &str, at: Timestamp) -> Submission {
    let s = SubmissionBuilder::new(&email(p, i)).at(at).activity(activity);
    match p {
        Pattern::SteadyHandled | Pattern::IgnoredSql => s.buyer(),
        // Back on day 100 with a budget and a date: stays qualified until the call SLA runs out.
        Pattern::Reactivates if at >= T0.plus_days(100) => s
            .job_title("Head of Operations")
            .purchase_timeframe("within_3_months")
            .budget_role("decision_maker"),
        Pattern::CoolsOff | Pattern::Reactivates => {
            s.job_title("Head of Operations").purchase_timeframe("3_6_months").budget_role("influencer")
        }
        Pattern::Newsletter => s,
    }
    .build()
}

/// What each pattern does on day `d`.
fn activities(p: Pattern, d: i64) -> &'static [&'static str] {
    const BURST: &[&str] = &["contact_request", "pricing_page", "webinar"];
    match (p, d) {
        (Pattern::SteadyHandled | Pattern::IgnoredSql, 0) => &["demo_request"],
        (Pattern::SteadyHandled, d) if d % 7 == 0 => &["webinar"],
        (Pattern::CoolsOff | Pattern::Reactivates, 0) => BURST,
        (Pattern::Reactivates, 100) => BURST,
        (Pattern::Newsletter, d) if d % 14 == 0 => &["newsletter"],
        _ => &[],
    }
}

/// What sales does with a lead of `pattern` in `stage` today.
fn sales_move(p: Pattern, stage: Stage, d: i64) -> Option<(Stage, Trigger, &'static str)> {
    match (p, stage) {
        (Pattern::SteadyHandled, Stage::Mql) => Some((Stage::Sql, Trigger::Handover, "qualified_in_call")),
        (Pattern::SteadyHandled, Stage::Sql) => Some((Stage::Sal, Trigger::Acceptance, "accepted_by_sales")),
        (Pattern::IgnoredSql, Stage::Mql) if d == 1 => {
            Some((Stage::Sql, Trigger::Handover, "qualified_in_call"))
        }
        _ => None,
    }
}

async fn simulate<S: LeadStore>(store: S, counter: Option<RequestCounter>) {
    let scorer = scorer();
    for d in 0..=180i64 {
        let now = T0.plus_days(d).plus_seconds(12 * 3600);
        for p in PATTERNS {
            for i in 0..PER_PATTERN {
                for a in activities(p, d) {
                    apply_submission(
                        &store,
                        &scorer,
                        &id_key(),
                        &submission(p, i, a, now),
                        RetryPolicy::default(),
                    )
                    .await
                    .unwrap();
                }
            }
        }
        // Sales works its queue: calls MQLs, decides on SQLs.
        for lead in all_leads(&store).await {
            let p = PATTERNS
                .into_iter()
                .find(|p| lead.profile.email.starts_with(&format!("{p:?}-").to_lowercase()))
                .unwrap();
            if let Some((to, trigger, reason)) = sales_move(p, lead.stage, d) {
                let mut next = lead.clone();
                next.move_to(to, trigger, "sales", reason, None, now).unwrap();
                next.confirmation = Some(Confirmation { need: true, authority: true, timing: true });
                scorer.refresh(&mut next, now).unwrap();
                next.version += 1;
                store.put(&next).await.unwrap();
            }
        }

        let before = all_leads(&store).await;
        let due = before.iter().filter(|l| l.due_at.is_some_and(|t| t <= now)).count() as u64;
        if let Some(c) = &counter {
            c.reset();
        }
        let report = run_due(&store, &scorer, now).await.unwrap();
        assert_eq!(report.read, due, "day {d}: the run reads exactly the due leads");
        if let Some(c) = &counter {
            assert_eq!(c.counts().get("Scan"), None, "day {d}: the run never scans");
        }
        let again = run_due(&store, &scorer, now).await.unwrap();
        assert_eq!(
            (again.read, again.written, again.transitions),
            (0, 0, 0),
            "day {d}: a rerun changes nothing"
        );

        for lead in all_leads(&store).await {
            assert!(lead.due_at.is_none_or(|t| t > now), "day {d}: {} still due", lead.profile.email);
            let mut settled = lead.clone();
            scorer.refresh(&mut settled, now).unwrap();
            assert_eq!(
                (settled.stage, settled.history.len(), settled.due_at, settled.sla_breached_at),
                (lead.stage, lead.history.len(), lead.due_at, lead.sla_breached_at),
                "day {d}: {} was not brought up to date",
                lead.profile.email
            );
        }
    }

    let leads = all_leads(&store).await;
    assert_eq!(leads.len(), PATTERNS.len() * PER_PATTERN);
    for lead in leads {
        let moves: Vec<(Stage, &str)> = lead.history.iter().map(|t| (t.to, t.reason.as_str())).collect();
        let p = PATTERNS
            .into_iter()
            .find(|p| lead.profile.email.starts_with(&format!("{p:?}-").to_lowercase()))
            .unwrap();
        let expected: &[(Stage, &str)] = match p {
            Pattern::SteadyHandled => &[
                (Stage::Mql, "mql_rule_met"),
                (Stage::Sql, "qualified_in_call"),
                (Stage::Sal, "accepted_by_sales"),
            ],
            Pattern::CoolsOff => &[(Stage::Mql, "mql_rule_met"), (Stage::Nurture, "below_mql_rule")],
            Pattern::Reactivates => &[
                (Stage::Mql, "mql_rule_met"),
                (Stage::Nurture, "below_mql_rule"),
                (Stage::Mql, "mql_rule_met"),
                (Stage::Nurture, "sla_expired"),
            ],
            Pattern::IgnoredSql => &[
                (Stage::Mql, "mql_rule_met"),
                (Stage::Sql, "qualified_in_call"),
                (Stage::Nurture, "sla_expired"),
            ],
            Pattern::Newsletter => &[],
        };
        assert_eq!(moves, expected, "{p:?}: {}", lead.profile.email);
        // The moves happen when they are due, not merely some time later.
        let day = |i: usize| (lead.history[i].at.seconds_since(T0) as f64 / 86_400.0).floor() as i64;
        match p {
            Pattern::CoolsOff => assert!((20..=45).contains(&day(1)), "cooled off on day {}", day(1)),
            Pattern::Reactivates => {
                assert_eq!(day(2), 100);
                // 1000 h to call, then 240 h grace: recycled on the run after 1240 h.
                assert_eq!(day(3), 100 + 1240 / 24 + 1);
            }
            Pattern::IgnoredSql => assert_eq!(day(2), 1 + (120 + 48) / 24),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_180_day_life_on_the_memory_store() {
    simulate(InMemoryStore::new(), None).await;
}

#[tokio::test]
async fn a_180_day_life_on_dynamodb() {
    let counter = RequestCounter::default();
    let store = fresh_dynamo_store_counted(Some(counter.clone())).await;
    simulate(store, Some(counter)).await;
}
