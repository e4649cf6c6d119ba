//! Webhook signatures, verified over the raw body in constant time.
//!
//! Schemes: Leadflow's generic `X-Leadflow-Signature: t=<unix>,v1=<hex>` (HMAC-SHA256 of
//! `<t>.<body>`), Typeform, HubSpot v3 and Webflow. Timestamped schemes accept a
//! signature for five minutes, so a captured delivery cannot be replayed later.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::clock::Timestamp;

/// How long a timestamped signature stays valid, either way of now.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// No signature: only for sources explicitly configured so (a site's own form).
    Unsigned,
    Generic,
    Typeform,
    #[serde(rename = "hubspot_v3")]
    HubSpotV3,
    Webflow,
}

/// A configured intake source.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub scheme: Scheme,
    #[serde(default)]
    pub secret: Option<String>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("scheme", &self.scheme)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .finish()
    }
}

/// Source name -> scheme and secret (`LEADFLOW_SOURCES`, JSON).
#[derive(Debug, Clone, Default)]
pub struct Sources(BTreeMap<String, Source>);

#[derive(Debug, thiserror::Error)]
#[error("invalid source configuration: {0}")]
pub struct SourcesError(String);

impl Sources {
    /// `{"web": {"scheme": "unsigned"}, "typeform": {"scheme": "typeform", "secret": "..."}}`
    pub fn from_json(text: &str) -> Result<Self, SourcesError> {
        let map: BTreeMap<String, Source> =
            serde_json::from_str(text).map_err(|e| SourcesError(e.to_string()))?;
        for (name, source) in &map {
            if !valid_source_name(name) {
                return Err(SourcesError(format!("source name `{name}` must be 1-40 of a-z, 0-9, - and _")));
            }
            match (&source.scheme, &source.secret) {
                (Scheme::Unsigned, Some(_)) => {
                    return Err(SourcesError(format!("source `{name}` is unsigned but has a secret")));
                }
                (Scheme::Unsigned, None) => {}
                (_, None) => {
                    return Err(SourcesError(format!("source `{name}` needs a secret for its scheme")))
                }
                (_, Some(s)) if s.len() < 16 => {
                    return Err(SourcesError(format!(
                        "source `{name}`: secrets must be at least 16 characters"
                    )));
                }
                _ => {}
            }
        }
        Ok(Self(map))
    }

    pub fn insert(&mut self, name: &str, source: Source) {
        self.0.insert(name.to_owned(), source);
    }

    pub fn get(&self, name: &str) -> Option<&Source> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

pub fn valid_source_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

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

fn mac(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length")
}

fn within_window(seconds: i64, now: Timestamp) -> Result<(), SignatureError> {
    if (now.unix() - seconds).abs() <= REPLAY_WINDOW_SECONDS {
        Ok(())
    } else {
        Err(SignatureError::Expired)
    }
}

/// Verifies a request against the source's scheme and secret.
pub fn verify(source: &Source, r: &Signed<'_>) -> Result<(), SignatureError> {
    let secret = match (source.scheme, &source.secret) {
        (Scheme::Unsigned, _) => return Ok(()),
        (_, Some(secret)) => secret,
        (_, None) => return Err(SignatureError::Mismatch),
    };
    let header = |name: &'static str| (r.header)(name).ok_or(SignatureError::Missing(name));
    match source.scheme {
        Scheme::Unsigned => Ok(()),
        Scheme::Generic => {
            const H: &str = "x-leadflow-signature";
            let value = header(H)?;
            let mut t = None;
            let mut v1 = Vec::new();
            for part in value.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", x)) => t = x.parse::<i64>().ok(),
                    Some(("v1", x)) => v1.push(hex::decode(x).map_err(|_| SignatureError::Malformed(H))?),
                    _ => {}
                }
            }
            let t = t.ok_or(SignatureError::Malformed(H))?;
            if v1.is_empty() {
                return Err(SignatureError::Malformed(H));
            }
            within_window(t, r.now)?;
            // Several v1 values let senders rotate secrets.
            let matches = v1.iter().any(|sig| {
                let mut m = mac(secret);
                m.update(format!("{t}.").as_bytes());
                m.update(r.body);
                m.verify_slice(sig).is_ok()
            });
            if matches {
                Ok(())
            } else {
                Err(SignatureError::Mismatch)
            }
        }
        Scheme::Typeform => {
            const H: &str = "typeform-signature";
            let value = header(H)?;
            let sig = value.strip_prefix("sha256=").ok_or(SignatureError::Malformed(H))?;
            let sig = BASE64.decode(sig).map_err(|_| SignatureError::Malformed(H))?;
            let mut m = mac(secret);
            m.update(r.body);
            m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
        }
        Scheme::HubSpotV3 => {
            const H: &str = "x-hubspot-signature-v3";
            const T: &str = "x-hubspot-request-timestamp";
            let sig = BASE64.decode(header(H)?).map_err(|_| SignatureError::Malformed(H))?;
            let millis: i64 = header(T)?.parse().map_err(|_| SignatureError::Malformed(T))?;
            within_window(millis / 1000, r.now)?;
            let mut m = mac(secret);
            m.update(r.method.as_bytes());
            m.update(r.url.as_bytes());
            m.update(r.body);
            m.update(millis.to_string().as_bytes());
            m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
        }
        Scheme::Webflow => {
            const H: &str = "x-webflow-signature";
            const T: &str = "x-webflow-timestamp";
            let sig = hex::decode(header(H)?).map_err(|_| SignatureError::Malformed(H))?;
            let millis: i64 = header(T)?.parse().map_err(|_| SignatureError::Malformed(T))?;
            within_window(millis / 1000, r.now)?;
            let mut m = mac(secret);
            m.update(format!("{millis}:").as_bytes());
            m.update(r.body);
            m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
        }
    }
}

