//! What every signature scheme shares: the request as offered for verification, the
//! errors, the HMAC and the replay window.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::clock::Timestamp;

/// How long a timestamped signature stays valid, either way of now.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;

/// What a request offers for verification.
pub struct Signed<'a> {
    pub method: &'a str,
    /// `https://host/path?query`, as HubSpot signs it.
    pub url: &'a str,
    pub header: &'a dyn Fn(&str) -> Option<&'a str>,
    pub body: &'a [u8],
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the `{0}` header is missing")]
    Missing(&'static str),
    #[error("the `{0}` header is malformed")]
    Malformed(&'static str),
    #[error("the signature's timestamp is outside the {REPLAY_WINDOW_SECONDS}-second window")]
    Expired,
    #[error("the signature does not match the body")]
    Mismatch,
}

pub(crate) fn mac(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length")
}

pub(crate) fn within_window(seconds: i64, now: Timestamp) -> Result<(), SignatureError> {
    if (now.unix() - seconds).abs() <= REPLAY_WINDOW_SECONDS {
        Ok(())
    } else {
        Err(SignatureError::Expired)
    }
}
