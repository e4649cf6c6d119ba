//! Privacy by design: consent recorded at intake, erasure that leaves no trace of the
//! person in the raw table (while the funnel keeps its counts), and the objection to
//! profiling that stops scoring.

use aws_sdk_dynamodb::types::AttributeValue;
use leadflow::http::{route, App, Auth};
use leadflow::store::{InMemoryStore, LeadStore};
use leadflow_tests::http::{app, body_json, body_text, lead_view, request, NOW};
use leadflow_tests::{fresh_dynamo_store, openapi, raw_scan, CountFunnel};
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
/// A German contact form with consent, as a web form posts it.
const JUERGEN: &str = "E-Mail=j.gross%40mueller-maschinenbau.de&Vorname=J%C3%BCrgen&Nachname=Gro%C3%9F\
    &Telefon=%2B49+170+5550123&Position=Gesch%C3%A4ftsf%C3%BChrer&Mitarbeiter=120&Land=Deutschland\
    &Kaufzeitraum=sofort&Budgetrolle=Entscheider&activity=demo_request\
    &Einwilligung=ja&Einwilligung_Version=kontakt-2026-11";

async fn call<S: LeadStore>(
    app: &App<S>,
    method: &str,
    path: &str,
    scopes: &[&str],
    ct: &str,
    body: &str,
) -> (u16, Value) {
    let r = route(app, request(method, path, Some(scopes), ct, body)).await;
    let status = r.status().as_u16();
    let value = if body_text(&r).is_empty() { Value::Null } else { body_json(&r) };
    (status, value)
}

/// Every text a raw item holds, attribute names and nested values included.
fn texts(value: &AttributeValue, out: &mut Vec<String>) {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => out.push(s.clone()),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => out.extend(v.iter().cloned()),
        AttributeValue::L(items) => items.iter().for_each(|v| texts(v, out)),
        AttributeValue::M(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            texts(v, out)
        }),
        AttributeValue::B(b) => out.push(String::from_utf8_lossy(b.as_ref()).into_owned()),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn erasure_leaves_no_trace_of_the_person_and_keeps_the_funnel() {
    let mut app = app(fresh_dynamo_store().await, Auth::Scopes);
    let clock = std::sync::Arc::new(leadflow::ManualClock::at(NOW));
    app.clock = clock.clone();
    let doc = openapi::document();
    let (status, created) = call(&app, "POST", "/intake/web", &[], FORM, JUERGEN).await;
    assert_eq!(status, 202, "{created}");
    assert!(created.get("consent").is_none(), "the public intake response shows no consent");
    let id = created["lead_id"].as_str().unwrap().to_owned();

    // Consent: what, when, where; shown to sales.
    let (status, lead) = call(&app, "GET", &format!("/leads/{id}"), &["leads/read"], "", "").await;
    assert_eq!(status, 200);
    openapi::check(&doc, "GET", "/leads/{id}", 200, JSON, &lead);
    assert_eq!(
        lead["consent"],
        json!({ "given": true, "text_version": "kontakt-2026-11", "at": NOW.to_string(), "source": "web" })
    );
    let handover = r#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true,"timing":true}}"#;
    let (status, _) =
        call(&app, "POST", &format!("/leads/{id}/handover"), &["leads/handover"], JSON, handover).await;
    assert_eq!(status, 200);
    let funnel = "/funnel?from=2026-11-27&to=2026-11-27";
    app.store.count_funnel().await;
    let (_, before) = call(&app, "GET", funnel, &["funnel/read"], "", "").await;
    assert_eq!(before["stages"][2]["entered"], 1, "{before}");

    // The person as they appear in the raw table, before: the scan does find them.
    let person = ["j.gross@mueller-maschinenbau.de", "j.gross", "Jürgen", "Groß", "5550123"];
    let found = |items: &[leadflow_tests::RawItem]| -> Vec<String> {
        let mut all = Vec::new();
        for item in items {
            for (name, value) in item {
                all.push(name.clone());
                texts(value, &mut all);
            }
        }
        all.into_iter().filter(|t| person.iter().any(|p| t.contains(p))).collect()
    };
    assert!(!found(&raw_scan(&app.store).await).is_empty(), "the check must see the person before");

    let (status, body) = call(&app, "DELETE", &format!("/leads/{id}"), &["leads/erase"], "", "").await;
    assert_eq!((status, body), (204, Value::Null));
    let items = raw_scan(&app.store).await;
    assert_eq!(found(&items), Vec::<String>::new(), "personal data left in the table");
    assert!(!items.is_empty(), "the funnel's aggregates stay");
    app.store.count_funnel().await;
    let (_, after) = call(&app, "GET", funnel, &["funnel/read"], "", "").await;
    assert_eq!(after, before, "erasure keeps the funnel's counts");
    let (status, _) = call(&app, "GET", &format!("/leads/{id}"), &["leads/read"], "", "").await;
    assert_eq!(status, 404);
    let (status, problem) = call(&app, "DELETE", &format!("/leads/{id}"), &["leads/erase"], "", "").await;
    assert_eq!((status, problem["type"].as_str()), (404, Some("urn:leadflow:problem:not-found")));

    // The same person later: a fresh lead, nothing remembered.
    clock.advance_seconds(3600);
    let (status, again) = call(&app, "POST", "/intake/web", &[], FORM, JUERGEN).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["lead_id"], id.as_str(), "the id is the keyed hash of the email");
    let again = lead_view(&app, &id).await;
    assert_eq!(again["version"], 1);
    assert_eq!(again["activity_count"], 1);
    assert_eq!(again["history"].as_array().unwrap().len(), 1, "{again}");
    app.store.count_funnel().await;
    let (_, counted) = call(&app, "GET", funnel, &["funnel/read"], "", "").await;
    assert_eq!(counted["stages"][0]["entered"], 2, "a fresh lead enters the funnel again");
}

