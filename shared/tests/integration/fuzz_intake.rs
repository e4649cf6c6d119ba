//! A fuzz target over the public intake: anything anyone can post to a form, as a long
//! property run. Bodies of any media type (arbitrary bytes, arbitrary JSON shapes, the
//! form tools' own shapes, urlencoded forms) through `forms::parse` and
//! `forms::submission`; arbitrary header values through `forms::verify` for every scheme;
//! arbitrary emails through normalisation and identity. Nothing may panic, every refusal
//! is a typed `FormError` or `SignatureError` naming what it may name, and what is
//! accepted is clean (no control characters, no blank names or keys, bounded).
//!
//! The normal test run tries [`DEFAULT_CASES`] inputs per target (a few seconds in a debug
//! build). A long run, with overflow checks on as in a debug build:
//! `CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true LEADFLOW_FUZZ_CASES=1000000 cargo test
//! --release -p leadflow --test integration fuzz -- --nocapture` (each target reports its
//! executions, outcomes and time). What it found stays in [`regressions`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use leadflow::forms::{
    self, sign_generic, sign_hubspot_v3, sign_typeform, sign_webflow, FormError, Scheme, SignatureError,
    Signed, Source,
};
use leadflow::identity::{canonical_email, IdKey};
use leadflow::lead::{
    is_invisible, normalise_email, MAX_ATTRIBUTE_LEN, MAX_ATTRIBUTE_NAME_LEN, MAX_UNPARSED_LEN,
};
use leadflow::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::{json, Map, Value};

/// Inputs per target in the normal test run.
const DEFAULT_CASES: u32 = 5_000;
const NOW: Timestamp = Timestamp::from_unix(1_795_773_600);
const SECRET: &str = "fuzz-secret-0123456789";

fn runner() -> TestRunner {
    let cases =
        std::env::var("LEADFLOW_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Counts what a target's inputs came to, for its report.
#[derive(Default)]
struct Outcomes(Mutex<BTreeMap<String, u64>>);

impl Outcomes {
    fn count(&self, outcome: impl Into<String>) {
        *self.0.lock().unwrap().entry(outcome.into()).or_default() += 1;
    }

    fn report(&self) -> String {
        let counts = self.0.lock().unwrap();
        counts.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
    }
}

/// Runs one target and reports what it did (shrinking runs count too).
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    outcomes: &Outcomes,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = runner();
    let started = Instant::now();
    let result = runner.run(&strategy, test);
    eprintln!("fuzz {name}: {:.1?}; {}", started.elapsed(), outcomes.report());
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, input)) => panic!("fuzz {name}: {why}\nminimal input: {input:#?}"),
        Err(TestError::Abort(why)) => panic!("fuzz {name} aborted: {why}"),
    }
}

// ---------------------------------------------------------------------------------------
// Inputs.

/// Texts that have broken or nearly broken intake code, mixed with arbitrary ones.
const NASTY: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "\r\n",
    "\u{85}",
    "\u{200b}",
    "\u{feff}",
    "\u{ad}",
    "\u{202e}",
    "\u{2066}",
    "\u{e0041}",
    "\u{fe0f}",
    "\u{3164}",
    "\u{ff20}",
    "\u{ff0e}",
    "\u{3002}",
    "İ",
    "ß",
    "ẞ",
    "㎒",
    "ǅ",
    "ﬃ",
    "\u{1b}[31m",
    "anna@example.de",
    "ANNA@EXAMPLE.DE",
    "info@müller.de",
    "info@xn--mller-kva.de",
    "info@xn--",
    "info@xn--zz.de",
    "a@b",
    "a@b.c0",
    "@",
    "@@",
    "a@-b.de",
    "a..b@x.de",
    "\u{ff41}\u{ff20}\u{ff42}\u{ff0e}\u{ff44}\u{ff45}",
    "j\u{fc}rgen@gro\u{df}.de",
    "0",
    "-1",
    "-9223372036854775808",
    "9223372036854775807",
    "99999999999999999999999",
    "1e400",
    "ca. 50 MA",
    "groß",
    "1.000+",
    "50-199",
    "4294967296",
    "+49 89 1234-0 Durchwahl 12",
    "ext. 12",
    "Demo Request!",
    "demo_request",
    "yes",
    "ja",
    "nein",
    "newsletter-2026-01",
    "t=1795773600,v1=00",
    "sha256=",
    "%",
    "%3A%2F%3F%40",
];

