//! Input normalisation at the edge: emails, names, company sizes, countries.

use unicode_normalization::UnicodeNormalization;

/// Why an email is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("email is empty")]
    Empty,
    #[error("email must contain exactly one `@`")]
    At,
    #[error("email has an empty or over-long local part")]
    Local,
    #[error("email's domain is not a valid domain name")]
    Domain,
    #[error("email contains spaces or control characters")]
    Characters,
}

/// Trims, lower-cases and NFC-normalises an email, and checks its shape.
pub fn normalise_email(raw: &str) -> Result<String, InvalidEmail> {
    let email: String = raw.trim().nfc().collect::<String>().to_lowercase();
    if email.is_empty() {
        return Err(InvalidEmail::Empty);
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail::Characters);
    }
    let (local, domain) = match email.split_once('@') {
        Some((l, d)) if !d.contains('@') => (l, d),
        _ => return Err(InvalidEmail::At),
    };
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return Err(InvalidEmail::Local);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels.last().is_some_and(|t| t.chars().count() >= 2 && t.chars().all(char::is_alphabetic));
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(InvalidEmail::Domain);
    }
    Ok(email)
}

/// The domain part of a normalised email.
pub fn email_domain(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Trims, folds inner white space to one space, NFC-normalises; keeps case and letters
/// ("Jürgen Groß" stays "Jürgen Groß"). Empty text is no value.
pub fn normalise_text(raw: &str) -> Option<String> {
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = folded.nfc().collect();
    (!text.is_empty()).then_some(text)
}

/// Like [`normalise_text`], but keeps the line breaks between non-empty lines: a
/// message's signature ("Leitung Vertrieb") stays on its own line. Other control
/// characters go with the white space.
pub fn normalise_multiline(raw: &str) -> Option<String> {
    let lines: Vec<String> = raw.lines().filter_map(normalise_text).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Reads a company size as forms give it: `250`, `50-199`, `1.000+`, `10 bis 49`,
/// `1000 employees`: the lower bound of a range. `None` if it holds no number.
pub fn parse_company_size(raw: &str) -> Option<u32> {
    let mut digits = String::new();
    let mut started = false;
    for c in raw.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            started = true;
        } else if started && (c == '.' || c == ',' || c == '\'') {
            // thousands separators: 1.000, 1,000, 1'000
            continue;
        } else if started {
            break;
        }
    }
    digits.parse().ok()
}

/// Country names forms commonly send, mapped to ISO 3166-1 alpha-2.
const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("deutschland", "DE"),
    ("germany", "DE"),
    ("österreich", "AT"),
    ("oesterreich", "AT"),
    ("austria", "AT"),
    ("schweiz", "CH"),
    ("switzerland", "CH"),
    ("suisse", "CH"),
    ("liechtenstein", "LI"),
    ("luxemburg", "LU"),
    ("luxembourg", "LU"),
    ("niederlande", "NL"),
    ("netherlands", "NL"),
    ("frankreich", "FR"),
    ("france", "FR"),
    ("vereinigtes königreich", "GB"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("vereinigte staaten", "US"),
    ("united states", "US"),
    ("usa", "US"),
];

/// `Deutschland`, `germany`, `de` -> `DE`; anything else upper-cased as given.
pub fn normalise_country(raw: &str) -> Option<String> {
    let text = normalise_text(raw)?;
    let lower = text.to_lowercase();
    if let Some((_, code)) = COUNTRY_NAMES.iter().find(|(name, _)| *name == lower) {
        return Some((*code).to_owned());
    }
    Some(text.to_uppercase())
}

/// Cuts text to at most `max` characters, on a character boundary.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(normalise_email("  Anna.Schmidt@Example.DE \n").unwrap(), "anna.schmidt@example.de");
        assert_eq!(normalise_email("jürgen@müller-gmbh.de").unwrap(), "jürgen@müller-gmbh.de");
        assert_eq!(normalise_email(""), Err(InvalidEmail::Empty));
        assert_eq!(normalise_email("anna"), Err(InvalidEmail::At));
        assert_eq!(normalise_email("a@b@example.com"), Err(InvalidEmail::At));
        assert_eq!(normalise_email("@example.com"), Err(InvalidEmail::Local));
        assert_eq!(normalise_email("a..b@example.com"), Err(InvalidEmail::Local));
        assert_eq!(normalise_email("anna@localhost"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("anna@-x.com"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("anna@example.c0m"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("an na@example.com"), Err(InvalidEmail::Characters));
        assert_eq!(email_domain("anna@example.de"), "example.de");
    }

    #[test]
    fn names_keep_their_letters() {
        assert_eq!(normalise_text("  Jürgen   Groß ").as_deref(), Some("Jürgen Groß"));
        // NFD input (u + combining diaeresis) becomes the composed form.
        assert_eq!(normalise_text("Ju\u{308}rgen").as_deref(), Some("Jürgen"));
        assert_eq!(normalise_text("   "), None);
        assert_eq!(
            normalise_multiline("Bitte Angebot.\r\n\r\n  ppa. Thomas   Reindl \nLeitung Vertrieb\n")
                .as_deref(),
            Some("Bitte Angebot.\nppa. Thomas Reindl\nLeitung Vertrieb")
        );
        assert_eq!(normalise_multiline(" \n \n"), None);
    }

    #[test]
    fn company_sizes_and_countries_as_forms_send_them() {
        assert_eq!(parse_company_size("250"), Some(250));
        assert_eq!(parse_company_size("50-199"), Some(50));
        assert_eq!(parse_company_size("1.000+"), Some(1000));
        assert_eq!(parse_company_size("10 bis 49 Mitarbeiter"), Some(10));
        assert_eq!(parse_company_size("groß"), None);
        assert_eq!(normalise_country("Deutschland").as_deref(), Some("DE"));
        assert_eq!(normalise_country(" de ").as_deref(), Some("DE"));
        assert_eq!(normalise_country("Österreich").as_deref(), Some("AT"));
    }
}
