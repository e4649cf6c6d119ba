//! Lead events: what changed between two images of a lead (before and after one stored
//! write, as the table's change stream shows them), as domain events for subscribers.
//!
//! Every event has an id that is the same each time the same change is seen (a stream
//! record delivered twice, a batch retried): the lead's id, its creation instant (a lead
//! erased and created again by the same email starts a new life) and the position of
//! the change in the lead's life (0 its creation, n its n-th stage move). Events carry
//! no personal data; the person's profile rides along and only subscribers who opted in
//! (`include_person`) get it.

use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::clock::Timestamp;
use crate::domain::funnel::event_count;
use crate::domain::identity::LeadId;
use crate::domain::lead::{Lead, Profile};
use crate::domain::stage::{Stage, Transition};

/// The kinds of event, by their wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum EventType {
    #[serde(rename = "lead.created")]
    Created,
    #[serde(rename = "lead.stage_changed")]
    StageChanged,
    #[serde(rename = "lead.sla_breached")]
    SlaBreached,
    #[serde(rename = "lead.erased")]
    Erased,
}

impl EventType {
    pub const ALL: [EventType; 4] =
        [EventType::Created, EventType::StageChanged, EventType::SlaBreached, EventType::Erased];

    pub const fn name(self) -> &'static str {
        match self {
            EventType::Created => "lead.created",
            EventType::StageChanged => "lead.stage_changed",
            EventType::SlaBreached => "lead.sla_breached",
            EventType::Erased => "lead.erased",
        }
    }

    pub fn from_name(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One lead event. `data` never holds personal data; `person` is the profile for the
/// subscribers that asked for it (absent on `lead.erased`).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadEvent {
    /// Stable across redeliveries of the same change: the `webhook-id`.
    pub id: String,
    pub kind: EventType,
    pub lead_id: LeadId,
    /// When it happened (the move's instant, the lead's creation, the breach).
    pub at: Timestamp,
    /// The event's fields besides `lead_id` (an object).
    pub data: Value,
    pub person: Option<Profile>,
}

