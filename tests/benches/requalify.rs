//! The scheduler's cost against DynamoDB Local: items read and written by one scheduled
//! run over 10,000 leads of which 1% are due, against the leads whose state changed; and
//! full re-score throughput against a bare parallel scan + write loop over the same
//! table, measured in the same run; and warm intake (the HTTP handler, one new lead per
//! request) against a bare SDK `GetItem` + `PutItem` loop writing the same item, same table.
//! Run: `cargo bench -p leadflow-tests --bench requalify`; figures also go to
//! `$CARGO_TARGET_DIR/leadflow-bench/requalify.json`.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use leadflow::http::Auth;
use leadflow::intake::{apply_submission, RetryPolicy, Submission};
use leadflow::requalify::{rescore_all, run_due, PAGE};
use leadflow::store::dynamodb::RequestCounter;
use leadflow::store::DynamoStore;
use leadflow::{Scorer, Sla, Timestamp};
use leadflow_tests::http::{app, event_json};
use leadflow_tests::{fresh_dynamo_store_counted, id_key, SubmissionBuilder};
use serde_json::{json, Value};

const LEADS: usize = 10_000;
const DUE_EVERY: usize = 100; // 1%
const T0: Timestamp = Timestamp::from_unix(1_780_000_000);
/// Intake requests (and bare loop iterations) per round; rounds alternate the two.
const INTAKE_PER_ROUND: usize = 50;
const INTAKE_ROUNDS: usize = 8;

/// Every hundredth person a buyer asking for a demo, the others newsletter readers.
fn submission(i: usize) -> Submission {
    let s = SubmissionBuilder::new(&format!("person{i}@alpenwerk.at")).at(T0);
    if i % DUE_EVERY == 0 {
        s.buyer().activity("demo_request")
    } else {
        s.job_title("Marketing Assistant").company_size(250).country("DE").activity("newsletter")
    }
    .build()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let counter = RequestCounter::default();
    let store = fresh_dynamo_store_counted(Some(counter.clone())).await;
    let scorer = Scorer::new(Sla::default_sla());
    eprintln!("loading {LEADS} leads into DynamoDB Local ...");
    for chunk in (0..LEADS).collect::<Vec<_>>().chunks(64) {
        join_all(
            chunk.iter().map(|i| {
                let s = submission(*i);
                let (store, scorer) = (&store, &scorer);
                async move {
                    apply_submission(store, scorer, &id_key(), &s, RetryPolicy::default()).await.unwrap()
                }
            }),
        )
        .await;
    }

    // The buyers are MQLs whose call SLA (48 h) has run out by now: 1% of the table is due.
    let now = T0.plus_seconds(49 * 3600);
    counter.reset();
    let started = Instant::now();
    let report = run_due(&store, &scorer, now).await.unwrap();
    let run_time = started.elapsed();
    let requests = counter.counts();
    // Counted independently of the run's own report: leads now flagged as breached.
    let changed =
        leadflow_tests::all_leads(&store).await.iter().filter(|l| l.sla_breached_at.is_some()).count();
    println!("scheduled run over {LEADS} leads, {} due ({:?}):", LEADS / DUE_EVERY, run_time);
    println!("  items read     {:>6}   (requests: {requests:?})", report.read);
    println!("  items written  {:>6}", report.written);
    println!("  state changed  {changed:>6}   (leads found flagged in a scan afterwards)");
    println!(
        "  items read per changed lead {:.2}, items written per changed lead {:.2}, table size / items read {:.0}x",
        report.read as f64 / changed.max(1) as f64,
        report.written as f64 / changed.max(1) as f64,
        LEADS as f64 / report.read.max(1) as f64
    );
    counter.reset();
    let again = run_due(&store, &scorer, now).await.unwrap();
    println!(
        "  rerun at the same instant: read {}, written {}, requests {:?}",
        again.read,
        again.written,
        counter.counts()
    );

    // Baseline: a bare parallel scan that writes every item back, 4 segments.
    let client = store.client().clone();
    let table = store.table().to_owned();
    let started = Instant::now();
    let written: usize = join_all((0..4).map(|segment| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            let mut start = None;
            let mut n = 0;
            loop {
                let out = client
                    .scan()
                    .table_name(&table)
                    .segment(segment)
                    .total_segments(4)
                    .limit(PAGE as i32)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .unwrap();
                for item in out.items.unwrap_or_default() {
                    if item.get("SK") == Some(&AttributeValue::S("LEAD".into())) {
                        client.put_item().table_name(&table).set_item(Some(item)).send().await.unwrap();
                        n += 1;
                    }
                }
                start = out.last_evaluated_key;
                if start.is_none() {
                    return n;
                }
            }
        }
    }))
    .await
    .into_iter()
    .sum();
    let baseline = started.elapsed();

    let mut sla = Sla::default_sla();
    sla.version = "bench-2".into();
    let new_scorer = Scorer::new(sla);
    let started = Instant::now();
    let rescore = rescore_all(&store, &new_scorer, now, 4, PAGE, &|| false).await.unwrap();
    let full = started.elapsed();
    let rate = |n: f64, d: std::time::Duration| n / d.as_secs_f64();
    println!("full re-score of {LEADS} leads, 4 segments:");
    println!(
        "  bare scan + put loop  {:>8.0} leads/s ({written} in {baseline:?})",
        rate(written as f64, baseline)
    );
    println!(
        "  rescore_all           {:>8.0} leads/s ({} in {full:?}, done {})",
        rate(rescore.rescored as f64, full),
        rescore.rescored,
        rescore.done
    );
    let rescore_ratio = full.as_secs_f64() / baseline.as_secs_f64();
    println!("  rescore_all / bare loop time: {rescore_ratio:.2}x");

    let (intake, bare) = intake_vs_bare_sdk(&store).await;
    let intake_ratio = intake.as_secs_f64() / bare.as_secs_f64();
    let per = |d: Duration| d.as_secs_f64() * 1e3 / (INTAKE_PER_ROUND * INTAKE_ROUNDS) as f64;
    println!("warm intake, {} new leads, one at a time:", INTAKE_PER_ROUND * INTAKE_ROUNDS);
    println!("  bare SDK GetItem + PutItem  {:>6.2} ms per lead", per(bare));
    println!("  intake handler              {:>6.2} ms per lead", per(intake));
    println!("  intake / bare SDK time: {intake_ratio:.2}x");

    leadflow_tests::bench::write_figures(
        "requalify",
        &json!({
            "leads": LEADS,
            "items_read": report.read,
            "items_written": report.written,
            "changed": changed,
            "rerun_items_read": again.read,
            "rerun_items_written": again.written,
            "bare_loop_leads_per_sec": rate(written as f64, baseline),
            "rescore_leads_per_sec": rate(rescore.rescored as f64, full),
            "rescore_ratio_vs_bare_loop": rescore_ratio,
            "intake_ms_per_lead": per(intake),
            "bare_sdk_ms_per_lead": per(bare),
            "intake_ratio_vs_bare_sdk": intake_ratio,
        }),
    );
}

