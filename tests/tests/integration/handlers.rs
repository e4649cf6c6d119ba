//! The handlers fed with real API Gateway v2 events (tests/events), parsed by
//! lambda_http itself: a form post walks to an accepted lead (SAL).

use lambda_http::{Body, Response};
use leadflow::forms::sign_hubspot_v3;
use leadflow::http::{acceptance, handover, intake, Auth};
use leadflow::store::InMemoryStore;
use leadflow::Stage;
use leadflow_tests::http::{
    app, body_json, event, event_json, lead_view, problem_slug, request, HUBSPOT_SECRET, NOW,
};
use leadflow_tests::openapi;
use serde_json::Value;

const ID: &str = "7eca040473a28d575723c7f9bd59766e";

fn content_type(r: &Response<Body>) -> String {
    r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

fn checked(doc: &Value, method: &str, template: &str, r: &Response<Body>) -> Value {
    let body = body_json(r);
    openapi::check(doc, method, template, r.status().as_u16(), &content_type(r), &body);
    body
}

#[tokio::test]
async fn a_form_post_walks_to_an_accepted_lead() {
    let doc = openapi::document();
    let app = app(InMemoryStore::new(), Auth::Scopes);

    let r = intake::handle(&app, event("intake-json.json")).await;
    assert_eq!(r.status(), 202, "{}", body_json(&r));
    let body = checked(&doc, "POST", "/intake/{source}", &r);
    // Content-free: the lead id and whether it was a replay, nothing else.
    assert_eq!(body, serde_json::json!({ "lead_id": ID, "replay": false }));
    let lead = &lead_view(&app, ID).await;
    assert_eq!(lead["stage"], "mql");
    assert_eq!(lead["grade"], "A");
    let sum: i64 =
        lead["explanation"].as_array().unwrap().iter().map(|c| c["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, lead["score"]["total"].as_i64().unwrap());
    assert_eq!(lead["history"][0]["to"], "mql");

    // The form tool retries the same delivery: nothing new, the same 202, flagged.
    let r = intake::handle(&app, event("intake-json.json")).await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["idempotent-replayed"], "true");
    let body = checked(&doc, "POST", "/intake/{source}", &r);
    assert_eq!(body, serde_json::json!({ "lead_id": ID, "replay": true }));
    assert_eq!(lead_view(&app, ID).await["activity_count"], 1);

    // A German urlencoded form.
    let r = intake::handle(&app, event("intake-form-de.json")).await;
    assert_eq!(r.status(), 202, "{}", body_json(&r));
    let german = checked(&doc, "POST", "/intake/{source}", &r);
    let german = lead_view(&app, german["lead_id"].as_str().unwrap()).await;
    assert_eq!(german["stage"], "mql", "{german:#}");

    let r = handover::handle(&app, event("get-lead.json")).await;
    assert_eq!(r.status(), 200);
    let body = checked(&doc, "GET", "/leads/{id}", &r);
    assert_eq!(body["profile"]["email"], "ceo@nordwind-logistik.de");
    assert_eq!(body["profile"]["first_name"], "Anna");
    assert_eq!(body["attributes"]["utm_campaign"], "herbst-2026");

    let r = handover::handle(&app, event("queue-mql.json")).await;
    assert_eq!(r.status(), 200);
    let body = checked(&doc, "GET", "/leads", &r);
    let totals: Vec<i64> =
        body["leads"].as_array().unwrap().iter().map(|l| l["score"]["total"].as_i64().unwrap()).collect();
    assert_eq!(totals.len(), 2);
    assert!(totals[0] >= totals[1]);
    // Summaries: a queue page stays small whatever its leads went through.
    for l in body["leads"].as_array().unwrap() {
        for heavy in ["history", "explanation", "answers", "activities", "attributes", "profile"] {
            assert!(l.get(heavy).is_none(), "a queue entry carries `{heavy}`: {l}");
        }
    }
    assert_eq!(body["next_cursor"], Value::Null);

    let r = handover::handle(&app, event("handover-qualified.json")).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let body = checked(&doc, "POST", "/leads/{id}/handover", &r);
    assert_eq!(body["stage"], "sql");
    assert_eq!(body["owner"], "Inside Sales: M. Weber");
    assert_eq!(body["history"][1]["trigger"], "handover");
    // The same call again (a retry): 200, the lead as it is, no second move.
    let r = handover::handle(&app, event("handover-qualified.json")).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    assert_eq!(checked(&doc, "POST", "/leads/{id}/handover", &r)["history"].as_array().unwrap().len(), 2);

    let r = acceptance::handle(&app, event("acceptance-accept.json")).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let body = checked(&doc, "POST", "/leads/{id}/acceptance", &r);
    assert_eq!(body["stage"], "sal");
    assert_eq!(body["opportunity_id"], "CRM-OPP-4711");
    let stages: Vec<&str> =
        body["history"].as_array().unwrap().iter().map(|t| t["to"].as_str().unwrap()).collect();
    assert_eq!(stages, ["mql", "sql", "sal"]);

    // The same acceptance again (a retry whose first answer was lost) finds its work
    // done: 200, nothing moved twice.
    let r = acceptance::handle(&app, event("acceptance-accept.json")).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let body = checked(&doc, "POST", "/leads/{id}/acceptance", &r);
    assert_eq!((body["stage"].as_str(), body["history"].as_array().unwrap().len()), (Some("sal"), 3));
    // Another decision on an accepted lead is an illegal move that names the stage.
    let other = r#"{"decision": "reject", "owner": "Key Account: T. Becker", "reason": "no_budget"}"#;
    let path = format!("/leads/{ID}/acceptance");
    let r =
        acceptance::handle(&app, request("POST", &path, Some(&["leads/accept"]), "application/json", other))
            .await;
    assert_eq!(r.status(), 409);
    assert_eq!(problem_slug(&r), "illegal-transition");
    let body = checked(&doc, "POST", "/leads/{id}/acceptance", &r);
    assert_eq!(body["stage"], Stage::Sal.id());
}

#[tokio::test]
async fn sample_events_need_their_scopes() {
    let app = app(InMemoryStore::new(), Auth::Scopes);
    // The handover event carries `leads/handover` only: reading needs `leads/read`.
    let mut req = event("handover-qualified.json");
    *req.method_mut() = lambda_http::http::Method::GET;
    *req.uri_mut() = format!("/leads/{ID}").parse().unwrap();
    let r = handover::handle(&app, req).await;
    assert_eq!(r.status(), 403);
    assert_eq!(problem_slug(&r), "missing-scope");
}

#[test]
#[should_panic(expected = "does not match openapi.json")]
fn the_openapi_check_catches_an_undocumented_body() {
    let doc = openapi::document();
    let body =
        serde_json::json!({ "lead_id": "7eca040473a28d575723c7f9bd59766e", "replay": false, "stage": "mql" });
    openapi::check(&doc, "POST", "/intake/{source}", 202, "application/json", &body);
}

/// HubSpot signs `https://<host><path>?<query>` as it called it. Under API Gateway that
/// is the request context's domain name with the raw path and the raw query string; the
/// sample event's query holds what URL parsing would change (`'`, a lower-case `%7e`,
/// `+`, escaped `/ ? @`, brackets and a bar), and its `host` header names another host
/// than the one HubSpot called.
#[tokio::test]
async fn hubspot_v3_is_verified_over_the_url_as_called() {
    let doc = openapi::document();
    let app = app(InMemoryStore::new(), Auth::Scopes);
    let sample = event_json("intake-hubspot.json");
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let raw_url = format!(
        "https://{}{}?{}",
        text(&sample["requestContext"]["domainName"]),
        text(&sample["rawPath"]),
        text(&sample["rawQueryString"])
    );
    assert!(raw_url.contains("%7e") && raw_url.contains('\'') && raw_url.contains("%2F"), "{raw_url}");
    let body = text(&sample["body"]);
    let ms = NOW.unix() * 1000;
    let signed_over = |url: &str| {
        let mut e = sample.clone();
        e["headers"]["x-hubspot-request-timestamp"] = ms.to_string().into();
        e["headers"]["x-hubspot-signature-v3"] =
            sign_hubspot_v3(HUBSPOT_SECRET, "POST", url, body.as_bytes(), ms).into();
        lambda_http::request::from_str(&e.to_string()).expect("an API Gateway v2 event")
    };

    // What the request looks like after parsing is not what HubSpot called.
    let parsed = signed_over(&raw_url);
    let from_parsed = format!(
        "https://{}{}?{}",
        parsed.headers()["host"].to_str().unwrap(),
        parsed.uri().path(),
        parsed.uri().query().unwrap()
    );
    assert_ne!(from_parsed, raw_url);
    let r = intake::handle(&app, signed_over(&from_parsed)).await;
    assert_eq!(r.status(), 401, "{}", body_json(&r));
    assert_eq!(problem_slug(&r), "bad-signature");
    let r = intake::handle(&app, signed_over(&raw_url.replace("%7e", "~"))).await;
    assert_eq!(r.status(), 401, "the query is taken byte for byte");

    let r = intake::handle(&app, signed_over(&raw_url)).await;
    assert_eq!(r.status(), 202, "{}", body_json(&r));
    checked(&doc, "POST", "/intake/{source}", &r);
    let id = leadflow::LeadId::parse(body_json(&r)["lead_id"].as_str().unwrap()).unwrap();
    let lead = leadflow::store::LeadStore::get(&app.store, &id).await.unwrap().unwrap();
    assert_eq!(lead.profile.email, "info@müller.de");
    assert_eq!(lead.profile.company_domain, "xn--mller-kva.de");
    assert_eq!(lead.profile.first_name.as_deref(), Some("Jürgen"));
}

/// `POST /lookup`: the lead for an email, in any spelling of the address, read with one
/// key lookup and changing nothing; 404 for an email no lead has (or no valid email).
#[tokio::test]
async fn a_contact_is_looked_up_by_email() {
    let doc = openapi::document();
    let app = app(InMemoryStore::new(), Auth::Scopes);
    let r = handover::handle(&app, event("lookup.json")).await;
    assert_eq!((r.status().as_u16(), problem_slug(&r)), (404, "not-found".to_owned()));
    checked(&doc, "POST", "/lookup", &r);

    assert_eq!(intake::handle(&app, event("intake-json.json")).await.status(), 202);
    let before = lead_view(&app, ID).await;
    let r = handover::handle(&app, event("lookup.json")).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let body = checked(&doc, "POST", "/lookup", &r);
    assert_eq!(body["id"], ID);
    assert_eq!(body, before, "the lookup answers the lead as GET /leads/{{id}} does");
    assert_eq!(lead_view(&app, ID).await, before, "a lookup changes nothing");

    let lookup = |body: &str, scopes: &[&str], content_type: &str| {
        leadflow_tests::http::request("POST", "/lookup", Some(scopes), content_type, body)
    };
    let read = ["leads/read"];
    for (body, status, slug) in [
        (r#"{"email":"ｃｅｏ＠nordwind-logistik.de"}"#, 200, ""),
        (r#"{"email":"someone.else@nordwind-logistik.de"}"#, 404, "not-found"),
        (r#"{"email":"not an email"}"#, 404, "not-found"),
        (r#"{"email":"ceo@nordwind\u200b-logistik.de"}"#, 404, "not-found"),
        (r#"{"email":""}"#, 422, "invalid-field"),
        (r#"{}"#, 422, "invalid-field"),
        (r#"{"email":"ceo@nordwind-logistik.de","stage":"mql"}"#, 422, "invalid-field"),
        (r#"{"email":"#, 400, "malformed-request"),
    ] {
        let r = handover::handle(&app, lookup(body, &read, "application/json")).await;
        assert_eq!(
            (r.status().as_u16(), problem_slug(&r).as_str()),
            (status, slug),
            "{body}: {}",
            body_json(&r)
        );
        checked(&doc, "POST", "/lookup", &r);
    }
    let long = format!(r#"{{"email":"{}@nordwind-logistik.de"}}"#, "a".repeat(1_100));
    let r = handover::handle(&app, lookup(&long, &read, "application/json")).await;
    assert_eq!((r.status().as_u16(), problem_slug(&r)), (422, "invalid-field".to_owned()));
    let body = r#"{"email":"ceo@nordwind-logistik.de"}"#;
    let r = handover::handle(&app, lookup(body, &read, "text/plain")).await;
    assert_eq!(r.status(), 415);
    let r = handover::handle(&app, lookup(body, &["leads/handover"], "application/json")).await;
    assert_eq!((r.status().as_u16(), problem_slug(&r)), (403, "missing-scope".to_owned()));
    checked(&doc, "POST", "/lookup", &r);
    let r = handover::handle(
        &app,
        leadflow_tests::http::request("POST", "/lookup", None, "application/json", body),
    )
    .await;
    assert_eq!(r.status(), 401);
    checked(&doc, "POST", "/lookup", &r);
    assert_eq!(lead_view(&app, ID).await, before, "no lookup changed the lead");
}