/// Field names forms use, tool shapes' keys, and names that have been trouble.
const NAMES: &[&str] = &[
    "email",
    "E-Mail",
    "Email",
    "first_name",
    "Vorname",
    "last_name",
    "name",
    "company",
    "Firma",
    "job_title",
    "company_size",
    "Mitarbeiter",
    "industry",
    "country",
    "Land",
    "phone",
    "Telefon",
    "message",
    "Nachricht",
    "activity",
    "purchase_timeframe",
    "budget_role",
    "inquiry_type",
    "consent",
    "consent_version",
    "delivery_id",
    "event_id",
    "eventId",
    "form_response",
    "answers",
    "hidden",
    "payload",
    "data",
    "id",
    "type",
    "field",
    "ref",
    "utm_source",
    "",
    " ",
    "\u{0}",
    "e\u{0}mail",
    "utm\r\nsource",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(NASTY).prop_map(str::to_owned),
        2 => any::<String>(),
        2 => "[a-zA-Z0-9 .@+_-]{0,24}",
        1 => "[\\p{Cc}\\p{Cf}\\p{Zs}a-z@.]{0,16}",
        1 => (prop::sample::select(NASTY), prop::sample::select(NASTY), any::<String>())
            .prop_map(|(a, b, c)| format!("{a}{c}{b}")),
        1 => (1usize..3000).prop_map(|n| "x".repeat(n)),
    ]
}

/// An email as forms send them: mostly valid, in every spelling, or broken by one character.
fn email() -> impl Strategy<Value = String> {
    let plain = (
        "[a-zA-Z0-9_+-]{1,10}(\\.[a-zA-Z0-9_+-]{1,8})?",
        "[a-zA-Z0-9]{1,10}(-[a-zA-Z0-9]{1,6})?",
        prop::sample::select(vec!["de", "com", "at", "co.uk", "xn--p1ai"]),
    )
        .prop_map(|(l, d, tld)| format!("{l}@{d}.{tld}"));
    prop_oneof![
        4 => plain.clone(),
        1 => prop::sample::select(vec![
            "info@müller.de", "INFO@MÜLLER.DE", "info@xn--mller-kva.de", "kontakt@bücher.de", "jürgen@groß.de",
            "\u{ff49}\u{ff4e}\u{ff46}\u{ff4f}\u{ff20}example\u{ff0e}de", "ju\u{308}rgen@example.de", "info@пример.рф",
        ])
        .prop_map(str::to_owned),
        2 => (plain, prop::sample::select(NASTY), any::<prop::sample::Index>()).prop_map(|(e, odd, at)| {
            let chars: Vec<char> = e.chars().collect();
            let i = at.index(chars.len() + 1);
            chars[..i].iter().chain(odd.chars().collect::<Vec<_>>().iter()).chain(chars[i..].iter()).collect()
        }),
        1 => text(),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        4 => text().prop_map(Value::from),
    ]
}

/// Any JSON value, up to a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((name(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A flat form: mostly with an email, known and unknown names, mostly text.
fn flat() -> impl Strategy<Value = Map<String, Value>> {
    let field = (name(), prop_oneof![4 => text().prop_map(Value::from), 1 => json_value()]);
    (prop::option::weighted(0.8, (email_name(), email())), prop::collection::vec(field, 0..12)).prop_map(
        |(email, kv)| {
            let mut form: Map<String, Value> = kv.into_iter().collect();
            if let Some((k, v)) = email {
                // The one email of the form (other spellings of the name would compete).
                form.retain(|name, _| forms::canonical(name) != Some("email"));
                form.insert(k, Value::from(v));
            }
            form
        },
    )
}

