//! The intake sources an operator configures (`LEADFLOW_SOURCES`): each names its form
//! tool's signature scheme and secret.

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

#[cfg(test)]
mod tests {
    use super::*;

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
