//! Lead ids: a keyed hash of the email's canonical form.
//!
//! A re-submission finds its lead without a second index, and no raw email sits in a key.
//! The key is configuration (`LEADFLOW_ID_KEY`): without it ids could be recomputed from
//! a guessed email by anyone.
//!
//! One person, one id: every spelling of an email that reaches the same mailbox by the
//! rules below has the same [canonical form](canonical_email), and the id is keyed by
//! that, so `info@müller.de`, `INFO@MÜLLER.DE`, `info@xn--mller-kva.de` and a full-width
//! `ｉｎｆｏ＠ｍüｌｌｅｒ．ｄｅ` are one lead.

use std::borrow::Cow;
use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::UnicodeNormalization;

use hmac::{Hmac, Mac};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A lead's id: 32 lower-case hex characters (128 bits of HMAC-SHA256).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct LeadId(String);

impl LeadId {
    pub const LEN: usize = 32;

    /// Accepts only what [`IdKey::lead_id`] produces, so a path parameter cannot smuggle
    /// anything into a key.
    pub fn parse(text: &str) -> Option<LeadId> {
        let ok =
            text.len() == Self::LEN && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| LeadId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret that turns emails into lead ids.
#[derive(Clone)]
pub struct IdKey(Vec<u8>);

impl fmt::Debug for IdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the lead id key must be at least {min} bytes long (got {got})")]
pub struct WeakIdKey {
    pub min: usize,
    pub got: usize,
}

impl IdKey {
    pub const MIN_LEN: usize = 16;

    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, WeakIdKey> {
        let secret = secret.into();
        if secret.len() < Self::MIN_LEN {
            return Err(WeakIdKey { min: Self::MIN_LEN, got: secret.len() });
        }
        Ok(Self(secret))
    }

    /// The id of the lead with this email, keyed by its [canonical form](canonical_email):
    /// every spelling of the same address has the same id.
    pub fn lead_id(&self, email: &str) -> LeadId {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(canonical_email(email).as_bytes());
        let digest = mac.finalize().into_bytes();
        LeadId(hex::encode(&digest[..LeadId::LEN / 2]))
    }
}

/// Folds text the way an email's identity is compared: NFKC (full-width and other
/// compatibility forms become their plain letters), lower case, and NFKC again (lower
/// casing can leave a decomposed sequence).
pub fn fold_email(text: &str) -> String {
    let once: String = text.nfkc().collect::<String>().to_lowercase();
    once.nfkc().collect()
}

/// An email domain in its IDNA ASCII form (UTS 46, lower case, punycode `xn--` labels),
/// or `None` if it is not a valid domain name. ASCII domains come back as they are
/// (lower-cased); only others pay for the conversion.
pub fn ascii_domain(domain: &str) -> Option<Cow<'_, str>> {
    if domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !domain.split('.').any(|l| l.starts_with("xn--"))
    {
        // Plain LDH labels: what UTS 46 would return, checked the same way.
        let ok = domain.len() <= 253
            && domain
                .split('.')
                .all(|l| (1..=63).contains(&l.len()) && !l.starts_with('-') && !l.ends_with('-'));
        return ok.then_some(Cow::Borrowed(domain));
    }
    Uts46::new()
        .to_ascii(domain.as_bytes(), AsciiDenyList::STD3, Hyphens::CheckFirstLast, DnsLength::Verify)
        .ok()
}

/// The domain's Unicode form (`xn--mller-kva.de` -> `müller.de`), for people to read.
/// `None` if it is not a valid domain name.
pub fn unicode_domain(domain: &str) -> Option<String> {
    let ascii = ascii_domain(domain)?;
    if !ascii.split('.').any(|l| l.starts_with("xn--")) {
        return Some(ascii.into_owned());
    }
    let (text, result) =
        Uts46::new().to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::CheckFirstLast);
    result.ok().map(|_| text.into_owned())
}

/// The canonical form of an email, which keys the lead's id: [folded](fold_email) (NFKC,
/// lower case) and the domain in its IDNA ASCII form. What is not a valid email comes
/// back folded only (intake refuses it before it gets here).
pub fn canonical_email(email: &str) -> String {
    let folded = fold_email(email.trim());
    let converted = folded.rsplit_once('@').and_then(|(local, domain)| match ascii_domain(domain)? {
        Cow::Borrowed(_) => None,
        Cow::Owned(ascii) => Some(format!("{local}@{ascii}")),
    });
    converted.unwrap_or(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_email_same_id_other_key_other_id() {
        let a = IdKey::new("0123456789abcdef").unwrap();
        let b = IdKey::new("fedcba9876543210").unwrap();
        let id = a.lead_id("anna@example.com");
        assert_eq!(id, a.lead_id("anna@example.com"));
        assert_ne!(id, a.lead_id("anne@example.com"));
        assert_ne!(id, b.lead_id("anna@example.com"));
        assert_eq!(LeadId::parse(id.as_str()), Some(id.clone()));
        assert!(!id.as_str().contains("anna"));
    }

    #[test]
    fn every_spelling_of_one_address_has_one_id() {
        let key = IdKey::new("0123456789abcdef").unwrap();
        let id = key.lead_id("info@xn--mller-kva.de");
        for spelling in [
            "info@müller.de",
            "INFO@MÜLLER.DE",
            "info@mu\u{308}ller.de",
            "\u{ff49}\u{ff4e}\u{ff46}\u{ff4f}\u{ff20}m\u{fc}ller\u{ff0e}de",
            " info@xn--mller-kva.de ",
        ] {
            assert_eq!(key.lead_id(spelling), id, "{spelling}");
        }
        assert_eq!(canonical_email("info@müller.de"), "info@xn--mller-kva.de");
        assert_eq!(canonical_email("Anna@Example.DE"), "anna@example.de");
        assert_eq!(canonical_email("ｊürgen@example.de"), "jürgen@example.de");
        assert_ne!(key.lead_id("info@mueller.de"), id);
        assert_eq!(unicode_domain("xn--mller-kva.de").as_deref(), Some("müller.de"));
        assert_eq!(unicode_domain("example.de").as_deref(), Some("example.de"));
        assert_eq!(ascii_domain("bücher.example").as_deref(), Some("xn--bcher-kva.example"));
        assert_eq!(ascii_domain("-x.de"), None);
        assert_eq!(ascii_domain("a..de"), None);
        assert_eq!(ascii_domain("xn--zz.de"), None, "not punycode");
        assert_eq!(ascii_domain("under_score.de"), None);
    }

    #[test]
    fn rejects_short_keys_and_foreign_ids() {
        assert!(IdKey::new("short").is_err());
        assert_eq!(LeadId::parse("LEAD#1"), None);
        assert_eq!(LeadId::parse(&"A".repeat(32)), None);
        assert_eq!(LeadId::parse(&"a".repeat(31)), None);
    }
}
