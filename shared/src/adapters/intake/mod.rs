//! The public intake's form tools, one file each: how a tool signs its deliveries and
//! how its body carries the fields, side by side. [`TOOLS`] registers them; adding a tool
//! is one file, one row and its tests.
//!
//! Every body ends as the same [`Submission`](crate::usecases::intake::Submission)
//! (`submission`), so every tool's leads are normalised, deduplicated and scored alike.

pub mod fields;
pub mod generic;
pub mod hubspot;
pub mod list;
pub mod signed;
pub mod sources;
pub mod submission;
pub mod typeform;
pub mod web;
pub mod webflow;

use serde_json::{Map, Value};

pub use fields::{canonical, Fields, FormError, MAX_BODY};
pub use list::{parse_list, Row, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS};
pub use signed::{SignatureError, Signed, REPLAY_WINDOW_SECONDS};
pub use sources::{valid_source_name, Scheme, Source, Sources, SourcesError};
pub use submission::submission;

/// Signers, for tests, examples and the README's walkthrough.
pub use generic::sign as sign_generic;
pub use hubspot::sign as sign_hubspot_v3;
pub use typeform::sign as sign_typeform;
pub use webflow::sign as sign_webflow;

/// Reads a JSON body if it has the tool's shape; `Ok(None)` if not.
pub type Decode = fn(&Map<String, Value>) -> Result<Option<Fields>, FormError>;