impl LeadEvent {
    /// The JSON body subscribers get: `{"type", "timestamp", "data": {"lead_id", ...}}`,
    /// with `data.person` only when asked for.
    pub fn body(&self, include_person: bool) -> Value {
        let mut data = serde_json::Map::new();
        data.insert("lead_id".into(), json!(self.lead_id));
        if let Value::Object(fields) = &self.data {
            data.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if include_person {
            if let Some(person) = &self.person {
                data.insert("person".into(), json!(person));
            }
        }
        json!({ "type": self.kind.name(), "timestamp": self.at, "data": data })
    }
}

/// The prefix of the ids of one life of a lead.
fn id_prefix(lead: &Lead) -> String {
    format!("evt_{}_{}", lead.id, lead.created_at.unix())
}

/// The events of one change of one lead item: `old` before the write, `new` after it
/// (`None`: no item). `observed_at` dates an erasure (the change record's time).
pub fn derive(old: Option<&Lead>, new: Option<&Lead>, observed_at: Timestamp) -> Vec<LeadEvent> {
    match (old, new) {
        (None, None) => Vec::new(),
        (Some(gone), None) => vec![erased(gone, observed_at)],
        (None, Some(new)) => changes(None, new),
        // The same key, another life: the item was replaced by a new lead.
        (Some(old), Some(new)) if old.created_at != new.created_at || old.id != new.id => changes(None, new),
        (Some(old), Some(new)) => changes(Some(old), new),
    }
}

fn erased(gone: &Lead, at: Timestamp) -> LeadEvent {
    LeadEvent {
        id: format!("{}_erased", id_prefix(gone)),
        kind: EventType::Erased,
        lead_id: gone.id.clone(),
        at,
        data: json!({}),
        person: None,
    }
}

fn changes(old: Option<&Lead>, new: &Lead) -> Vec<LeadEvent> {
    let prefix = id_prefix(new);
    let person = Some(new.profile.clone());
    let mut out = Vec::new();
    if old.is_none() {
        out.push(LeadEvent {
            id: format!("{prefix}_0"),
            kind: EventType::Created,
            lead_id: new.id.clone(),
            at: new.created_at,
            data: json!({
                "source": new.source,
                "stage": Stage::Unqualified,
                "created_at": new.created_at,
                "lead_version": new.version,
            }),
            person: person.clone(),
        });
    }
    // Position n (1-based) of each move in the lead's life; moves folded out of the
    // history were seen by earlier changes.
    let seen = old.map_or(1, event_count);
    let first_kept = 1 + new.history_folded;
    for (i, t) in new.history.iter().enumerate() {
        let n = first_kept + i as u32;
        if n < seen {
            continue;
        }
        out.push(LeadEvent {
            id: format!("{prefix}_{n}"),
            kind: EventType::StageChanged,
            lead_id: new.id.clone(),
            at: t.at,
            data: stage_changed(new, t),
            person: person.clone(),
        });
    }
    if let Some(breached_at) = new.sla_breached_at {
        if old.and_then(|o| o.sla_breached_at) != Some(breached_at) {
            // One breach per stage entered: the entry is the last move (0: creation).
            let entry = event_count(new) - 1;
            out.push(LeadEvent {
                id: format!("{prefix}_{entry}_sla"),
                kind: EventType::SlaBreached,
                lead_id: new.id.clone(),
                at: breached_at,
                data: json!({
                    "stage": new.stage,
                    "entered_stage_at": new.entered_stage_at(),
                    "breached_at": breached_at,
                    "owner": new.owner,
                    "lead_version": new.version,
                }),
                person,
            });
        }
    }
    out
}

/// A move's fields, with the lead's score after the write that made it.
fn stage_changed(lead: &Lead, t: &Transition) -> Value {
    json!({
        "from": t.from,
        "to": t.to,
        "trigger": t.trigger,
        "reason": t.reason,
        "actor": t.by,
        "at": t.at,
        "score": lead.score.as_ref().map(|s| json!({ "total": s.total, "grade": s.grade })),
        "sla_version": lead.score.as_ref().map(|s| s.sla_version.clone()),
        "lead_version": lead.version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::score::{Grade, Score};
    use crate::domain::stage::Trigger;

    const T: i64 = 1_795_773_600; // 2026-11-27T10:00:00Z

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_unix(T + minutes * 60)
    }

    fn lead() -> Lead {
        let profile = Profile {
            email: "anna@example.com".into(),
            company_domain: "example.com".into(),
            first_name: Some("Anna".into()),
            ..Profile::default()
        };
        let mut l = Lead::new(LeadId::parse(&"a".repeat(32)).unwrap(), "web", profile, at(0));
        l.version = 1;
        l
    }

    fn score(total: i32) -> Score {
        Score {
            total,
            need: 0,
            authority: 0,
            readiness: 0,
            fit: 0,
            engagement: 0,
            grade: Grade::B,
            mql: true,
            disqualification: None,
            explanation: Vec::new(),
            sla_version: "2026-11".into(),
            scored_at: at(0),
            next_change_at: None,
        }
    }

    fn kinds(events: &[LeadEvent]) -> Vec<(&str, &str)> {
        events.iter().map(|e| (e.kind.name(), e.id.as_str())).collect()
    }

    #[test]
    fn a_new_lead_that_qualifies_at_once_is_created_then_moved() {
        let mut l = lead();
        l.score = Some(score(72));
        l.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, at(0)).unwrap();
        let events = derive(None, Some(&l), at(1));
        let prefix = format!("evt_{}_{T}", "a".repeat(32));
        assert_eq!(
            kinds(&events),
            [
                ("lead.created", format!("{prefix}_0").as_str()),
                ("lead.stage_changed", &format!("{prefix}_1"))
            ]
        );
        let body = events[1].body(false);
        assert_eq!(
            body,
            json!({
                "type": "lead.stage_changed",
                "timestamp": "2026-11-27T10:00:00Z",
                "data": {
                    "lead_id": "a".repeat(32),
                    "from": "unqualified",
                    "to": "mql",
                    "trigger": "scoring",
                    "reason": "mql_rule_met",
                    "actor": "scoring",
                    "at": "2026-11-27T10:00:00Z",
                    "score": { "total": 72, "grade": "B" },
                    "sla_version": "2026-11",
                    "lead_version": 1
                }
            })
        );
        assert_eq!(
            events[0].body(false)["data"],
            json!({
                "lead_id": "a".repeat(32),
                "source": "web",
                "stage": "unqualified",
                "created_at": "2026-11-27T10:00:00Z",
                "lead_version": 1
            })
        );
    }

    #[test]
    fn no_personal_data_unless_asked_for() {
        let l = lead();
        let event = &derive(None, Some(&l), at(0))[0];
        let plain = event.body(false).to_string();
        assert!(!plain.contains("anna") && !plain.contains("Anna"), "{plain}");
        let with_person = event.body(true);
        assert_eq!(with_person["data"]["person"]["email"], "anna@example.com");
        assert_eq!(with_person["data"]["person"]["first_name"], "Anna");
    }

    #[test]
    fn a_change_yields_only_its_new_moves_with_the_same_ids_every_time() {
        let mut old = lead();
        old.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, at(1)).unwrap();
        let mut new = old.clone();
        new.version = 2;
        new.move_to(Stage::Sql, Trigger::Handover, "anna.sales", "qualified", None, at(60)).unwrap();
        let first = derive(Some(&old), Some(&new), at(61));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].kind, EventType::StageChanged);
        assert!(first[0].id.ends_with("_2"), "{}", first[0].id);
        assert_eq!(first[0].body(false)["data"]["actor"], "anna.sales");
        assert_eq!(first[0].body(false)["data"]["score"], Value::Null, "unscored: null, listed all the same");
        // Seen again (a retried batch): the same events, the same ids.
        assert_eq!(derive(Some(&old), Some(&new), at(99)), first);
        // A write that moves nothing (a re-score, a returning person) says nothing.
        let mut same = new.clone();
        same.version = 3;
        assert!(derive(Some(&new), Some(&same), at(62)).is_empty());
    }

    #[test]
    fn moves_folded_out_of_the_history_keep_their_positions() {
        let mut old = lead();
        for i in 0..crate::domain::lead::MAX_HISTORY as i64 {
            let (to, reason) =
                if i % 2 == 0 { (Stage::Mql, "mql_rule_met") } else { (Stage::Nurture, "cooled") };
            old.move_to(to, Trigger::Scoring, "scoring", reason, None, at(i)).unwrap();
        }
        let mut new = old.clone();
        new.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, at(100)).unwrap();
        assert_eq!(new.history_folded, 1);
        let events = derive(Some(&old), Some(&new), at(100));
        assert_eq!(events.len(), 1);
        assert!(
            events[0].id.ends_with(&format!("_{}", crate::domain::lead::MAX_HISTORY + 1)),
            "{}",
            events[0].id
        );
    }

    #[test]
    fn a_breach_is_told_once_per_stage_entered() {
        let mut old = lead();
        old.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, at(0)).unwrap();
        let mut new = old.clone();
        new.sla_breached_at = Some(at(48 * 60));
        let events = derive(Some(&old), Some(&new), at(48 * 60));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventType::SlaBreached);
        assert!(events[0].id.ends_with("_1_sla"), "{}", events[0].id);
        assert_eq!(events[0].body(false)["data"]["stage"], "mql");
        assert_eq!(events[0].body(false)["data"]["entered_stage_at"], "2026-11-27T10:00:00Z");
        // A later write that keeps the breach says nothing more.
        let mut later = new.clone();
        later.version = 5;
        assert!(derive(Some(&new), Some(&later), at(49 * 60)).is_empty());
        // The timer then recycles the lead: a move, and no second breach.
        later
            .move_to(Stage::Nurture, Trigger::SlaTimer, "sla_timer", "sla_expired", None, at(50 * 60))
            .unwrap();
        assert_eq!(kinds(&derive(Some(&new), Some(&later), at(50 * 60))).len(), 1);
    }

    #[test]
    fn erasure_says_the_id_and_nothing_else() {
        let l = lead();
        let events = derive(Some(&l), None, at(5));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventType::Erased);
        assert_eq!(
            events[0].body(true),
            json!({
                "type": "lead.erased",
                "timestamp": "2026-11-27T10:05:00Z",
                "data": { "lead_id": "a".repeat(32) }
            }),
            "even for a subscriber who opted in to the person"
        );
        assert!(derive(None, None, at(5)).is_empty());
    }

    #[test]
    fn a_lead_created_again_after_erasure_gets_new_ids() {
        let first = lead();
        let mut again = lead();
        again.created_at = at(500);
        let events = derive(Some(&first), Some(&again), at(500));
        assert_eq!(events[0].kind, EventType::Created);
        assert_ne!(events[0].id, derive(None, Some(&first), at(0))[0].id);
    }

    #[test]
    fn event_names_read_back() {
        for t in EventType::ALL {
            assert_eq!(EventType::from_name(t.name()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.name());
        }
        assert_eq!(EventType::from_name("lead.deleted"), None);
    }
}
