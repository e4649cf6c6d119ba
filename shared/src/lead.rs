//! The lead: who the person is, what they told us, what they did, and where they stand.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::clock::Timestamp;
use crate::identity::LeadId;
use crate::scoring::{Engagement, Score};
use crate::stage::{check_transition, IllegalTransition, Stage, Transition, Trigger};

/// How many recent activities a lead keeps; older ones live on only in `activity_count`,
/// `last_activity` and the decayed engagement, which is all scoring needs.
pub const RECENT_ACTIVITIES: usize = 20;
/// How many activity kinds a lead remembers the last time of.
pub const ACTIVITY_KINDS: usize = 24;
/// How many free-form attributes a lead keeps, and how long each value may be.
pub const MAX_ATTRIBUTES: usize = 24;
pub const MAX_ATTRIBUTE_LEN: usize = 256;
/// The longest free text (a form's message) kept for scoring.
pub const MAX_MESSAGE_LEN: usize = 2_000;

/// Who the person is. Every field is normalised (see [`normalise_text`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    pub email: String,
    /// The part of the email after `@`: the company's domain unless it is free-mail.
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

/// The person objected to profiling (GDPR Art. 21): scoring stopped for the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Objection {
    pub at: Timestamp,
    /// Who recorded it (the privacy team member named in the request).
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The store's bookkeeping of counted funnel events. Not part of what a lead *is*: two
/// leads that differ only in it compare equal (a lead read back equals the one written).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct FunnelMark(pub u32);

impl PartialEq for FunnelMark {
    fn eq(&self, _: &Self) -> bool {
        true
    }
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

/// A lead's full state: one item in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lead {
    pub id: LeadId,
    /// The source of the first submission (`web`, `typeform`, ...).
    pub source: String,
    pub profile: Profile,
    #[serde(default)]
    pub answers: Answers,
    /// Form fields Leadflow has no meaning for, kept as given (bounded).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The most recent activities, newest last, at most [`RECENT_ACTIVITIES`].
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// The last time of each activity kind (for readiness windows).
    #[serde(default)]
    pub last_activity: BTreeMap<String, Timestamp>,
    #[serde(default)]
    pub activity_count: u64,
    #[serde(default)]
    pub engagement: Engagement,
    pub stage: Stage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    #[serde(default)]
    pub history: Vec<Transition>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the lead must next be looked at by the scheduler: its qualification can
    /// change by time alone, or a response-time SLA runs out. `None`: never by time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    /// When DynamoDB's TTL removes the lead: unqualified, nurture and disqualified leads
    /// without activity expire after the SLA's retention period; MQL, SQL and SAL never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When the scheduler found the current stage's response-time SLA breached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_breached_at: Option<Timestamp>,
    /// The sales owner named at hand-over or acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What inside sales confirmed in the qualification call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The CRM opportunity sales opened on acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    /// Idempotency keys of recent deliveries (at most [`RECENT_DELIVERIES`], each kept
    /// for [`DELIVERY_KEY_TTL_SECONDS`]): a redelivery finds its key here and changes nothing.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    /// The person's latest consent statement, if a form carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Set when the person objected to profiling: the lead is no longer scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection: Option<Objection>,
    /// How many of the lead's funnel events the store has counted (see [`crate::funnel`]).
    #[serde(default)]
    pub funnel_mark: FunnelMark,
    /// Optimistic concurrency: the store writes only if this is still what it read.
    #[serde(default)]
    pub version: u64,
}

impl Lead {
    /// A lead as intake first sees it: unqualified, nothing done yet.
    pub fn new(id: LeadId, source: &str, profile: Profile, at: Timestamp) -> Self {
        Self {
            id,
            source: source.to_owned(),
            profile,
            answers: Answers::default(),
            attributes: BTreeMap::new(),
            activities: Vec::new(),
            last_activity: BTreeMap::new(),
            activity_count: 0,
            engagement: Engagement::default(),
            stage: Stage::Unqualified,
            score: None,
            history: Vec::new(),
            created_at: at,
            updated_at: at,
            due_at: None,
            expires_at: None,
            sla_breached_at: None,
            owner: None,
            confirmation: None,
            opportunity_id: None,
            deliveries: Vec::new(),
            consent: None,
            objection: None,
            funnel_mark: FunnelMark(0),
            version: 0,
        }
    }

