//! The words Leadflow records, as types parsed once at the edge: reason codes, who acted,
//! owners, notes, opportunity ids, consent statements. Each serialises exactly as the
//! plain string it wraps, so stored items and API bodies keep their shape.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a text was refused, naming the field it came in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct InvalidText {
    pub field: &'static str,
    pub detail: String,
}

/// A reason code: `not_ready`, `no_budget`, `competitor`, `mql_rule_met`, ...
/// 1-64 of a-z, 0-9 and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ReasonCode(String);

impl ReasonCode {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidText> {
        let ok = (1..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidText {
                field,
                detail: format!("`{field}` is a reason code: 1-64 of a-z, 0-9 and _ (e.g. `not_ready`)"),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Leadflow's own codes are known to be valid.
impl From<&'static str> for ReasonCode {
    fn from(code: &'static str) -> Self {
        debug_assert!(ReasonCode::parse("reason", code).is_ok(), "`{code}` is not a reason code");
        Self(code.to_owned())
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ReasonCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ReasonCode {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Checks a short human text: not blank, at most `max` characters, no control characters.
fn printable(field: &'static str, text: &str, max: usize) -> Result<String, InvalidText> {
    if text.trim().is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        Err(InvalidText { field, detail: format!("`{field}` must be 1-{max} printable characters") })
    } else {
        Ok(text.to_owned())
    }
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidText> {
                printable(field, text, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

bounded_text!(
    /// The sales owner named at hand-over or acceptance, or whoever recorded an objection.
    Owner,
    100
);
bounded_text!(
    /// A note on a move or an objection.
    Note,
    1000
);
bounded_text!(
    /// The CRM opportunity sales opened on acceptance.
    OpportunityId,
    100
);

/// Who moved a lead: a person (an [`Owner`]) or Leadflow itself (`scoring`, `sla_timer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    pub const SCORING: &'static str = "scoring";
    pub const SLA_TIMER: &'static str = "sla_timer";

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for Actor {
    fn from(system: &'static str) -> Self {
        Self(system.to_owned())
    }
}

impl From<&Owner> for Actor {
    fn from(owner: &Owner) -> Self {
        Self(owner.as_str().to_owned())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for Actor {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A consent statement as a form made it: given or refused, and the version of the text
/// the form showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentStatement {
    pub given: bool,
    pub text_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_snake_case_words() {
        assert_eq!(ReasonCode::parse("reason", "not_ready").unwrap().as_str(), "not_ready");
        for bad in ["", "Not_Ready", "no budget", "x".repeat(65).as_str(), "nö"] {
            let e = ReasonCode::parse("reason", bad).unwrap_err();
            assert_eq!(e.field, "reason");
            assert!(e.detail.contains("reason code"), "{e}");
        }
        assert_eq!(serde_json::to_string(&ReasonCode::from("sla_expired")).unwrap(), "\"sla_expired\"");
    }

    #[test]
    fn human_texts_are_bounded_and_printable() {
        assert_eq!(Owner::parse("owner", "M. Weber").unwrap().as_str(), "M. Weber");
        assert!(Owner::parse("owner", "   ").is_err());
        assert!(Owner::parse("owner", &"x".repeat(101)).is_err());
        assert!(Note::parse("note", &"x".repeat(1000)).is_ok());
        let e = Note::parse("note", "a\u{7}b").unwrap_err();
        assert_eq!(e.detail, "`note` must be 1-1000 printable characters");
        let owner = Owner::parse("owner", "T. Becker").unwrap();
        assert_eq!(serde_json::to_string(&Actor::from(&owner)).unwrap(), "\"T. Becker\"");
    }
}
