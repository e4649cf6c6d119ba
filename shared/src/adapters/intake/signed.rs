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

/// Whether a signature's time (unix seconds) is within the window of now. Any `i64` is a
/// valid answer: the distance is taken without overflow (`i64::MIN` is simply expired).
pub(crate) fn within_window(seconds: i64, now: Timestamp) -> Result<(), SignatureError> {
    if now.unix().abs_diff(seconds) <= REPLAY_WINDOW_SECONDS.unsigned_abs() {
        Ok(())
    } else {
        Err(SignatureError::Expired)
    }
}

/// Like [`within_window`], for a time in milliseconds (HubSpot, Webflow), compared in
/// milliseconds without overflow.
pub(crate) fn within_window_millis(millis: i64, now: Timestamp) -> Result<(), SignatureError> {
    let now_millis = now.unix().saturating_mul(1000);
    if now_millis.abs_diff(millis) <= REPLAY_WINDOW_SECONDS.unsigned_abs() * 1000 {
        Ok(())
    } else {
        Err(SignatureError::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_takes_any_number() {
        let now = Timestamp::from_unix(1_795_773_600);
        for t in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX, i64::MAX - 1, now.unix() + i64::MIN] {
            assert_eq!(within_window(t, now), Err(SignatureError::Expired), "{t}");
            assert_eq!(within_window_millis(t, now), Err(SignatureError::Expired), "{t}");
        }
        assert_eq!(within_window(now.unix() - 300, now), Ok(()));
        assert_eq!(within_window(now.unix() + 301, now), Err(SignatureError::Expired));
        let ms = now.unix() * 1000;
        assert_eq!(within_window_millis(ms + 300_000, now), Ok(()));
        assert_eq!(within_window_millis(ms - 300_001, now), Err(SignatureError::Expired));
    }
}