    /// Whether a delivery with this key was already applied (and has not expired).
    pub fn has_delivery(&self, key: &str, now: Timestamp) -> bool {
        let key = truncate_chars(key, MAX_DELIVERY_KEY_LEN);
        self.deliveries.iter().any(|d| d.key == key && d.expires_at > now)
    }

    /// Remembers a delivery key, forgetting expired ones and the oldest beyond the bound.
    pub fn remember_delivery(&mut self, key: &str, now: Timestamp) {
        let key = truncate_chars(key, MAX_DELIVERY_KEY_LEN);
        self.deliveries.retain(|d| d.expires_at > now && d.key != key);
        self.deliveries.push(Delivery { key, expires_at: now.plus_seconds(DELIVERY_KEY_TTL_SECONDS) });
        if self.deliveries.len() > RECENT_DELIVERIES {
            self.deliveries.remove(0);
        }
    }

    /// Moves the lead if the transition table allows it, and records the move.
    pub fn move_to(
        &mut self,
        to: Stage,
        trigger: Trigger,
        by: &str,
        reason: &str,
        note: Option<String>,
        at: Timestamp,
    ) -> Result<(), IllegalTransition> {
        check_transition(self.stage, to, trigger)?;
        self.history.push(Transition {
            from: self.stage,
            to,
            at,
            by: by.to_owned(),
            trigger,
            reason: reason.to_owned(),
            note,
        });
        self.stage = to;
        // A new stage starts its own response-time clock.
        self.sla_breached_at = None;
        Ok(())
    }

    /// When the lead entered its current stage (its creation if it never moved).
    pub fn entered_stage_at(&self) -> Timestamp {
        self.history.iter().rev().find(|t| t.to == self.stage).map_or(self.created_at, |t| t.at)
    }

    /// Whether the person did anything after the lead entered its current stage.
    pub fn active_since_entering_stage(&self) -> bool {
        let entered = self.entered_stage_at();
        self.last_activity.values().any(|t| *t > entered)
    }

    /// Whether the lead is disqualified by a scoring rule (which a re-score may lift),
    /// not by a person (which only a person may).
    pub fn disqualified_by_scoring(&self) -> bool {
        self.stage == Stage::Disqualified
            && self
                .history
                .last()
                .is_some_and(|t| t.to == Stage::Disqualified && t.trigger == Trigger::Scoring)
    }

    /// Records an activity: recent list (bounded), last time per kind (bounded), count.
    /// Engagement points are added by the scorer, which knows what each kind is worth.
    pub fn record_activity(&mut self, activity: Activity) {
        let at = activity.at;
        let kind = activity.kind.clone();
        // Keep the recent list in time order even when deliveries arrive out of order.
        let pos = self.activities.partition_point(|a| a.at <= at);
        self.activities.insert(pos, activity);
        if self.activities.len() > RECENT_ACTIVITIES {
            self.activities.remove(0);
        }
        let last = self.last_activity.entry(kind).or_insert(at);
        *last = (*last).max(at);
        if self.last_activity.len() > ACTIVITY_KINDS {
            if let Some(oldest) = self.last_activity.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone()) {
                self.last_activity.remove(&oldest);
            }
        }
        self.activity_count += 1;
    }

    /// Merges newer profile data: a value given replaces the old one, a missing one keeps it.
    pub fn merge_profile(&mut self, newer: Profile) {
        fn take<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        take(&mut self.profile.first_name, newer.first_name);
        take(&mut self.profile.last_name, newer.last_name);
        take(&mut self.profile.company, newer.company);
        take(&mut self.profile.job_title, newer.job_title);
        take(&mut self.profile.company_size, newer.company_size);
        take(&mut self.profile.industry, newer.industry);
        take(&mut self.profile.country, newer.country);
        take(&mut self.profile.phone, newer.phone);
    }

    /// Merges newer answers, keeping whichever of old and new was given later.
    pub fn merge_answers(&mut self, newer: Answers) {
        fn take(old: &mut Option<Answer>, new: Option<Answer>) {
            if let Some(new) = new {
                if old.as_ref().is_none_or(|o| o.at <= new.at) {
                    *old = Some(new);
                }
            }
        }
        take(&mut self.answers.purchase_timeframe, newer.purchase_timeframe);
        take(&mut self.answers.budget_role, newer.budget_role);
        take(&mut self.answers.inquiry_type, newer.inquiry_type);
        take(&mut self.answers.message, newer.message);
    }

    /// Keeps unknown form fields, within bounds: the first ones win, values are truncated.
    pub fn merge_attributes(&mut self, attributes: BTreeMap<String, String>) {
        for (k, v) in attributes {
            if self.attributes.len() >= MAX_ATTRIBUTES && !self.attributes.contains_key(&k) {
                continue;
            }
            self.attributes.insert(truncate_chars(&k, 64), truncate_chars(&v, MAX_ATTRIBUTE_LEN));
        }
    }
}