fn email_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["email", "E-Mail", "Email", "mail", "email_address"]).prop_map(str::to_owned)
}

/// A Typeform `form_response` delivery, well or badly formed.
fn typeform() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        prop::sample::select(vec![
            "email",
            "text",
            "number",
            "choice",
            "choices",
            "boolean",
            "phone_number",
            "url"
        ])
        .prop_map(str::to_owned),
        text(),
    ];
    let answer = (kind, json_value(), name(), any::<bool>()).prop_map(|(kind, value, name, by_ref)| {
        let value = match kind.as_str() {
            "choice" => json!({ "label": value }),
            "choices" => json!({ "labels": [value] }),
            _ => value,
        };
        let field = if by_ref { json!({ "ref": name }) } else { json!({ "id": name }) };
        json!({ "type": kind, kind.clone(): value, "field": field })
    });
    let email_answer =
        email().prop_map(|e| json!({ "type": "email", "email": e, "field": { "ref": "email" } }));
    let event_id = prop_oneof![2 => text().prop_map(Value::from), 1 => json_value()];
    (event_id, prop::option::weighted(0.8, email_answer), prop::collection::vec(answer, 0..8), flat())
        .prop_map(|(event_id, email, mut answers, hidden)| {
            answers.extend(email);
            json!({ "event_id": event_id, "form_response": { "answers": answers, "hidden": hidden } })
        })
}

/// A Webflow `form_submission`, well or badly formed.
fn webflow() -> impl Strategy<Value = Value> {
    let id = prop_oneof![2 => text().prop_map(Value::from), 1 => json_value()];
    (id, flat()).prop_map(|(id, data)| json!({ "payload": { "id": id, "data": data } }))
}

fn urlencoded() -> impl Strategy<Value = Vec<u8>> {
    let pairs = prop::collection::vec((name(), text()), 0..12);
    (prop::option::weighted(0.8, (email_name(), email())), pairs).prop_map(|(email, pairs)| {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in email.iter().chain(&pairs) {
            form.append_pair(k, v);
        }
        form.finish().into_bytes()
    })
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("application/json".to_owned()),
        1 => Just("application/json; charset=utf-8".to_owned()),
        1 => Just("APPLICATION/JSON".to_owned()),
        3 => Just("application/x-www-form-urlencoded".to_owned()),
        1 => Just("application/x-www-form-urlencoded; charset=utf-8".to_owned()),
        1 => Just("multipart/form-data; boundary=x".to_owned()),
        1 => Just(String::new()),
        1 => text(),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..600),
        3 => flat().prop_map(|m| Value::Object(m).to_string().into_bytes()),
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        2 => typeform().prop_map(|v| v.to_string().into_bytes()),
        2 => webflow().prop_map(|v| v.to_string().into_bytes()),
        3 => urlencoded(),
        1 => text().prop_map(String::into_bytes),
    ]
}

// ---------------------------------------------------------------------------------------
// What holds of what is accepted.

fn clean(what: &str, s: &str, newlines: bool) -> Result<(), TestCaseError> {
    prop_assert!(
        !s.chars().any(|c| c.is_control() && !(newlines && c == '\n')),
        "{what} holds a control character: {s:?}"
    );
    Ok(())
}

