//! The events function over the table's real change stream: leads written by the
//! handlers into DynamoDB Local (table created with NEW_AND_OLD_IMAGES), the stream read
//! as Lambda's event source mapping reads it, the `DynamodbEvent` JSON fed to the real
//! handler, and the webhooks checked at a local receiver that verifies every signature.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::dynamodb::Event;
use leadflow::bus::EventBus;
use leadflow::http::{acceptance, handover, intake, route, Auth};
use leadflow::lambda::events::handle;
use leadflow::store::{DynamoStore, LeadStore};
use leadflow::webhooks::delivery::{RetryMode, RetryPolicy, Webhooks};
use leadflow::webhooks::subscribers_from_json;
use leadflow::Stage;
use leadflow_infra::local_events::{follow_changes, follow_stream};
use leadflow_infra::stream_reader::StreamReader;
use leadflow_tests::http::{app, body_json, event, request};
use leadflow_tests::webhook_receiver::{Answer, Receiver};
use leadflow_tests::{endpoint, fresh_dynamo_store};

const ID: &str = "7eca040473a28d575723c7f9bd59766e";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The events of the walk from a form post to SAL and erasure, in order.
const WALK: [&str; 5] = [
    "lead.created",
    "lead.stage_changed:mql",
    "lead.stage_changed:sql",
    "lead.stage_changed:sal",
    "lead.erased",
];

