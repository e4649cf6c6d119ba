//! `POST /imports/{source}`: a trade-show list from German Excel (semicolons,
//! Windows-1252), a UTF-8 export with a BOM, NDJSON; every row as a form post of the
//! source, every row reported; the same list again writes nothing; a list that cannot be
//! read writes nothing. On both stores.

use lambda_http::http::Request;
use lambda_http::{Body, RequestExt, Response};
use leadflow::http::{route, Auth};
use leadflow::store::{DynamoStore, InMemoryStore};
use leadflow_infra::local_server::context_with_scopes;
use leadflow_tests::fresh_dynamo_store;
use leadflow_tests::http::{app, body_json, lead_view, problem_slug};
use leadflow_tests::openapi;
use serde_json::Value;

use crate::bad_input::Inspect;

const IMPORT: &[&str] = &["leads/import"];

fn import(source: &str, content_type: &str, body: &[u8], scopes: Option<&[&str]>) -> lambda_http::Request {
    let body = match String::from_utf8(body.to_vec()) {
        Ok(t) => Body::Text(t),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    let mut req = Request::builder()
        .method("POST")
        .uri(format!("/imports/{source}"))
        .header("host", "api.leadflow.test")
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    if let Some(scopes) = scopes {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        req = req.with_request_context(context_with_scopes(&scopes));
    }
    req
}

fn checked(doc: &Value, r: &Response<Body>) -> Value {
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = body_json(r);
    openapi::check(doc, "POST", "/imports/{source}", r.status().as_u16(), &content_type, &body);
    body
}

/// A trade-show scan as German Excel saves it: `;`, CRLF, Windows-1252 (ü = 0xFC,
/// ß = 0xDF, € = 0x80), a quoted company with a `;`, a blank line, a row without a
/// valid email and one with a field too many.
fn trade_show_csv() -> Vec<u8> {
    let mut csv = b"E-Mail;Vorname;Nachname;Firma;Position;Mitarbeiter;Kaufzeitraum;Budgetrolle\r\n".to_vec();
    csv.extend_from_slice(
        b"j.gross@mueller-maschinenbau.de;J\xFCrgen;Gro\xDF;\"M\xFCller; Maschinenbau GmbH\";Gesch\xE4ftsf\xFChrer;120;sofort;Entscheider\r\n",
    );
    csv.extend_from_slice(b";;;;;;;\r\n");
    csv.extend_from_slice(b"keine-mail;Max;Muster;Muster AG;;;;\r\n");
    csv.extend_from_slice(b"einkauf@alpenwerk.at;Eva;Berger;Alpenwerk \x80 AG;Einkauf;1.000;;;zu viel\r\n");
    csv.extend_from_slice(b"P.Klein@Nordwind-Logistik.de;Paul;Klein;Nordwind Logistik;CTO;250;;\r\n");
    csv
}

async fn lists_import_as_form_posts<S: Inspect>(store: S, form_store: S) {
    let doc = openapi::document();
    let app = app(store, Auth::Scopes);

    let r = route(&app, import("web", "text/csv", &trade_show_csv(), Some(IMPORT))).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let answer = checked(&doc, &r);
    assert_eq!(
        (&answer["rows"], &answer["created"], &answer["updated"], &answer["replayed"], &answer["refused"]),
        (&Value::from(4), &Value::from(2), &Value::from(0), &Value::from(0), &Value::from(2)),
        "{answer:#}"
    );
    let results = answer["results"].as_array().unwrap();
    let lines: Vec<i64> = results.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [2, 4, 5, 6], "line numbers as in the file (the blank line 3 is no row)");
    let gross = app.id_key.lead_id("j.gross@mueller-maschinenbau.de");
    assert_eq!(
        (results[0]["lead_id"].as_str(), results[0]["outcome"].as_str()),
        (Some(gross.as_str()), Some("created"))
    );
    assert_eq!(results[1]["problem"]["field"], "email", "{:#}", results[1]);
    assert_eq!(results[1]["problem"]["status"], 422);
    assert_eq!(results[2]["problem"]["type"], "urn:leadflow:problem:malformed-request", "{:#}", results[2]);
    assert_eq!(results[3]["lead_id"], app.id_key.lead_id("p.klein@nordwind-logistik.de").as_str());
    // The refused rows wrote nothing.
    assert!(app.store.get(&app.id_key.lead_id("einkauf@alpenwerk.at")).await.unwrap().is_none());

    // The row is the lead a form post of the same fields makes (names, umlauts, the
    // company with its `;`, the German answers read and scored).
    let imported = lead_view(&app, gross.as_str()).await;
    assert_eq!(imported["profile"]["first_name"], "Jürgen", "{imported:#}");
    assert_eq!(imported["profile"]["company"], "Müller; Maschinenbau GmbH");
    let form_app = app_with(form_store);
    let form = "E-Mail=j.gross%40mueller-maschinenbau.de&Vorname=J%C3%BCrgen&Nachname=Gro%C3%9F\
        &Firma=M%C3%BCller%3B+Maschinenbau+GmbH&Position=Gesch%C3%A4ftsf%C3%BChrer&Mitarbeiter=120\
        &Kaufzeitraum=sofort&Budgetrolle=Entscheider";
    let r = route(
        &form_app,
        leadflow_tests::http::request("POST", "/intake/web", None, "application/x-www-form-urlencoded", form),
    )
    .await;
    assert_eq!(r.status(), 202, "{}", body_json(&r));
    assert_eq!(lead_view(&form_app, gross.as_str()).await, imported, "an imported row is a form post");

    // The same list again: every row a replay (the refused ones refused again), nothing written.
    let before = app.store.state().await;
    let r = route(&app, import("web", "text/csv", &trade_show_csv(), Some(IMPORT))).await;
    let again = checked(&doc, &r);
    assert_eq!(
        (&again["replayed"], &again["refused"], &again["created"]),
        (&Value::from(2), &Value::from(2), &Value::from(0))
    );
    assert_eq!(app.store.state().await, before, "importing the same list twice changes nothing");

    // A UTF-8 export with a BOM and commas: a known person (another spelling) is updated.
    let utf8 = "\u{FEFF}email,first_name,company,activity\r\nP.KLEIN@nordwind-logistik.de,Paul,Nordwind Logistik,webinar\r\nanna@nordwind-logistik.de,Anna,Nordwind Logistik,webinar\r\n";
    let r = route(&app, import("web", "text/csv; charset=utf-8", utf8.as_bytes(), Some(IMPORT))).await;
    let answer = checked(&doc, &r);
    let outcomes: Vec<&str> =
        answer["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["updated", "created"], "{answer:#}");
    assert_eq!(lead_view(&app, results[3]["lead_id"].as_str().unwrap()).await["activity_count"], 2);

    // NDJSON, with a line that is no object and one person twice (applied in order).
    let ndjson = b"{\"email\":\"lisa@alpenwerk.at\",\"job_title\":\"CTO\"}\n[1]\n\n{\"email\":\"LISA@alpenwerk.at\",\"job_title\":\"CEO\"}\n";
    let r = route(&app, import("web", "application/x-ndjson", ndjson, Some(IMPORT))).await;
    let answer = checked(&doc, &r);
    let lines: Vec<i64> =
        answer["results"].as_array().unwrap().iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 4]);
    assert_eq!(
        (&answer["created"], &answer["updated"], &answer["refused"]),
        (&Value::from(1), &Value::from(1), &Value::from(1))
    );
    let lisa = app.id_key.lead_id("lisa@alpenwerk.at");
    assert_eq!(lead_view(&app, lisa.as_str()).await["profile"]["job_title"], "CEO", "the later line wins");

    // Lists that cannot be read, and requests without the scope: refused, nothing written.
    let before = app.store.state().await;
    let too_many =
        format!("email\n{}", (0..1_001).map(|i| format!("p{i}@alpenwerk.at\n")).collect::<String>());
    let too_big = format!("email,message\n{}", "a@alpenwerk.at,xxxxxxxxxx\n".repeat(45_000));
    for (what, req, status, slug) in [
        (
            "no email column",
            import("web", "text/csv", b"Name;Firma\nMax;Muster AG\n", Some(IMPORT)),
            422,
            "invalid-field",
        ),
        (
            "a column twice",
            import("web", "text/csv", b"email;email\na@b.de;c@d.de\n", Some(IMPORT)),
            400,
            "malformed-request",
        ),
        (
            "an open quote",
            import("web", "text/csv", b"email\n\"a@b.de\n", Some(IMPORT)),
            400,
            "malformed-request",
        ),
        ("empty", import("web", "text/csv", b"", Some(IMPORT)), 400, "malformed-request"),
        ("1,001 rows", import("web", "text/csv", too_many.as_bytes(), Some(IMPORT)), 422, "invalid-field"),
        ("over 1 MiB", import("web", "text/csv", too_big.as_bytes(), Some(IMPORT)), 413, "body-too-large"),
        (
            "a spreadsheet",
            import("web", "application/vnd.ms-excel", b"PK", Some(IMPORT)),
            415,
            "unsupported-media-type",
        ),
        (
            "unknown source",
            import("fax", "text/csv", b"email\na@b.de\n", Some(IMPORT)),
            404,
            "unknown-source",
        ),
        (
            "the intake scope only",
            import("web", "text/csv", b"email\na@b.de\n", Some(&["leads/read"])),
            403,
            "missing-scope",
        ),
        ("no token", import("web", "text/csv", b"email\na@b.de\n", None), 401, "missing-token"),
    ] {
        let r = route(&app, req).await;
        assert_eq!(
            (r.status().as_u16(), problem_slug(&r).as_str()),
            (status, slug),
            "{what}: {}",
            body_json(&r)
        );
        checked(&doc, &r);
    }
    assert_eq!(app.store.state().await, before, "refused lists wrote nothing");
}

fn app_with<S>(store: S) -> leadflow::http::App<S> {
    app(store, Auth::Open)
}

#[tokio::test]
async fn lists_import_as_form_posts_in_memory() {
    lists_import_as_form_posts(InMemoryStore::new(), InMemoryStore::new()).await;
}

#[tokio::test]
async fn lists_import_as_form_posts_on_dynamodb() {
    let (a, b): (DynamoStore, DynamoStore) = (fresh_dynamo_store().await, fresh_dynamo_store().await);
    lists_import_as_form_posts(a, b).await;
}
