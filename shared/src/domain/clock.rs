//! Instants as whole Unix seconds, and the clock that hands them out.
//!
//! Whole seconds keep decay arithmetic exact to test ("the decision changes at
//! this second, not the one before") and sort as numbers in the store's indexes.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A point in time, in whole seconds since the Unix epoch (UTC).
///
/// Serialised as RFC 3339 (`2026-11-27T10:00:00Z`) so API users and SLA files read it
/// naturally; deserialisation also accepts a bare number of seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The last instant Leadflow accepts as input (2999-12-31T23:59:59Z): later ones
    /// would be stored in a form that cannot be read back.
    pub const LATEST: Timestamp = Timestamp(32_503_679_999);

    pub const fn from_unix(seconds: i64) -> Self {
        Self(seconds)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc().unix_timestamp())
    }

    pub fn parse_rfc3339(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(|t| Self(t.unix_timestamp()))
    }

    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    pub const fn plus_days(self, days: i64) -> Self {
        self.plus_seconds(days.saturating_mul(86_400))
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match OffsetDateTime::from_unix_timestamp(self.0).ok().and_then(|t| t.format(&Rfc3339).ok()) {
            Some(text) => f.write_str(&text),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Seconds(i64),
            Text(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Seconds(s) => Ok(Self(s)),
            Repr::Text(text) => Self::parse_rfc3339(&text)
                .map_err(|e| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 instant: {e}"))),
        }
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An instant: RFC 3339 text (UTC) or whole Unix seconds",
            "anyOf": [
                { "type": "string", "format": "date-time" },
                { "type": "integer" }
            ]
        })
    }
}

/// Where "now" comes from. Injected so tests can walk months in a second.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move: for tests and "as of" runs.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(instant: Timestamp) -> Self {
        Self(AtomicI64::new(instant.unix()))
    }

    pub fn set(&self, instant: Timestamp) {
        self.0.store(instant.unix(), Ordering::SeqCst);
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_rfc3339_and_accepts_seconds() {
        let t = Timestamp::from_unix(1_764_237_600);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2025-11-27T10:00:00Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert_eq!(serde_json::from_str::<Timestamp>("1764237600").unwrap(), t);
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"").unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(Timestamp::from_unix(100));
        assert_eq!(clock.now().unix(), 100);
        clock.advance_seconds(86_400);
        assert_eq!(clock.now(), Timestamp::from_unix(100).plus_days(1));
    }
}