fn hooks(url: &str, include_person: bool) -> Webhooks {
    let json = format!(r#"[{{"url": "{url}", "secret": "{SECRET}", "include_person": {include_person}}}]"#);
    Webhooks::new(
        subscribers_from_json(&json).unwrap(),
        RetryPolicy { base: Duration::from_millis(10), retries: 2 },
        RetryMode::Caller,
    )
    .with_timeout(Duration::from_millis(500))
}

/// The form post that makes an MQL, the qualification call, sales' acceptance, then
/// the erasure: all through the handlers, into a fresh table with a stream.
async fn walk_to_sal_and_erase() -> (leadflow::store::DynamoStore, Vec<String>) {
    let store = fresh_dynamo_store().await;
    let app = app(store.clone(), Auth::Scopes);
    let mut statuses = Vec::new();
    for (name, r) in [
        ("intake", intake::handle(&app, event("intake-json.json")).await),
        ("handover", handover::handle(&app, event("handover-qualified.json")).await),
        ("acceptance", acceptance::handle(&app, event("acceptance-accept.json")).await),
        (
            "erasure",
            route(&app, request("DELETE", &format!("/leads/{ID}"), Some(&["leads/erase"]), "", "")).await,
        ),
    ] {
        assert!(r.status().is_success(), "{name}: {} {}", r.status(), body_json(&r));
        statuses.push(format!("{name} {}", r.status().as_u16()));
    }
    (store, statuses)
}

/// Every batch of the stream through the handler, as the event source mapping would
/// (a reported failure comes again from that record), until the stream is drained.
async fn drain(
    reader: &mut StreamReader,
    store: &DynamoStore,
    hooks: &Webhooks,
    batch_size: usize,
) -> Vec<Option<String>> {
    drain_to(reader, store, hooks, None, batch_size).await
}

async fn drain_to(
    reader: &mut StreamReader,
    store: &DynamoStore,
    hooks: &Webhooks,
    bus: Option<&EventBus>,
    batch_size: usize,
) -> Vec<Option<String>> {
    let mut outcomes = Vec::new();
    for _ in 0..50 {
        let Some(batch) = reader.next_batch(batch_size).await.expect("the stream reads") else {
            return outcomes;
        };
        let event: Event = serde_json::from_value(batch.event.clone()).expect("Lambda's DynamodbEvent shape");
        let (response, report) = handle(hooks, store, bus, &event).await;
        let failed = response.batch_item_failures.first().and_then(|f| f.item_identifier.clone());
        assert_eq!(failed, report.failed_at);
        reader.commit(&batch, failed.as_deref());
        outcomes.push(failed);
    }
    panic!("the stream never drained: {outcomes:?}");
}

fn types(got: &[leadflow_tests::webhook_receiver::Received]) -> Vec<String> {
    got.iter()
        .map(|r| {
            let to = r.body["data"]["to"].as_str().map(|s| format!(":{s}")).unwrap_or_default();
            format!("{}{to}", r.body["type"].as_str().unwrap_or("?"))
        })
        .collect()
}

#[tokio::test]
async fn the_walk_from_a_form_post_to_sal_and_erasure_tells_exactly_these_events_in_order() {
    let (store, _) = walk_to_sal_and_erase().await;
    let rx = Receiver::start(&[("/crm", SECRET)], |_, _| Answer::Status(200)).await;
    let subscribers = hooks(&rx.url("/crm"), false);
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    let outcomes = drain(&mut reader, &store, &subscribers, 100).await;
    assert!(outcomes.iter().all(Option::is_none), "{outcomes:?}");

    let got = rx.accepted("/crm");
    assert_eq!(types(&got), WALK);
    assert!(got.iter().all(|r| r.verified), "{got:#?}");
    assert!(got.iter().all(|r| r.body["data"]["lead_id"] == ID));
    let sql = &got[2].body["data"];
    for field in ["from", "to", "trigger", "reason", "actor", "at", "score", "sla_version", "lead_version"] {
        assert!(sql.get(field).is_some(), "stage_changed lacks `{field}`: {sql}");
    }
    assert_eq!(sql["trigger"], "handover");
    assert_eq!(sql["actor"], "Inside Sales: M. Weber");
    assert!(sql["score"]["total"].is_i64() && sql["score"]["grade"].is_string(), "{sql}");
    // The erasure says the id and nothing else; no event carries the person by default.
    assert_eq!(got[4].body["data"], serde_json::json!({ "lead_id": ID }));
    let all = serde_json::to_string(&got.iter().map(|r| &r.body).collect::<Vec<_>>()).unwrap();
    assert!(!all.contains("nordwind") && !all.contains("Anna"), "{all}");
    // The ids are the events' own: unique, and stable on a second reading of the stream.
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    let rx2 = Receiver::start(&[("/crm", SECRET)], |_, _| Answer::Status(200)).await;
    let mut again = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    drain(&mut again, &store, &hooks(&rx2.url("/crm"), false), 100).await;
    assert_eq!(rx2.accepted("/crm").iter().map(|r| r.id.clone()).collect::<Vec<_>>(), ids);
}

#[tokio::test]
async fn a_subscriber_who_opted_in_gets_the_person_but_never_on_erasure() {
    let (store, _) = walk_to_sal_and_erase().await;
    let rx = Receiver::start(&[("/crm", SECRET)], |_, _| Answer::Status(200)).await;
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    drain(&mut reader, &store, &hooks(&rx.url("/crm"), true), 100).await;
    let got = rx.accepted("/crm");
    assert_eq!(got[0].body["data"]["person"]["email"], "ceo@nordwind-logistik.de");
    assert_eq!(got.last().unwrap().body["data"], serde_json::json!({ "lead_id": ID }));
}

#[tokio::test]
async fn a_batch_that_fails_midway_comes_again_from_the_failure_and_nothing_is_lost_or_reordered() {
    let (store, _) = walk_to_sal_and_erase().await;
    // The receiver fails the third request (a 503) and does not answer the fourth.
    let rx = Receiver::start(&[("/crm", SECRET)], |_, n| match n {
        2 => Answer::Status(503),
        3 => Answer::Hang,
        _ => Answer::Status(200),
    })
    .await;
    let subscribers = hooks(&rx.url("/crm"), false);
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    let outcomes = drain(&mut reader, &store, &subscribers, 100).await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_some()).count(),
        2,
        "two partial batch responses: {outcomes:?}"
    );
    assert_eq!(outcomes.last(), Some(&None));
    let got = rx.accepted("/crm");
    assert_eq!(types(&got), WALK, "every event once, in order: {:#?}", rx.received());
    let all = rx.received();
    let sql_id = &got[2].id;
    assert_eq!(all.iter().filter(|r| &r.id == sql_id).count(), 3, "503, no answer, 200: the same webhook-id");
    assert_eq!(
        all.iter().filter(|r| r.id == got[0].id).count(),
        1,
        "records before the failure are not redelivered"
    );
    // The hand-over's record was handled three times: the funnel counted it once.
    let day = leadflow::funnel::Day::of(leadflow_tests::http::NOW);
    let funnel = store.funnel(day, day).await.unwrap();
    let entered: Vec<u64> = [Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Sal]
        .iter()
        .map(|s| funnel.iter().map(|(_, t)| t.entered.get(s).copied().unwrap_or(0)).sum())
        .collect();
    assert_eq!(entered, [1, 1, 1, 1], "{funnel:?}");
    // And the whole stream once more from its start, as after a lost checkpoint: nothing.
    let mut again = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    drain(&mut again, &store, &hooks(&rx.url("/crm"), false), 2).await;
    assert_eq!(store.funnel(day, day).await.unwrap(), funnel);
}