/// The intake event with a new person each time.
fn intake_request(n: usize) -> lambda_http::Request {
    let mut event = event_json("intake-json.json");
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    body["email"] = json!(format!("intake{n}@nordwind-logistik.de"));
    event["body"] = json!(body.to_string());
    event["headers"].as_object_mut().unwrap().remove("idempotency-key");
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// Total time of warm intake (the handler as the intake Lambda runs it, parsing the event,
/// one read, scoring, one write) and of a bare SDK loop that reads a missing key and puts
/// the item intake wrote under a new key, same client, same table; rounds of the two
/// alternate so drift in DynamoDB Local hits both.
async fn intake_vs_bare_sdk(store: &DynamoStore) -> (Duration, Duration) {
    let app = app(store.clone(), Auth::Scopes);
    let (client, table) = (store.client().clone(), store.table().to_owned());
    // Warm both paths up, and take the item intake writes as the bare loop's item.
    let answer = leadflow::http::intake::handle(&app, intake_request(usize::MAX)).await;
    assert_eq!(answer.status(), 202, "the warm-up intake was taken");
    let body: Value = serde_json::from_str(&leadflow_tests::http::body_text(&answer)).unwrap();
    let id = body["lead_id"].as_str().expect("intake answers with the lead id");
    let item = client
        .get_item()
        .table_name(&table)
        .key("PK", AttributeValue::S(format!("LEAD#{id}")))
        .key("SK", AttributeValue::S("LEAD".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the lead intake wrote");
    let (mut intake, mut bare) = (Duration::ZERO, Duration::ZERO);
    let mut n = 0;
    for _ in 0..INTAKE_ROUNDS {
        let started = Instant::now();
        for _ in 0..INTAKE_PER_ROUND {
            n += 1;
            let answer = leadflow::http::intake::handle(&app, intake_request(n)).await;
            assert_eq!(answer.status(), 202, "intake {n} was taken");
        }
        intake += started.elapsed();
        let started = Instant::now();
        for _ in 0..INTAKE_PER_ROUND {
            n += 1;
            let key = AttributeValue::S(format!("LEAD#bare-{n}"));
            let got = client
                .get_item()
                .table_name(&table)
                .key("PK", key.clone())
                .key("SK", AttributeValue::S("LEAD".into()))
                .send()
                .await
                .unwrap();
            assert!(got.item.is_none());
            let mut put = item.clone();
            put.insert("PK".into(), key);
            client.put_item().table_name(&table).set_item(Some(put)).send().await.unwrap();
        }
        bare += started.elapsed();
    }
    (intake, bare)
}