/// One form tool: its signature scheme, how it verifies, and (for tools whose JSON has
/// a shape of its own) how it decodes.
pub struct Tool {
    pub scheme: Scheme,
    pub verify: fn(&str, &Signed<'_>) -> Result<(), SignatureError>,
    pub decode: Option<Decode>,
}

/// Every form tool. JSON bodies are tried against each tool's shape in this order,
/// then read as flat JSON.
pub const TOOLS: &[Tool] = &[
    Tool { scheme: Scheme::Typeform, verify: typeform::verify, decode: Some(typeform::decode) },
    Tool { scheme: Scheme::Webflow, verify: webflow::verify, decode: Some(webflow::decode) },
    Tool { scheme: Scheme::HubSpotV3, verify: hubspot::verify, decode: None },
    Tool { scheme: Scheme::Generic, verify: generic::verify, decode: None },
    Tool { scheme: Scheme::Unsigned, verify: web::verify, decode: None },
];

/// Verifies a request against the source's scheme and secret.
pub fn verify(source: &Source, r: &Signed<'_>) -> Result<(), SignatureError> {
    let tool = TOOLS.iter().find(|t| t.scheme == source.scheme).expect("every scheme has a tool");
    match (source.scheme, &source.secret) {
        (Scheme::Unsigned, _) => Ok(()),
        (_, Some(secret)) => (tool.verify)(secret, r),
        (_, None) => Err(SignatureError::Mismatch),
    }
}

/// Reads a body by its media type.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Fields, FormError> {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "application/json" => {
            let doc: Value = serde_json::from_slice(body)
                .map_err(|e| FormError::Malformed(format!("the body is not valid JSON: {e}")))?;
            let Value::Object(obj) = doc else {
                return Err(FormError::Malformed("the body must be a JSON object".into()));
            };
            for decode in TOOLS.iter().filter_map(|t| t.decode) {
                if let Some(fields) = decode(&obj)? {
                    return Ok(fields);
                }
            }
            web::decode_json(&obj)
        }
        "application/x-www-form-urlencoded" => web::decode_form(body),
        other => {
            Err(FormError::UnsupportedMediaType(if other.is_empty() { "(none)" } else { other }.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::Timestamp;

    #[test]
    fn german_aliases_map_to_canonical_fields() {
        assert_eq!(canonical("Vorname"), Some("first_name"));
        assert_eq!(canonical("E-Mail"), Some("email"));
        assert_eq!(canonical("Telefon"), Some("phone"));
        assert_eq!(canonical("Firma"), Some("company"));
        assert_eq!(canonical("utm_source"), None);
    }

    #[test]
    fn typeform_payload_reads_answers_by_ref() {
        let body = serde_json::json!({
            "event_id": "01HX", "event_type": "form_response",
            "form_response": {
                "answers": [
                    { "type": "email", "email": "anna@nordwind-logistik.de", "field": { "id": "a1", "ref": "email", "type": "email" } },
                    { "type": "choice", "choice": { "label": "within_3_months" }, "field": { "id": "a2", "ref": "purchase_timeframe", "type": "multiple_choice" } },
                    { "type": "number", "number": 250, "field": { "id": "a3", "ref": "company_size", "type": "number" } }
                ],
                "hidden": { "utm_campaign": "herbst" }
            }
        });
        let fields = parse("application/json", body.to_string().as_bytes()).unwrap();
        assert_eq!(fields.delivery_id.as_deref(), Some("01HX"));
        assert_eq!(fields.values["email"], "anna@nordwind-logistik.de");
        assert_eq!(fields.values["purchase_timeframe"], "within_3_months");
        assert_eq!(fields.values["company_size"], "250");
        assert_eq!(fields.values["utm_campaign"], "herbst");
    }

    const SECRET: &str = "0123456789abcdef-secret";
    const BODY: &[u8] = br#"{"email":"anna@nordwind-logistik.de"}"#;
    const NOW: Timestamp = Timestamp::from_unix(1_795_773_600);

    fn check(scheme: Scheme, headers: &[(&str, String)], body: &[u8]) -> Result<(), SignatureError> {
        let source = Source::new(scheme, Some(SECRET.into()));
        let get = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str());
        verify(
            &source,
            &Signed { method: "POST", url: "https://api.test/intake/x", header: &get, body, now: NOW },
        )
    }

    #[test]
    fn each_scheme_accepts_its_own_signature_and_rejects_a_changed_body() {
        let t = NOW.unix();
        let ms = t * 1000;
        let cases: Vec<(Scheme, Vec<(&str, String)>)> = vec![
            (Scheme::Generic, vec![("x-leadflow-signature", generic::sign(SECRET, t, BODY))]),
            (Scheme::Typeform, vec![("typeform-signature", typeform::sign(SECRET, BODY))]),
            (
                Scheme::HubSpotV3,
                vec![
                    (
                        "x-hubspot-signature-v3",
                        hubspot::sign(SECRET, "POST", "https://api.test/intake/x", BODY, ms),
                    ),
                    ("x-hubspot-request-timestamp", ms.to_string()),
                ],
            ),
            (
                Scheme::Webflow,
                vec![
                    ("x-webflow-signature", webflow::sign(SECRET, ms, BODY)),
                    ("x-webflow-timestamp", ms.to_string()),
                ],
            ),
        ];
        for (scheme, headers) in cases {
            assert_eq!(check(scheme, &headers, BODY), Ok(()), "{scheme:?}");
            assert_eq!(check(scheme, &headers, b"{}"), Err(SignatureError::Mismatch), "{scheme:?}");
        }
    }

    #[test]
    fn generic_window_is_five_minutes_and_secrets_can_rotate() {
        let at = |t: i64| vec![("x-leadflow-signature", generic::sign(SECRET, t, BODY))];
        assert_eq!(check(Scheme::Generic, &at(NOW.unix() - 300), BODY), Ok(()));
        assert_eq!(check(Scheme::Generic, &at(NOW.unix() - 301), BODY), Err(SignatureError::Expired));
        assert_eq!(check(Scheme::Generic, &at(NOW.unix() + 301), BODY), Err(SignatureError::Expired));
        let old = generic::sign("old-secret-0123456789", NOW.unix(), BODY);
        let new = generic::sign(SECRET, NOW.unix(), BODY);
        let both = format!("{old},v1={}", new.split("v1=").nth(1).unwrap());
        assert_eq!(check(Scheme::Generic, &[("x-leadflow-signature", both)], BODY), Ok(()));
    }

    #[test]
    fn generic_takes_at_most_eight_signatures() {
        let good = generic::sign(SECRET, NOW.unix(), BODY);
        let good_v1 = good.split("v1=").nth(1).unwrap().to_owned();
        let header = |wrong: usize| {
            let mut h = format!("t={}", NOW.unix());
            for _ in 0..wrong {
                h.push_str(&format!(",v1={}", "00".repeat(32)));
            }
            format!("{h},v1={good_v1}")
        };
        assert_eq!(check(Scheme::Generic, &[("x-leadflow-signature", header(7))], BODY), Ok(()));
        assert_eq!(
            check(Scheme::Generic, &[("x-leadflow-signature", header(8))], BODY),
            Err(SignatureError::Malformed("x-leadflow-signature"))
        );
    }

    #[test]
    fn extreme_timestamps_are_expired_not_a_panic() {
        for t in ["-9223372036854775808", "9223372036854775807", "-1", "0", "-9223372035059002208"] {
            let generic = format!("t={t},v1={}", "00".repeat(32));
            assert_eq!(
                check(Scheme::Generic, &[("x-leadflow-signature", generic)], BODY),
                Err(SignatureError::Expired)
            );
            let hubspot = vec![
                ("x-hubspot-signature-v3", "AAAA".to_owned()),
                ("x-hubspot-request-timestamp", t.to_owned()),
            ];
            assert_eq!(check(Scheme::HubSpotV3, &hubspot, BODY), Err(SignatureError::Expired), "{t}");
            let webflow =
                vec![("x-webflow-signature", "00".to_owned()), ("x-webflow-timestamp", t.to_owned())];
            assert_eq!(check(Scheme::Webflow, &webflow, BODY), Err(SignatureError::Expired), "{t}");
        }
        let huge = vec![("x-webflow-signature", "00".to_owned()), ("x-webflow-timestamp", "9".repeat(40))];
        assert_eq!(
            check(Scheme::Webflow, &huge, BODY),
            Err(SignatureError::Malformed("x-webflow-timestamp"))
        );
    }
}
