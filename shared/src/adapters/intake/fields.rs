//! A body's fields: canonical names with the aliases forms use (German among them),
//! and the errors of reading a body.

use std::collections::BTreeMap;

use serde_json::Value;

/// The largest body intake reads.
pub const MAX_BODY: usize = 64 * 1024;

/// Why a form body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// The body cannot be read at all (broken JSON, not UTF-8).
    #[error("{0}")]
    Malformed(String),
    /// Neither JSON nor urlencoded.
    #[error("unsupported media type `{0}`")]
    UnsupportedMediaType(String),
    /// A field is missing or invalid.
    #[error("{detail}")]
    InvalidField { field: String, detail: String },
}

impl FormError {
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        FormError::InvalidField { field: field.to_owned(), detail: detail.into() }
    }
}

/// A body's fields, and the form tool's own delivery id if it has one.
#[derive(Debug, Default, PartialEq)]
pub struct Fields {
    pub values: BTreeMap<String, String>,
    pub delivery_id: Option<String>,
    /// Known fields whose value is not text (a JSON object), as JSON text: kept raw in
    /// the lead's `profile.unparsed`, never a reason to refuse (except `email` and consent).
    pub unparsed: BTreeMap<String, String>,
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

pub(crate) fn scalar(v: &Value) -> Option<String> {
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

/// A delivery id as a form tool sends it: `None` when empty or blank, which would
/// otherwise be one key for every later delivery.
pub(crate) fn delivery_id(value: &Value) -> Option<String> {
    scalar(value).filter(|id| !id.trim().is_empty())
}

pub(crate) fn insert(fields: &mut Fields, name: &str, value: &Value) -> Result<(), FormError> {
    if let (Some(field), Value::Object(_)) = (canonical(name), value) {
        if !matches!(field, "email" | "consent" | "consent_version") {
            fields.unparsed.insert(name.to_owned(), value.to_string());
            return Ok(());
        }
        return Err(FormError::invalid(field, format!("`{name}` must be text, not an object")));
    }
    if let Some(text) = scalar(value) {
        fields.values.insert(name.to_owned(), text);
    }
    Ok(())
}
