//! Outbound webhooks per the Standard Webhooks specification
//! (<https://www.standardwebhooks.com>): subscribers from `LEADFLOW_WEBHOOKS`, signing,
//! and delivery with retries ([`delivery`]).
//!
//! A request carries `webhook-id` (the event's id, the same on every retry),
//! `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret, space-separated,
//! so a subscriber can rotate its secret without a gap).

pub mod delivery;
pub mod queue;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::domain::events::{EventType, LeadEvent};

/// The prefix of a Standard Webhooks secret; the rest is the key, base64.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing key, from `whsec_<base64>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn parse(text: &str) -> Result<Secret, WebhooksError> {
        let key = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| WebhooksError(format!("a secret starts with `{SECRET_PREFIX}`")))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|e| WebhooksError(format!("a secret is `{SECRET_PREFIX}` and base64: {e}")))?;
        // The specification asks for 24 to 64 bytes of key.
        if !(24..=64).contains(&bytes.len()) {
            return Err(WebhooksError(format!("a secret's key is 24 to 64 bytes, not {}", bytes.len())));
        }
        Ok(Secret(bytes))
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(secrets: &[Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// A configuration of subscribers that cannot be used, saying why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WebhooksError(pub String);

/// One endpoint that wants events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub url: String,
    /// The first signs; the others too, during a rotation.
    pub secrets: Vec<Secret>,
    /// `None`: every event type.
    pub events: Option<Vec<EventType>>,
    pub include_person: bool,
}

impl Subscriber {
    pub fn wants(&self, kind: EventType) -> bool {
        self.events.as_ref().is_none_or(|e| e.contains(&kind))
    }

    /// A short stable name for the subscriber (by its URL, never its secret): the retry
    /// queue's message groups and the record of a disabled endpoint use it.
    pub fn id(&self) -> String {
        use sha2::Digest as _;
        hex::encode(&Sha256::digest(self.url.as_bytes())[..8])
    }

    /// The body this subscriber gets for an event.
    pub fn body(&self, event: &LeadEvent) -> Vec<u8> {
        event.body(self.include_person).to_string().into_bytes()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriberJson {
    url: String,
    secret: OneOrMany,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    include_person: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Subscribers from `LEADFLOW_WEBHOOKS`: a JSON list of
/// `{"url", "secret": "whsec_…" (or a list, newest first, while rotating), "events"?, "include_person"?}`.
pub fn subscribers_from_json(text: &str) -> Result<Vec<Subscriber>, WebhooksError> {
    let list: Vec<SubscriberJson> = serde_json::from_str(text).map_err(|e| {
        WebhooksError(format!(
            "a JSON list of subscribers: {}",
            crate::adapters::intake::sources::value_free(&e)
        ))
    })?;
    list.into_iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |e: WebhooksError| WebhooksError(format!("subscriber {i}: {}", e.0));
            let url = s.url.trim().to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || url.parse::<http::Uri>().is_err()
            {
                return Err(at(WebhooksError(format!("`{url}` is not an http(s) URL"))));
            }
            let secrets = match s.secret {
                OneOrMany::One(one) => vec![one],
                OneOrMany::Many(many) => many,
            };
            if secrets.is_empty() {
                return Err(at(WebhooksError("at least one secret".into())));
            }
            let secrets =
                secrets.iter().map(|s| Secret::parse(s)).collect::<Result<Vec<_>, _>>().map_err(at)?;
            let events = match s.events {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|n| {
                            EventType::from_name(n).ok_or_else(|| {
                                let known: Vec<_> = EventType::ALL.iter().map(|t| t.name()).collect();
                                at(WebhooksError(format!("no event `{n}` (known: {})", known.join(", "))))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            Ok(Subscriber { url, secrets, events, include_person: s.include_person })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's reference vector (standard-webhooks/spec, "Signature scheme").
    #[test]
    fn signs_the_specifications_reference_message() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_signs_with_every_secret() {
        let a = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = Secret::parse(&format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        ))
        .unwrap();
        let header = signature_header(&[a.clone(), b.clone()], "id", 1, b"{}");
        assert_eq!(header, format!("{} {}", a.sign("id", 1, b"{}"), b.sign("id", 1, b"{}")));
    }

    #[test]
    fn subscribers_read_with_defaults_and_refuse_what_cannot_work() {
        let subs = subscribers_from_json(
            r#"[{"url": "https://crm.example.com/hook", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                {"url": "http://127.0.0.1:9/x", "secret": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
                 "events": ["lead.stage_changed"], "include_person": true}]"#,
        )
        .unwrap();
        assert_eq!(subs.len(), 2);
        assert!(subs[0].wants(EventType::Erased) && !subs[0].include_person);
        assert!(subs[1].wants(EventType::StageChanged) && !subs[1].wants(EventType::Created));
        assert!(subs[1].include_person);
        let ok_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        for (bad, says) in [
            ("{}".to_owned(), "JSON list"),
            (format!(r#"[{{"url": "ftp://x", "secret": "{ok_secret}"}}]"#), "not an http(s) URL"),
            (r#"[{"url": "https://x", "secret": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]"#.to_owned(), "whsec_"),
            (r#"[{"url": "https://x", "secret": "whsec_!!"}]"#.to_owned(), "base64"),
            (r#"[{"url": "https://x", "secret": "whsec_c2hvcnQ="}]"#.to_owned(), "24 to 64 bytes"),
            (r#"[{"url": "https://x", "secret": []}]"#.to_owned(), "at least one secret"),
            (
                format!(r#"[{{"url": "https://x", "secret": "{ok_secret}", "events": ["lead.deleted"]}}]"#),
                "no event",
            ),
            (format!(r#"[{{"url": "https://x", "secret": "{ok_secret}", "evnts": []}}]"#), "unknown field"),
        ] {
            let e = subscribers_from_json(&bad).unwrap_err();
            assert!(e.0.contains(says), "{bad}: {e}");
        }
        assert_eq!(subscribers_from_json("[]").unwrap(), Vec::new());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(format!("{s:?}"), "Secret(..)");
    }
}
