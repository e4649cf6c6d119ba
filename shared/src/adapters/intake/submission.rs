//! Validates and normalises a body's fields into a [`Submission`]: the one shape every
//! form tool's delivery takes before it meets a lead.

use std::collections::BTreeMap;

use super::fields::{canonical, Fields, FormError};
use super::sources::valid_consent_version;
use crate::domain::clock::Timestamp;
use crate::domain::lead::{
    email_domain, normalise_country, normalise_email, normalise_multiline, normalise_text,
    parse_company_size, truncate_chars, Answer, Answers, Profile, MAX_MESSAGE_LEN,
};
use crate::domain::vocabulary::ConsentStatement;
use crate::usecases::intake::Submission;

fn bounded(field: &'static str, raw: Option<String>, max: usize) -> Result<Option<String>, FormError> {
    match raw.as_deref().and_then(normalise_text) {
        Some(text) if text.chars().count() > max => {
            Err(FormError::invalid(field, format!("`{field}` may be at most {max} characters")))
        }
        other => Ok(other),
    }
}

/// Validates and normalises the fields into a submission.
/// `form_consent_version` is the source's configured consent text version, recorded for a
/// consent that comes without one.
pub fn submission(
    source: &str,
    fields: Fields,
    idempotency_key: Option<&str>,
    form_consent_version: Option<&str>,
    now: Timestamp,
) -> Result<Submission, FormError> {
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
    let raw_email = take("email").ok_or_else(|| FormError::invalid("email", "`email` is required"))?;
    let email = normalise_email(&raw_email).map_err(|e| FormError::invalid("email", e.to_string()))?;

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
            FormError::invalid(
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
            return Err(FormError::invalid("phone", "`phone` may hold digits, spaces and + - ( ) / . only"));
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
                return Err(FormError::invalid(
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
            take("message")
                .as_deref()
                .and_then(normalise_multiline)
                .map(|m| truncate_chars(&m, MAX_MESSAGE_LEN)),
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
    let consent = consent(take("consent"), take("consent_version"), form_consent_version);
    let key = match idempotency_key {
        Some(k) if k.is_empty() || k.len() > 128 || k.chars().any(|c| c.is_control()) => {
            return Err(FormError::invalid(
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

/// The version recorded for a consent whose text version nobody can name.
pub const UNVERSIONED: &str = "unversioned";

/// The consent statement: `consent` (yes/no) with the version of the text shown. A
/// version alone is an unticked box: no statement. Never a reason to lose the lead: a
/// consent without a (valid) version is recorded with the form's configured version, or
/// as `unversioned`; a value that is neither yes nor no records no statement.
fn consent(
    value: Option<String>,
    version: Option<String>,
    form_version: Option<&str>,
) -> Option<ConsentStatement> {
    let value = value.as_deref().and_then(normalise_text)?;
    let given = match value.to_lowercase().as_str() {
        "yes" | "ja" | "true" | "1" | "on" | "checked" | "accepted" | "granted" => true,
        "no" | "nein" | "false" | "0" | "off" | "declined" | "refused" => false,
        _ => return None,
    };
    let text_version = version
        .as_deref()
        .and_then(normalise_text)
        .filter(|v| valid_consent_version(v))
        .or_else(|| form_version.map(str::to_owned))
        .unwrap_or_else(|| UNVERSIONED.to_owned());
    Some(ConsentStatement { given, text_version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_is_never_a_reason_to_lose_the_lead() {
        let c = |v: &str, ver: Option<&str>, form: Option<&str>| {
            consent(Some(v.into()), ver.map(Into::into), form)
        };
        let statement = |given, v: &str| Some(ConsentStatement { given, text_version: v.into() });
        assert_eq!(c("ja", Some("nl-2026-01"), Some("form-1")), statement(true, "nl-2026-01"));
        assert_eq!(c("yes", None, Some("form-1")), statement(true, "form-1"));
        assert_eq!(c("no", None, None), statement(false, UNVERSIONED));
        assert_eq!(c("on", Some("the one from May"), None), statement(true, UNVERSIONED));
        assert_eq!(c("vielleicht", Some("nl-1"), None), None);
        assert_eq!(consent(None, Some("nl-1".into()), None), None, "a version alone is an unticked box");
    }

    #[test]
    fn full_name_is_split_when_no_parts_are_given() {
        let mut fields = Fields::default();
        fields.values.insert("E-Mail".into(), "J.Gross@Mueller.de".into());
        fields.values.insert("Name".into(), "Jürgen Groß".into());
        fields.values.insert("Nachricht".into(), "x".repeat(MAX_MESSAGE_LEN + 50));
        let s = submission("web", fields, Some("k1"), None, Timestamp::from_unix(0)).unwrap();
        assert_eq!(s.profile.email, "j.gross@mueller.de");
        assert_eq!(s.profile.first_name.as_deref(), Some("Jürgen"));
        assert_eq!(s.profile.last_name.as_deref(), Some("Groß"));
        assert_eq!(s.answers.message.unwrap().value.chars().count(), MAX_MESSAGE_LEN);
        assert_eq!(s.delivery_key.as_deref(), Some("web:k1"));
    }
}
