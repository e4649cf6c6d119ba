//! Input normalisation at the edge: emails, names, company sizes, countries.
//!
//! Every text a form sends is stored only after [`normalise_text`] (one line) or
//! [`normalise_multiline`] (a message): no control character survives either, and only a
//! message keeps line breaks.

use unicode_normalization::UnicodeNormalization;

use crate::domain::identity::{ascii_domain, fold_email, unicode_domain};

/// Why an email is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("email is empty")]
    Empty,
    #[error("email is too long")]
    Long,
    #[error("email must contain exactly one `@`")]
    At,
    #[error("email has an empty or over-long local part")]
    Local,
    #[error("email's domain is not a valid domain name")]
    Domain,
    #[error("email contains spaces or control characters")]
    Characters,
    #[error("email contains invisible or formatting characters (zero-width, bidi controls, soft hyphens)")]
    Invisible,
}

/// The longest email text read at all (an address is at most 254 characters; full-width
/// forms and a Unicode domain leave room above that).
const MAX_EMAIL_INPUT: usize = 1_024;

/// Characters that show nothing or only steer how text is shown: Unicode's format
/// characters (general category `Cf`: soft hyphen, zero-width space, non-joiner and
/// joiner, word joiner, bidi marks, embeddings, overrides and isolates, the BOM, tags, ...)
/// and the other default-ignorable code points (combining grapheme joiner, Hangul fillers,
/// variation selectors). In an email they only make a look-alike of another address.
pub fn is_invisible(c: char) -> bool {
    const RANGES: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ];
    let c = u32::from(c);
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Trims and checks an email, and gives the form a person reads: NFKC (a full-width
/// `ａｎｎａ＠ｅｘａｍｐｌｅ．ｄｅ` is `anna@example.de`), lower case, the domain in its
/// Unicode form (`info@xn--mller-kva.de` reads `info@müller.de`). Invisible and
/// formatting characters are refused, not dropped: they are how a look-alike is made.
/// The lead's identity is the [canonical form](crate::domain::identity::canonical_email)
/// of what this returns (the domain in punycode).
pub fn normalise_email(raw: &str) -> Result<String, InvalidEmail> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(InvalidEmail::Empty);
    }
    if trimmed.len() > MAX_EMAIL_INPUT {
        return Err(InvalidEmail::Long);
    }
    if trimmed.chars().any(is_invisible) {
        return Err(InvalidEmail::Invisible);
    }
    let email = fold_email(trimmed);
    if email.chars().any(is_invisible) {
        return Err(InvalidEmail::Invisible);
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
    let ascii = ascii_domain(domain).ok_or(InvalidEmail::Domain)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let tld_ok = labels.last().is_some_and(|t| {
        (t.len() >= 2 && t.bytes().all(|b| b.is_ascii_lowercase())) || t.starts_with("xn--")
    });
    if labels.len() < 2 || !tld_ok {
        return Err(InvalidEmail::Domain);
    }
    let shown = unicode_domain(&ascii).ok_or(InvalidEmail::Domain)?;
    Ok(format!("{local}@{shown}"))
}

/// The domain part of a normalised email.
pub fn email_domain(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Trims, folds inner white space (line breaks and tabs among it) to one space, removes
/// every other control character (NUL, escape, DEL, C1 controls), NFC-normalises; keeps
/// case and letters ("Jürgen Groß" stays "Jürgen Groß"). Empty text is no value.
pub fn normalise_text(raw: &str) -> Option<String> {
    let mut folded = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        let start = folded.len();
        if start > 0 {
            folded.push(' ');
        }
        let before = folded.len();
        folded.extend(word.chars().filter(|c| !c.is_control()));
        if folded.len() == before {
            folded.truncate(start);
        }
    }
    let text: String = folded.nfc().collect();
    (!text.is_empty()).then_some(text)
}

/// Like [`normalise_text`], but keeps the line breaks (`\n`) between non-empty lines: a
/// message's signature ("Leitung Vertrieb") stays on its own line. Other control
/// characters (a `\r` among them) go with the white space or are removed.
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
    fn look_alike_emails_are_folded_or_refused() {
        // Full-width letters, @ and full stop are the plain address.
        let wide = "\u{ff41}\u{ff4e}\u{ff4e}\u{ff41}\u{ff20}\u{ff45}xample\u{ff0e}de";
        assert_eq!(normalise_email(wide).unwrap(), "anna@example.de");
        // Invisible and formatting characters are refused wherever they sit.
        for c in [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{ad}',
            '\u{202e}',
            '\u{2066}',
            '\u{200e}',
            '\u{e0041}',
            '\u{fe0f}',
        ] {
            for email in
                [format!("an{c}na@example.de"), format!("anna@exa{c}mple.de"), format!("{c}anna@example.de")]
            {
                assert_eq!(normalise_email(&email), Err(InvalidEmail::Invisible), "{:?}", email);
            }
        }
        // A non-breaking or ideographic space is a space.
        assert_eq!(normalise_email("an\u{a0}na@example.de"), Err(InvalidEmail::Characters));
        assert_eq!(normalise_email("anna@exa\u{3000}mple.de"), Err(InvalidEmail::Characters));
        assert_eq!(normalise_email(&"a".repeat(2_000)), Err(InvalidEmail::Long));
    }

    #[test]
    fn idn_domains_read_in_unicode_and_punycode_alike() {
        assert_eq!(normalise_email("info@müller.de").unwrap(), "info@müller.de");
        assert_eq!(normalise_email("Info@xn--mller-kva.de").unwrap(), "info@müller.de");
        assert_eq!(normalise_email("INFO@MÜLLER.DE").unwrap(), "info@müller.de");
        assert_eq!(normalise_email("info@mu\u{308}ller.de").unwrap(), "info@müller.de");
        assert_eq!(normalise_email("info@пример.рф").unwrap(), "info@пример.рф");
        assert_eq!(normalise_email("info@xn--e1afmkfd.xn--p1ai").unwrap(), "info@пример.рф");
        assert_eq!(normalise_email("info@xn--zz.de"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("info@bad_domain.de"), Err(InvalidEmail::Domain));
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
    fn control_characters_never_survive() {
        assert_eq!(
            normalise_text("Anna\u{0}\u{7}\u{1b}[31m Groß\u{7f}\u{85}").as_deref(),
            Some("Anna[31m Groß")
        );
        assert_eq!(normalise_text("utm\r\nsource").as_deref(), Some("utm source"));
        assert_eq!(normalise_text("a \u{0} b").as_deref(), Some("a b"));
        assert_eq!(normalise_text("\u{0}\u{1}"), None);
        assert_eq!(
            normalise_multiline("Hallo\u{0}\r\nBitte \u{1b}Angebot\rheute\n\u{7}\n").as_deref(),
            Some("Hallo\nBitte Angebot heute")
        );
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
