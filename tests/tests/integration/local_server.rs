//! End to end over HTTP: the local server (the Lambda handlers behind a listener on
//! 127.0.0.1) on both stores, from a form post to an accepted lead.

use std::net::SocketAddr;
use std::sync::Arc;

use leadflow::forms::sign_generic;
use leadflow::store::InMemoryStore;
use leadflow_infra::local_server::Tokens;
use leadflow_tests::http::{call, start_local_server, GENERIC_SECRET, NOW};
use leadflow_tests::{endpoint, fresh_dynamo_store};
use serde_json::Value;

fn tokens() -> Tokens {
    let mut t = Tokens::default();
    t.parse_one("sales-token=leads/read,leads/handover,leads/accept,leads/erase,funnel/read").unwrap();
    t.parse_one("reader-token=leads/read").unwrap();
    t.parse_one("score-token=leads/score").unwrap();
    t
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

const FORM: &[(&str, &str)] = &[("content-type", "application/x-www-form-urlencoded")];
const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

fn walkthrough(addr: SocketAddr) {
    let sales = [("authorization", "Bearer sales-token"), ("content-type", "application/json")];
    // A German web form.
    let (status, _, body) = call(addr, "POST", "/intake/web", FORM,
        "E-Mail=j.gross%40mueller-maschinenbau.de&Vorname=J%C3%BCrgen&Nachname=Gro%C3%9F&Position=Gesch%C3%A4ftsf%C3%BChrer&Mitarbeiter=120&Land=Deutschland&Kaufzeitraum=sofort&Budgetrolle=Entscheider&activity=demo_request".as_bytes());
    assert_eq!(status, 202, "{body}");
    let id = json(&body)["lead_id"].as_str().unwrap().to_owned();
    let (status, _, lead) = call(addr, "GET", &format!("/leads/{id}"), &sales, b"");
    assert_eq!((status, json(&lead)["stage"].as_str()), (200, Some("mql")), "{lead}");
    // A partner's signed JSON delivery (English).
    let partner = br#"{"email":"vp@megacorp-software.com","job_title":"VP Engineering","company_size":5000,"purchase_timeframe":"within 1 month","budget_role":"budget owner","activity":"quote_request"}"#;
    let signature = sign_generic(GENERIC_SECRET, NOW.unix(), partner);
    let (status, _, body) = call(
        addr,
        "POST",
        "/intake/partner",
        &[("content-type", "application/json"), ("x-leadflow-signature", &signature)],
        partner,
    );
    assert_eq!(status, 202, "{body}");

    let (status, _, body) = call(addr, "GET", "/leads?stage=mql&limit=1", &sales, b"");
    assert_eq!(status, 200, "{body}");
    let page = json(&body);
    assert_eq!(page["leads"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().expect("a second page").to_owned();
    let (status, _, body) =
        call(addr, "GET", &format!("/leads?stage=mql&limit=1&cursor={cursor}"), &sales, b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["next_cursor"], Value::Null);

    let (status, _, body) = call(addr, "GET", &format!("/leads/{id}"), &sales, b"");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["profile"]["last_name"], "Groß");

    let call_result = br#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true,"timing":true}}"#;
    let (status, _, body) = call(
        addr,
        "POST",
        &format!("/leads/{id}/handover"),
        &[("authorization", "Bearer reader-token"), ("content-type", "application/json")],
        call_result,
    );
    assert_eq!((status, json(&body)["type"].as_str().unwrap()), (403, "urn:leadflow:problem:missing-scope"));
    let (status, _, body) = call(
        addr,
        "POST",
        &format!("/leads/{id}/handover"),
        &[("authorization", "Bearer forged"), ("content-type", "application/json")],
        call_result,
    );
    assert_eq!((status, json(&body)["type"].as_str().unwrap()), (401, "urn:leadflow:problem:invalid-token"));
    let (status, _, body) = call(addr, "POST", &format!("/leads/{id}/handover"), &sales, call_result);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["stage"], "sql");

    let (status, _, body) = call(
        addr,
        "POST",
        &format!("/leads/{id}/acceptance"),
        &sales,
        br#"{"decision":"accept","owner":"T. Becker","opportunity_id":"CRM-1"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["stage"], "sal");

    // The waterfall, as JSON and as a chart, and erasure, over plain HTTP too.
    // On DynamoDB the events function counts from the stream, a moment after the writes.
    let day = leadflow::funnel::Day::of(NOW);
    let mut waited = 0;
    let (entered, body) = loop {
        let (status, _, body) = call(addr, "GET", &format!("/funnel?from={day}&to={day}"), &sales, b"");
        assert_eq!(status, 200, "{body}");
        let entered: Vec<u64> = json(&body)["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["entered"].as_u64().unwrap())
            .collect();
        if entered == [2, 2, 1, 1] || waited >= 200 {
            break (entered, body);
        }
        waited += 1;
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(entered, [2, 2, 1, 1], "{body}");
    let (status, head, body) = call(addr, "GET", &format!("/funnel.svg?from={day}&to={day}"), &sales, b"");
    assert_eq!(status, 200, "{body}");
    assert!(head.to_lowercase().contains("content-type: image/svg+xml"), "{head}");
    assert!(body.starts_with("<svg"), "{body}");
    let (status, _, body) = call(addr, "DELETE", &format!("/leads/{id}"), &sales, b"");
    assert_eq!((status, body.as_str()), (204, ""));
    let (status, _, _) = call(addr, "GET", &format!("/leads/{id}"), &sales, b"");
    assert_eq!(status, 404);
}

fn fifty_concurrent_posts_make_one_lead(addr: SocketAddr) {
    let threads: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                let body = format!(
                    r#"{{"email":"Rush@Alpenwerk.at","activity":"webinar","utm_content":"post-{i}"}}"#
                );
                call(addr, "POST", "/intake/web", JSON, body.as_bytes())
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for t in threads {
        let (status, _, body) = t.join().unwrap();
        assert_eq!(status, 202, "{body}");
        ids.insert(json(&body)["lead_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "one person, one lead");
    let id = ids.pop_first().unwrap();
    let (status, _, body) =
        call(addr, "GET", &format!("/leads/{id}"), &[("authorization", "Bearer sales-token")], b"");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["activity_count"], 50, "nothing lost");
}

#[test]
fn memory_store_walkthrough_to_sal() {
    walkthrough(start_local_server(|| async { InMemoryStore::new() }, tokens()));
}

/// A fresh table with the local server's events function following its stream.
async fn dynamodb_with_events() -> leadflow::store::DynamoStore {
    use leadflow::webhooks::delivery::{RetryMode, Webhooks};
    let store = fresh_dynamo_store().await;
    let none = Arc::new(Webhooks::new(Vec::new(), Default::default(), RetryMode::InProcess));
    let poll = std::time::Duration::from_millis(50);
    let table = store.table().to_owned();
    tokio::spawn(leadflow_infra::local_events::follow_stream(endpoint(), table, store.clone(), none, poll));
    store
}

#[test]
fn dynamodb_store_walkthrough_to_sal() {
    walkthrough(start_local_server(dynamodb_with_events, tokens()));
}

#[test]
fn memory_store_fifty_concurrent_posts() {
    fifty_concurrent_posts_make_one_lead(start_local_server(|| async { InMemoryStore::new() }, tokens()));
}

#[test]
fn dynamodb_store_fifty_concurrent_posts() {
    fifty_concurrent_posts_make_one_lead(start_local_server(fresh_dynamo_store, tokens()));
}

#[test]
fn open_sales_routes_without_tokens_and_oversized_bodies_refused() {
    let addr = start_local_server(|| async { InMemoryStore::new() }, Tokens::default());
    let (status, _, body) = call(addr, "GET", "/leads", &[], b"");
    assert_eq!(status, 200, "{body}");
    let big = vec![b'x'; 200 * 1024];
    let (status, _, body) = call(addr, "POST", "/intake/web", JSON, &big);
    assert_eq!(status, 413, "{body}");
}

#[test]
fn requalify_as_of_a_future_instant() {
    let addr = start_local_server(|| async { InMemoryStore::new() }, Tokens::default());
    let (status, _, body) = call(addr, "POST", "/intake/web", JSON,
        br#"{"email":"ceo@nordwind-logistik.de","job_title":"CEO","company_size":250,"country":"DE","purchase_timeframe":"within_3_months","budget_role":"decision_maker","inquiry_type":"sales","activity":"demo_request"}"#);
    assert_eq!(status, 202, "{body}");
    let id = json(&body)["lead_id"].as_str().unwrap().to_owned();
    let (status, _, lead) = call(addr, "GET", &format!("/leads/{id}"), &[], b"");
    assert_eq!((status, json(&lead)["stage"].as_str()), (200, Some("mql")), "{lead}");
    // What if nobody calls for three days? The call SLA (48 h) is breached.
    let as_of = NOW.plus_days(3);
    let (status, _, body) = call(addr, "POST", &format!("/_local/requalify?as_of={as_of}"), &[], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (json(&body)["read"].as_u64(), json(&body)["breaches"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    let (status, _, body) = call(addr, "POST", "/_local/requalify?as_of=soon", &[], b"");
    assert_eq!((status, json(&body)["field"].as_str()), (422, Some("as_of")));
}

#[test]
fn the_private_requalify_route_is_guarded_like_the_sales_routes() {
    let addr = start_local_server(|| async { InMemoryStore::new() }, tokens());
    let (status, _, body) = call(addr, "POST", "/_local/requalify", &[], b"");
    assert_eq!(status, 401, "{body}");
    let reader = [("authorization", "Bearer reader-token")];
    let (status, _, body) = call(addr, "POST", "/_local/requalify", &reader, b"");
    assert_eq!(status, 403, "{body}");
    let scorer = [("authorization", "Bearer score-token")];
    let (status, _, body) = call(addr, "POST", "/_local/requalify", &scorer, b"");
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = call(addr, "POST", "/_local/requalify?as_of=9999-12-31T23:59:59Z", &scorer, b"");
    assert_eq!(status, 422, "{body}");
}
