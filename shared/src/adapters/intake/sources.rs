//! The intake sources an operator configures (`LEADFLOW_SOURCES`): each names its form
//! tool's signature scheme and secret, and for a form on a website the consent text it
//! shows, the origins whose browsers may post to it (CORS) and its thank-you page.

use std::collections::BTreeMap;

use serde::Deserialize;

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
    /// The version of the consent text this form shows (`newsletter-2026-01`): a consent
    /// posted without a version is recorded with it.
    #[serde(default)]
    pub consent_version: Option<String>,
    /// Origins whose pages may post here from the browser (`https://www.example.de`):
    /// preflights from them are answered, and answers to them carry
    /// `Access-Control-Allow-Origin`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The thank-you page: a browser's form post (`Accept: text/html`) is answered
    /// `303 See Other` to it instead of JSON.
    #[serde(default)]
    pub redirect: Option<String>,
}

impl Source {
    pub fn new(scheme: Scheme, secret: Option<String>) -> Self {
        Self { scheme, secret, consent_version: None, allowed_origins: Vec::new(), redirect: None }
    }

    /// Whether a browser on `origin` may post to this source.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }
}

/// `https://host[:port]` (or `http://` for localhost): what a browser sends as `Origin`.
fn valid_origin(origin: &str) -> bool {
    let rest = match origin.split_once("://") {
        Some(("https", rest)) => rest,
        Some(("http", rest)) => match rest.split(':').next() {
            Some("localhost" | "127.0.0.1") => rest,
            _ => return false,
        },
        _ => return false,
    };
    !rest.is_empty()
        && rest.len() <= 253
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
        && !rest.starts_with(['.', ':'])
}

/// The thank-you page: an absolute `https` URL (or `http` on localhost).
fn valid_redirect(url: &str) -> bool {
    let host = url.strip_prefix("https://").or_else(|| {
        url.strip_prefix("http://").filter(|r| r.starts_with("localhost") || r.starts_with("127.0.0.1"))
    });
    host.is_some_and(|h| !h.is_empty() && !h.starts_with('/'))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A consent text version: 1-64 of A-Z, a-z, 0-9, `.`, `_` and `-`.
pub fn valid_consent_version(version: &str) -> bool {
    (1..=64).contains(&version.len())
        && version.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("scheme", &self.scheme)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .field("consent_version", &self.consent_version)
            .field("allowed_origins", &self.allowed_origins)
            .field("redirect", &self.redirect)
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
            serde_json::from_str(text).map_err(|e| SourcesError(value_free(&e)))?;
        for (name, source) in &map {
            if !valid_source_name(name) {
                return Err(SourcesError(format!("source name `{name}` must be 1-40 of a-z, 0-9, - and _")));
            }
            if let Some(v) = source.consent_version.as_deref().filter(|v| !valid_consent_version(v)) {
                return Err(SourcesError(format!(
                    "source `{name}`: consent_version `{v}` must be 1-64 of A-Z, a-z, 0-9, `.`, `_` and `-`"
                )));
            }
            if let Some(o) = source.allowed_origins.iter().find(|o| !valid_origin(o)) {
                return Err(SourcesError(format!(
                    "source `{name}`: `{o}` is not an origin like `https://www.example.de` (no path, no `*`)"
                )));
            }
            if let Some(r) = source.redirect.as_deref().filter(|r| !valid_redirect(r)) {
                return Err(SourcesError(format!(
                    "source `{name}`: redirect `{r}` must be an absolute https URL"
                )));
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

/// serde's message without the value it quotes (`invalid type: string "…", expected a
/// map`): the configuration holds signing secrets, and this message is logged.
pub(crate) fn value_free(e: &serde_json::Error) -> String {
    let text = e.to_string();
    for prefix in ["invalid type: ", "invalid value: ", "unknown variant "] {
        if let Some((quoted, expected)) =
            text.strip_prefix(prefix).and_then(|rest| rest.split_once(", expected"))
        {
            // "string \"…\"" -> "string"; "`…`" (a variant) -> nothing.
            let kind = quoted.split([' ', '`', '"']).next().unwrap_or_default();
            return match kind {
                "" => format!("{}, expected{expected}", prefix.trim_end()),
                kind => format!("{prefix}{kind}, expected{expected}"),
            };
        }
    }
    text
}

pub fn valid_source_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_configuration_is_named_without_its_values() {
        let secret = "LEAKMARKER-0123456789";
        let inner = format!(r#"{{"typeform":{{"scheme":"typeform","secret":"{secret}"}}}}"#);
        for text in [
            serde_json::to_string(&inner).unwrap(), // stored double-encoded
            "8123456789012345".into(),
            r#"{"typeform":{"scheme":"typeform","secret":12345678901234567}}"#.to_string(),
            format!(r#"{{"typeform":{{"scheme":"{secret}"}}}}"#),
        ] {
            let err = Sources::from_json(&text).unwrap_err().to_string();
            assert!(!err.contains("LEAKMARKER") && !err.contains("12345678901234567"), "{err}");
            assert!(!err.contains("8123456789012345"), "{err}");
            assert!(err.contains("line 1"), "where it went wrong: {err}");
        }
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
