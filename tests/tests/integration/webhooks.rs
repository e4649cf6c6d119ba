//! Outbound webhooks against a real local receiver that verifies every signature with the
//! `standardwebhooks` crate and fails on purpose: 5xx, no answer, 410 Gone.

use std::sync::Arc;
use std::time::Duration;

use leadflow::domain::events::{derive, LeadEvent};
use leadflow::webhooks::delivery::{RetryMode, RetryPolicy, Webhooks};
use leadflow::webhooks::subscribers_from_json;
use leadflow::{Lead, LeadId, Profile, Stage, Timestamp, Trigger};
use leadflow_tests::webhook_receiver::{Answer, Receiver};

const SECRET_A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_B: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const WAIT: Duration = Duration::from_secs(20);

fn lead(hex: char) -> Lead {
    let profile = Profile {
        email: format!("{hex}@example.com"),
        company_domain: "example.com".into(),
        ..Profile::default()
    };
    let mut l =
        Lead::new(LeadId::parse(&hex.to_string().repeat(32)).unwrap(), "web", profile, Timestamp::now());
    l.version = 1;
    l
}

/// A lead's creation, then its move to MQL, as two changes.
fn walk(hex: char) -> (Vec<LeadEvent>, Vec<LeadEvent>) {
    let created = lead(hex);
    let mut mql = created.clone();
    mql.version = 2;
    mql.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, Timestamp::now()).unwrap();
    (derive(None, Some(&created), Timestamp::now()), derive(Some(&created), Some(&mql), Timestamp::now()))
}

fn webhooks(json: &str, policy: RetryPolicy, mode: RetryMode) -> Arc<Webhooks> {
    Arc::new(
        Webhooks::new(subscribers_from_json(json).unwrap(), policy, mode)
            .with_timeout(Duration::from_millis(300)),
    )
}

fn fast(retries: u32) -> RetryPolicy {
    RetryPolicy { base: Duration::from_millis(20), retries }
}

#[tokio::test]
async fn deliveries_are_signed_per_the_standard_and_follow_each_subscription() {
    let rx = Receiver::start(&[("/all", SECRET_A), ("/crm", SECRET_B)], |_, _| Answer::Status(204)).await;
    let config = format!(
        r#"[{{"url": "{}", "secret": "{SECRET_A}"}},
            {{"url": "{}", "secret": ["{SECRET_B}", "{SECRET_A}"], "events": ["lead.stage_changed"], "include_person": true}}]"#,
        rx.url("/all"),
        rx.url("/crm")
    );
    let hooks = webhooks(&config, fast(3), RetryMode::InProcess);
    let (created, moved) = walk('a');
    let first = hooks.publish(&created).await;
    let second = hooks.publish(&moved).await;
    assert_eq!((first.delivered, second.delivered), (1, 2), "{first:?} {second:?}");

    let got = rx.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.verified), "every signature verifies independently: {got:#?}");
    let all: Vec<_> = got.iter().filter(|r| r.path == "/all").collect();
    assert_eq!(
        all.iter().map(|r| r.body["type"].as_str().unwrap()).collect::<Vec<_>>(),
        ["lead.created", "lead.stage_changed"]
    );
    assert_eq!(all[0].id, created[0].id, "webhook-id is the event's id");
    assert_eq!(all[1].body["data"]["to"], "mql");
    assert!(all[1].body["data"].get("person").is_none(), "no personal data by default");
    assert!(!all.iter().any(|r| r.body.to_string().contains("a@example.com")));
    let crm: Vec<_> = got.iter().filter(|r| r.path == "/crm").collect();
    assert_eq!(crm.len(), 1, "only the subscribed type");
    assert_eq!(crm[0].body["data"]["person"]["email"], "a@example.com", "opted in");
    assert_eq!(crm[0].signature.split(' ').count(), 2, "signed with both secrets while rotating");
    assert_eq!(crm[0].body["data"]["lead_id"], "a".repeat(32));
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_the_same_id_and_a_lead_stays_in_order() {
    // /crm fails its first two requests (503, then no answer), then accepts.
    let rx = Receiver::start(&[("/crm", SECRET_A)], |_, n| match n {
        0 => Answer::Status(503),
        1 => Answer::Hang,
        _ => Answer::Status(200),
    })
    .await;
    let hooks = webhooks(
        &format!(r#"[{{"url": "{}", "secret": "{SECRET_A}"}}]"#, rx.url("/crm")),
        fast(5),
        RetryMode::InProcess,
    );
    let retries = tokio::spawn(hooks.clone().run_retries());
    let (a_created, a_moved) = walk('a');
    let (b_created, _) = walk('b');
    let r1 = hooks.publish(&a_created).await;
    assert_eq!((r1.delivered, r1.waiting), (0, 1), "{r1:?}");
    // The lead's move waits behind its creation, even if the endpoint is up by now.
    let r2 = hooks.publish(&a_moved).await;
    assert_eq!(r2.delivered, 0, "{r2:?}");
    let got = rx.wait_for(WAIT, |g| g.iter().filter(|r| r.answer == Answer::Status(200)).count() >= 2).await;
    // Once the queue is through, the lead is sent straight away again; other leads always were.
    let r3 = hooks.publish(&b_created).await;
    assert_eq!((r3.delivered, r3.waiting), (1, 0), "{r3:?}");
    retries.abort();
    let accepted = rx.accepted("/crm");
    let ids: Vec<&str> = accepted.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [a_created[0].id.as_str(), a_moved[0].id.as_str(), b_created[0].id.as_str()],
        "in order: {got:#?}"
    );
    let attempts_of_first: Vec<_> = got.iter().filter(|r| r.id == a_created[0].id).collect();
    assert_eq!(attempts_of_first.len(), 3, "503, timeout, 200: {got:#?}");
    assert!(attempts_of_first.iter().all(|r| r.verified));
    assert_eq!(
        attempts_of_first.iter().map(|r| r.answer).collect::<Vec<_>>(),
        [Answer::Status(503), Answer::Hang, Answer::Status(200)]
    );
    assert!(hooks.dead_letters().await.is_empty());
}

