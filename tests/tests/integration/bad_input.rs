//! Bad input: every case gets a problem+json with the right status and type, and
//! writes nothing. Input that public forms send and that is accepted with care (look-alike
//! and IDN emails, empty field names and delivery ids, optional fields that cannot be
//! read): the lead as stored. Both tables run on both stores, so the stores agree on
//! every input.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::Request;
use lambda_http::{Body, RequestExt};
use leadflow::forms::{sign_generic, sign_hubspot_v3, sign_typeform, sign_webflow};
use leadflow::http::view::LeadView;
use leadflow::http::{route, App, Auth};
use leadflow::store::{DynamoStore, InMemoryStore, LeadStore};
use leadflow::LeadId;
use leadflow_infra::local_server::context_with_scopes;
use leadflow_tests::http::{
    app, body_json, event, lead_view, problem_slug, GENERIC_SECRET, HUBSPOT_SECRET, NOW, TYPEFORM_SECRET,
    WEBFLOW_SECRET,
};
use leadflow_tests::{fresh_dynamo_store, openapi, raw_item, raw_scan};
use serde_json::{json, Value};

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
    /// The field a 422 must name, where the case is about one.
    field: Option<&'static str>,
}

fn case(name: &'static str, method: &'static str, path: &str, status: u16, slug: &'static str) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        headers: vec![],
        body: vec![],
        scopes: None,
        status,
        slug,
        field: None,
    }
}

