//! Bad input: every case gets a problem+json with the right status and type, and
//! writes nothing.

use lambda_http::http::Request;
use lambda_http::{Body, RequestExt};
use leadflow::forms::{sign_generic, sign_hubspot_v3, sign_typeform, sign_webflow};
use leadflow::http::{route, Auth};
use leadflow::store::InMemoryStore;
use leadflow_infra::local_server::context_with_scopes;
use leadflow_tests::http::{
    app, body_json, event, lead_view, problem_slug, GENERIC_SECRET, HUBSPOT_SECRET, NOW, TYPEFORM_SECRET,
    WEBFLOW_SECRET,
};
use leadflow_tests::openapi;

const MQL: &str = "7eca040473a28d575723c7f9bd59766e";

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    scopes: Option<&'static [&'static str]>,
    status: u16,
    slug: &'static str,
}

fn case(name: &'static str, method: &'static str, path: &str, status: u16, slug: &'static str) -> Case {
    Case { name, method, path: path.into(), headers: vec![], body: vec![], scopes: None, status, slug }
}

impl Case {
    fn json(mut self, body: &str) -> Self {
        self.headers.push(("content-type", "application/json".into()));
        self.body = body.as_bytes().to_vec();
        self
    }
    fn content(mut self, content_type: &str, body: &[u8]) -> Self {
        self.headers.push(("content-type", content_type.into()));
        self.body = body.to_vec();
        self
    }
    fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
    fn scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.scopes = Some(scopes);
        self
    }
    fn request(&self) -> lambda_http::Request {
        let mut b =
            Request::builder().method(self.method).uri(&self.path).header("host", "api.leadflow.test");
        for (k, v) in &self.headers {
            b = b.header(*k, v);
        }
        let body = match String::from_utf8(self.body.clone()) {
            Ok(t) if t.is_empty() => Body::Empty,
            Ok(t) => Body::Text(t),
            Err(e) => Body::Binary(e.into_bytes()),
        };
        let query: std::collections::HashMap<String, Vec<String>> = self
            .path
            .split_once('?')
            .map(|(_, q)| {
                q.split('&')
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_owned(), vec![v.to_owned()]))
                    .collect()
            })
            .unwrap_or_default();
        let mut req = b.body(body).unwrap().with_query_string_parameters(query);
        if let Some(scopes) = self.scopes {
            let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
            req = req.with_request_context(context_with_scopes(&scopes));
        }
        req
    }
}

const VALID: &str = r#"{"email":"new.person@alpenwerk.at","job_title":"CTO"}"#;