#[tokio::test]
async fn an_endpoint_that_never_recovers_is_dead_lettered_after_the_last_retry() {
    let rx = Receiver::start(&[("/down", SECRET_A)], |_, _| Answer::Status(500)).await;
    let hooks = webhooks(
        &format!(r#"[{{"url": "{}", "secret": "{SECRET_A}"}}]"#, rx.url("/down")),
        fast(2),
        RetryMode::InProcess,
    );
    let retries = tokio::spawn(hooks.clone().run_retries());
    let (created, _) = walk('c');
    hooks.publish(&created).await;
    let start = std::time::Instant::now();
    while hooks.dead_letters().await.is_empty() && start.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    retries.abort();
    let dead = hooks.dead_letters().await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].event_id, created[0].id);
    assert_eq!(dead[0].attempts, 3, "the first attempt and two retries");
    assert_eq!(dead[0].last_failure, "status 500");
    assert_eq!(rx.received().len(), 3);
    assert_eq!(hooks.next_retry_at().await, None, "nothing waits after the dead letter");
}

#[tokio::test]
async fn a_410_disables_that_endpoint_and_only_that_one() {
    let rx = Receiver::start(&[("/gone", SECRET_A), ("/ok", SECRET_A)], |path, _| {
        if path == "/gone" {
            Answer::Status(410)
        } else {
            Answer::Status(200)
        }
    })
    .await;
    let config = format!(
        r#"[{{"url": "{}", "secret": "{SECRET_A}"}}, {{"url": "{}", "secret": "{SECRET_A}"}}]"#,
        rx.url("/gone"),
        rx.url("/ok")
    );
    let hooks = webhooks(&config, fast(3), RetryMode::InProcess);
    let (created, moved) = walk('d');
    let first = hooks.publish(&created).await;
    assert_eq!((first.delivered, first.waiting), (1, 0), "a 410 is not retried: {first:?}");
    assert!(hooks.is_disabled(0).await && !hooks.is_disabled(1).await);
    let second = hooks.publish(&moved).await;
    assert_eq!((second.delivered, second.disabled), (1, 1), "{second:?}");
    assert_eq!(rx.received().iter().filter(|r| r.path == "/gone").count(), 1, "never called again");
}