/// At the upgrade: a write the request path counted itself (the item carries
/// `funnel_mark`, as items written before the funnel moved to the stream do) is not
/// counted again from the stream; the next write without it is.
#[tokio::test]
async fn a_record_the_request_path_counted_itself_is_not_counted_again() {
    let (store, _) = walk_to_sal_and_erase().await;
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    let batch = reader.next_batch(100).await.unwrap().unwrap();
    let mut json = batch.event.clone();
    let records = json["Records"].as_array_mut().unwrap();
    let created = records.iter_mut().find(|r| r["eventName"] == "INSERT").unwrap();
    let count = created["dynamodb"]["NewImage"]["history"]["L"].as_array().unwrap().len() + 1;
    created["dynamodb"]["NewImage"]["funnel_mark"] = serde_json::json!({ "N": count.to_string() });
    let event: Event = serde_json::from_value(json).unwrap();
    let none = Webhooks::new(Vec::new(), RetryPolicy::default(), RetryMode::Caller);
    let (response, report) = handle(&none, &store, None, &event).await;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    assert_eq!(report.counted, 2, "the hand-over and the acceptance, not the intake: {report:?}");
    let day = leadflow::funnel::Day::of(leadflow_tests::http::NOW);
    let funnel = store.funnel(day, day).await.unwrap();
    let entered =
        |stage| funnel.iter().map(|(_, t)| t.entered.get(&stage).copied().unwrap_or(0)).sum::<u64>();
    assert_eq!(
        [entered(Stage::Unqualified), entered(Stage::Mql), entered(Stage::Sql)],
        [0, 0, 1],
        "{funnel:?}"
    );
}

#[tokio::test]
async fn an_unreadable_lead_image_is_counted_and_skipped_not_retried_forever() {
    let (store, _) = walk_to_sal_and_erase().await;
    let rx = Receiver::start(&[("/crm", SECRET)], |_, _| Answer::Status(200)).await;
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    let batch = reader.next_batch(100).await.unwrap().unwrap();
    let mut json = batch.event.clone();
    // Break the first lead record's new image: a stage Leadflow does not have.
    let record = json["Records"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["dynamodb"]["Keys"]["SK"]["S"] == "LEAD")
        .unwrap();
    record["dynamodb"]["NewImage"]["stage"] = serde_json::json!({ "S": "bogus" });
    let event: Event = serde_json::from_value(json).unwrap();
    let (response, report) = handle(&hooks(&rx.url("/crm"), false), &store, None, &event).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(report.unreadable, 1);
    let got = rx.accepted("/crm");
    assert!(!got.is_empty() && got.iter().all(|r| r.body["type"] != "lead.created"), "{:?}", types(&got));
}

/// The local server with its events follower, open (no tokens).
fn start_local<S, F, Fut>(make: F) -> std::net::SocketAddr
where
    S: leadflow::store::LeadStore + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = S>,
{
    leadflow_tests::http::start_local_server(make, leadflow_infra::local_server::Tokens::default())
}