fn accepted(s: &leadflow::intake::Submission) -> Result<(), TestCaseError> {
    let p = &s.profile;
    prop_assert_eq!(normalise_email(&p.email), Ok(p.email.clone()), "the email is normalised once");
    prop_assert!(!p.email.chars().any(|c| is_invisible(c) || c.is_whitespace()), "{:?}", p.email);
    prop_assert!(p.company_domain.is_ascii(), "{:?}", p.company_domain);
    let key = IdKey::new("fuzz-id-key-0123456789").unwrap();
    prop_assert_eq!(key.lead_id(&p.email), key.lead_id(&canonical_email(&p.email)));
    for (what, text) in [
        ("email", Some(&p.email)),
        ("first_name", p.first_name.as_ref()),
        ("last_name", p.last_name.as_ref()),
        ("company", p.company.as_ref()),
        ("job_title", p.job_title.as_ref()),
        ("industry", p.industry.as_ref()),
        ("country", p.country.as_ref()),
        ("phone", p.phone.as_ref()),
        ("activity", s.activity.as_ref()),
        ("delivery_key", s.delivery_key.as_ref()),
    ] {
        if let Some(text) = text {
            clean(what, text, false)?;
            prop_assert!(!text.trim().is_empty(), "{what} is blank");
        }
    }
    if let Some(key) = &s.delivery_key {
        let id = key.split_once(':').map_or("", |(_, id)| id);
        prop_assert!(!id.trim().is_empty(), "a blank delivery key: {key:?}");
    }
    let answers = [&s.answers.purchase_timeframe, &s.answers.budget_role, &s.answers.inquiry_type];
    for a in answers.into_iter().flatten() {
        clean("answer", &a.value, false)?;
    }
    if let Some(m) = &s.answers.message {
        clean("message", &m.value, true)?;
    }
    for (k, v) in &s.attributes {
        clean("attribute name", k, false)?;
        clean("attribute", v, false)?;
        prop_assert!(!k.trim().is_empty(), "a blank attribute name");
        prop_assert!(k.chars().count() <= MAX_ATTRIBUTE_NAME_LEN && v.chars().count() <= MAX_ATTRIBUTE_LEN);
    }
    for (k, v) in &p.unparsed {
        clean("unparsed name", k, false)?;
        clean("unparsed", v, false)?;
        prop_assert!(v.chars().count() <= MAX_UNPARSED_LEN);
    }
    Ok(())
}

fn kind(e: &FormError) -> String {
    match e {
        FormError::InvalidField { field, .. } => format!("refused for {field}"),
        FormError::Malformed(_) => "malformed".into(),
        FormError::UnsupportedMediaType(_) => "unsupported media type".into(),
    }
}

/// Only the email, consent and the idempotency key may refuse a delivery.
fn refused(e: &FormError) -> Result<(), TestCaseError> {
    match e {
        FormError::InvalidField { field, .. } => prop_assert!(
            ["email", "consent", "consent_version", "Idempotency-Key"].contains(&field.as_str()),
            "refused for an optional field: {e:?}"
        ),
        FormError::Malformed(_) | FormError::UnsupportedMediaType(_) => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Targets.

#[test]
fn fuzz_parse_and_submission() {
    let key = prop::option::of(prop_oneof![3 => text(), 1 => "[a-zA-Z0-9-]{1,40}"]);
    let outcomes = Outcomes::default();
    fuzz("parse+submission", (content_type(), body(), key), &outcomes, |(content_type, body, key)| {
        outcomes.count("executions");
        match forms::parse(&content_type, &body) {
            Ok(fields) => match forms::submission("web", fields, key.as_deref(), None, NOW) {
                Ok(s) => {
                    outcomes.count("accepted");
                    accepted(&s)?
                }
                Err(e) => {
                    outcomes.count(kind(&e));
                    refused(&e)?
                }
            },
            Err(e) => {
                outcomes.count(kind(&e));
                refused(&e)?
            }
        }
        Ok(())
    });
}

/// A timestamp header: extremes, numbers beyond `i64`, times near now (seconds and ms).
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => Just(i64::MIN.to_string()),
        1 => Just(i64::MAX.to_string()),
        1 => Just((NOW.unix().wrapping_add(i64::MIN)).to_string()),
        2 => (-400_000i64..400_000).prop_map(|d| (NOW.unix() * 1000 + d).to_string()),
        2 => (-400i64..400).prop_map(|d| (NOW.unix() + d).to_string()),
        1 => "[0-9]{19,40}",
        1 => "-[0-9]{19,40}",
        1 => "[+-]?[0-9]{0,5}",
    ]
}

