//! The scheduler's cost against DynamoDB Local: items read and written by one scheduled
//! run over 10,000 leads of which 1% are due, against the leads whose state changed; and
//! full re-score throughput against a bare parallel scan + write loop over the same
//! table, measured in the same run. Run: `cargo bench -p leadflow-tests --bench requalify`.

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use leadflow::intake::{apply_submission, RetryPolicy, Submission};
use leadflow::requalify::{rescore_all, run_due, PAGE};
use leadflow::store::dynamodb::RequestCounter;
use leadflow::{Scorer, Sla, Timestamp};
use leadflow_tests::{fresh_dynamo_store_counted, id_key, SubmissionBuilder};

const LEADS: usize = 10_000;
const DUE_EVERY: usize = 100; // 1%
const T0: Timestamp = Timestamp::from_unix(1_780_000_000);

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
    println!("  rescore_all / bare loop time: {:.2}x", full.as_secs_f64() / baseline.as_secs_f64());
}