/// A post to the unsigned `web` source that must be accepted.
fn post(body: &str) -> Case {
    case("", "POST", "/intake/web", 0, "").json(body)
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
    fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
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
        // Emails: invisible and formatting characters make look-alikes; they are refused.
        email_case("email with a zero-width space", "an\u{200b}na@nordwind.de"),
        email_case("email with a zero-width joiner", "anna@nord\u{200d}wind.de"),
        email_case("email with a zero-width non-joiner", "anna\u{200c}@nordwind.de"),
        email_case("email with a word joiner", "anna@nordwind\u{2060}.de"),
        email_case("email with a byte order mark", "\u{feff}anna@nordwind.de"),
        email_case("email with a soft hyphen", "an\u{ad}na@nordwind.de"),
        email_case("email with a right-to-left override", "\u{202e}ed.dniwdron@anna"),
        email_case("email with a bidi isolate", "anna@\u{2066}nordwind\u{2069}.de"),
        email_case("email with a left-to-right mark", "anna\u{200e}@nordwind.de"),
        email_case("email with a tag character", "anna@nordwind.de\u{e0041}"),
        email_case("email with a variation selector", "anna\u{fe0f}@nordwind.de"),
        email_case("email with a no-break space", "an\u{a0}na@nordwind.de"),
        email_case("email with an ideographic space", "anna@nord\u{3000}wind.de"),
        email_case("email with a NUL", "anna\u{0}@nordwind.de"),
        email_case("email with a line break", "anna@nord\r\nwind.de"),
        email_case("email with a broken punycode label", "anna@xn--zz.de"),
        email_case("email with an underscore in the domain", "anna@nord_wind.de"),
        email_case("email with a full-width second @", "anna\u{ff20}x@nordwind.de"),
        case("email as a number", "POST", "/intake/web", 422, "invalid-field")
            .json(r#"{"email":42}"#)
            .field("email"),
        case("urlencoded email with a zero-width space", "POST", "/intake/web", 422, "invalid-field")
            .content("application/x-www-form-urlencoded", b"E-Mail=an%E2%80%8Bna%40nordwind.de")
            .field("email"),
        case("over-long idempotency key", "POST", "/intake/web", 422, "invalid-field")
            .json(VALID)
            .header("idempotency-key", "k".repeat(200)),
        case("empty idempotency key", "POST", "/intake/web", 422, "invalid-field")
            .json(VALID)
            .header("idempotency-key", String::new())
            .field("Idempotency-Key"),
        case("blank idempotency key", "POST", "/intake/web", 422, "invalid-field")
            .json(VALID)
            .header("idempotency-key", "   ".into())
            .field("Idempotency-Key"),
        // Not read as no key: the sender meant its retries to be recognised.
        case("non-ASCII idempotency key", "POST", "/intake/web", 422, "invalid-field")
            .json(VALID)
            .header("idempotency-key", "schlüssel-1".into())
            .field("Idempotency-Key"),
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
        case("generic: nine v1 entries", "POST", "/intake/partner", 401, "bad-signature").json(VALID).header(
            "x-leadflow-signature",
            format!(
                "{},{}",
                sign_generic(GENERIC_SECRET, t, VALID.as_bytes()),
                vec![format!("v1={}", "00".repeat(32)); 8].join(",")
            ),
        ),
        case("generic: t is i64::MIN", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", sign_generic(GENERIC_SECRET, i64::MIN, VALID.as_bytes())),
        case("generic: t is i64::MAX", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", sign_generic(GENERIC_SECRET, i64::MAX, VALID.as_bytes())),
        case("generic: t an i64::MIN away from now", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header(
                "x-leadflow-signature",
                sign_generic(GENERIC_SECRET, t.wrapping_add(i64::MIN), VALID.as_bytes()),
            ),
        case("generic: t beyond i64", "POST", "/intake/partner", 401, "bad-signature")
            .json(VALID)
            .header("x-leadflow-signature", format!("t={},v1={}", "9".repeat(30), "00".repeat(32))),
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
        case("hubspot: timestamp i64::MIN", "POST", "/intake/hubspot", 401, "bad-signature")
            .json(VALID)
            .header("x-hubspot-request-timestamp", i64::MIN.to_string())
            .header(
                "x-hubspot-signature-v3",
                sign_hubspot_v3(
                    HUBSPOT_SECRET,
                    "POST",
                    "https://api.leadflow.test/intake/hubspot",
                    VALID.as_bytes(),
                    i64::MIN,
                ),
            ),
        case("hubspot: timestamp beyond i64", "POST", "/intake/hubspot", 401, "bad-signature")
            .json(VALID)
            .header("x-hubspot-request-timestamp", "9".repeat(25))
            .header("x-hubspot-signature-v3", "AAAA".into()),
        case("webflow: timestamp i64::MAX", "POST", "/intake/webflow", 401, "bad-signature")
            .json(VALID)
            .header("x-webflow-timestamp", i64::MAX.to_string())
            .header("x-webflow-signature", sign_webflow(WEBFLOW_SECRET, i64::MAX, VALID.as_bytes())),
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
        // 9999-12-31 has no next month: it once panicked the DynamoDB store.
        case(
            "funnel: to the last day of year 9999",
            "GET",
            "/funnel?from=9999-12-01&to=9999-12-31",
            422,
            "invalid-field",
        )
        .scopes(funnel),
        case("funnel: before 1970", "GET", "/funnel?from=1969-12-01&to=1969-12-31", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: from after to", "GET", "/funnel?from=2026-11-02&to=2026-11-01", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: over a year", "GET", "/funnel?from=2025-01-01&to=2026-11-01", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: not a source name", "GET", "/funnel?source=Fax%21", 422, "invalid-field")
            .scopes(funnel),
        case("funnel: unknown parameter", "GET", "/funnel?stage=mql", 422, "invalid-field").scopes(funnel),
        case("funnel chart: bad language", "GET", "/funnel.svg?lang=fr", 422, "invalid-field").scopes(funnel),
        case("funnel chart: bad date", "GET", "/funnel.svg?from=11/01/2026", 422, "invalid-field")
            .scopes(funnel),
        case("POST on the funnel", "POST", "/funnel", 405, "method-not-allowed").scopes(funnel),
    ]
}

/// A body with this email, to be refused for it.
fn email_case(name: &'static str, email: &str) -> Case {
    case(name, "POST", "/intake/web", 422, "invalid-field")
        .json(&json!({ "email": email, "first_name": "Anna" }).to_string())
        .field("email")
}

/// What the tests read of a store past its API: all of it (to see that nothing changed),
/// and one lead's item as the store holds it.
pub(crate) trait Inspect: LeadStore {
    async fn state(&self) -> String;
    async fn item(&self, id: &LeadId) -> Value;
}

impl Inspect for InMemoryStore {
    async fn state(&self) -> String {
        format!("{:?}", self.snapshot())
    }
    async fn item(&self, id: &LeadId) -> Value {
        serde_json::to_value(self.get(id).await.unwrap().expect("the lead is stored")).unwrap()
    }
}

impl Inspect for DynamoStore {
    async fn state(&self) -> String {
        let mut items: Vec<String> = raw_scan(self).await.iter().map(|i| item_json(i).to_string()).collect();
        items.sort();
        items.join("\n")
    }
    async fn item(&self, id: &LeadId) -> Value {
        item_json(&raw_item(self, id).await)
    }
}

/// A DynamoDB item as JSON, keys sorted (so two reads of the same item compare equal).
fn item_json(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    fn value(v: &AttributeValue) -> Value {
        match v {
            AttributeValue::S(s) | AttributeValue::N(s) => json!(s),
            AttributeValue::Bool(b) => json!(b),
            AttributeValue::Null(_) => Value::Null,
            AttributeValue::L(l) => Value::Array(l.iter().map(value).collect()),
            AttributeValue::M(m) => map(m),
            AttributeValue::Ss(s) | AttributeValue::Ns(s) => {
                json!(s.iter().collect::<BTreeSet<_>>())
            }
            other => json!(format!("{other:?}")),
        }
    }
    fn map(m: &std::collections::HashMap<String, AttributeValue>) -> Value {
        let sorted: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, value(v))).collect();
        Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
    }
    map(item)
}

#[tokio::test]
async fn every_bad_input_is_a_typed_problem_and_writes_nothing_in_memory() {
    every_bad_input_is_a_typed_problem_and_writes_nothing(InMemoryStore::new()).await;
}

#[tokio::test]
async fn every_bad_input_is_a_typed_problem_and_writes_nothing_on_dynamodb() {
    every_bad_input_is_a_typed_problem_and_writes_nothing(fresh_dynamo_store().await).await;
}

async fn every_bad_input_is_a_typed_problem_and_writes_nothing<S: Inspect>(store: S) {
    let doc = openapi::document();
    let app = app(store, Auth::Scopes);
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
    assert!(all.len() >= 100, "{} cases", all.len());
    let mut failures = Vec::new();
    for mut c in all {
        c.path = c.path.replace("UNQUALIFIED", &unqualified);
        let before = app.store.state().await;
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
        if let Some(field) = c.field {
            if body_json(&r)["field"] != field {
                failures.push(format!("{}: expected the field `{field}`, got {}", c.name, body_json(&r)));
            }
        }
        if app.store.state().await != before {
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

/// Input a public form may well send, accepted with care: the requests in order, the
/// statuses they get, and what the lead (or leads) they reach must hold.
struct Careful {
    name: &'static str,
    requests: Vec<Case>,
    statuses: Vec<u16>,
    /// How many distinct leads the requests reach.
    leads: usize,
    /// Checks the stored lead(s), as JSON, one per distinct lead in order of first answer.
    check: fn(&[Value]),
}

fn careful(
    name: &'static str,
    requests: Vec<Case>,
    statuses: &[u16],
    leads: usize,
    check: fn(&[Value]),
) -> Careful {
    Careful { name, requests, statuses: statuses.to_vec(), leads, check }
}

fn typeform(event_id: &str, email: &str) -> Case {
    let body = json!({
        "event_id": event_id, "event_type": "form_response",
        "form_response": { "answers": [
            { "type": "email", "email": email, "field": { "id": "a1", "ref": "email", "type": "email" } }
        ] }
    })
    .to_string();
    let signature = sign_typeform(TYPEFORM_SECRET, body.as_bytes());
    case("", "POST", "/intake/typeform", 0, "").json(&body).header("typeform-signature", signature)
}

fn webflow(id: &str, email: &str) -> Case {
    let body =
        json!({ "triggerType": "form_submission", "payload": { "id": id, "data": { "Email": email } } })
            .to_string();
    let ms = NOW.unix() * 1000;
    case("", "POST", "/intake/webflow", 0, "")
        .json(&body)
        .header("x-webflow-timestamp", ms.to_string())
        .header("x-webflow-signature", sign_webflow(WEBFLOW_SECRET, ms, body.as_bytes()))
}

fn form(body: &str) -> Case {
    case("", "POST", "/intake/web", 0, "").content("application/x-www-form-urlencoded", body.as_bytes())
}

/// A flat JSON object of these fields.
fn object(fields: &[(&str, &str)]) -> Value {
    Value::Object(fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect())
}

fn careful_cases() -> Vec<Careful> {
    let long = "Ü".repeat(150);
    vec![
        careful(
            "full-width look-alike of an email",
            vec![
                post(r#"{"email":"lookalike@alpenwerk.at","first_name":"Anna"}"#),
                post(&json!({"email": "\u{ff4c}\u{ff4f}\u{ff4f}\u{ff4b}\u{ff41}\u{ff4c}\u{ff49}\u{ff4b}\u{ff45}\u{ff20}\u{ff41}lpenwerk\u{ff0e}at"}).to_string()),
            ],
            &[202, 202],
            1,
            |l| {
                assert_eq!(l[0]["profile"]["email"], "lookalike@alpenwerk.at");
                assert_eq!(l[0]["activity_count"], 2);
            },
        ),
        careful(
            "decomposed umlaut and upper case",
            vec![
                post(r#"{"email":"jürgen@alpenwerk.at"}"#),
                post(r#"{"email":"JU\u0308RGEN@Alpenwerk.AT"}"#),
            ],
            &[202, 202],
            1,
            |l| assert_eq!(l[0]["profile"]["email"], "jürgen@alpenwerk.at"),
        ),
        careful(
            "IDN domain, Unicode first",
            vec![
                post(r#"{"email":"info@müller.de"}"#),
                post(r#"{"email":"info@xn--mller-kva.de"}"#),
                form("E-Mail=INFO%40M%C3%9CLLER.DE"),
            ],
            &[202, 202, 202],
            1,
            |l| {
                assert_eq!(l[0]["profile"]["email"], "info@müller.de");
                assert_eq!(l[0]["profile"]["company_domain"], "xn--mller-kva.de");
                assert_eq!(l[0]["activity_count"], 3);
            },
        ),
        careful(
            "IDN domain, punycode first",
            vec![post(r#"{"email":"kontakt@xn--bcher-kva.de"}"#), post(r#"{"email":"kontakt@bücher.de"}"#)],
            &[202, 202],
            1,
            |l| assert_eq!(l[0]["profile"]["email"], "kontakt@bücher.de"),
        ),
        careful(
            "empty and blank field names",
            vec![
                post(r#"{"email":"names@alpenwerk.at","":"leer","   ":"blank","\u0000":"nul","utm_source":"herbst"}"#),
                form("E-Mail=names%40alpenwerk.at&=leer&%20%20=blank&utm_medium=mail"),
            ],
            &[202, 202],
            1,
            |l| assert_eq!(l[0]["attributes"], json!({"utm_medium": "mail", "utm_source": "herbst"})),
        ),
        careful(
            "over-long field name",
            vec![post(&object(&[("email", "longname@alpenwerk.at"), (&"n".repeat(500), "x")]).to_string())],
            &[202],
            1,
            |l| assert_eq!(l[0]["attributes"], object(&[(&"n".repeat(64), "x")])),
        ),
        careful(
            "empty and blank delivery ids",
            vec![
                post(r#"{"email":"ids@alpenwerk.at","delivery_id":"","first_name":"Anna"}"#),
                post(r#"{"email":"ids@alpenwerk.at","event_id":"   ","last_name":"Berger"}"#),
                post(r#"{"email":"ids@alpenwerk.at","eventId":null,"company":"Alpenwerk"}"#),
                form("E-Mail=ids%40alpenwerk.at&delivery_id=&Firma=Alpenwerk+AG"),
                typeform("", "ids@alpenwerk.at"),
                typeform(" ", "ids@alpenwerk.at"),
                webflow("", "ids@alpenwerk.at"),
                webflow("  ", "ids@alpenwerk.at"),
            ],
            &[202, 202, 202, 202, 202, 202, 202, 202],
            1,
            |l| {
                assert_eq!(l[0]["activity_count"], 8, "every delivery counted");
                assert_eq!(l[0]["deliveries"], json!([]));
                assert_eq!(l[0]["profile"]["last_name"], "Berger");
            },
        ),
        careful(
            "a blank delivery id next to a real one",
            vec![
                post(r#"{"email":"ids2@alpenwerk.at","delivery_id":"","event_id":"evt-1"}"#),
                post(r#"{"email":"ids2@alpenwerk.at","delivery_id":"evt-1","event_id":" "}"#),
            ],
            &[202, 202],
            1,
            |l| assert_eq!(l[0]["activity_count"], 1, "the second is the same delivery"),
        ),
        careful(
            "phone with an extension in words",
            vec![post(r#"{"email":"phone@alpenwerk.at","phone":"+49 89 1234-0 Durchwahl 12"}"#)],
            &[202],
            1,
            |l| {
                assert_eq!(l[0]["profile"]["phone"], "+49 89 1234-0");
                assert_eq!(l[0]["profile"]["unparsed"], json!({"phone": "+49 89 1234-0 Durchwahl 12"}));
            },
        ),
        careful(
            "phone that is only words",
            vec![post(r#"{"email":"phone2@alpenwerk.at","phone":"ext. 12"}"#)],
            &[202],
            1,
            |l| {
                assert!(l[0]["profile"].get("phone").is_none());
                assert_eq!(l[0]["profile"]["unparsed"], json!({"phone": "ext. 12"}));
            },
        ),
        careful(
            "company size with words",
            vec![form("E-Mail=size%40alpenwerk.at&Mitarbeiter=ca.+50+MA")],
            &[202],
            1,
            |l| {
                assert_eq!(l[0]["profile"]["company_size"], 50);
                assert_eq!(l[0]["profile"]["unparsed"], json!({"company_size": "ca. 50 MA"}));
            },
        ),
        careful(
            "company size without a number",
            vec![post(r#"{"email":"size2@alpenwerk.at","company_size":"groß"}"#)],
            &[202],
            1,
            |l| {
                assert!(l[0]["profile"].get("company_size").is_none());
                assert_eq!(l[0]["profile"]["unparsed"], json!({"company_size": "groß"}));
            },
        ),
        careful(
            "over-long name, company and title",
            vec![post(
                &json!({"email": "long@alpenwerk.at", "first_name": long, "company": "A".repeat(300), "job_title": "CEO ".repeat(80)})
                    .to_string(),
            )],
            &[202],
            1,
            |l| {
                let p = &l[0]["profile"];
                assert_eq!(p["first_name"], "Ü".repeat(100));
                assert_eq!(p["company"], "A".repeat(200));
                assert_eq!(p["job_title"].as_str().unwrap().chars().count(), 199);
                assert_eq!(p["unparsed"]["first_name"], "Ü".repeat(150));
                assert_eq!(p["unparsed"]["company"], "A".repeat(256));
                assert!(p["unparsed"]["job_title"].as_str().unwrap().starts_with("CEO CEO"));
            },
        ),
        careful(
            "activity that is no id",
            vec![post(r#"{"email":"act@alpenwerk.at","activity":"Demo Request!"}"#)],
            &[202],
            1,
            |l| {
                assert_eq!(l[0]["profile"]["unparsed"], json!({"activity": "Demo Request!"}));
                assert_eq!(l[0]["activities"][0]["kind"], "form_submission");
            },
        ),
        careful(
            "an object for an optional field",
            vec![post(r#"{"email":"object@alpenwerk.at","phone":{"mobil":"0171 1234567"}}"#)],
            &[202],
            1,
            |l| assert_eq!(l[0]["profile"]["unparsed"], json!({"phone": r#"{"mobil":"0171 1234567"}"#})),
        ),
        careful(
            "control characters everywhere",
            vec![post(
                r#"{"email":" ctl@alpenwerk.at\n","first_name":"An\u0000na","last_name":"Gr\u001b[31moß\r\n",
                    "utm\r\nsource":"herbst\r\n2026\u0007","Nachricht":"Hallo\u0000\r\nbitte\u0085ein Angebot.\r\n\r\nGruß",
                    "Kaufzeitraum":"bald\u0007","phone":"+49\t89\u0000 1234"}"#,
            )],
            &[202],
            1,
            |l| {
                let p = &l[0]["profile"];
                assert_eq!(p["first_name"], "Anna");
                assert_eq!(p["last_name"], "Gr[31moß");
                assert_eq!(p["phone"], "+49 89 1234");
                assert_eq!(l[0]["attributes"], json!({"utm source": "herbst 2026"}));
                assert_eq!(l[0]["answers"]["message"]["value"], "Hallo\nbitte ein Angebot.\nGruß");
                assert_eq!(l[0]["answers"]["purchase_timeframe"]["value"], "bald");
            },
        ),
        careful(
            "the local server's HubSpot call, signed over its host header",
            vec![{
                let body = r#"{"email":"local@alpenwerk.at"}"#;
                let ms = NOW.unix() * 1000;
                let url = "https://api.leadflow.test/intake/hubspot?portalId=4711&next=%2Fdanke";
                let mut c = case("", "POST", "/intake/hubspot?portalId=4711&next=%2Fdanke", 0, "")
                    .json(body)
                    .header("x-hubspot-request-timestamp", ms.to_string())
                    .header("x-hubspot-signature-v3", sign_hubspot_v3(HUBSPOT_SECRET, "POST", url, body.as_bytes(), ms));
                c.name = "local hubspot";
                c
            }],
            &[202],
            1,
            |_| {},
        ),
    ]
}

/// Every string and key of a stored lead; a message may keep line breaks, nothing else
/// may hold a control character.
fn control_characters(path: &str, v: &Value, found: &mut Vec<String>) {
    let bad =
        |s: &str, allow_newline: bool| s.chars().any(|c| c.is_control() && !(allow_newline && c == '\n'));
    match v {
        Value::String(s) if bad(s, path.ends_with("answers.message.value")) => {
            found.push(format!("{path}: {s:?}"))
        }
        Value::Array(items) => items.iter().for_each(|i| control_characters(&format!("{path}[]"), i, found)),
        Value::Object(m) => {
            for (k, v) in m {
                if bad(k, false) {
                    found.push(format!("{path}: key {k:?}"));
                }
                control_characters(&format!("{path}.{k}"), v, found);
            }
        }
        _ => {}
    }
}

async fn accepted_with_care<S: Inspect>(store: S) {
    let doc = openapi::document();
    let app: App<S> = app(store, Auth::Scopes);
    let mut failures = Vec::new();
    for c in careful_cases() {
        let mut ids: Vec<LeadId> = Vec::new();
        let mut statuses = Vec::new();
        for request in &c.requests {
            let r = route(&app, request.request()).await;
            statuses.push(r.status().as_u16());
            let body = body_json(&r);
            if r.status().is_success() {
                let ct =
                    r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                openapi::check(&doc, "POST", "/intake/{source}", r.status().as_u16(), &ct, &body);
                let id = LeadId::parse(body["lead_id"].as_str().unwrap()).unwrap();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            } else {
                failures.push(format!("{}: {}", c.name, body));
            }
        }
        if statuses != c.statuses {
            failures.push(format!("{}: expected {:?}, got {statuses:?}", c.name, c.statuses));
            continue;
        }
        if ids.len() != c.leads {
            failures.push(format!("{}: expected {} lead(s), got {}", c.name, c.leads, ids.len()));
            continue;
        }
        let mut leads = Vec::new();
        for id in &ids {
            let item = app.store.item(id).await;
            let mut found = Vec::new();
            control_characters("", &item, &mut found);
            if !found.is_empty() {
                failures.push(format!("{}: control characters stored: {}", c.name, found.join(", ")));
            }
            let stored = app.store.get(id).await.unwrap().expect("the lead is stored");
            // What a sales route shows of it is what openapi.json documents.
            let view = serde_json::to_value(LeadView::of(&stored, &app.scorer, true)).unwrap();
            openapi::check(&doc, "GET", "/leads/{id}", 200, "application/json", &view);
            leads.push(serde_json::to_value(&stored).unwrap());
        }
        let check = c.check;
        let name = c.name;
        if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&leads))) {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(format!("{name}: {}", text.unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn input_accepted_with_care_in_memory() {
    accepted_with_care(InMemoryStore::new()).await;
}

#[tokio::test]
async fn input_accepted_with_care_on_dynamodb() {
    accepted_with_care(fresh_dynamo_store().await).await;
}