/// Why an email is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("email is empty")]
    Empty,
    #[error("email must contain exactly one `@`")]
    At,
    #[error("email has an empty or over-long local part")]
    Local,
    #[error("email's domain is not a valid domain name")]
    Domain,
    #[error("email contains spaces or control characters")]
    Characters,
}

/// Trims, lower-cases and NFC-normalises an email, and checks its shape.
pub fn normalise_email(raw: &str) -> Result<String, InvalidEmail> {
    let email: String = raw.trim().nfc().collect::<String>().to_lowercase();
    if email.is_empty() {
        return Err(InvalidEmail::Empty);
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail::Characters);
    }
    let (local, domain) = match email.split_once('@') {
        Some((l, d)) if !d.contains('@') => (l, d),
        _ => return Err(InvalidEmail::At),
    };
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return Err(InvalidEmail::Local);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels.last().is_some_and(|t| t.chars().count() >= 2 && t.chars().all(char::is_alphabetic));
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(InvalidEmail::Domain);
    }
    Ok(email)
}

/// The domain part of a normalised email.
pub fn email_domain(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Trims, folds inner white space to one space, NFC-normalises; keeps case and letters
/// ("Jürgen Groß" stays "Jürgen Groß"). Empty text is no value.
pub fn normalise_text(raw: &str) -> Option<String> {
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = folded.nfc().collect();
    (!text.is_empty()).then_some(text)
}

/// Reads a company size as forms give it: `250`, `50-199`, `1.000+`, `10 bis 49`,
/// `1000 employees`: the lower bound of a range. `None` if it holds no number.
pub fn parse_company_size(raw: &str) -> Option<u32> {
    let mut digits = String::new();
    let mut started = false;
    for c in raw.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            started = true;
        } else if started && (c == '.' || c == ',' || c == '\'') {
            // thousands separators: 1.000, 1,000, 1'000
            continue;
        } else if started {
            break;
        }
    }
    digits.parse().ok()
}

/// Country names forms commonly send, mapped to ISO 3166-1 alpha-2.
const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("deutschland", "DE"),
    ("germany", "DE"),
    ("österreich", "AT"),
    ("oesterreich", "AT"),
    ("austria", "AT"),
    ("schweiz", "CH"),
    ("switzerland", "CH"),
    ("suisse", "CH"),
    ("liechtenstein", "LI"),
    ("luxemburg", "LU"),
    ("luxembourg", "LU"),
    ("niederlande", "NL"),
    ("netherlands", "NL"),
    ("frankreich", "FR"),
    ("france", "FR"),
    ("vereinigtes königreich", "GB"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("vereinigte staaten", "US"),
    ("united states", "US"),
    ("usa", "US"),
];

/// `Deutschland`, `germany`, `de` -> `DE`; anything else upper-cased as given.
pub fn normalise_country(raw: &str) -> Option<String> {
    let text = normalise_text(raw)?;
    let lower = text.to_lowercase();
    if let Some((_, code)) = COUNTRY_NAMES.iter().find(|(name, _)| *name == lower) {
        return Some((*code).to_owned());
    }
    Some(text.to_uppercase())
}

