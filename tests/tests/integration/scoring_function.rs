//! The scoring function's three ways in: the schedule, `POST /leads/{id}/score`, and
//! direct actions; and response-time SLAs visible in the lead and the queue.

use leadflow::http::{route, Auth};
use std::time::{Duration, SystemTime};

use leadflow::http::App;
use leadflow::lambda::scoring::{handle_value, ScoringError, BATCH_MARGIN};
use leadflow::store::{InMemoryStore, LeadStore};
use leadflow::ManualClock;
use leadflow_tests::http::{app, body_json, event, event_json as read};
use serde_json::{json, Value};

const ID: &str = "7eca040473a28d575723c7f9bd59766e";

/// An invocation without a deadline (a context that has none).
async fn handle_any<S: LeadStore>(app: &App<S>, event: Value) -> Result<Value, ScoringError> {
    handle_value(app, event, SystemTime::UNIX_EPOCH).await
}

#[tokio::test]
async fn a_run_that_reaches_its_deadline_stops_says_so_and_leaves_the_rest_due() {
    let mut app = app(InMemoryStore::new(), Auth::Scopes);
    assert_eq!(route(&app, event("intake-json.json")).await.status(), 202);
    let lead = app.store.snapshot().pop().unwrap();
    let (breach_at, _) = app.scorer.sla_deadlines(&lead).unwrap();
    app.clock = std::sync::Arc::new(ManualClock::at(breach_at.plus_seconds(60)));
    // Lambda's deadline less the batch margin has passed: nothing is visited.
    let short = SystemTime::now() + BATCH_MARGIN - Duration::from_secs(1);
    let report = handle_value(&app, read("scheduled.json"), short).await.unwrap();
    assert_eq!((report["complete"].as_bool(), report["read"].as_u64()), (Some(false), Some(0)), "{report}");
    assert_eq!(app.store.snapshot().pop().unwrap().sla_breached_at, None, "untouched, still due");
    // The next run, with time to spare, takes it.
    let ample = SystemTime::now() + BATCH_MARGIN + Duration::from_secs(60);
    let report = handle_value(&app, read("scheduled.json"), ample).await.unwrap();
    assert_eq!(
        (report["complete"].as_bool(), report["breaches"].as_u64()),
        (Some(true), Some(1)),
        "{report}"
    );
}

#[tokio::test]
async fn scheduled_event_requalifies_the_due_leads_and_score_route_rescores_one() {
    let mut app = app(InMemoryStore::new(), Auth::Scopes);
    assert_eq!(route(&app, event("intake-json.json")).await.status(), 202);
    let lead = app.store.snapshot().pop().unwrap();
    let (breach_at, recycle_at) = app.scorer.sla_deadlines(&lead).unwrap();
    assert_eq!(lead.due_at, Some(breach_at), "an MQL is due when its call SLA runs out");

    // Nothing is due yet: the schedule reads nothing, writes nothing.
    let report = handle_any(&app, read("scheduled.json")).await.unwrap();
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(0), Some(0)));

    // Two days later nobody has called: the schedule flags the breach, visibly.
    app.clock = std::sync::Arc::new(ManualClock::at(breach_at));
    let report = handle_any(&app, read("scheduled.json")).await.unwrap();
    assert_eq!((report["read"].as_u64(), report["breaches"].as_u64()), (Some(1), Some(1)), "{report}");
    let r = route(&app, event("queue-mql.json")).await;
    let queued = &body_json(&r)["leads"][0];
    assert_eq!(queued["id"], ID);
    assert_eq!(queued["sla_breached_at"], json!(breach_at.to_string()));
    assert_eq!(queued["sla_deadline"], json!(breach_at.to_string()));

    // On demand, through API Gateway: nothing changed since, so nothing is written.
    let version = app.store.snapshot()[0].version;
    let response = handle_any(&app, read("score-lead.json")).await.unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["stage"], "mql");
    assert_eq!(app.store.snapshot()[0].version, version, "a re-score that changes nothing writes nothing");

    // The writing run does not look into the future: that would recycle leads for good.
    let ahead = handle_any(&app, json!({ "action": "requalify", "as_of": recycle_at.to_string() })).await;
    let error = ahead.unwrap_err();
    assert!(!error.retryable() && error.to_string().contains("ahead of the clock"), "{error}");
    assert_eq!(app.store.snapshot()[0].version, version, "a refused run writes nothing");
    // After the grace, as the clock tells it, the lead goes back to marketing, with the reason.
    app.clock = std::sync::Arc::new(leadflow::ManualClock::at(recycle_at));
    let report = handle_any(&app, json!({ "action": "requalify" })).await.unwrap();
    assert_eq!(report["transitions"], 1, "{report}");
    let lead = app.store.snapshot().pop().unwrap();
    assert_eq!(lead.stage, leadflow::Stage::Nurture);
    assert_eq!(lead.history.last().unwrap().reason, "sla_expired");
    assert_eq!(lead.history.last().unwrap().by, "sla_timer");
}

