//! Validates and normalises a body's fields into a [`Submission`]: the one shape every
//! form tool's delivery takes before it meets a lead.
//!
//! Only the email can refuse a delivery: an
//! optional field Leadflow cannot read in full is kept raw, cleaned and bounded, in
//! `profile.unparsed`, with whatever part of it could be read in its own field.

use std::collections::BTreeMap;

use super::fields::{canonical, Fields, FormError};
use super::sources::valid_consent_version;
use crate::domain::clock::Timestamp;
use crate::domain::identity::ascii_domain;
use crate::domain::lead::{
    email_domain, normalise_country, normalise_email, normalise_multiline, normalise_text,
    parse_company_size, truncate_chars, Answer, Answers, Profile, MAX_ATTRIBUTE_LEN, MAX_ATTRIBUTE_NAME_LEN,
    MAX_MESSAGE_LEN, MAX_UNPARSED_LEN,
};
use crate::domain::vocabulary::ConsentStatement;
use crate::usecases::intake::Submission;

/// The longest phone number kept in `profile.phone`.
pub const MAX_PHONE_LEN: usize = 40;
/// The fewest digits a phone number read from the start of other text must have.
const MIN_PHONE_DIGITS: usize = 5;

/// Text cut to `max` characters, without a trailing space where the cut fell.
fn cut(text: &str, max: usize) -> String {
    let mut cut = truncate_chars(text, max);
    cut.truncate(cut.trim_end().len());
    cut
}

/// The fields of one delivery, taken one by one; what cannot be read in full is noted.
struct Reader {
    values: BTreeMap<&'static str, String>,
    unparsed: BTreeMap<String, String>,
}

impl Reader {
    /// The field's text, cleaned (one line, no control characters); `None` if blank.
    fn take(&mut self, field: &str) -> Option<String> {
        self.values.remove(field).as_deref().and_then(normalise_text)
    }

    /// Keeps what the form sent for a field that could not be read in full.
    fn keep_raw(&mut self, field: &str, text: &str) {
        if let Some(clean) = normalise_text(text) {
            self.unparsed.insert(field.to_owned(), cut(&clean, MAX_UNPARSED_LEN));
        }
    }

    /// Text of at most `max` characters: longer text is cut, and kept raw as well.
    fn bounded(&mut self, field: &str, max: usize) -> Option<String> {
        let text = self.take(field)?;
        if text.chars().count() <= max {
            return Some(text);
        }
        self.keep_raw(field, &text);
        Some(cut(&text, max))
    }

    /// A company size: the number in it (the lower bound of a range). Anything but a
    /// plain count or range (`250`, `1.000+`, `50-199`) is kept raw as well.
    fn company_size(&mut self) -> Option<u32> {
        let text = self.take("company_size")?;
        let size = parse_company_size(&text);
        let plain = text.chars().all(|c| c.is_ascii_digit() || " .,'+-–".contains(c));
        if size.is_none() || !plain {
            self.keep_raw("company_size", &text);
        }
        size
    }

    /// A phone number: digits, spaces and `+ - ( ) / .`, at most [`MAX_PHONE_LEN`]. Other
    /// text is kept raw; a number it starts with (`+49 89 1234-0 Durchwahl 12`) is kept
    /// as the phone.
    fn phone(&mut self) -> Option<String> {
        let text = self.take("phone")?;
        let allowed = |c: char| c.is_ascii_digit() || " +-()/.".contains(c);
        let valid = |p: &str| {
            p.chars().count() <= MAX_PHONE_LEN
                && p.chars().all(allowed)
                && p.chars().any(|c| c.is_ascii_digit())
        };
        if valid(&text) {
            return Some(text);
        }
        self.keep_raw("phone", &text);
        let start = text.find(|c: char| !allowed(c)).map_or(&text[..], |end| &text[..end]).trim_end();
        let digits = start.chars().filter(char::is_ascii_digit).count();
        (digits >= MIN_PHONE_DIGITS && valid(start)).then(|| start.to_owned())
    }

    /// An activity id (`demo_request`: a-z, 0-9, `_`, at most 40); anything else is kept
    /// raw, and the delivery counts as a plain form submission.
    fn activity(&mut self) -> Option<String> {
        let text = self.take("activity")?;
        let id = text.to_lowercase();
        let ok = id.len() <= 40
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            return Some(id);
        }
        self.keep_raw("activity", &text);
        None
    }
}

