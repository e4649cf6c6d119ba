//! Lead events onto an EventBridge bus (`LEADFLOW_EVENT_BUS`), so rules route them to
//! Slack, Step Functions or SQS without code.
//!
//! An entry is `source` [`SOURCE`], `detail-type` the event type, `detail` the webhook
//! body without personal data (`{"id", "type", "timestamp", "data"}`): the bus is read by
//! whoever may write rules on it, so it gets what a subscriber without `include_person`
//! gets. EventBridge has no idempotency key: a stream record handed over again reaches
//! the bus again, with the same `detail.id`, which rules' targets can deduplicate on.

use std::future::Future;

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::domain::events::LeadEvent;

/// The `source` of every entry.
pub const SOURCE: &str = "leadflow";
/// At most this many entries per `PutEvents` call (EventBridge's limit).
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// Calls for entries EventBridge refused (`FailedEntryCount`) before the events count as
/// not published.
pub const ATTEMPTS: u32 = 3;

/// The `detail` of an event's entry: the webhook body without the person, plus the id.
pub fn detail(event: &LeadEvent) -> serde_json::Value {
    let mut body = event.body(false);
    if let serde_json::Value::Object(fields) = &mut body {
        fields.insert("id".into(), serde_json::json!(event.id));
    }
    body
}

/// One entry as [`put_in_calls`] hands it to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event_id: String,
    pub detail_type: &'static str,
    pub detail: String,
}

impl Entry {
    pub fn of(event: &LeadEvent) -> Entry {
        Entry {
            event_id: event.id.clone(),
            detail_type: event.kind.name(),
            detail: detail(event).to_string(),
        }
    }
}

/// What one call said of each entry it was given, in order: `None` accepted, `Some(why)`
/// refused; or the call failed as a whole.
pub type CallResult = Result<Vec<Option<String>>, String>;

/// Puts entries in calls of at most [`MAX_ENTRIES_PER_CALL`], calling again with the
/// refused ones up to [`ATTEMPTS`] times. The events not published, with the last reason.
pub async fn put_in_calls<F, Fut>(entries: Vec<Entry>, mut call: F) -> Vec<(String, String)>
where
    F: FnMut(Vec<Entry>) -> Fut,
    Fut: Future<Output = CallResult>,
{
    let mut left: Vec<(Entry, String)> = entries.into_iter().map(|e| (e, String::new())).collect();
    for _ in 0..ATTEMPTS {
        if left.is_empty() {
            break;
        }
        let mut refused = Vec::new();
        let mut rest = left.into_iter().peekable();
        while rest.peek().is_some() {
            let chunk: Vec<(Entry, String)> = rest.by_ref().take(MAX_ENTRIES_PER_CALL).collect();
            match call(chunk.iter().map(|(e, _)| e.clone()).collect()).await {
                Ok(results) => {
                    for (i, (entry, _)) in chunk.into_iter().enumerate() {
                        // An answer without a result for an entry: not known to be put.
                        match results.get(i) {
                            Some(None) => {}
                            Some(Some(why)) => refused.push((entry, why.clone())),
                            None => refused.push((entry, "no result for the entry".into())),
                        }
                    }
                }
                Err(why) => refused.extend(chunk.into_iter().map(|(e, _)| (e, why.clone()))),
            }
        }
        left = refused;
    }
    left.into_iter().map(|(e, why)| (e.event_id, why)).collect()
}

/// The bus and the client that writes to it.
#[derive(Debug, Clone)]
pub struct EventBus {
    client: aws_sdk_eventbridge::Client,
    name: String,
}

impl EventBus {
    pub fn new(client: aws_sdk_eventbridge::Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Puts a change's events on the bus; the ids of those it could not, with why.
    pub async fn put(&self, events: &[LeadEvent]) -> Vec<(String, String)> {
        if events.is_empty() {
            return Vec::new();
        }
        let entries = events.iter().map(Entry::of).collect();
        let failed = put_in_calls(entries, |chunk| self.call(chunk)).await;
        for (event, why) in &failed {
            tracing::warn!(bus = %self.name, event = %event, failure = %why, "bus_put_failed");
        }
        failed
    }

    async fn call(&self, chunk: Vec<Entry>) -> CallResult {
        let mut request = self.client.put_events();
        for entry in chunk {
            request = request.entries(
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.name)
                    .source(SOURCE)
                    .detail_type(entry.detail_type)
                    .detail(entry.detail)
                    .build(),
            );
        }
        let output = request.send().await.map_err(|e| format!("PutEvents: {}", DisplayErrorContext(&e)))?;
        // The result entries are in the order of the request's.
        Ok(output
            .entries()
            .iter()
            .map(|r| r.error_code().map(|code| format!("{code}: {}", r.error_message().unwrap_or_default())))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn entries(n: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| Entry { event_id: format!("evt_{i}"), detail_type: "lead.created", detail: "{}".into() })
            .collect()
    }

    #[tokio::test]
    async fn calls_take_at_most_ten_entries_and_refused_ones_go_again() {
        let calls = RefCell::new(Vec::<Vec<String>>::new());
        // evt_3 is refused once, evt_12 every time.
        let failed = put_in_calls(entries(13), |chunk| {
            let ids: Vec<String> = chunk.iter().map(|e| e.event_id.clone()).collect();
            let round = calls.borrow().iter().filter(|c| c.contains(&"evt_12".to_string())).count();
            calls.borrow_mut().push(ids.clone());
            async move {
                Ok(ids
                    .iter()
                    .map(|id| match id.as_str() {
                        "evt_3" if round == 0 => Some("ThrottlingException: slow down".to_string()),
                        "evt_12" => Some("InternalFailure: x".to_string()),
                        _ => None,
                    })
                    .collect())
            }
        })
        .await;
        assert_eq!(failed, vec![("evt_12".to_string(), "InternalFailure: x".to_string())]);
        let calls = calls.into_inner();
        assert_eq!(calls[0].len(), 10);
        assert_eq!(calls[1], ["evt_10", "evt_11", "evt_12"]);
        assert_eq!(calls[2], ["evt_3", "evt_12"]);
        assert_eq!(calls[3], ["evt_12"]);
        assert_eq!(calls.len(), 2 + ATTEMPTS as usize - 1);
    }

    #[tokio::test]
    async fn a_failed_call_or_a_missing_result_leaves_its_entries_unpublished() {
        let failed =
            put_in_calls(entries(2), |_| async { Err("PutEvents: dispatch failure".to_string()) }).await;
        assert_eq!(failed.len(), 2);
        assert!(failed.iter().all(|(_, why)| why == "PutEvents: dispatch failure"));
        // The last entry of every call gets no result.
        let failed = put_in_calls(entries(2), |chunk| async move { Ok(vec![None; chunk.len() - 1]) }).await;
        assert_eq!(failed, vec![("evt_1".to_string(), "no result for the entry".to_string())]);
        assert!(put_in_calls(entries(0), |_| async { Ok(vec![]) }).await.is_empty());
    }
}
