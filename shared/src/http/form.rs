//! Form deliveries -> a [`Submission`]: JSON (flat, Typeform, Webflow) or urlencoded,
//! canonical field names with German aliases, unknown fields kept as attributes.

use std::collections::BTreeMap;

use serde_json::Value;

use super::problem::Problem;
use crate::clock::Timestamp;
use crate::intake::Submission;
use crate::lead::{
    email_domain, normalise_country, normalise_email, normalise_text, parse_company_size, truncate_chars,
    Answer, Answers, Profile, MAX_MESSAGE_LEN,
};

/// The largest body intake reads.
pub const MAX_BODY: usize = 64 * 1024;

/// A body's fields, and the form tool's own delivery id if it has one.
#[derive(Debug, Default, PartialEq)]
pub struct Fields {
    pub values: BTreeMap<String, String>,
    pub delivery_id: Option<String>,
}

/// Canonical names and the aliases forms use for them (after lower-casing and turning
/// `-`, ` ` and `.` into `_`).
const ALIASES: &[(&str, &[&str])] = &[
    ("email", &["email", "e_mail", "mail", "email_address", "emailadresse", "e_mail_adresse"]),
    ("first_name", &["first_name", "firstname", "given_name", "vorname"]),
    ("last_name", &["last_name", "lastname", "surname", "family_name", "nachname"]),
    ("name", &["name", "full_name", "fullname", "vollständiger_name"]),
    (
        "company",
        &["company", "company_name", "organization", "organisation", "firma", "unternehmen", "firmenname"],
    ),
    (
        "job_title",
        &["job_title", "jobtitle", "title", "position", "funktion", "berufsbezeichnung", "jobtitel"],
    ),
    (
        "company_size",
        &[
            "company_size",
            "employees",
            "number_of_employees",
            "mitarbeiter",
            "mitarbeiterzahl",
            "anzahl_mitarbeiter",
            "unternehmensgröße",
            "unternehmensgroesse",
        ],
    ),
    ("industry", &["industry", "branche"]),
    ("country", &["country", "land"]),
    ("phone", &["phone", "phone_number", "telephone", "telefon", "telefonnummer", "tel", "mobil"]),
    ("message", &["message", "comment", "comments", "nachricht", "kommentar", "anliegen", "ihre_nachricht"]),
    ("activity", &["activity", "aktivität", "aktivitaet"]),
    (
        "purchase_timeframe",
        &["purchase_timeframe", "timeframe", "timeline", "kaufzeitraum", "zeitrahmen", "zeitraum"],
    ),
    (
        "budget_role",
        &["budget_role", "role_in_purchase", "budgetrolle", "rolle_im_kaufprozess", "entscheidungsbefugnis"],
    ),
    (
        "inquiry_type",
        &["inquiry_type", "enquiry_type", "request_type", "anfrageart", "art_der_anfrage", "anliegen_art"],
    ),
    ("consent", &["consent", "gdpr_consent", "einwilligung", "datenschutz", "dsgvo"]),
    (
        "consent_version",
        &[
            "consent_version",
            "consent_text_version",
            "einwilligung_version",
            "einwilligungstext_version",
            "datenschutz_version",
        ],
    ),
];

fn key_of(raw: &str) -> String {
    raw.trim().to_lowercase().chars().map(|c| if matches!(c, '-' | ' ' | '.') { '_' } else { c }).collect()
}

/// The canonical name of a form field, if it has one.
pub fn canonical(raw: &str) -> Option<&'static str> {
    let key = key_of(raw);
    ALIASES.iter().find(|(_, aliases)| aliases.contains(&key.as_str())).map(|(name, _)| *name)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Object(_) => Some(v.to_string()),
    }
}

fn insert(fields: &mut Fields, name: &str, value: &Value) -> Result<(), Problem> {
    if let (Some(field), Value::Object(_)) = (canonical(name), value) {
        return Err(Problem::invalid_field(field, format!("`{name}` must be text, not an object")));
    }
    if let Some(text) = scalar(value) {
        fields.values.insert(name.to_owned(), text);
    }
    Ok(())
}

/// Typeform answers carry their value under a key named after the answer type.
fn typeform_value(answer: &Value) -> Option<Value> {
    let kind = answer.get("type")?.as_str()?;
    let v = answer.get(kind)?;
    Some(match kind {
        "choice" => v.get("label").cloned().or_else(|| v.get("other").cloned())?,
        "choices" => v.get("labels").cloned()?,
        _ => v.clone(),
    })
}