/// A form field's name, cleaned (one line, no control characters) and cut to
/// [`MAX_ATTRIBUTE_NAME_LEN`]; `None` for an empty or blank name, which names no field.
fn field_name(raw: &str) -> Option<String> {
    normalise_text(raw).map(|name| cut(&name, MAX_ATTRIBUTE_NAME_LEN))
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
    let mut reader = Reader { values: BTreeMap::new(), unparsed: BTreeMap::new() };
    let mut attributes = BTreeMap::new();
    for (k, v) in fields.values {
        let Some(name) = field_name(&k) else { continue };
        match canonical(&name) {
            Some(field) => {
                reader.values.insert(field, v);
            }
            None => {
                if let Some(value) = normalise_text(&v) {
                    attributes.insert(name, cut(&value, MAX_ATTRIBUTE_LEN));
                }
            }
        }
    }
    for (k, raw) in &fields.unparsed {
        if let Some(field) = field_name(k).as_deref().and_then(canonical) {
            reader.keep_raw(field, raw);
        }
    }
    let raw_email =
        reader.values.remove("email").ok_or_else(|| FormError::invalid("email", "`email` is required"))?;
    let email = normalise_email(&raw_email).map_err(|e| FormError::invalid("email", e.to_string()))?;

    let mut first_name = reader.bounded("first_name", 100);
    let mut last_name = reader.bounded("last_name", 100);
    if let Some(full) = reader.bounded("name", 200) {
        if first_name.is_none() && last_name.is_none() {
            match full.rsplit_once(' ') {
                Some((first, last)) => (first_name, last_name) = (Some(first.into()), Some(last.into())),
                None => last_name = Some(full),
            }
        }
    }
    let company_size = reader.company_size();
    let phone = reader.phone();
    let country = reader.bounded("country", 60).and_then(|c| normalise_country(&c));
    let activity = reader.activity();
    let answer = |value: Option<String>| value.map(|value| Answer { value, at: now });
    let answers = Answers {
        purchase_timeframe: answer(reader.bounded("purchase_timeframe", 100)),
        budget_role: answer(reader.bounded("budget_role", 100)),
        inquiry_type: answer(reader.bounded("inquiry_type", 100)),
        // A long message is kept, cut to what scoring reads: a lead is never refused for it.
        message: answer(
            reader
                .values
                .remove("message")
                .as_deref()
                .and_then(normalise_multiline)
                .map(|m| truncate_chars(&m, MAX_MESSAGE_LEN)),
        ),
    };
    let company = reader.bounded("company", 200);
    let job_title = reader.bounded("job_title", 200);
    let industry = reader.bounded("industry", 100);
    let consent = consent(
        reader.values.remove("consent"),
        reader.values.remove("consent_version"),
        form_consent_version,
    );
    let shown_domain = email_domain(&email);
    let profile = Profile {
        company_domain: ascii_domain(shown_domain)
            .map_or_else(|| shown_domain.to_owned(), |d| d.into_owned()),
        email,
        first_name,
        last_name,
        company,
        job_title,
        company_size,
        industry,
        country,
        phone,
        unparsed: reader.unparsed,
    };
    let key = match idempotency_key {
        Some(k) if k.trim().is_empty() || k.len() > 128 || k.chars().any(|c| c.is_control()) => {
            return Err(FormError::invalid(
                "Idempotency-Key",
                "the `Idempotency-Key` header must be 1-128 printable characters",
            ));
        }
        Some(k) => Some(k.to_owned()),
        // A blank delivery id is no key: it would swallow the person's later deliveries.
        None => fields.delivery_id.as_deref().and_then(normalise_text).map(|d| truncate_chars(&d, 100)),
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

    fn read(pairs: &[(&str, &str)]) -> Result<Submission, FormError> {
        let mut fields = Fields::default();
        for (k, v) in pairs {
            fields.values.insert((*k).into(), (*v).into());
        }
        submission("web", fields, None, None, Timestamp::from_unix(0))
    }

    #[test]
    fn optional_fields_never_refuse_a_lead() {
        let long = "x".repeat(150);
        let s = read(&[
            ("email", "a@nordwind.de"),
            ("phone", "+49 89 1234-0 Durchwahl 12"),
            ("Mitarbeiter", "ca. 50 MA"),
            ("first_name", &long),
            ("company", &"abcd ".repeat(60)),
            ("activity", "Demo Request!"),
            ("Kaufzeitraum", &"bald ".repeat(40)),
        ])
        .unwrap();
        let p = &s.profile;
        assert_eq!(p.phone.as_deref(), Some("+49 89 1234-0"));
        assert_eq!(p.unparsed["phone"], "+49 89 1234-0 Durchwahl 12");
        assert_eq!(p.company_size, Some(50));
        assert_eq!(p.unparsed["company_size"], "ca. 50 MA");
        assert_eq!(p.first_name.as_deref(), Some(&long[..100]));
        assert_eq!(p.unparsed["first_name"], long);
        assert_eq!(p.company.as_ref().unwrap().chars().count(), 199, "cut, without the trailing space");
        assert_eq!(p.unparsed["company"].chars().count(), MAX_UNPARSED_LEN);
        assert_eq!(s.activity, None);
        assert_eq!(p.unparsed["activity"], "Demo Request!");
        assert_eq!(s.answers.purchase_timeframe.as_ref().unwrap().value.chars().count(), 99);
        assert!(p.unparsed.contains_key("purchase_timeframe"));

        let s = read(&[("email", "a@nordwind.de"), ("phone", "ext. 12"), ("company_size", "groß")]).unwrap();
        assert_eq!((s.profile.phone, s.profile.company_size), (None, None));
        assert_eq!(s.profile.unparsed["phone"], "ext. 12");
        assert_eq!(s.profile.unparsed["company_size"], "groß");
        let s = read(&[("email", "a@nordwind.de"), ("phone", "+1 555 123 4567 ext. 12")]).unwrap();
        assert_eq!(s.profile.phone.as_deref(), Some("+1 555 123 4567"));

        // What reads in full leaves nothing unparsed.
        let s = read(&[
            ("email", "a@nordwind.de"),
            ("phone", "+49 (0)89 / 1234-0"),
            ("company_size", "1.000+"),
            ("Mitarbeiter", "50-199"),
            ("activity", "Demo_Request"),
        ])
        .unwrap();
        assert!(s.profile.unparsed.is_empty(), "{:?}", s.profile.unparsed);
        assert_eq!(s.activity.as_deref(), Some("demo_request"));

        // Only the email (and consent) refuse.
        assert!(
            matches!(read(&[("phone", "x")]), Err(FormError::InvalidField { field, .. }) if field == "email")
        );
        assert!(
            matches!(read(&[("email", "x")]), Err(FormError::InvalidField { field, .. }) if field == "email")
        );
    }

    #[test]
    fn field_names_and_values_are_cleaned() {
        let s = read(&[
            ("email", "a@nordwind.de"),
            ("", "empty name"),
            ("   ", "blank name"),
            ("\u{0}", "control name"),
            (&"n".repeat(100), "long name"),
            ("utm\r\nsource", "herbst\r\n2026\u{0}"),
            ("Vor\u{7}name", "An\u{1b}na"),
            ("leer", "  "),
        ])
        .unwrap();
        let names: Vec<&str> = s.attributes.keys().map(String::as_str).collect();
        assert_eq!(names, vec![&"n".repeat(MAX_ATTRIBUTE_NAME_LEN)[..], "utm source"]);
        assert_eq!(s.attributes["utm source"], "herbst 2026");
        assert_eq!(
            s.profile.first_name.as_deref(),
            Some("Anna"),
            "a name read once its control character is gone"
        );
    }

    #[test]
    fn blank_delivery_ids_are_no_key() {
        for id in ["", "   ", "\u{0}"] {
            let fields = Fields {
                values: [("email".to_owned(), "a@nordwind.de".to_owned())].into(),
                delivery_id: Some(id.into()),
                ..Fields::default()
            };
            let s = submission("web", fields, None, None, Timestamp::from_unix(0)).unwrap();
            assert_eq!(s.delivery_key, None, "{id:?}");
        }
        for key in ["", "  "] {
            let fields = Fields {
                values: [("email".to_owned(), "a@nordwind.de".to_owned())].into(),
                ..Fields::default()
            };
            let e = submission("web", fields, Some(key), None, Timestamp::from_unix(0)).unwrap_err();
            assert!(matches!(e, FormError::InvalidField { field, .. } if field == "Idempotency-Key"));
        }
    }
}
