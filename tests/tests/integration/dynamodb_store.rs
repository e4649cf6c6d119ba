//! What only the DynamoDB store can show: its request cost, its items, and how it
//! behaves when DynamoDB goes away and comes back.

use leadflow::intake::{apply_submission, IntakeError, RetryPolicy, Submission};
use leadflow::lead::Answers;
use leadflow::store::dynamodb::RequestCounter;
use leadflow::store::{DynamoStore, LeadStore, StoreError};
use leadflow::{Scorer, Sla, Stage, Timestamp};
use leadflow_tests::{
    client, fresh_dynamo_store_counted, id_key, item_size, lead_in, raw_item, unique_table, DynamoDbLocal,
    SubmissionBuilder,
};

const NOW: Timestamp = Timestamp::from_unix(1_780_000_000);

/// Jürgen Groß, managing director of a logistics firm, as `email`; one delivery key per
/// activity and instant.
fn submission(email: &str, activity: &str, at: Timestamp) -> Submission {
    SubmissionBuilder::new(email)
        .at(at)
        .delivery_key(format!("{activity}-{}", at.unix()))
        .first_name("Jürgen")
        .last_name("Groß")
        .job_title("Geschäftsführer")
        .company_size(250)
        .industry("Logistik")
        .country("DE")
        .purchase_timeframe("innerhalb von 3 Monaten")
        .budget_role("Entscheider")
        .message("Wir benötigen ein Angebot für 40 Lizenzen.")
        .activity(activity)
        .attribute("utm_campaign", "herbst-2026")
        .build()
}