async fn http(
    addr: std::net::SocketAddr,
    method: &'static str,
    path: String,
    body: &'static str,
) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let (status, _, body) = leadflow_tests::http::call(
            addr,
            method,
            &path,
            &[("content-type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        );
        (status, body)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_local_server_runs_the_events_function_on_both_stores_and_retries_in_process() {
    for dynamodb in [false, true] {
        // The first request fails: the local server retries it on the (shortened) schedule.
        let rx = Receiver::start(&[("/crm", SECRET)], |_, n| {
            if n == 0 {
                Answer::Status(503)
            } else {
                Answer::Status(200)
            }
        })
        .await;
        let json = format!(r#"[{{"url": "{}", "secret": "{SECRET}"}}]"#, rx.url("/crm"));
        let webhooks = Arc::new(
            Webhooks::new(
                subscribers_from_json(&json).unwrap(),
                RetryPolicy { base: Duration::from_millis(20), retries: 5 },
                RetryMode::InProcess,
            )
            .with_timeout(Duration::from_millis(500)),
        );
        let hooks = webhooks.clone();
        let addr = if dynamodb {
            start_local(move || async move {
                let store = fresh_dynamo_store().await;
                let poll = Duration::from_millis(50);
                tokio::spawn(follow_stream(
                    endpoint(),
                    store.table().to_owned(),
                    store.clone(),
                    hooks.clone(),
                    poll,
                ));
                tokio::spawn(hooks.run_retries());
                store
            })
        } else {
            start_local(move || async move {
                let store = leadflow::store::InMemoryStore::new();
                tokio::spawn(follow_changes(store.change_feed(), hooks.clone()));
                tokio::spawn(hooks.run_retries());
                store
            })
        };
        let (status, body) = http(addr, "POST", "/intake/web".into(),
            "E-Mail=j.gross%40mueller-maschinenbau.de&Vorname=J%C3%BCrgen&Position=Gesch%C3%A4ftsf%C3%BChrer&Mitarbeiter=120&Land=Deutschland&Kaufzeitraum=sofort&Budgetrolle=Entscheider&activity=demo_request").await;
        assert_eq!(status, 202, "{body}");
        let id =
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["lead_id"].as_str().unwrap().to_owned();
        let got = rx
            .wait_for(Duration::from_secs(20), |g| {
                g.iter().filter(|r| r.answer == Answer::Status(200)).count() >= 2
            })
            .await;
        // Counted before its events went out: the funnel has the lead and its MQL move.
        let today = leadflow::funnel::Day::of(leadflow_tests::http::NOW);
        let (status, report) = http(addr, "GET", format!("/funnel?from={today}&to={today}"), "").await;
        assert_eq!(status, 200, "{report}");
        let report: serde_json::Value = serde_json::from_str(&report).unwrap();
        let entered: Vec<&serde_json::Value> =
            report["stages"].as_array().unwrap().iter().map(|s| &s["entered"]).collect();
        assert_eq!(entered[..2], [1, 1], "dynamodb: {dynamodb}: {report}");
        let (status, _) = http(addr, "DELETE", format!("/leads/{id}"), "").await;
        assert_eq!(status, 204);
        rx.wait_for(Duration::from_secs(20), |g| {
            g.iter().filter(|r| r.answer == Answer::Status(200)).count() >= 3
        })
        .await;
        let accepted = rx.accepted("/crm");
        assert_eq!(
            types(&accepted),
            ["lead.created", "lead.stage_changed:mql", "lead.erased"],
            "dynamodb: {dynamodb}: {got:#?}"
        );
        assert!(rx.received().iter().all(|r| r.verified));
        assert_eq!(rx.received()[0].id, accepted[0].id, "the 503'd event came again with its id");
        assert_eq!(accepted[2].body["data"], serde_json::json!({ "lead_id": id }));
    }
}

/// The bus on moto's EventBridge: a rule sends every `leadflow` event to an SQS queue,
/// which the test reads back.
#[tokio::test(flavor = "multi_thread")]
async fn the_walk_reaches_the_bus_once_per_event_without_personal_data_even_after_a_failed_put() {
    let (store, _) = walk_to_sal_and_erase().await;
    let (bus_name, queue) = leadflow_tests::moto::bus_into_queue("leadflow-bus").await;
    let rx = Receiver::start(&[("/crm", SECRET)], |_, _| Answer::Status(200)).await;
    // The subscriber opted in to the person; the bus still gets none.
    let subscribers = hooks(&rx.url("/crm"), true);
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();

    let bus = EventBus::new(leadflow_tests::moto::eventbridge(), bus_name.clone());
    let batch = reader.next_batch(100).await.unwrap().unwrap();
    let event: Event = serde_json::from_value(batch.event.clone()).unwrap();

    // A webhook not delivered: the record will come again, so nothing goes on the bus yet.
    let down = Receiver::start(&[("/crm", SECRET)], |_, _| Answer::Status(503)).await;
    let (response, report) = handle(&hooks(&down.url("/crm"), true), &store, Some(&bus), &event).await;
    assert_eq!(response.batch_item_failures.len(), 1, "{report:?}");
    assert_eq!(report.on_bus, 0, "{report:?}");

    // A bus that does not exist: every call fails, the first lead record stops the batch.
    let missing = EventBus::new(leadflow_tests::moto::eventbridge(), format!("{bus_name}-missing"));
    let (response, report) = handle(&subscribers, &store, Some(&missing), &event).await;
    let failed = response.batch_item_failures.first().and_then(|f| f.item_identifier.clone());
    assert!(failed.is_some(), "{report:?}");
    assert_eq!((report.records, report.on_bus), (1, 0), "{report:?}");
    let first_record_events = report.delivered;
    assert!(first_record_events > 0, "{report:?}");
    reader.commit(&batch, failed.as_deref());

    // The real bus: the record comes again, then the rest.
    let outcomes = drain_to(&mut reader, &store, &subscribers, Some(&bus), 100).await;
    assert!(outcomes.iter().all(Option::is_none), "{outcomes:?}");

    let hooks_got = rx.accepted("/crm");
    // The first record came twice to the webhook (its put failed), the others once.
    assert_eq!(hooks_got.len(), 5 + first_record_events, "{:?}", types(&hooks_got));
    let on_bus = leadflow_tests::moto::drain_queue(&queue).await;
    let mut seen: Vec<(String, serde_json::Value)> =
        on_bus.iter().map(|m| (m["detail-type"].as_str().unwrap().to_owned(), m["detail"].clone())).collect();
    assert!(on_bus.iter().all(|m| m["source"] == "leadflow"), "{on_bus:#?}");
    // Each event once, its detail the webhook body without the person, plus its id.
    let mut want: Vec<(String, serde_json::Value)> = hooks_got[first_record_events..]
        .iter()
        .map(|r| {
            let mut detail = r.body.clone();
            detail["data"].as_object_mut().unwrap().remove("person");
            detail["id"] = serde_json::json!(r.id);
            (r.body["type"].as_str().unwrap().to_owned(), detail)
        })
        .collect();
    seen.sort_by_key(|(_, d)| d["id"].as_str().unwrap().to_owned());
    want.sort_by_key(|(_, d)| d["id"].as_str().unwrap().to_owned());
    assert_eq!(seen, want);
    assert_eq!(seen.len(), 5);
    assert!(hooks_got.iter().any(|r| r.body["data"].get("person").is_some()), "the opt-in works");
    let all = serde_json::to_string(&on_bus).unwrap();
    assert!(!all.contains("nordwind") && !all.contains("Anna"), "{all}");
}

/// Deliveries through the FIFO queue on moto's SQS, the queue read as Lambda's event
/// source mapping reads it (one message per batch, as the template's `BatchSize`).
#[tokio::test(flavor = "multi_thread")]
async fn deliveries_go_through_the_fifo_queue_in_order_retried_with_backoff_then_dead_lettered() {
    use leadflow::lambda::webhook_retries;
    use leadflow::webhooks::queue::{Outcome, Queued, RetryQueue};
    use leadflow_tests::moto;

    let (store, _) = walk_to_sal_and_erase().await;
    let policy = RetryPolicy { base: Duration::from_secs(1), retries: 2 };
    let (queue_url, dead_url) =
        moto::fifo_queue_with_dead_letters("leadflow-webhooks", policy.attempts()).await;
    // `/crm` fails its first two requests; `/dead` wants only erasures and always fails.
    let rx = Receiver::start(&[("/crm", SECRET), ("/dead", SECRET)], |path, n| match (path, n) {
        ("/crm", 0 | 1) | ("/dead", _) => Answer::Status(503),
        _ => Answer::Status(200),
    })
    .await;
    let json = format!(
        r#"[{{"url": "{}", "secret": "{SECRET}"}}, {{"url": "{}", "secret": "{SECRET}", "events": ["lead.erased"]}}]"#,
        rx.url("/crm"),
        rx.url("/dead")
    );
    let with_queue = |url: &str| {
        Webhooks::new(subscribers_from_json(&json).unwrap(), policy, RetryMode::Caller)
            .with_timeout(Duration::from_millis(500))
            .with_queue(RetryQueue::new(moto::sqs(), url))
    };
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();

    // A queue that cannot be sent to: the record is the batch item failure (it comes again).
    let batch = reader.next_batch(100).await.unwrap().unwrap();
    let event: Event = serde_json::from_value(batch.event.clone()).unwrap();
    let (response, report) = handle(&with_queue(&format!("{queue_url}-missing")), &store, None, &event).await;
    assert_eq!(response.batch_item_failures.len(), 1, "{report:?}");
    reader.commit(&batch, report.failed_at.as_deref());

    // The stream only queues: one record per batch, none held although /crm is failing.
    let webhooks = with_queue(&queue_url);
    let outcomes = drain_to(&mut reader, &store, &webhooks, None, 1).await;
    assert!(outcomes.iter().all(Option::is_none), "{outcomes:?}");
    assert!(rx.received().is_empty(), "the stream side delivers nothing itself");
    assert_eq!(moto::messages_held(&queue_url).await, 6, "5 events for /crm, the erasure for /dead");

    // The queue's consumer, until the queue is empty.
    let mut seen: Vec<(String, u32, std::time::Instant, Outcome)> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while moto::messages_held(&queue_url).await > 0 {
        assert!(std::time::Instant::now() < deadline, "the queue never drained: {seen:?}");
        let Some(lambda_event) = moto::receive_as_lambda_event(&queue_url).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let batch: webhook_retries::SqsEvent = serde_json::from_value(lambda_event.clone()).unwrap();
        let (response, outcomes) = webhook_retries::handle(&webhooks, &batch).await;
        let record = &lambda_event["Records"][0];
        let queued: Queued = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        let count: u32 = record["attributes"]["ApproximateReceiveCount"].as_str().unwrap().parse().unwrap();
        if response.batch_item_failures.is_empty() {
            moto::delete(&queue_url, record["receiptHandle"].as_str().unwrap()).await;
        } else {
            assert_eq!(
                response.batch_item_failures[0].item_identifier,
                record["messageId"].as_str().unwrap()
            );
        }
        seen.push((
            format!("{}{}", queued.event_id, queued.subscriber),
            count,
            std::time::Instant::now(),
            outcomes[0].clone(),
        ));
    }

    // /crm got every event once, in order, the first after two failures with one id.
    let got = rx.accepted("/crm");
    assert_eq!(types(&got), WALK);
    assert!(got.iter().all(|r| r.verified));
    let crm_all: Vec<_> = rx.received().into_iter().filter(|r| r.path == "/crm").collect();
    assert_eq!(crm_all.len(), 7);
    assert!(crm_all[..3].iter().all(|r| r.id == got[0].id), "retries keep the webhook-id");
    // Attempt n is the message's n-th receive, and came no sooner than the policy's wait.
    let first = &seen[0].0;
    let attempts: Vec<_> = seen.iter().filter(|s| &s.0 == first).collect();
    assert_eq!(attempts.iter().map(|s| s.1).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(attempts[0].3, Outcome::Retry { attempt: 1, wait: policy.delay(1) });
    assert_eq!(attempts[1].3, Outcome::Retry { attempt: 2, wait: policy.delay(2) });
    assert_eq!(attempts[2].3, Outcome::Delivered);
    for n in 0..2 {
        let gap = attempts[n + 1].2 - attempts[n].2;
        assert!(gap >= policy.delay(n as u32 + 1), "retry {} after {gap:?}", n + 1);
    }
    // /dead: the erasure tried on every attempt, then in the dead letters, nothing else there.
    let dead_tries: Vec<_> = rx.received().into_iter().filter(|r| r.path == "/dead").collect();
    assert_eq!(dead_tries.len(), policy.attempts() as usize);
    assert!(dead_tries.iter().all(|r| r.body["type"] == "lead.erased"));
    assert!(seen.iter().any(|s| s.3 == Outcome::DeadLetter { attempt: policy.attempts() }), "{seen:?}");
    let mut dead = Vec::new();
    for _ in 0..5 {
        match moto::receive_as_lambda_event(&dead_url).await {
            Some(e) => dead.push(e),
            None if !dead.is_empty() => break,
            None => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(dead.len(), 1, "{dead:?}");
    let dead: Queued = serde_json::from_str(dead[0]["Records"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(dead.kind, "lead.erased");
    assert_eq!(dead.event_id, dead_tries[0].id);
    assert_eq!(webhooks.subscriber_by_id(&dead.subscriber).unwrap().1.url, rx.url("/dead"));
}

/// A batch with several messages of one group (a larger `BatchSize`): once one fails,
/// the rest of its group is reported failed untried; other groups go on.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_message_holds_back_the_rest_of_its_group_in_the_batch_and_only_that_group() {
    use leadflow::webhooks::queue::{consume, Outcome, Queued, Received, RetryQueue};
    let rx =
        Receiver::start(&[("/crm", SECRET)], |_, n| Answer::Status(if n == 0 { 503 } else { 200 })).await;
    let (queue_url, _) = leadflow_tests::moto::fifo_queue_with_dead_letters("leadflow-groups", 3).await;
    let webhooks =
        hooks(&rx.url("/crm"), false).with_queue(RetryQueue::new(leadflow_tests::moto::sqs(), queue_url));
    let sub = webhooks.subscribers()[0].id();
    let body = |event: &str, lead: &str| {
        serde_json::to_string(&Queued {
            subscriber: sub.clone(),
            event_id: event.into(),
            kind: "lead.created".into(),
            lead_id: serde_json::from_value(serde_json::json!(lead)).unwrap(),
            body: format!(r#"{{"type":"lead.created","timestamp":"2026-11-27T10:00:00Z","data":{{"lead_id":"{lead}"}}}}"#),
        })
        .unwrap()
    };
    let (a, b) = ("a".repeat(32), "b".repeat(32));
    let bodies = [body("evt_a_0", &a), body("evt_a_1", &a), body("evt_b_0", &b)];
    let groups = [format!("{sub}-{a}"), format!("{sub}-{a}"), format!("{sub}-{b}")];
    let batch: Vec<Received> = (0..3)
        .map(|i| Received {
            message_id: ["m0", "m1", "m2"][i],
            receipt_handle: "not-a-real-handle",
            body: &bodies[i],
            receive_count: 1,
            group: Some(&groups[i]),
        })
        .collect();
    let outcomes = consume(&webhooks, webhooks.queue().unwrap(), &batch).await;
    assert!(matches!(outcomes[0], Outcome::Retry { attempt: 1, .. }), "{outcomes:?}");
    assert_eq!(outcomes[1..], [Outcome::HeldBehind, Outcome::Delivered]);
    let ids: Vec<String> = rx.received().iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, ["evt_a_0", "evt_b_0"]);
}
