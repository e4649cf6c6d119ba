//! The waterfall report against a scenario: 300 leads from two sources over ten days
//! (across a month boundary) walk the funnel through the handlers. The test keeps its
//! own book of what it did — who entered which stage when, from where, and why leads
//! left — and the report must say exactly that, on both stores, as JSON and as SVG.

use std::collections::BTreeMap;
use std::sync::Arc;

use leadflow::forms::{Scheme, Source};
use leadflow::funnel::{bucket_upper, duration_bucket};
use leadflow::http::{route, App, Auth};
use leadflow::store::{InMemoryStore, LeadStore};
use leadflow::{ManualClock, Stage, Timestamp};
use leadflow_tests::http::{app, body_json, body_text, lead_view, request};
use leadflow_tests::{fresh_dynamo_store, openapi, CountFunnel};
use serde_json::{json, Value};

const HOUR: i64 = 3600;
/// 2026-11-25T08:00:00Z: the scenario runs ten days, into December.
const START: i64 = 1_795_564_800 + 8 * HOUR;
const FORM: &str = "application/x-www-form-urlencoded";

fn day(t: i64) -> String {
    leadflow::funnel::Day::of(Timestamp::from_unix(t)).to_string()
}

/// The test's own book: per (day, source), what entered, how fast, why leads left.
#[derive(Default)]
struct Book {
    entered: BTreeMap<(String, String, Stage), u64>,
    velocity: BTreeMap<(String, String, Stage), Vec<i64>>,
    left: BTreeMap<(String, String, Stage, String), u64>,
}

impl Book {
    fn enter(&mut self, t: i64, source: &str, stage: Stage) {
        *self.entered.entry((day(t), source.into(), stage)).or_default() += 1;
    }
    fn moved(&mut self, t: i64, source: &str, stage: Stage, since: i64) {
        self.enter(t, source, stage);
        self.velocity.entry((day(t), source.into(), stage)).or_default().push(t - since);
    }
    fn leave(&mut self, t: i64, source: &str, stage: Stage, reason: &str) {
        self.enter(t, source, stage);
        *self.left.entry((day(t), source.into(), stage, reason.into())).or_default() += 1;
    }

    /// The report the book says `GET /funnel` must give, computed here by hand.
    fn expected(&self, from: &str, to: &str, source: Option<&str>) -> Value {
        let keep = |d: &str, s: &str| d >= from && d <= to && source.is_none_or(|x| x == s);
        let waterfall = |only: Option<&str>| {
            let keep = |d: &str, s: &str| keep(d, s) && only.is_none_or(|x| x == s);
            let mut stages = Vec::new();
            let mut above: Option<u64> = None;
            for stage in [Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Sal] {
                let entered: u64 = self
                    .entered
                    .iter()
                    .filter(|((d, s, st), _)| keep(d, s) && *st == stage)
                    .map(|(_, n)| n)
                    .sum();
                let mut seconds: Vec<i64> = self
                    .velocity
                    .iter()
                    .filter(|((d, s, st), _)| keep(d, s) && *st == stage)
                    .flat_map(|(_, v)| v.clone())
                    .collect();
                seconds.sort_unstable();
                // The report gives the bound of the duration bucket the median falls in.
                let median = if seconds.is_empty() {
                    json!(null)
                } else {
                    json!(bucket_upper(duration_bucket(seconds[(seconds.len() - 1) / 2])))
                };
                let conversion = match above {
                    Some(a) if a > 0 => json!(((entered as f64 / a as f64) * 10_000.0).round() / 10_000.0),
                    _ => json!(null),
                };
                stages.push(json!({ "stage": stage, "entered": entered, "conversion": conversion,
                                    "median_seconds": median, "moves": seconds.len() }));
                above = Some(entered);
            }
            let mut reasons: BTreeMap<(Stage, String), u64> = BTreeMap::new();
            for ((d, s, stage, reason), n) in &self.left {
                if keep(d, s) {
                    *reasons.entry((*stage, reason.clone())).or_default() += n;
                }
            }
            let mut left: Vec<(Stage, String, u64)> =
                reasons.into_iter().map(|((st, r), n)| (st, r, n)).collect();
            left.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, &a.1).cmp(&(b.0, &b.1))));
            let left: Vec<Value> =
                left.into_iter().map(|(st, r, n)| json!({ "stage": st, "reason": r, "count": n })).collect();
            (stages, left)
        };
        let (stages, left) = waterfall(None);
        let mut sources = serde_json::Map::new();
        for name in ["fair", "web"] {
            if self.entered.keys().any(|(d, s, _)| s == name && keep(d, s)) {
                let (stages, left) = waterfall(Some(name));
                sources.insert(name.into(), json!({ "stages": stages, "left": left }));
            }
        }
        json!({ "from": from, "to": to, "source": source, "stages": stages, "left": left, "sources": sources })
    }
}