#[tokio::test]
async fn the_score_route_checks_scope_and_lead() {
    let app = app(InMemoryStore::new(), Auth::Scopes);
    let response = handle_any(&app, read("score-lead.json")).await.unwrap();
    assert_eq!(response["statusCode"], 404, "{response}");
    let mut wrong = read("score-lead.json");
    wrong["requestContext"]["authorizer"]["jwt"]["scopes"] = json!(["leads/read"]);
    let response = handle_any(&app, wrong).await.unwrap();
    assert_eq!(response["statusCode"], 403);
    assert_eq!(response["headers"]["content-type"], "application/problem+json");
    let mut get = read("score-lead.json");
    get["requestContext"]["http"]["method"] = json!("GET");
    let response = handle_any(&app, get).await.unwrap();
    assert_eq!(response["statusCode"], 405);
}

#[tokio::test]
async fn unknown_events_are_invocation_errors() {
    let app = app(InMemoryStore::new(), Auth::Scopes);
    for (event, expected) in [
        (json!({ "action": "explode" }), "unknown action `explode`"),
        (json!({ "hello": "world" }), "not a scheduled event"),
        (json!({ "action": "requalify", "as_of": "tomorrow" }), "`as_of`"),
    ] {
        let err = handle_any(&app, event).await.unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
}

/// A what-if: who leaves MQL by then, and why, read from the due index and written
/// nowhere, on both stores alike.
#[tokio::test]
async fn the_forecast_reads_the_due_leads_and_writes_nothing() {
    let app = app(InMemoryStore::new(), Auth::Scopes);
    assert_eq!(route(&app, event("intake-json.json")).await.status(), 202);
    let lead = app.store.snapshot().pop().unwrap();
    let (breach_at, recycle_at) = app.scorer.sla_deadlines(&lead).unwrap();
    let forecast = |as_of: String, scopes: &'static [&'static str]| {
        let req =
            leadflow_tests::http::request("GET", &format!("/forecast?as_of={as_of}"), Some(scopes), "", "");
        route(&app, req)
    };
    let doc = leadflow_tests::openapi::document();
    let before = app.store.snapshot();

    let r = forecast(breach_at.to_string(), &["leads/read"]).await;
    assert_eq!(r.status(), 200);
    let body = body_json(&r);
    leadflow_tests::openapi::check(&doc, "GET", "/forecast", 200, "application/json", &body);
    assert_eq!((body["read"].as_u64(), body["breaches"].as_u64()), (Some(1), Some(1)), "{body}");
    assert_eq!(body["leads"][0]["breached"], true);

    let r = forecast(recycle_at.to_string(), &["leads/read"]).await;
    let body = body_json(&r);
    assert_eq!(body["moves"]["mql"]["nurture"], 1, "{body}");
    assert_eq!(
        (body["leads"][0]["id"].as_str(), body["leads"][0]["reason"].as_str()),
        (Some(ID), Some("sla_expired"))
    );
    assert_eq!(app.store.snapshot(), before, "a forecast writes nothing");

    for (query, status) in [("tomorrow", 422), ("9999-12-31T23:59:59Z", 422)] {
        let r = forecast(query.into(), &["leads/read"]).await;
        assert_eq!(r.status(), status, "{query}: {}", body_json(&r));
    }
    let r =
        route(&app, leadflow_tests::http::request("GET", "/forecast", Some(&["leads/read"]), "", "")).await;
    assert_eq!(r.status(), 422);
    assert_eq!(forecast(breach_at.to_string(), &["leads/score"]).await.status(), 403);
}