/// `X-Leadflow-Signature`: a `t` and `v1` entries, mostly well-formed, up to a dozen.
fn generic_header() -> impl Strategy<Value = String> {
    let v1 = prop_oneof![8 => "[0-9a-f]{64}", 1 => "[0-9a-fA-F]{0,70}", 1 => text()];
    (prop_oneof![6 => number(), 1 => text()], prop::collection::vec(v1, 0..12), any::<bool>()).prop_map(
        |(t, v1, t_last)| {
            let mut parts: Vec<String> = v1.into_iter().map(|v| format!("v1={v}")).collect();
            if t_last {
                parts.push(format!("t={t}"));
            } else {
                parts.insert(0, format!("t={t}"));
            }
            parts.join(",")
        },
    )
}

/// A value for the named header: mostly of its own shape, sometimes anything.
fn header_value(name: &str) -> BoxedStrategy<String> {
    let own: BoxedStrategy<String> = match name {
        "x-leadflow-signature" => generic_header().boxed(),
        "typeform-signature" => {
            prop_oneof!["sha256=[A-Za-z0-9+/]{43}=", "sha256=[A-Za-z0-9+/=]{0,60}"].boxed()
        }
        "x-hubspot-signature-v3" => prop_oneof!["[A-Za-z0-9+/]{43}=", "[A-Za-z0-9+/=]{0,60}"].boxed(),
        "x-webflow-signature" => prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F]{0,80}"].boxed(),
        _ => number().boxed(),
    };
    prop_oneof![4 => own, 1 => text()].boxed()
}