/// Signs like a sender would: for tests, examples and the README's walkthrough.
pub fn sign_generic(secret: &str, t: i64, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

pub fn sign_typeform(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    format!("sha256={}", BASE64.encode(m.finalize().into_bytes()))
}

pub fn sign_hubspot_v3(secret: &str, method: &str, url: &str, body: &[u8], millis: i64) -> String {
    let mut m = mac(secret);
    m.update(method.as_bytes());
    m.update(url.as_bytes());
    m.update(body);
    m.update(millis.to_string().as_bytes());
    BASE64.encode(m.finalize().into_bytes())
}

pub fn sign_webflow(secret: &str, millis: i64, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(format!("{millis}:").as_bytes());
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef-secret";
    const BODY: &[u8] = br#"{"email":"anna@nordwind-logistik.de"}"#;
    const NOW: Timestamp = Timestamp::from_unix(1_795_773_600);

    fn check(scheme: Scheme, headers: &[(&str, String)], body: &[u8]) -> Result<(), SignatureError> {
        let source = Source { scheme, secret: Some(SECRET.into()) };
        let get = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str());
        verify(
            &source,
            &Signed { method: "POST", url: "https://api.test/intake/x", header: &get, body, now: NOW },
        )
    }

    #[test]
    fn each_scheme_accepts_its_own_signature_and_rejects_a_changed_body() {
        let t = NOW.unix();
        let ms = t * 1000;
        let cases: Vec<(Scheme, Vec<(&str, String)>)> = vec![
            (Scheme::Generic, vec![("x-leadflow-signature", sign_generic(SECRET, t, BODY))]),
            (Scheme::Typeform, vec![("typeform-signature", sign_typeform(SECRET, BODY))]),
            (
                Scheme::HubSpotV3,
                vec![
                    (
                        "x-hubspot-signature-v3",
                        sign_hubspot_v3(SECRET, "POST", "https://api.test/intake/x", BODY, ms),
                    ),
                    ("x-hubspot-request-timestamp", ms.to_string()),
                ],
            ),
            (
                Scheme::Webflow,
                vec![
                    ("x-webflow-signature", sign_webflow(SECRET, ms, BODY)),
                    ("x-webflow-timestamp", ms.to_string()),
                ],
            ),
        ];
        for (scheme, headers) in cases {
            assert_eq!(check(scheme, &headers, BODY), Ok(()), "{scheme:?}");
            assert_eq!(check(scheme, &headers, b"{}"), Err(SignatureError::Mismatch), "{scheme:?}");
        }
    }

    #[test]
    fn generic_window_is_five_minutes_and_secrets_can_rotate() {
        let at = |t: i64| vec![("x-leadflow-signature", sign_generic(SECRET, t, BODY))];
        assert_eq!(check(Scheme::Generic, &at(NOW.unix() - 300), BODY), Ok(()));
        assert_eq!(check(Scheme::Generic, &at(NOW.unix() - 301), BODY), Err(SignatureError::Expired));
        assert_eq!(check(Scheme::Generic, &at(NOW.unix() + 301), BODY), Err(SignatureError::Expired));
        let old = sign_generic("old-secret-0123456789", NOW.unix(), BODY);
        let new = sign_generic(SECRET, NOW.unix(), BODY);
        let both = format!("{old},v1={}", new.split("v1=").nth(1).unwrap());
        assert_eq!(check(Scheme::Generic, &[("x-leadflow-signature", both)], BODY), Ok(()));
    }

    #[test]
    fn source_configuration_is_checked() {
        assert!(Sources::from_json(r#"{"web":{"scheme":"unsigned"}}"#).is_ok());
        for bad in [
            r#"{"tf":{"scheme":"typeform"}}"#,
            r#"{"tf":{"scheme":"typeform","secret":"short"}}"#,
            r#"{"web":{"scheme":"unsigned","secret":"0123456789abcdef"}}"#,
            r#"{"Web Form":{"scheme":"unsigned"}}"#,
            r#"{"x":{"scheme":"carrier-pigeon"}}"#,
        ] {
            assert!(Sources::from_json(bad).is_err(), "{bad}");
        }
    }
}
