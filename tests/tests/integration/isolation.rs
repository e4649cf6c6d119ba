//! One bad lead stops nobody: the scheduled run and the full re-score skip a lead that
//! cannot be read or written, count it (`failed`), log its id, and finish everyone else;
//! and no one can make a lead grow without bound or inflate the waterfall.

use aws_sdk_dynamodb::types::AttributeValue;
use leadflow::intake::{apply_submission, RetryPolicy};
use leadflow::requalify::{rescore_all, run_due};
use leadflow::store::table;
use leadflow::store::LeadStore;
use leadflow::{Scorer, Sla, Stage, Timestamp};
use leadflow_tests::{
    all_leads, fresh_dynamo_store, id_key, item_size, lead_in, raw_item, SubmissionBuilder,
};

const NOW: Timestamp = Timestamp::from_unix(1_780_000_000);

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_and_an_oversized_lead_stop_nobody() {
    let store = fresh_dynamo_store().await;
    let scorer = Scorer::new(Sla::default_sla());
    let due_at = NOW.plus_days(-1);
    let due = Some(due_at);
    // Ten ordinary MQLs whose call SLA ran out: the run must move every one of them.
    for i in 0..10 {
        store.put(&lead_in(&format!("ok-{i}@nordwind-logistik.de"), Stage::Mql, 120, due)).await.unwrap();
    }
    // An item in the due index that is no lead at all (a stage no version knows).
    let broken = "b".repeat(32);
    let item = [
        (table::PK, AttributeValue::S(format!("{}{broken}", table::LEAD_PK_PREFIX))),
        (table::SK, AttributeValue::S(table::LEAD_SK.into())),
        (table::DUE_PK, AttributeValue::S(table::DUE_SHARD.into())),
        (table::DUE_SK, AttributeValue::N(due_at.unix().to_string())),
        ("stage", AttributeValue::S("bogus".into())),
        ("version", AttributeValue::N("1".into())),
    ];
    let mut put = store.client().put_item().table_name(store.table());
    for (k, v) in item {
        put = put.item(k, v);
    }
    put.send().await.unwrap();
    // A lead a few bytes under DynamoDB's 400 KB: any write that adds to it is refused.
    let mut big = lead_in("big@nordwind-logistik.de", Stage::Mql, 120, due);
    big.attributes.insert("blob".into(), "x".repeat(390 * 1024));
    store.put(&big).await.unwrap();
    let size = item_size(&raw_item(&store, &big.id).await);
    big.attributes.insert("blob".into(), "x".repeat(390 * 1024 + 400 * 1024 - size - 16));
    big.version = 2;
    store.put(&big).await.unwrap();

    let report = run_due(&store, &scorer, NOW).await.expect("the run finishes");
    assert_eq!(report.read, 12, "{report:?}");
    assert_eq!(report.failed, 2, "the broken and the oversized lead: {report:?}");
    assert_eq!(report.written, 10, "{report:?}");
    let leads = all_leads(&store).await;
    let moved = leads.iter().filter(|l| l.profile.email.starts_with("ok-") && l.version == 2).count();
    assert_eq!(moved, 10, "everyone else was requalified and written");

    // The full re-score likewise.
    let report = rescore_all(&store, &scorer, NOW, 2, 5, &|| false).await.expect("the re-score finishes");
    assert_eq!(report.failed, 2, "{report:?}");
    assert!(report.done, "{report:?}");
}

/// Someone flips one person's answers back and forth (`Anfrageart=Bewerbung`, then
/// `sales`, 300 times on one day): the lead stays small, every write succeeds, and the
/// waterfall counts one MQL, not 150.
#[tokio::test(flavor = "multi_thread")]
async fn flipping_answers_neither_grows_the_item_nor_inflates_the_waterfall() {
    let store = fresh_dynamo_store().await;
    let scorer = Scorer::new(Sla::default_sla());
    let email = "flip@nordwind-logistik.de";
    // From 01:00 to 06:00 of one day.
    let day = leadflow::funnel::Day::of(NOW);
    let start = day.start().plus_seconds(3600);
    for i in 0..300 {
        let kind = if i % 2 == 0 { "sales" } else { "Bewerbung" };
        let s =
            SubmissionBuilder::new(email).buyer().inquiry_type(kind).at(start.plus_seconds(i * 60)).build();
        apply_submission(&store, &scorer, &id_key(), &s, RetryPolicy::default())
            .await
            .expect("every write lands");
    }
    let lead = store.get(&id_key().lead_id(email)).await.unwrap().unwrap();
    assert_eq!(lead.history.len(), leadflow::lead::MAX_HISTORY);
    assert!(lead.history_folded > 200, "folded moves are counted: {}", lead.history_folded);
    let size = item_size(&raw_item(&store, &lead.id).await);
    assert!(size < 64 * 1024, "the item takes {size} bytes");
    leadflow_tests::CountFunnel::count_funnel(&store).await;
    let mut entered = std::collections::BTreeMap::new();
    for (_, tally) in store.funnel(day, day.next()).await.unwrap() {
        for (stage, n) in tally.entered {
            *entered.entry(stage).or_insert(0) += n;
        }
    }
    assert_eq!(entered.get(&Stage::Mql), Some(&1), "{entered:?}");
    assert_eq!(entered.get(&Stage::Disqualified), Some(&1), "{entered:?}");
}