#[tokio::test]
async fn a_submission_costs_one_read_and_one_write() {
    let counter = RequestCounter::default();
    let store = fresh_dynamo_store_counted(Some(counter.clone())).await;
    let scorer = Scorer::new(Sla::default_sla());
    let email = "cost@nordwind-logistik.de";
    for (i, activity) in ["demo_request", "pricing_page", "webinar"].into_iter().enumerate() {
        counter.reset();
        let applied = apply_submission(
            &store,
            &scorer,
            &id_key(),
            &submission(email, activity, NOW.plus_days(i as i64)),
            RetryPolicy::default(),
        )
        .await
        .unwrap();
        assert_eq!(applied.created, i == 0);
        let counts = counter.counts();
        assert_eq!(counts.get("GetItem"), Some(&1), "{counts:?}");
        // New lead or not: one plain conditional put (the funnel is counted from the
        // stream, off the request path).
        assert_eq!(counts.get("PutItem"), Some(&1), "{counts:?}");
        assert_eq!(counter.total(), 2, "{counts:?}");
    }
    // A redelivery reads and writes nothing else.
    counter.reset();
    let again = apply_submission(
        &store,
        &scorer,
        &id_key(),
        &submission(email, "webinar", NOW.plus_days(2)),
        RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert!(again.duplicate);
    assert_eq!(counter.counts().into_iter().collect::<Vec<_>>(), vec![("GetItem".to_string(), 1)]);
}

/// The sales commands too: one read, one plain conditional write, new stage or not.
#[tokio::test]
async fn a_handover_and_an_acceptance_cost_one_read_and_one_write_each() {
    use leadflow::http::{acceptance, handover, intake, Auth};
    use leadflow_tests::http::{app, event};
    let counter = RequestCounter::default();
    let store = fresh_dynamo_store_counted(Some(counter.clone())).await;
    let app = app(store, Auth::Scopes);
    assert_eq!(intake::handle(&app, event("intake-json.json")).await.status(), 202);
    counter.reset();
    for name in ["handover", "acceptance"] {
        let r = match name {
            "handover" => handover::handle(&app, event("handover-qualified.json")).await,
            _ => acceptance::handle(&app, event("acceptance-accept.json")).await,
        };
        assert_eq!(r.status(), 200, "{name}");
        let counts = counter.counts();
        assert_eq!(counts.get("GetItem"), Some(&1), "{name}: {counts:?}");
        assert_eq!(counts.get("PutItem"), Some(&1), "{name}: {counts:?}");
        assert_eq!(counter.total(), 2, "{name}: {counts:?}");
        counter.reset();
    }
}

#[tokio::test]
async fn a_typical_item_stays_well_under_4_kb() {
    let counter = RequestCounter::default();
    let store = fresh_dynamo_store_counted(Some(counter)).await;
    let scorer = Scorer::new(Sla::default_sla());
    let email = "size@nordwind-logistik.de";
    let kinds = ["demo_request", "pricing_page", "webinar", "whitepaper_download", "newsletter"];
    for i in 0..10 {
        apply_submission(
            &store,
            &scorer,
            &id_key(),
            &submission(email, kinds[i % kinds.len()], NOW.plus_days(i as i64)),
            RetryPolicy::default(),
        )
        .await
        .unwrap();
    }
    let lead = store.get(&id_key().lead_id(email)).await.unwrap().unwrap();
    assert_eq!(lead.activity_count, 10);
    assert_eq!(lead.profile.first_name.as_deref(), Some("Jürgen"));
    // The raw item, as DynamoDB holds it (size: names plus values, as DynamoDB counts).
    let raw = raw_item(&store, &lead.id).await;
    let size = item_size(&raw);
    // Facts read from the text and where each profile field came from add ~0.7 KB.
    assert!(size < 4 * 1024, "a lead with 10 activities takes {size} bytes");
    assert_eq!(raw.get("queue_stage").and_then(|v| v.as_s().ok()).map(String::as_str), Some("mql"));
    assert!(raw.contains_key("due_epoch"), "an MQL that can cool off is in the due index");
    assert!(!raw.contains_key("expires_at"), "an MQL has no TTL");

    // A newsletter reader stays unqualified: its TTL is epoch seconds, as DynamoDB needs.
    let mut reader = submission("reader@nordwind-logistik.de", "newsletter", NOW);
    reader.answers = Answers::default();
    reader.profile.job_title = None;
    let applied =
        apply_submission(&store, &scorer, &id_key(), &reader, RetryPolicy::default()).await.unwrap();
    assert_eq!(applied.lead.stage, Stage::Unqualified);
    let expires = applied.lead.expires_at.expect("unqualified leads expire");
    let raw = raw_item(&store, &applied.lead.id).await;
    assert_eq!(raw["expires_at"].as_n().unwrap(), &expires.unix().to_string());
    assert_eq!(store.get(&applied.lead.id).await.unwrap().unwrap(), applied.lead, "the TTL reads back");
}

#[tokio::test]
async fn an_outage_is_unavailable_and_the_store_recovers_without_restart() {
    let mut ddb = DynamoDbLocal::start().expect("DynamoDB Local");
    let store = DynamoStore::new(client(&ddb.endpoint(), None), unique_table());
    store.create_table().await.unwrap();
    let lead = lead_in("outage@nordwind-logistik.de", Stage::Mql, 50, None);
    store.put(&lead).await.unwrap();

    ddb.stop();
    let scorer = Scorer::new(Sla::default_sla());
    assert!(matches!(store.get(&lead.id).await, Err(StoreError::Unavailable(_))));
    assert!(matches!(store.put(&lead).await, Err(StoreError::Unavailable(_))));
    assert!(matches!(store.queue(Stage::Mql, 10, None).await, Err(StoreError::Unavailable(_))));
    let s = submission("outage@nordwind-logistik.de", "webinar", NOW);
    let err = apply_submission(&store, &scorer, &id_key(), &s, RetryPolicy::default()).await.unwrap_err();
    assert!(matches!(err, IntakeError::Store(StoreError::Unavailable(_))), "{err}");

    // Back up (empty: it runs in memory). The same store and client work again.
    ddb.restart().unwrap();
    store.create_table().await.unwrap();
    let applied = apply_submission(&store, &scorer, &id_key(), &s, RetryPolicy::default()).await.unwrap();
    assert!(applied.created);
    assert_eq!(store.get(&applied.lead.id).await.unwrap().unwrap().version, 1);
}

#[tokio::test]
async fn a_missing_table_is_an_internal_error_not_a_panic() {
    let store = DynamoStore::new(client(&leadflow_tests::endpoint(), None), "no-such-table");
    let lead = lead_in("x@nordwind-logistik.de", Stage::Mql, 1, None);
    let err = store.get(&lead.id).await.unwrap_err();
    assert!(matches!(&err, StoreError::Internal(text) if text.contains("ResourceNotFound")), "{err}");
    assert!(matches!(store.put(&lead).await, Err(StoreError::Internal(_))));
}
