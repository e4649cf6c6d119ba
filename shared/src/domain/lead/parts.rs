//! The parts of a lead: the person, their answers and activities, what sales confirmed,
//! consent and objection statements, and the store's delivery bookkeeping.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::clock::Timestamp;
use crate::domain::vocabulary::{Note, Owner};

/// Who the person is. Every field is normalised (see [`normalise_text`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    /// The email for people to read: NFKC, lower case, the domain in Unicode
    /// (`info@müller.de`). The lead's id is keyed by its canonical form (the domain in
    /// punycode), so every spelling of the address is this one lead.
    pub email: String,
    /// The part of the email after `@` in its IDNA ASCII form (`xn--mller-kva.de`), as
    /// domain lists and DNS spell it: the company's domain unless it is free-mail.
    pub company_domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// ISO 3166-1 alpha-2 where recognised (`DE`), else the text as given, upper-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// What the form sent for a field Leadflow could not read in full, as sent (cleaned,
    /// at most [`MAX_UNPARSED_LEN`](super::MAX_UNPARSED_LEN) characters): field name -> raw value. A phone with
    /// words in it, a company size that is not a count, an over-long name (kept cut in its
    /// field), an activity that is no id. The lead is saved all the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unparsed: BTreeMap<String, String>,
}

/// A form answer and when it was given (readiness answers go stale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    pub value: String,
    pub at: Timestamp,
}

/// The qualifying answers a form can carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Answers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_timeframe: Option<Answer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_role: Option<Answer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inquiry_type: Option<Answer>,
    /// The latest free-text message, capped at [`MAX_MESSAGE_LEN`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Answer>,
}

/// Something the person did: `demo_request`, `pricing_page`, `whitepaper_download`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Activity {
    pub kind: String,
    pub at: Timestamp,
    pub source: String,
}

/// The article's three criteria, as inside sales confirmed them in the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Confirmation {
    #[serde(default)]
    pub need: bool,
    #[serde(default)]
    pub authority: bool,
    #[serde(default)]
    pub timing: bool,
}

impl Confirmation {
    pub fn all(&self) -> bool {
        self.need && self.authority && self.timing
    }
}

/// What the person consented to, when, and through which form: the latest statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Consent {
    /// Given (`true`) or refused (`false`).
    pub given: bool,
    /// The version of the consent text the form showed (`newsletter-2026-01`).
    pub text_version: String,
    pub at: Timestamp,
    pub source: String,
}

/// Which submission last set a profile field: its source and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FieldSource {
    pub source: String,
    pub at: Timestamp,
}

/// The person objected to profiling (GDPR Art. 21): scoring stopped for the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Objection {
    pub at: Timestamp,
    /// Who recorded it (the privacy team member named in the request).
    pub by: Owner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

/// A delivery already applied to the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    pub key: String,
    pub expires_at: Timestamp,
}

/// How many delivery keys a lead remembers, and for how long. Form tools retry within
/// minutes to hours; a day covers their retry windows.
pub const RECENT_DELIVERIES: usize = 20;
pub const DELIVERY_KEY_TTL_SECONDS: i64 = 86_400;
/// The longest delivery key kept (longer ones are hashed down by the caller).
pub const MAX_DELIVERY_KEY_LEN: usize = 128;