#[test]
fn fuzz_verify() {
    let names = [
        "x-leadflow-signature",
        "typeform-signature",
        "x-hubspot-signature-v3",
        "x-hubspot-request-timestamp",
        "x-webflow-signature",
        "x-webflow-timestamp",
    ];
    let headers: Vec<_> = names.iter().map(|n| prop::option::weighted(0.9, header_value(n))).collect();
    let schemes = prop::sample::select(vec![
        Scheme::Generic,
        Scheme::Typeform,
        Scheme::HubSpotV3,
        Scheme::Webflow,
        Scheme::Unsigned,
    ]);
    let now = prop_oneof![3 => Just(NOW.unix()), 1 => any::<i64>()];
    let outcomes = Outcomes::default();
    fuzz(
        "verify",
        (schemes, headers, text(), prop::collection::vec(any::<u8>(), 0..200), now),
        &outcomes,
        |(scheme, values, url, body, now)| {
            outcomes.count("executions");
            let secret = (scheme != Scheme::Unsigned).then(|| SECRET.to_owned());
            let source = Source::new(scheme, secret);
            let get = |h: &str| names.iter().position(|n| *n == h).and_then(|i| values[i].as_deref());
            let signed = Signed {
                method: "POST",
                url: &url,
                header: &get,
                body: &body,
                now: Timestamp::from_unix(now),
            };
            match forms::verify(&source, &signed) {
                Ok(()) => {
                    prop_assert_eq!(scheme, Scheme::Unsigned, "an unsigned request passed {:?}", scheme)
                }
                Err(e) => outcomes.count(match e {
                    SignatureError::Missing(_) => "missing",
                    SignatureError::Malformed(_) => "malformed",
                    SignatureError::Expired => "expired",
                    SignatureError::Mismatch => "mismatch",
                }),
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_signatures_round_trip() {
    let scheme =
        prop::sample::select(vec![Scheme::Generic, Scheme::Typeform, Scheme::HubSpotV3, Scheme::Webflow]);
    let outcomes = Outcomes::default();
    fuzz(
        "sign+verify",
        (scheme, -300i64..=300, text(), prop::collection::vec(any::<u8>(), 0..200)),
        &outcomes,
        |(scheme, skew, url, body)| {
            outcomes.count("executions");
            let t = NOW.unix() + skew;
            let ms = t * 1000;
            let headers: Vec<(&str, String)> = match scheme {
                Scheme::Generic => vec![("x-leadflow-signature", sign_generic(SECRET, t, &body))],
                Scheme::Typeform => vec![("typeform-signature", sign_typeform(SECRET, &body))],
                Scheme::HubSpotV3 => vec![
                    ("x-hubspot-signature-v3", sign_hubspot_v3(SECRET, "POST", &url, &body, ms)),
                    ("x-hubspot-request-timestamp", ms.to_string()),
                ],
                _ => vec![
                    ("x-webflow-signature", sign_webflow(SECRET, ms, &body)),
                    ("x-webflow-timestamp", ms.to_string()),
                ],
            };
            let get = |h: &str| headers.iter().find(|(k, _)| *k == h).map(|(_, v)| v.as_str());
            let source = Source::new(scheme, Some(SECRET.into()));
            let signed = Signed { method: "POST", url: &url, header: &get, body: &body, now: NOW };
            prop_assert_eq!(forms::verify(&source, &signed), Ok(()));
            let mut other = body.clone();
            other.push(b'x');
            let changed = Signed { body: &other, ..signed };
            prop_assert_eq!(forms::verify(&source, &changed), Err(SignatureError::Mismatch));
            Ok(())
        },
    );
}

#[test]
fn fuzz_email_identity() {
    let email = prop_oneof![
        2 => text(),
        2 => (text(), text()).prop_map(|(l, d)| format!("{l}@{d}")),
        2 => ("[a-zA-Z0-9._%+-]{1,20}", prop::sample::select(NASTY), "[a-zA-Z0-9-]{1,12}", "[a-z]{2,6}")
            .prop_map(|(l, odd, d, tld)| format!("{l}{odd}@{d}.{tld}")),
        1 => ("[a-zA-Z0-9.]{1,12}", "\\PC{1,12}", "[a-z]{2,4}").prop_map(|(l, d, tld)| format!("{l}@{d}.{tld}")),
    ];
    let key = IdKey::new("fuzz-id-key-0123456789").unwrap();
    let outcomes = Outcomes::default();
    fuzz("email", email, &outcomes, |raw| {
        outcomes.count("executions");
        let read = normalise_email(&raw);
        outcomes.count(match &read {
            Ok(_) => "valid".to_owned(),
            Err(e) => format!("{e:?}"),
        });
        if let Ok(shown) = read {
            prop_assert_eq!(normalise_email(&shown), Ok(shown.clone()), "normalising twice changes it");
            prop_assert!(!raw.trim().chars().any(is_invisible), "an invisible character passed: {raw:?}");
            prop_assert_eq!(key.lead_id(&raw), key.lead_id(&shown), "the shown form is another lead");
            let canonical = canonical_email(&shown);
            prop_assert!(
                canonical.is_ascii()
                    || !canonical.rsplit_once('@').unwrap().1.contains(|c: char| !c.is_ascii())
            );
            prop_assert_eq!(canonical_email(&canonical), canonical.clone(), "the canonical form is stable");
            prop_assert_eq!(key.lead_id(&canonical), key.lead_id(&shown));
        }
        Ok(())
    });
}

/// What the fuzz target found, kept: signature times an `i64` subtraction overflowed on
/// (a panic in debug builds; in release, `now - t` wrapped to `i64::MIN`, whose `abs()` is
/// negative, so the window check passed before the signature was compared).
#[test]
fn regressions() {
    let generic = Source::new(Scheme::Generic, Some(SECRET.into()));
    for t in [i64::MIN, NOW.unix().wrapping_add(i64::MIN), i64::MIN + 1] {
        let header = format!("t={t},v1={}", "00".repeat(32));
        let get = |h: &str| (h == "x-leadflow-signature").then_some(header.as_str());
        let signed =
            Signed { method: "POST", url: "https://x/intake/p", header: &get, body: b"{}", now: NOW };
        assert_eq!(forms::verify(&generic, &signed), Err(SignatureError::Expired), "t={t}");
    }
}