/// Cuts text to at most `max` characters, on a character boundary.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(normalise_email("  Anna.Schmidt@Example.DE \n").unwrap(), "anna.schmidt@example.de");
        assert_eq!(normalise_email("jürgen@müller-gmbh.de").unwrap(), "jürgen@müller-gmbh.de");
        assert_eq!(normalise_email(""), Err(InvalidEmail::Empty));
        assert_eq!(normalise_email("anna"), Err(InvalidEmail::At));
        assert_eq!(normalise_email("a@b@example.com"), Err(InvalidEmail::At));
        assert_eq!(normalise_email("@example.com"), Err(InvalidEmail::Local));
        assert_eq!(normalise_email("a..b@example.com"), Err(InvalidEmail::Local));
        assert_eq!(normalise_email("anna@localhost"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("anna@-x.com"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("anna@example.c0m"), Err(InvalidEmail::Domain));
        assert_eq!(normalise_email("an na@example.com"), Err(InvalidEmail::Characters));
        assert_eq!(email_domain("anna@example.de"), "example.de");
    }

    #[test]
    fn names_keep_their_letters() {
        assert_eq!(normalise_text("  Jürgen   Groß ").as_deref(), Some("Jürgen Groß"));
        // NFD input (u + combining diaeresis) becomes the composed form.
        assert_eq!(normalise_text("Ju\u{308}rgen").as_deref(), Some("Jürgen"));
        assert_eq!(normalise_text("   "), None);
    }

    #[test]
    fn company_sizes_and_countries_as_forms_send_them() {
        assert_eq!(parse_company_size("250"), Some(250));
        assert_eq!(parse_company_size("50-199"), Some(50));
        assert_eq!(parse_company_size("1.000+"), Some(1000));
        assert_eq!(parse_company_size("10 bis 49 Mitarbeiter"), Some(10));
        assert_eq!(parse_company_size("groß"), None);
        assert_eq!(normalise_country("Deutschland").as_deref(), Some("DE"));
        assert_eq!(normalise_country(" de ").as_deref(), Some("DE"));
        assert_eq!(normalise_country("Österreich").as_deref(), Some("AT"));
    }

    #[test]
    fn activities_stay_bounded_and_ordered() {
        let id = LeadId::parse(&"0".repeat(32)).unwrap();
        let mut lead = Lead::new(id, "web", Profile::default(), Timestamp::from_unix(0));
        for i in (0..50).rev() {
            lead.record_activity(Activity {
                kind: format!("kind{}", i % 30),
                at: Timestamp::from_unix(i),
                source: "web".into(),
            });
        }
        assert_eq!(lead.activity_count, 50);
        assert_eq!(lead.activities.len(), RECENT_ACTIVITIES);
        assert!(lead.activities.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(lead.activities.last().unwrap().at, Timestamp::from_unix(49));
        assert!(lead.last_activity.len() <= ACTIVITY_KINDS);
        assert_eq!(lead.last_activity.get("kind19"), Some(&Timestamp::from_unix(49)));
    }

    #[test]
    fn merging_keeps_what_was_not_resent() {
        let id = LeadId::parse(&"0".repeat(32)).unwrap();
        let mut lead = Lead::new(
            id,
            "web",
            Profile { job_title: Some("CEO".into()), ..Profile::default() },
            Timestamp::from_unix(0),
        );
        lead.merge_profile(Profile { company: Some("Groß GmbH".into()), ..Profile::default() });
        assert_eq!(lead.profile.job_title.as_deref(), Some("CEO"));
        assert_eq!(lead.profile.company.as_deref(), Some("Groß GmbH"));
        let answer = |v: &str, t| Some(Answer { value: v.into(), at: Timestamp::from_unix(t) });
        lead.merge_answers(Answers { budget_role: answer("decision_maker", 10), ..Answers::default() });
        lead.merge_answers(Answers { budget_role: answer("influencer", 5), ..Answers::default() });
        assert_eq!(lead.answers.budget_role.as_ref().unwrap().value, "decision_maker");
        let many = (0..40).map(|i| (format!("f{i}"), "x".repeat(400))).collect();
        lead.merge_attributes(many);
        assert_eq!(lead.attributes.len(), MAX_ATTRIBUTES);
        assert!(lead.attributes.values().all(|v| v.chars().count() == MAX_ATTRIBUTE_LEN));
    }
}
