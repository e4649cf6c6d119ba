//! Lead ids: a keyed hash of the normalised email.
//!
//! A re-submission finds its lead without a second index, and no raw email sits in a key.
//! The key is configuration (`LEADFLOW_ID_KEY`): without it ids could be recomputed from
//! a guessed email by anyone.

use std::fmt;

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

    /// The id of the lead with this (already normalised) email.
    pub fn lead_id(&self, normalised_email: &str) -> LeadId {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(normalised_email.as_bytes());
        let digest = mac.finalize().into_bytes();
        LeadId(hex::encode(&digest[..LeadId::LEN / 2]))
    }
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
    fn rejects_short_keys_and_foreign_ids() {
        assert!(IdKey::new("short").is_err());
        assert_eq!(LeadId::parse("LEAD#1"), None);
        assert_eq!(LeadId::parse(&"A".repeat(32)), None);
        assert_eq!(LeadId::parse(&"a".repeat(31)), None);
    }
}
