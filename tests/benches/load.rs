//! A load test (a benchmark, not a test): N clients for a fixed time against the local
//! server on DynamoDB Local, behind the fault proxy injecting throttling and lost answers
//! at a set rate, with mixed traffic: form posts (70 %), queue reads (20 %) and
//! hand-overs of seeded MQLs (10 %); the form posts come from 300 people, each posting
//! several times, at times from two clients at once. A form tool's retry is modelled: a 503 or 409 is
//! retried with the same `Idempotency-Key` after its `Retry-After` (shortened), up to
//! three times. It reports requests/s and p50/p99 per kind, and then proves from the
//! table, read past the proxy, that every accepted submission is there exactly once
//! (one lead per person, one activity per accepted submission, a refused one at most
//! once), that every hand-over moved its lead to SQL exactly once, that the table holds
//! nothing else, and that the funnel, counted from the table's stream by the events
//! function through the same faults while the load runs, holds exactly what the stored
//! leads' histories add up to. It exits non-zero when that proof fails.
//!
//! Run: `cargo bench -p leadflow-tests --bench load`. Settings (environment):
//! `LOAD_CLIENTS` (16), `LOAD_SECONDS` (20), `LOAD_FAULT_PER_MILLE` (20: 2 % of the
//! write and read operations throttled, 1 % of the writes' answers lost). Figures also
//! go to `$CARGO_TARGET_DIR/leadflow-bench/load.json`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leadflow::http::Auth;
use leadflow::store::LeadStore;
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow_infra::local_events::follow_stream;
use leadflow_infra::local_server::{serve, Tokens};
use leadflow_tests::fault_proxy::{direct, fresh_store_behind, Fault, FaultProxy};
use leadflow_tests::http::{app, call};
use leadflow_tests::CountFunnel;
use serde_json::{json, Value};

const SEEDED: usize = 400;
const TOKEN: &str = "Bearer load-token";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    FormPost,
    QueueRead,
    Handover,
}

/// One request's outcome (after the client's retries).
struct Sample {
    kind: Kind,
    status: u16,
    latency: Duration,
    attempts: u32,
}

/// A submission the server answered: its email, and whether it was accepted (202).
struct Submitted {
    email: String,
    accepted: bool,
}

/// People the form posts come from: each posts several times (returning persons, the
/// path that merges into an existing lead), sometimes from two clients at once.
const PEOPLE: u64 = 300;

fn buyer(email: &str, activity: &str) -> String {
    json!({
        "email": email, "first_name": "Anna", "company": "Nordwind Logistik GmbH",
        "job_title": "CEO", "company_size": "250", "country": "Deutschland",
        "activity": activity, "purchase_timeframe": "within_3_months",
        "budget_role": "decision_maker"
    })
    .to_string()
}