#[tokio::test]
async fn in_caller_mode_a_failure_is_handed_back_and_the_leads_later_events_held() {
    let rx = Receiver::start(&[("/crm", SECRET_A)], |_, n| {
        if n == 0 {
            Answer::Status(502)
        } else {
            Answer::Status(200)
        }
    })
    .await;
    let hooks = webhooks(
        &format!(r#"[{{"url": "{}", "secret": "{SECRET_A}"}}]"#, rx.url("/crm")),
        fast(3),
        RetryMode::Caller,
    );
    let (a_created, a_moved) = walk('e');
    let (b_created, _) = walk('f');
    let events: Vec<LeadEvent> = a_created.iter().chain(&a_moved).chain(&b_created).cloned().collect();
    let report = hooks.publish(&events).await;
    assert_eq!(report.undelivered, [a_created[0].id.clone(), a_moved[0].id.clone()], "{report:?}");
    assert_eq!(report.delivered, 1, "the other lead goes on");
    let ids: Vec<String> = rx.received().iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, [a_created[0].id.clone(), b_created[0].id.clone()], "the held move was never sent");
    assert_eq!(hooks.next_retry_at().await, None, "nothing waits in the process");
}

/// A 410 is on record in the store: a new instance (a cold start) does not call the
/// endpoint again; a changed URL is a new endpoint.
async fn a_410_outlives_the_process(memory: Arc<dyn leadflow::webhooks::delivery::EndpointMemory>) -> String {
    let rx = Receiver::start(&[("/crm", SECRET_A), ("/gone", SECRET_A), ("/moved", SECRET_A)], |path, _| {
        Answer::Status(if path == "/gone" { 410 } else { 200 })
    })
    .await;
    let config = |gone: &str| {
        format!(
            r#"[{{"url": "{}", "secret": "{SECRET_A}"}}, {{"url": "{}", "secret": "{SECRET_A}"}}]"#,
            rx.url("/crm"),
            rx.url(gone)
        )
    };
    let policy = RetryPolicy { base: Duration::from_millis(10), retries: 1 };
    let start = |gone: &str| {
        Webhooks::new(subscribers_from_json(&config(gone)).unwrap(), policy, RetryMode::Caller)
            .with_disabled_endpoints(memory.clone())
    };
    let (created, mql) = walk('d');
    let first = start("/gone");
    assert_eq!(first.recall_disabled().await.unwrap(), 0);
    first.publish(&created).await;
    assert!(first.is_disabled(1).await);

    // A cold start: the record disables it before any call.
    let second = start("/gone");
    assert_eq!(second.recall_disabled().await.unwrap(), 1);
    assert!(second.is_disabled(1).await && !second.is_disabled(0).await);
    let report = second.publish(&mql).await;
    assert_eq!((report.delivered, report.disabled), (1, 1), "{report:?}");
    let to = |path: &str| rx.received().iter().filter(|r| r.path == path).count();
    assert_eq!((to("/crm"), to("/gone")), (2, 1), "the gone endpoint was called once");

    // A new URL is a new endpoint.
    let moved = start("/moved");
    assert_eq!(moved.recall_disabled().await.unwrap(), 0);
    moved.publish(&mql).await;
    assert_eq!(to("/moved"), 1);
    first.subscribers()[1].id()
}

#[tokio::test]
async fn a_410_outlives_the_process_in_memory() {
    a_410_outlives_the_process(Arc::new(leadflow::store::InMemoryStore::new())).await;
}

#[tokio::test]
async fn a_410_outlives_the_process_on_dynamodb_until_its_item_is_deleted() {
    use leadflow::store::DisabledEndpoints;
    let store = leadflow_tests::fresh_dynamo_store().await;
    let gone = a_410_outlives_the_process(Arc::new(store.clone())).await;
    let key = |pk: String| {
        std::collections::HashMap::from([
            ("PK".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S(pk)),
            ("SK".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("DISABLED".into())),
        ])
    };
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(key(format!("WEBHOOK#{gone}"))))
        .send()
        .await
        .unwrap()
        .item
        .expect("the record of the 410");
    assert!(item["url"].as_s().unwrap().ends_with("/gone"), "{item:?}");
    // No lead image: the events function skips it; scans skip it.
    assert!(leadflow_tests::all_leads(&store).await.is_empty());
    // Deleting the record re-enables the endpoint.
    store
        .client()
        .delete_item()
        .table_name(store.table())
        .set_key(Some(key(format!("WEBHOOK#{gone}"))))
        .send()
        .await
        .unwrap();
    assert!(store.disabled_endpoints(&[gone]).await.unwrap().is_empty());
}