fn cases() -> Vec<Case> {
    let t = NOW.unix();
    let ms = t * 1000;
    let lead = |tail: &str| format!("/leads/{MQL}{tail}");
    let read: &'static [&'static str] = &["leads/read"];
    let handover: &'static [&'static str] = &["leads/handover"];
    let accept: &'static [&'static str] = &["leads/accept"];
    let erase: &'static [&'static str] = &["leads/erase"];
    let funnel: &'static [&'static str] = &["funnel/read"];
    let qualified = r#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true,"timing":true}}"#;
    vec![
        // Intake: bodies and media types.
        case("malformed JSON", "POST", "/intake/web", 400, "malformed-request").json(r#"{"email": "#),
        case("JSON array", "POST", "/intake/web", 400, "malformed-request").json(r#"[{"email":"a@b.de"}]"#),
        case("form body not UTF-8", "POST", "/intake/web", 400, "malformed-request")
            .content("application/x-www-form-urlencoded", b"email=\xff\xfe@x.de"),
        case("text/plain", "POST", "/intake/web", 415, "unsupported-media-type")
            .content("text/plain", b"email=a@b.de"),
        case("no content type", "POST", "/intake/web", 415, "unsupported-media-type")
            .header("x-any", "1".into()),
        case("multipart", "POST", "/intake/web", 415, "unsupported-media-type")
            .content("multipart/form-data; boundary=x", b"--x--"),
        case("missing email", "POST", "/intake/web", 422, "invalid-field").json(r#"{"first_name":"Anna"}"#),
        case("email without @", "POST", "/intake/web", 422, "invalid-field").json(r#"{"email":"anna"}"#),
        case("email with two @", "POST", "/intake/web", 422, "invalid-field")
            .json(r#"{"email":"a@b@nordwind.de"}"#),
        case("empty email", "POST", "/intake/web", 422, "invalid-field").json(r#"{"email":"  "}"#),
        case("form without email", "POST", "/intake/web", 422, "invalid-field")
            .content("application/x-www-form-urlencoded", b"Vorname=Anna&Firma=Nordwind"),
        case("email as an object", "POST", "/intake/web", 422, "invalid-field")
            .json(r#"{"email":{"value":"a@b.de"}}"#),
        case("company size without a number", "POST", "/intake/web", 422, "invalid-field")
            .json(r#"{"email":"a@nordwind.de","company_size":"groß"}"#),
        case("activity not an id", "POST", "/intake/web", 422, "invalid-field")
            .json(r#"{"email":"a@nordwind.de","activity":"Demo Request!"}"#),
        case("phone with letters", "POST", "/intake/web", 422, "invalid-field")
            .json(r#"{"email":"a@nordwind.de","phone":"call me"}"#),
        case("over-long first name", "POST", "/intake/web", 422, "invalid-field")
            .json(&format!(r#"{{"email":"a@nordwind.de","first_name":"{}"}}"#, "x".repeat(101))),
        case("over-long idempotency key", "POST", "/intake/web", 422, "invalid-field")
            .json(VALID)
            .header("idempotency-key", "k".repeat(200)),
        case("body over 64 KiB", "POST", "/intake/web", 413, "body-too-large")
            .json(&format!(r#"{{"email":"a@nordwind.de","message":"{}"}}"#, "x".repeat(70_000))),
        case("unknown source", "POST", "/intake/unknown", 404, "unknown-source").json(VALID),
        case("GET on intake", "GET", "/intake/web", 405, "method-not-allowed"),
        // Intake: signatures.
        case("generic: no signature", "POST", "/intake/partner", 401, "bad-signature").json(VALID),
        case("generic: wrong signature", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", sign_generic("another-secret-0123456789", t, VALID.as_bytes())),
        case("generic: replayed an hour later", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", sign_generic(GENERIC_SECRET, t - 3600, VALID.as_bytes())),
        case("generic: malformed header", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", "v1=abc".into()),
        case("generic: signed for another body", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", sign_generic(GENERIC_SECRET, t, b"{}")),
        case("generic: valid signature, invalid email", "POST", "/intake/partner", 422, "invalid-field")
            .json(r#"{"email":"nope"}"#)
            .header("x-leadflow-signature", sign_generic(GENERIC_SECRET, t, br#"{"email":"nope"}"#)),
        case("typeform: wrong signature", "POST", "/intake/typeform", 401, "bad-signature")
            .json(VALID)
            .header("typeform-signature", sign_typeform("another-secret-0123456789", VALID.as_bytes())),
        case("typeform: missing header", "POST", "/intake/typeform", 401, "bad-signature").json(VALID),
        case("hubspot: expired timestamp", "POST", "/intake/hubspot", 401, "bad-signature")
            .json(VALID)
            .header("x-hubspot-request-timestamp", (ms - 600_000).to_string())
            .header(
                "x-hubspot-signature-v3",
                sign_hubspot_v3(
                    HUBSPOT_SECRET,
                    "POST",
                    "https://api.leadflow.test/intake/hubspot",
                    VALID.as_bytes(),
                    ms - 600_000,
                ),
            ),
        case("hubspot: wrong signature", "POST", "/intake/hubspot", 401, "bad-signature")
            .json(VALID)
            .header("x-hubspot-request-timestamp", ms.to_string())
            .header(
                "x-hubspot-signature-v3",
                sign_hubspot_v3(
                    HUBSPOT_SECRET,
                    "POST",
                    "https://evil.test/intake/hubspot",
                    VALID.as_bytes(),
                    ms,
                ),
            ),
        case("webflow: wrong secret", "POST", "/intake/webflow", 401, "bad-signature")
            .json(VALID)
            .header("x-webflow-timestamp", ms.to_string())
            .header("x-webflow-signature", sign_webflow(TYPEFORM_SECRET, ms, VALID.as_bytes())),
        case("webflow: no timestamp", "POST", "/intake/webflow", 401, "bad-signature")
            .json(VALID)
            .header("x-webflow-signature", sign_webflow(WEBFLOW_SECRET, ms, VALID.as_bytes())),
        // Sales routes: tokens and scopes.
        case("queue without token", "GET", "/leads", 401, "missing-token"),
        case("queue with the wrong scope", "GET", "/leads", 403, "missing-scope").scopes(accept),
        case("lead with the wrong scope", "GET", &lead(""), 403, "missing-scope").scopes(handover),
        case("handover without token", "POST", &lead("/handover"), 401, "missing-token").json(qualified),
        case("acceptance with the handover scope", "POST", &lead("/acceptance"), 403, "missing-scope")
            .json(r#"{"decision":"accept","owner":"T. Becker"}"#)
            .scopes(handover),
        // Sales routes: queries.
        case("unknown stage", "GET", "/leads?stage=won", 422, "invalid-field").scopes(read),
        case("stage without a queue", "GET", "/leads?stage=unqualified", 422, "invalid-field").scopes(read),
        case("limit 0", "GET", "/leads?limit=0", 422, "invalid-field").scopes(read),
        case("limit not a number", "GET", "/leads?limit=abc", 422, "invalid-field").scopes(read),
        case("limit over 100", "GET", "/leads?limit=101", 422, "invalid-field").scopes(read),
        case("foreign cursor", "GET", "/leads?cursor=zz", 400, "bad-cursor").scopes(read),
        case("unknown lead", "GET", &format!("/leads/{}", "0".repeat(32)), 404, "not-found").scopes(read),
        case("not a lead id", "GET", "/leads/LEAD%23x", 404, "not-found").scopes(read),
        // Hand-over bodies and moves.
        case(
            "handover for an unknown lead",
            "POST",
            &format!("/leads/{}/handover", "a".repeat(32)),
            404,
            "not-found",
        )
        .json(qualified)
        .scopes(handover),
        case("handover: malformed JSON", "POST", &lead("/handover"), 400, "malformed-request")
            .json("{")
            .scopes(handover),
        case("handover: text/plain", "POST", &lead("/handover"), 415, "unsupported-media-type")
            .content("text/plain", b"x")
            .scopes(handover),
        case("handover: unknown outcome", "POST", &lead("/handover"), 422, "invalid-field")
            .json(r#"{"outcome":"maybe","owner":"M. Weber"}"#)
            .scopes(handover),
        case("handover: no owner", "POST", &lead("/handover"), 422, "invalid-field")
            .json(r#"{"outcome":"qualified"}"#)
            .scopes(handover),
        case("handover: qualified without timing", "POST", &lead("/handover"), 422, "invalid-field")
            .json(r#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true}}"#)
            .scopes(handover),
        case("handover: not_ready without reason", "POST", &lead("/handover"), 422, "invalid-field")
            .json(r#"{"outcome":"not_ready","owner":"M. Weber"}"#)
            .scopes(handover),
        case("handover: reason not a code", "POST", &lead("/handover"), 422, "invalid-field")
            .json(r#"{"outcome":"not_ready","owner":"M. Weber","reason":"Not ready!"}"#)
            .scopes(handover),
        case("handover: unknown field", "POST", &lead("/handover"), 422, "invalid-field")
            .json(r#"{"outcome":"qualified","owner":"M. Weber","budget":5}"#)
            .scopes(handover),
        case("handover: body over 64 KiB", "POST", &lead("/handover"), 413, "body-too-large")
            .json(&format!(r#"{{"outcome":"qualified","owner":"{}"}}"#, "x".repeat(70_000)))
            .scopes(handover),
        case(
            "handover of an unqualified lead",
            "POST",
            "/leads/UNQUALIFIED/handover",
            409,
            "illegal-transition",
        )
        .json(qualified)
        .scopes(handover),
        case("acceptance of an MQL (not yet SQL)", "POST", &lead("/acceptance"), 409, "illegal-transition")
            .json(r#"{"decision":"accept","owner":"T. Becker"}"#)
            .scopes(accept),
        case("acceptance: reject without reason", "POST", &lead("/acceptance"), 422, "invalid-field")
            .json(r#"{"decision":"reject","owner":"T. Becker"}"#)
            .scopes(accept),
        case("acceptance: no decision", "POST", &lead("/acceptance"), 422, "invalid-field")
            .json(r#"{"owner":"T. Becker"}"#)
            .scopes(accept),
        // Methods and routes.
        case("PUT on handover", "PUT", &lead("/handover"), 405, "method-not-allowed").scopes(handover),
        case("DELETE on the queue", "DELETE", "/leads", 405, "method-not-allowed").scopes(read),
        case("unknown route", "GET", "/nope", 404, "not-found"),
        // Data-subject requests.
        case("erase without token", "DELETE", &lead(""), 401, "missing-token"),
        case("erase with the read scope", "DELETE", &lead(""), 403, "missing-scope").scopes(read),
        case("erase an unknown lead", "DELETE", &format!("/leads/{}", "0".repeat(32)), 404, "not-found")
            .scopes(erase),
        case("erase a malformed id", "DELETE", "/leads/not-an-id", 404, "not-found").scopes(erase),
        case("PUT on a lead", "PUT", &lead(""), 405, "method-not-allowed").scopes(erase),
        case("objection with the handover scope", "POST", &lead("/objection"), 403, "missing-scope")
            .scopes(handover)
            .json(r#"{"by":"Datenschutz"}"#),
        case("objection without by", "POST", &lead("/objection"), 422, "invalid-field")
            .scopes(erase)
            .json(r#"{"note":"per email"}"#),
        case("objection with an unknown field", "POST", &lead("/objection"), 422, "invalid-field")
            .scopes(erase)
            .json(r#"{"by":"Datenschutz","reason":"x"}"#),
        case("objection: malformed JSON", "POST", &lead("/objection"), 400, "malformed-request")
            .scopes(erase)
            .json(r#"{"by":"#),
        case("objection: text/plain", "POST", &lead("/objection"), 415, "unsupported-media-type")
            .scopes(erase)
            .content("text/plain", b"by=me"),
        case(
            "objection for an unknown lead",
            "POST",
            &format!("/leads/{}/objection", "0".repeat(32)),
            404,
            "not-found",
        )
        .scopes(erase)
        .json(r#"{"by":"Datenschutz"}"#),
        case("GET on objection", "GET", &lead("/objection"), 405, "method-not-allowed").scopes(erase),
        // The funnel report.
        case("funnel without token", "GET", "/funnel", 401, "missing-token"),
        case("funnel with the read scope", "GET", "/funnel", 403, "missing-scope").scopes(read),
        case("funnel: from not a date", "GET", "/funnel?from=2026-02-30", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: to not a date", "GET", "/funnel?to=yesterday", 422, "invalid-field").scopes(funnel),
        case("funnel: from after to", "GET", "/funnel?from=2026-11-02&to=2026-11-01", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: over a year", "GET", "/funnel?from=2025-01-01&to=2026-11-01", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: unknown source", "GET", "/funnel?source=fax", 422, "invalid-field").scopes(funnel),
        case("funnel: unknown parameter", "GET", "/funnel?stage=mql", 422, "invalid-field").scopes(funnel),
        case("funnel chart: bad language", "GET", "/funnel.svg?lang=fr", 422, "invalid-field").scopes(funnel),
        case("funnel chart: bad date", "GET", "/funnel.svg?from=11/01/2026", 422, "invalid-field")
            .scopes(funnel),
        case("POST on the funnel", "POST", "/funnel", 405, "method-not-allowed").scopes(funnel),
    ]
}

#[tokio::test]
async fn every_bad_input_is_a_typed_problem_and_writes_nothing() {
    let doc = openapi::document();
    let app = app(InMemoryStore::new(), Auth::Scopes);
    // An MQL (from the sample event) and an unqualified lead to act on.
    assert_eq!(route(&app, event("intake-json.json")).await.status(), 202);
    let r = route(
        &app,
        Case { name: "", ..case("", "POST", "/intake/web", 0, "") }
            .json(r#"{"email":"quiet@alpenwerk.at"}"#)
            .request(),
    )
    .await;
    assert_eq!(r.status(), 202);
    let unqualified = body_json(&r)["lead_id"].as_str().unwrap().to_owned();
    assert_eq!(lead_view(&app, &unqualified).await["stage"], "unqualified");

    let all = cases();
    assert!(all.len() >= 40, "{} cases", all.len());
    let mut failures = Vec::new();
    for mut c in all {
        c.path = c.path.replace("UNQUALIFIED", &unqualified);
        let before = app.store.snapshot();
        let r = route(&app, c.request()).await;
        let status = r.status().as_u16();
        let slug = problem_slug(&r);
        let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if status != c.status || slug != c.slug || ct != "application/problem+json" {
            failures.push(format!(
                "{}: expected {} {}, got {status} {slug} ({ct}) {}",
                c.name,
                c.status,
                c.slug,
                body_json(&r)
            ));
        }
        if app.store.snapshot() != before {
            failures.push(format!("{}: the store changed", c.name));
        }
        if status == 503 {
            assert!(r.headers().contains_key("retry-after"));
        }
        // Documented: the problem is what openapi.json says this route can answer.
        let path = c.path.split('?').next().unwrap_or("");
        let template = if path.starts_with("/intake/") {
            "/intake/{source}"
        } else if let Some(tail) = path.strip_prefix("/leads/").and_then(|p| p.split_once('/')) {
            match tail.1 {
                "handover" => "/leads/{id}/handover",
                "acceptance" => "/leads/{id}/acceptance",
                "objection" => "/leads/{id}/objection",
                _ => continue,
            }
        } else if path.starts_with("/leads/") {
            "/leads/{id}"
        } else if ["/leads", "/funnel", "/funnel.svg"].contains(&path) {
            path
        } else {
            continue;
        };
        // 405s are documented on the route's own method.
        let ops = doc["paths"][template].as_object().unwrap();
        let own = c.method.to_lowercase();
        // (The CORS preflight is no method a client calls: the route's method is the other.)
        let method = if ops.contains_key(&own) {
            c.method
        } else {
            ops.keys().find(|k| *k != "options").unwrap().as_str()
        };
        let method = method.to_uppercase();
        let method = method.as_str();
        openapi::check(&doc, method, template, status, &ct, &body_json(&r));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