/// Sends until an answer that is not "try again", as a form tool or a sales tool would.
fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, u32) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (status, head, answer) = call(addr, method, path, headers, body.as_bytes());
        // Only an answer with Retry-After invites a retry (503, and 409 for contention).
        if !head.to_ascii_lowercase().contains("\r\nretry-after:") || attempts == 4 {
            return (status, answer, attempts);
        }
        // Retry-After is 1-2 s; a load test shortens it to keep the clients busy.
        std::thread::sleep(Duration::from_millis(50 * u64::from(attempts)));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let clients = setting("LOAD_CLIENTS", 16) as usize;
    let seconds = setting("LOAD_SECONDS", 20);
    let per_mille = setting("LOAD_FAULT_PER_MILLE", 20);

    // The server: its own runtime, DynamoDB Local behind the fault proxy.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (proxy, store) = runtime.block_on(async {
        let proxy = FaultProxy::start(&leadflow_tests::endpoint());
        let store = fresh_store_behind(&proxy).await;
        (proxy, store)
    });
    let table = direct(&store);
    let counting_store = store.clone();
    let mut tokens = Tokens::default();
    tokens.parse_one("load-token=leads/read,leads/handover").unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(serve(listener, Arc::new(app(store, Auth::Scopes)), Arc::new(tokens)));

    // Seeded MQLs for the hand-overs, before any fault.
    eprintln!("seeding {SEEDED} MQLs ...");
    let mut seeded = Vec::new();
    for i in 0..SEEDED {
        let (status, _, body) = call(
            addr,
            "POST",
            "/intake/web",
            &[("content-type", "application/json")],
            buyer(&format!("seed{i}@nordwind-logistik.de"), "demo_request").as_bytes(),
        );
        assert_eq!(status, 202, "{body}");
        seeded.push(serde_json::from_str::<Value>(&body).unwrap()["lead_id"].as_str().unwrap().to_owned());
    }
    let seeded = Arc::new(Mutex::new(seeded));

    // The events function, as the local server runs it: the stream read from DynamoDB
    // Local, the funnel counted through the proxy (its transactions meet the faults too).
    let none = Arc::new(Webhooks::new(Vec::new(), Default::default(), RetryMode::InProcess));
    let follower = runtime.spawn(follow_stream(
        leadflow_tests::endpoint(),
        table.table().to_owned(),
        counting_store,
        none,
        Duration::from_millis(100),
    ));

    for op in ["GetItem", "PutItem", "TransactWriteItems", "Query", "BatchGetItem"] {
        proxy.at_rate(op, Fault::Throttle, per_mille);
    }
    for op in ["PutItem", "TransactWriteItems"] {
        proxy.at_rate(op, Fault::LostAnswer, per_mille / 2);
    }
    eprintln!("{clients} clients for {seconds} s, faults at {per_mille}/1000 ...");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let next_post = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let workers: Vec<_> = (0..clients)
        .map(|client| {
            let seeded = seeded.clone();
            let next_post = next_post.clone();
            std::thread::spawn(move || {
                let (mut samples, mut submitted, mut handed) = (Vec::new(), Vec::new(), Vec::new());
                let mut n = 0u64;
                while Instant::now() < until {
                    n += 1;
                    let pick = (n * 7 + client as u64 * 3) % 10;
                    let begun = Instant::now();
                    let (kind, (status, _, attempts)) = if pick < 7 {
                        let post = next_post.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let person = post % PEOPLE;
                        let email = format!("person{person}@kunde{}.de", person % 7);
                        let key = format!("load-{post}");
                        let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
                        let answer = send(addr, "POST", "/intake/web", &headers, &buyer(&email, "webinar"));
                        submitted.push(Submitted { email, accepted: answer.0 == 202 });
                        (Kind::FormPost, answer)
                    } else if pick < 9 {
                        let answer = send(addr, "GET", "/leads?stage=mql&limit=20", &[("authorization", TOKEN)], "");
                        (Kind::QueueRead, answer)
                    } else {
                        let Some(id) = seeded.lock().unwrap().pop() else { continue };
                        let body = r#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true,"timing":true}}"#;
                        let headers = [("authorization", TOKEN), ("content-type", "application/json")];
                        let answer = send(addr, "POST", &format!("/leads/{id}/handover"), &headers, body);
                        if answer.0 == 200 {
                            handed.push(id);
                        }
                        (Kind::Handover, answer)
                    };
                    samples.push(Sample { kind, status, latency: begun.elapsed(), attempts });
                }
                (samples, submitted, handed)
            })
        })
        .collect();
    let (mut samples, mut submitted, mut handed) = (Vec::new(), Vec::new(), Vec::new());
    for w in workers {
        let (s, sub, h) = w.join().unwrap();
        samples.extend(s);
        submitted.extend(sub);
        handed.extend(h);
    }
    let elapsed = started.elapsed();
    let injected: u32 = ["GetItem", "PutItem", "TransactWriteItems", "Query", "BatchGetItem"]
        .iter()
        .map(|op| proxy.injected(op))
        .sum();
    proxy.clear();

    // The proof, from the table past the proxy: per person, one activity per accepted
    // submission (a refused one may have landed before its answer was lost, at most
    // once); per hand-over answered 200, exactly one move to SQL.
    let id_key = leadflow_tests::id_key();
    let mut per_person: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for s in &submitted {
        let e = per_person.entry(s.email.as_str()).or_default();
        if s.accepted {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let (mut missing, mut doubled, mut refused_applied, mut people_stored) = (Vec::new(), Vec::new(), 0, 0);
    runtime.block_on(async {
        for (email, (accepted, refused)) in &per_person {
            match table.get(&id_key.lead_id(email)).await.unwrap() {
                None if *accepted > 0 => missing.push(email.to_string()),
                None => {}
                Some(l) => {
                    people_stored += 1;
                    if l.activity_count < *accepted || l.activity_count > accepted + refused {
                        doubled
                            .push(format!("{email}: {} activities, {accepted} accepted", l.activity_count));
                    }
                    refused_applied += l.activity_count - accepted.min(&l.activity_count);
                }
            }
        }
        for id in &handed {
            let lead = table.get(&leadflow::LeadId::parse(id).unwrap()).await.unwrap().unwrap();
            let to_sql = lead.history.iter().filter(|t| t.to == leadflow::Stage::Sql).count();
            if to_sql != 1 {
                doubled.push(format!("hand-over of {id}: {to_sql} moves to SQL"));
            }
        }
    });
    let leads = runtime.block_on(leadflow_tests::all_leads(&table));
    let stored = leads.len();

    // The funnel: what the follower counted under faults, caught up without faults (every
    // record read again from the stream's start: counted ones add nothing), against what
    // every stored lead's history adds up to.
    let today = leadflow::funnel::Day::of(leadflow_tests::http::NOW);
    let during: u64 = runtime
        .block_on(table.funnel(today, today))
        .unwrap()
        .iter()
        .map(|(_, t)| t.entered.get(&leadflow::Stage::Unqualified).copied().unwrap_or(0))
        .sum();
    let counting_faults = proxy.injected("TransactWriteItems");
    proxy.clear();
    runtime.block_on(table.count_funnel());
    follower.abort();
    let mut expected: BTreeMap<leadflow::funnel::Bucket, leadflow::funnel::Tally> = BTreeMap::new();
    for lead in &leads {
        for (bucket, tally) in leadflow::funnel::between(None, lead).map(|f| f.tallies).unwrap_or_default() {
            expected.entry(bucket).or_default().add(&tally);
        }
    }
    let days: Vec<leadflow::funnel::Day> = expected.keys().map(|b| b.day).collect();
    let (first, last) = (days.iter().min().copied(), days.iter().max().copied());
    let counted: BTreeMap<leadflow::funnel::Bucket, leadflow::funnel::Tally> = match (first, last) {
        (Some(first), Some(last)) => {
            runtime.block_on(table.funnel(first, last)).unwrap().into_iter().collect()
        }
        _ => BTreeMap::new(),
    };
    let funnel_exact = counted == expected;
    let entered = |t: &BTreeMap<leadflow::funnel::Bucket, leadflow::funnel::Tally>, stage| -> u64 {
        t.values().map(|t| t.entered.get(&stage).copied().unwrap_or(0)).sum()
    };
    println!(
        "funnel: counted {} leads, {} MQLs, {} SQLs; the stored leads add up to {}, {}, {}: {}",
        entered(&counted, leadflow::Stage::Unqualified),
        entered(&counted, leadflow::Stage::Mql),
        entered(&counted, leadflow::Stage::Sql),
        entered(&expected, leadflow::Stage::Unqualified),
        entered(&expected, leadflow::Stage::Mql),
        entered(&expected, leadflow::Stage::Sql),
        if funnel_exact { "exact" } else { "NOT exact" }
    );
    println!(
        "funnel: the events function had counted {during} leads while the load ran, its transactions meeting {counting_faults} faults"
    );

    // Figures.
    let mut by_kind: BTreeMap<Kind, Vec<&Sample>> = BTreeMap::new();
    for s in &samples {
        by_kind.entry(s.kind).or_default().push(s);
    }
    let mut kinds = serde_json::Map::new();
    println!(
        "load: {clients} clients, {:.1} s, faults at {per_mille}/1000 ({injected} injected)",
        elapsed.as_secs_f64()
    );
    println!(
        "{:<11} {:>7} {:>9} {:>9} {:>9}  statuses (after retries)",
        "kind", "count", "req/s", "p50 ms", "p99 ms"
    );
    for (kind, list) in &by_kind {
        let mut lat: Vec<Duration> = list.iter().map(|s| s.latency).collect();
        lat.sort();
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        for s in list {
            *statuses.entry(s.status).or_default() += 1;
        }
        let retried = list.iter().filter(|s| s.attempts > 1).count();
        let rate = list.len() as f64 / elapsed.as_secs_f64();
        let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        println!(
            "{:<11} {:>7} {:>9.1} {:>9.1} {:>9.1}  {statuses:?}, {retried} retried",
            format!("{kind:?}"),
            list.len(),
            rate,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        kinds.insert(
            format!("{kind:?}"),
            json!({ "count": list.len(), "requests_per_sec": rate, "p50_ms": p50.as_secs_f64() * 1e3,
                    "p99_ms": p99.as_secs_f64() * 1e3, "statuses": statuses, "retried": retried }),
        );
    }
    let total_rate = samples.len() as f64 / elapsed.as_secs_f64();
    let accepted = submitted.iter().filter(|s| s.accepted).count();
    println!("all: {} requests, {total_rate:.1} req/s", samples.len());
    println!(
        "exactly once: {accepted} accepted submissions from {} people, {} handed over; {} missing, {} applied more than once, {refused_applied} refused but stored once; {stored} leads in the table ({SEEDED} seeded)",
        per_person.len(),
        handed.len(),
        missing.len(),
        doubled.len()
    );
    let figures = json!({
        "clients": clients, "seconds": elapsed.as_secs_f64(), "fault_per_mille": per_mille,
        "faults_injected": injected, "requests": samples.len(), "requests_per_sec": total_rate,
        "kinds": kinds, "accepted_submissions": accepted, "missing": missing.len(),
        "applied_twice": doubled.len(), "refused_but_stored": refused_applied, "people": per_person.len(),
        "handed_over": handed.len(), "leads_in_table": stored,
        "funnel_leads_counted": entered(&counted, leadflow::Stage::Unqualified), "funnel_exact": funnel_exact,
        "funnel_leads_counted_during_load": during, "funnel_counting_faults": counting_faults,
    });
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
        .join("leadflow-bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("load.json"), serde_json::to_string_pretty(&figures).unwrap()).unwrap();
    if !missing.is_empty() || !doubled.is_empty() || stored != SEEDED + people_stored || !funnel_exact {
        eprintln!("NOT exactly once: missing {missing:?}, doubled {doubled:?}, funnel exact: {funnel_exact}");
        std::process::exit(1);
    }
}