#[tokio::test]
async fn an_objection_to_profiling_stops_scoring_and_the_lead_stays() {
    let app = app(InMemoryStore::new(), Auth::Scopes);
    let (_, created) = call(&app, "POST", "/intake/web", &[], FORM, JUERGEN).await;
    let id = created["lead_id"].as_str().unwrap().to_owned();
    assert_eq!(lead_view(&app, &id).await["stage"], "mql");

    let body = r#"{"by":"Datenschutz (A. Klein)","note":"Widerspruch per E-Mail"}"#;
    let (status, lead) =
        call(&app, "POST", &format!("/leads/{id}/objection"), &["leads/erase"], JSON, body).await;
    assert_eq!(status, 200, "{lead}");
    openapi::check(&openapi::document(), "POST", "/leads/{id}/objection", 200, JSON, &lead);
    assert_eq!(lead["stage"], "mql", "the lead stays where it is");
    assert_eq!(
        (lead["score"].clone(), lead["grade"].clone(), lead["mql"].clone()),
        (Value::Null, Value::Null, json!(false))
    );
    assert_eq!(
        lead["objection"],
        json!({ "at": NOW.to_string(), "by": "Datenschutz (A. Klein)", "note": "Widerspruch per E-Mail" })
    );
    assert_eq!(lead["due_at"], lead["sla_deadline"], "only the call deadline is left to watch, not decay");
    let version = lead["version"].clone();

    // Recording it again changes nothing; new activity and re-scoring score nothing.
    let (status, again) = call(
        &app,
        "POST",
        &format!("/leads/{id}/objection"),
        &["leads/erase"],
        JSON,
        r#"{"by":"someone else"}"#,
    )
    .await;
    assert_eq!(
        (status, &again["version"], &again["objection"]["by"]),
        (200, &version, &json!("Datenschutz (A. Klein)"))
    );
    let (status, _) =
        call(&app, "POST", "/intake/web", &[], FORM, &JUERGEN.replace("demo_request", "pricing_page")).await;
    assert_eq!(status, 202);
    let (status, scored) = call(&app, "POST", &format!("/leads/{id}/score"), &["leads/score"], "", "").await;
    assert_eq!(status, 200);
    assert_eq!((scored["score"].clone(), scored["stage"].clone()), (Value::Null, json!("mql")));
    assert_eq!(scored["activity_count"], 2, "contacts are still recorded");
    let (_, queue) = call(&app, "GET", "/leads?stage=mql", &["leads/read"], "", "").await;
    assert!(queue["leads"][0]["objection"].is_object(), "visible in the queue: {queue}");
}

/// A submission is evidence, not authority: anyone can post anyone's email, so every
/// profile change says which source made it and when, consent statements are kept, not
/// replaced, and a move scoring made because of a submission says so.
#[tokio::test]
async fn submissions_leave_evidence_of_what_they_changed() {
    let mut app = app(InMemoryStore::new(), Auth::Scopes);
    app.sources.insert("fair", leadflow::forms::Source::new(leadflow::forms::Scheme::Unsigned, None));
    let post = |source: &'static str, body: &'static str| {
        let app = &app;
        async move {
            let (status, answer) = call(app, "POST", &format!("/intake/{source}"), &[], JSON, body).await;
            assert_eq!(status, 202, "{answer}");
            answer["lead_id"].as_str().unwrap().to_owned()
        }
    };
    let id = post("web", r#"{"email":"eva@nordwind-logistik.de","phone":"+49 40 111","consent":"no","consent_version":"nl-1"}"#).await;
    post("fair", r#"{"email":"eva@nordwind-logistik.de","phone":"+49 40 999","consent":"yes","consent_version":"nl-1","inquiry_type":"job_application"}"#).await;
    let (status, lead) = call(&app, "GET", &format!("/leads/{id}"), &["leads/read"], "", "").await;
    assert_eq!(status, 200);
    openapi::check(&openapi::document(), "GET", "/leads/{id}", 200, JSON, &lead);
    assert_eq!(lead["profile"]["phone"], "+49 40 999");
    assert_eq!(lead["profile_sources"]["phone"]["source"], "fair", "{lead:#}");
    assert_eq!(lead["profile_sources"]["phone"]["at"], NOW.to_string());
    let statements = lead["consent_statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "the refusal stays on record: {lead:#}");
    assert_eq!(
        (statements[0]["given"].as_bool(), statements[0]["source"].as_str()),
        (Some(false), Some("web"))
    );
    assert_eq!(
        (statements[1]["given"].as_bool(), statements[1]["source"].as_str()),
        (Some(true), Some("fair"))
    );
    assert_eq!(lead["stage"], "disqualified");
    let last = lead["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reason"], "applicant");
    assert!(last["note"].as_str().is_some_and(|n| n.contains("`fair`")), "{last}");
}