/// Reads a body by its media type.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Fields, Problem> {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let mut fields = Fields::default();
    match media.as_str() {
        "application/json" => {
            let doc: Value = serde_json::from_slice(body)
                .map_err(|e| Problem::malformed(format!("the body is not valid JSON: {e}")))?;
            let Value::Object(obj) = doc else {
                return Err(Problem::malformed("the body must be a JSON object"));
            };
            if let Some(response) = obj.get("form_response").and_then(Value::as_object) {
                // Typeform: answers are named by their field's `ref`.
                fields.delivery_id = obj.get("event_id").and_then(scalar);
                for answer in response.get("answers").and_then(Value::as_array).into_iter().flatten() {
                    let name = answer
                        .pointer("/field/ref")
                        .or_else(|| answer.pointer("/field/id"))
                        .and_then(Value::as_str);
                    if let (Some(name), Some(value)) = (name, typeform_value(answer)) {
                        insert(&mut fields, name, &value)?;
                    }
                }
                for (k, v) in response.get("hidden").and_then(Value::as_object).into_iter().flatten() {
                    insert(&mut fields, k, v)?;
                }
            } else if let Some(data) =
                obj.get("payload").and_then(|p| p.get("data")).and_then(Value::as_object)
            {
                // Webflow form_submission.
                fields.delivery_id = obj.get("payload").and_then(|p| p.get("id")).and_then(scalar);
                for (k, v) in data {
                    insert(&mut fields, k, v)?;
                }
            } else {
                for (k, v) in &obj {
                    match k.as_str() {
                        "delivery_id" | "event_id" | "eventId" => fields.delivery_id = scalar(v),
                        _ => insert(&mut fields, k, v)?,
                    }
                }
            }
        }
        "application/x-www-form-urlencoded" => {
            std::str::from_utf8(body).map_err(|_| Problem::malformed("the form body is not UTF-8"))?;
            for (k, v) in form_urlencoded::parse(body) {
                if k == "delivery_id" {
                    fields.delivery_id = Some(v.into_owned());
                } else {
                    fields.values.insert(k.into_owned(), v.into_owned());
                }
            }
        }
        other => {
            return Err(Problem::unsupported_media_type(if other.is_empty() { "(none)" } else { other }))
        }
    }
    Ok(fields)
}

fn bounded(field: &'static str, raw: Option<String>, max: usize) -> Result<Option<String>, Problem> {
    match raw.as_deref().and_then(normalise_text) {
        Some(text) if text.chars().count() > max => {
            Err(Problem::invalid_field(field, format!("`{field}` may be at most {max} characters")))
        }
        other => Ok(other),
    }
}