/// Lead `i`'s form: a managing director; a buyer says when and that they decide.
fn form(i: usize, buyer: bool) -> String {
    let mut f = format!(
        "E-Mail=person{i}%40firma{i}.de&Position=Gesch%C3%A4ftsf%C3%BChrer&Mitarbeiter=120&Land=Deutschland"
    );
    if buyer {
        f.push_str("&Kaufzeitraum=sofort&Budgetrolle=Entscheider&activity=demo_request");
    } else {
        f.push_str("&activity=newsletter");
    }
    f
}

async fn post<S: LeadStore>(app: &App<S>, path: &str, scopes: &[&str], ct: &str, body: &str) -> Value {
    let r = route(app, request("POST", path, Some(scopes), ct, body)).await;
    assert!(r.status().is_success(), "POST {path}: {} {}", r.status(), body_text(&r));
    body_json(&r)
}

/// Posts a form and reads the lead as sales sees it (the intake answer holds only its id).
async fn submit<S: LeadStore>(app: &App<S>, path: &str, body: &str) -> Value {
    let answer = post(app, path, &[], FORM, body).await;
    lead_view(app, answer["lead_id"].as_str().unwrap()).await
}

async fn scenario<S: LeadStore + CountFunnel>(mut app: App<S>) {
    app.sources.insert("fair", Source::new(Scheme::Unsigned, None));
    let clock = Arc::new(ManualClock::at(Timestamp::from_unix(START)));
    app.clock = clock.clone();
    let mut book = Book::default();
    // Every step of every lead, in time order: (at, lead, step).
    let mut steps: Vec<(i64, usize, u8)> = Vec::new();
    for i in 0..300 {
        let t0 = START + (i as i64 % 10) * 24 * HOUR + (i as i64 % 7) * HOUR;
        steps.push((t0, i, 0));
        match i % 6 {
            0 => steps.push((t0 + 50 * HOUR, i, 1)), // newsletter reader asks for a demo later
            2 | 4 | 5 => steps.push((t0 + (3 + i as i64 % 5) * HOUR, i, 1)), // the call
            _ => {}
        }
        if i % 6 == 2 || i % 6 == 4 {
            steps.push((t0 + (20 + i as i64 % 11) * HOUR, i, 2)); // sales decides
        }
    }
    steps.sort();
    let mut ids: BTreeMap<usize, (String, i64, i64)> = BTreeMap::new(); // id, created, entered current
    for (t, i, step) in steps {
        clock.set(Timestamp::from_unix(t));
        let source = if i % 5 == 0 { "fair" } else { "web" };
        let pattern = i % 6;
        match (pattern, step) {
            (0, 0) => {
                let lead = submit(&app, &format!("/intake/{source}"), &form(i, false)).await;
                assert_eq!(lead["stage"], "unqualified", "lead {i}");
                book.enter(t, source, Stage::Unqualified);
                ids.insert(i, (lead["id"].as_str().unwrap().into(), t, t));
            }
            (0, 1) => {
                let lead = submit(&app, &format!("/intake/{source}"), &form(i, true)).await;
                assert_eq!(lead["stage"], "mql", "lead {i}");
                let (_, created, _) = ids[&i];
                book.moved(t, source, Stage::Mql, created);
            }
            (_, 0) => {
                let lead = submit(&app, &format!("/intake/{source}"), &form(i, true)).await;
                assert_eq!(lead["stage"], "mql", "lead {i}");
                book.enter(t, source, Stage::Unqualified);
                book.moved(t, source, Stage::Mql, t);
                ids.insert(i, (lead["id"].as_str().unwrap().into(), t, t));
            }
            (_, 1) => {
                let (id, _, mql_at) = ids[&i].clone();
                let (body, stage, reason) = match pattern {
                    2 | 4 => (
                        r#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true,"timing":true}}"#,
                        "sql",
                        None,
                    ),
                    _ if i % 4 == 1 => (
                        r#"{"outcome":"not_ready","owner":"M. Weber","reason":"not_ready"}"#,
                        "nurture",
                        Some("not_ready"),
                    ),
                    _ => (
                        r#"{"outcome":"disqualified","owner":"M. Weber","reason":"competitor"}"#,
                        "disqualified",
                        Some("competitor"),
                    ),
                };
                let lead = post(
                    &app,
                    &format!("/leads/{id}/handover"),
                    &["leads/handover"],
                    "application/json",
                    body,
                )
                .await;
                assert_eq!(lead["stage"], stage, "lead {i}");
                match reason {
                    None => book.moved(t, source, Stage::Sql, mql_at),
                    Some(r) => book.leave(t, source, Stage::from_id(stage).unwrap(), r),
                }
                ids.get_mut(&i).unwrap().2 = t;
            }
            (_, 2) => {
                let (id, _, sql_at) = ids[&i].clone();
                let (body, stage) = if pattern == 2 {
                    (r#"{"decision":"accept","owner":"K. Braun","opportunity_id":"OPP-1"}"#, "sal")
                } else {
                    (r#"{"decision":"reject","owner":"K. Braun","reason":"no_budget"}"#, "nurture")
                };
                let path = format!("/leads/{id}/acceptance");
                let lead = post(&app, &path, &["leads/accept"], "application/json", body).await;
                assert_eq!(lead["stage"], stage);
                if pattern == 2 {
                    book.moved(t, source, Stage::Sal, sql_at);
                } else {
                    book.leave(t, source, Stage::Nurture, "no_budget");
                }
            }
            other => unreachable!("{other:?}"),
        }
    }

    // The events function counts from the table's stream (the embedded store as it writes).
    app.store.count_funnel().await;
    let doc = openapi::document();
    let funnel = ["funnel/read"];
    for (from, to, source) in [
        ("2026-11-25", "2026-12-06", None),
        ("2026-11-27", "2026-12-01", None),
        ("2026-12-01", "2026-12-06", Some("fair")),
    ] {
        let query = match source {
            Some(s) => format!("/funnel?from={from}&to={to}&source={s}"),
            None => format!("/funnel?from={from}&to={to}"),
        };
        let r = route(&app, request("GET", &query, Some(&funnel), "", "")).await;
        assert_eq!(r.status(), 200, "{}", body_text(&r));
        let report = body_json(&r);
        openapi::check(&doc, "GET", "/funnel", 200, "application/json", &report);
        assert_eq!(report, book.expected(from, to, source), "{query}");
    }
    // The whole period: every lead entered once at the top.
    let r = route(&app, request("GET", "/funnel?from=2026-11-25&to=2026-12-06", Some(&funnel), "", "")).await;
    let report = body_json(&r);
    assert_eq!(report["stages"][0]["entered"], 300);
    assert_eq!(report["sources"]["fair"]["stages"][0]["entered"], 60);
    assert!(
        report["sources"]["fair"]["stages"][3]["entered"].as_u64() > Some(0),
        "every pattern at the fair"
    );

    // The chart: valid SVG, every stage with its count.
    let r = route(
        &app,
        request("GET", "/funnel.svg?from=2026-11-25&to=2026-12-06&lang=de", Some(&funnel), "", ""),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml; charset=utf-8");
    let text = body_text(&r);
    let svg = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not XML ({e}):\n{text}"));
    let root = svg.root_element();
    assert_eq!(
        (root.tag_name().name(), root.tag_name().namespace()),
        ("svg", Some("http://www.w3.org/2000/svg"))
    );
    for row in report["stages"].as_array().unwrap() {
        let (stage, entered) = (row["stage"].as_str().unwrap(), row["entered"].as_u64().unwrap().to_string());
        let group = root
            .descendants()
            .find(|n| n.attribute("class") == Some("stage") && n.attribute("data-stage") == Some(stage))
            .unwrap_or_else(|| panic!("no bar for {stage}"));
        let texts: Vec<&str> = group.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains(&entered.as_str()), "{stage}: {texts:?} lacks {entered}");
        let name = &app.scorer.sla().stages[&Stage::from_id(stage).unwrap()].de;
        assert!(texts.iter().any(|t| name.starts_with(t)), "{stage}: {texts:?} lacks its German name");
    }
    let conversions: Vec<String> = root
        .descendants()
        .filter(|n| n.attribute("class") == Some("conversion"))
        .map(|n| n.descendants().filter_map(|t| t.text()).collect::<Vec<_>>().join(" "))
        .collect();
    let mql_rate = report["stages"][1]["conversion"].as_f64().unwrap() * 100.0;
    assert!(conversions[0].contains(&format!("{mql_rate:.1} %")), "{conversions:?}");
}

#[tokio::test]
async fn the_waterfall_matches_the_book_in_memory() {
    scenario(app(InMemoryStore::new(), Auth::Scopes)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_waterfall_matches_the_book_on_dynamodb() {
    scenario(app(fresh_dynamo_store().await, Auth::Scopes)).await;
}