/// Validates and normalises the fields into a submission.
pub fn submission(
    source: &str,
    fields: Fields,
    idempotency_key: Option<&str>,
    now: Timestamp,
) -> Result<Submission, Problem> {
    let mut canonical_values: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut attributes = BTreeMap::new();
    for (k, v) in fields.values {
        match canonical(&k) {
            Some(name) => {
                canonical_values.insert(name, v);
            }
            None => {
                attributes.insert(k, v);
            }
        }
    }
    let mut take = |name: &str| canonical_values.remove(name);
    let raw_email = take("email").ok_or_else(|| Problem::invalid_field("email", "`email` is required"))?;
    let email = normalise_email(&raw_email).map_err(|e| Problem::invalid_field("email", e.to_string()))?;

    let mut first_name = bounded("first_name", take("first_name"), 100)?;
    let mut last_name = bounded("last_name", take("last_name"), 100)?;
    if let Some(full) = bounded("name", take("name"), 200)? {
        if first_name.is_none() && last_name.is_none() {
            match full.rsplit_once(' ') {
                Some((first, last)) => (first_name, last_name) = (Some(first.into()), Some(last.into())),
                None => last_name = Some(full),
            }
        }
    }
    let company_size = match take("company_size").as_deref().and_then(normalise_text) {
        None => None,
        Some(text) => Some(parse_company_size(&text).ok_or_else(|| {
            Problem::invalid_field(
                "company_size",
                format!("`company_size` must contain a number, got `{}`", truncate_chars(&text, 40)),
            )
        })?),
    };
    let phone = bounded("phone", take("phone"), 40)?;
    if let Some(p) = &phone {
        if !p.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c))
            || !p.chars().any(|c| c.is_ascii_digit())
        {
            return Err(Problem::invalid_field(
                "phone",
                "`phone` may hold digits, spaces and + - ( ) / . only",
            ));
        }
    }
    let country = match bounded("country", take("country"), 60)? {
        Some(c) => normalise_country(&c),
        None => None,
    };
    let activity = match take("activity").as_deref().and_then(normalise_text) {
        None => None,
        Some(a) => {
            let a = a.to_lowercase();
            let ok = a.len() <= 40
                && a.starts_with(|c: char| c.is_ascii_lowercase())
                && a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(Problem::invalid_field(
                    "activity",
                    "`activity` is an id such as `demo_request` (a-z, 0-9, _; at most 40)",
                ));
            }
            Some(a)
        }
    };
    let answer = |value: Option<String>| value.map(|value| Answer { value, at: now });
    let answers = Answers {
        purchase_timeframe: answer(bounded("purchase_timeframe", take("purchase_timeframe"), 100)?),
        budget_role: answer(bounded("budget_role", take("budget_role"), 100)?),
        inquiry_type: answer(bounded("inquiry_type", take("inquiry_type"), 100)?),
        // A long message is kept, cut to what scoring reads: a lead is never refused for it.
        message: answer(
            take("message").as_deref().and_then(normalise_text).map(|m| truncate_chars(&m, MAX_MESSAGE_LEN)),
        ),
    };
    let profile = Profile {
        company_domain: email_domain(&email).to_owned(),
        email,
        first_name,
        last_name,
        company: bounded("company", take("company"), 200)?,
        job_title: bounded("job_title", take("job_title"), 200)?,
        company_size,
        industry: bounded("industry", take("industry"), 100)?,
        country,
        phone,
    };
    let consent = consent(take("consent"), take("consent_version"))?;
    let key = match idempotency_key {
        Some(k) if k.is_empty() || k.len() > 128 || k.chars().any(|c| c.is_control()) => {
            return Err(Problem::invalid_field(
                "Idempotency-Key",
                "the `Idempotency-Key` header must be 1-128 printable characters",
            ));
        }
        Some(k) => Some(k.to_owned()),
        None => fields.delivery_id.map(|d| truncate_chars(&d, 100)),
    };
    Ok(Submission {
        source: source.to_owned(),
        received_at: now,
        delivery_key: key.map(|k| format!("{source}:{k}")),
        profile,
        answers,
        activity,
        attributes,
        consent,
    })
}

/// The consent statement: `consent` (yes/no) with the version of the text shown. A
/// version alone is an unticked box: no statement.
fn consent(value: Option<String>, version: Option<String>) -> Result<Option<(bool, String)>, Problem> {
    let Some(value) = value.as_deref().and_then(normalise_text) else { return Ok(None) };
    let given = match value.to_lowercase().as_str() {
        "yes" | "ja" | "true" | "1" | "on" | "checked" | "accepted" | "granted" => true,
        "no" | "nein" | "false" | "0" | "off" | "declined" | "refused" => false,
        _ => {
            return Err(Problem::invalid_field(
                "consent",
                "`consent` is yes or no (also ja/nein, true/false, 1/0, on/off)",
            ))
        }
    };
    let version = version.as_deref().and_then(normalise_text).ok_or_else(|| {
        Problem::invalid_field(
            "consent_version",
            "`consent_version` names the consent text the form showed (e.g. `newsletter-2026-01`); \
             it is required with `consent`",
        )
    })?;
    let ok = version.len() <= 64 && version.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(Problem::invalid_field(
            "consent_version",
            "`consent_version` is 1-64 of A-Z, a-z, 0-9, `.`, `_` and `-`",
        ));
    }
    Ok(Some((given, version)))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn full_name_is_split_when_no_parts_are_given() {
        let mut fields = Fields::default();
        fields.values.insert("E-Mail".into(), "J.Gross@Mueller.de".into());
        fields.values.insert("Name".into(), "Jürgen Groß".into());
        fields.values.insert("Nachricht".into(), "x".repeat(MAX_MESSAGE_LEN + 50));
        let s = submission("web", fields, Some("k1"), Timestamp::from_unix(0)).unwrap();
        assert_eq!(s.profile.email, "j.gross@mueller.de");
        assert_eq!(s.profile.first_name.as_deref(), Some("Jürgen"));
        assert_eq!(s.profile.last_name.as_deref(), Some("Groß"));
        assert_eq!(s.answers.message.unwrap().value.chars().count(), MAX_MESSAGE_LEN);
        assert_eq!(s.delivery_key.as_deref(), Some("web:k1"));
    }
}
