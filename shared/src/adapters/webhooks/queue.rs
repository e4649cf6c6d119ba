//! Webhook deliveries through an SQS FIFO queue (`LEADFLOW_WEBHOOK_RETRY_QUEUE`), the
//! way the Lambda delivers on AWS.
//!
//! The stream side only sends: one message per event and subscriber, `MessageGroupId`
//! the subscriber and the lead (so a lead's events reach each subscriber in order, and
//! one failing endpoint holds back only its own groups, never the stream's shard),
//! `MessageDeduplicationId` the event and the subscriber (a stream record handed over
//! again within SQS's five-minute window is not queued twice). The queue's consumer
//! ([`consume`]) makes the attempts: the first on the first receive, and after a
//! failure it hides the message for the [`RetryPolicy`] wait of that attempt
//! (`ChangeMessageVisibility`; the group waits behind it), until the queue's redrive
//! policy (`maxReceiveCount` = [`RetryPolicy::attempts`]) moves it to the dead-letter
//! queue.
//!
//! Every delivery goes through the queue, not only the failed ones: delivering inline
//! first would need a record of which (subscriber, lead) still has events queued, kept
//! exact against the consumer draining the group at the same moment, or a lead's later
//! event would overtake its queued earlier one. Through the queue, FIFO order is that
//! record.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde::{Deserialize, Serialize};

use super::delivery::{Attempt, Pending, Report, RetryPolicy, Webhooks};
use crate::domain::events::{EventType, LeadEvent};
use crate::domain::identity::LeadId;

/// At most this many messages per `SendMessageBatch` (SQS's limit).
pub const MAX_MESSAGES_PER_CALL: usize = 10;
/// The longest a message can be hidden (SQS's limit on a visibility timeout).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// One event for one subscriber, as a message of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// [`super::Subscriber::id`]: the subscriber by its URL, never its secret.
    pub subscriber: String,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub lead_id: LeadId,
    /// The exact body the subscriber gets (with the person only if it opted in).
    pub body: String,
}

impl Queued {
    pub fn group(&self) -> String {
        format!("{}-{}", self.subscriber, self.lead_id)
    }

    pub fn deduplication_id(&self) -> String {
        format!("{}-{}", self.event_id, self.subscriber)
    }
}

/// The queue webhook deliveries go through.
#[derive(Debug, Clone)]
pub struct RetryQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl RetryQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues a change's events for every subscriber that wants them. The events not
    /// queued (for some subscriber) are `undelivered`: the stream hands their record
    /// over again; `waiting` counts the messages queued.
    pub async fn enqueue(&self, webhooks: &Webhooks, events: &[LeadEvent]) -> Report {
        let mut report = Report::default();
        let mut messages = Vec::new();
        for event in events {
            for (i, subscriber) in webhooks.subscribers().iter().enumerate() {
                if !subscriber.wants(event.kind) {
                    continue;
                }
                if webhooks.is_disabled(i).await {
                    report.disabled += 1;
                    continue;
                }
                messages.push(Queued {
                    subscriber: subscriber.id(),
                    event_id: event.id.clone(),
                    kind: event.kind.name().to_owned(),
                    lead_id: event.lead_id.clone(),
                    body: String::from_utf8_lossy(&subscriber.body(event)).into_owned(),
                });
            }
        }
        // A group with a message not queued sends none of its later ones: they would
        // overtake it when the record comes again.
        let mut failed_groups = BTreeSet::new();
        let mut undelivered = BTreeSet::new();
        let mut left = messages.into_iter().peekable();
        while left.peek().is_some() {
            let chunk: Vec<Queued> = left.by_ref().take(MAX_MESSAGES_PER_CALL).collect();
            let (send, held): (Vec<Queued>, Vec<Queued>) =
                chunk.into_iter().partition(|m| !failed_groups.contains(&m.group()));
            for m in held {
                undelivered.insert(m.event_id);
            }
            if send.is_empty() {
                continue;
            }
            for (m, why) in self.send(&send).await {
                tracing::warn!(queue = %self.url, event = %m.event_id, subscriber = %m.subscriber, failure = %why, "webhook_not_queued");
                failed_groups.insert(m.group());
                undelivered.insert(m.event_id.clone());
            }
            report.waiting += send.iter().filter(|m| !undelivered.contains(&m.event_id)).count();
        }
        report.undelivered = undelivered.into_iter().collect();
        report
    }

    /// One `SendMessageBatch`; the messages it did not take, with why.
    async fn send<'a>(&self, messages: &'a [Queued]) -> Vec<(&'a Queued, String)> {
        let mut request = self.client.send_message_batch().queue_url(&self.url);
        for (i, m) in messages.iter().enumerate() {
            let body = serde_json::to_string(m).expect("a message serialises");
            let entry = SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .message_group_id(m.group())
                .message_deduplication_id(m.deduplication_id())
                .build()
                .expect("id and body are set");
            request = request.entries(entry);
        }
        match request.send().await {
            Err(e) => {
                let why = format!("SendMessageBatch: {}", DisplayErrorContext(&e));
                messages.iter().map(|m| (m, why.clone())).collect()
            }
            Ok(out) => {
                let taken: BTreeSet<&str> = out.successful().iter().map(|s| s.id()).collect();
                messages
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !taken.contains(i.to_string().as_str()))
                    .map(|(i, m)| {
                        let why = out
                            .failed()
                            .iter()
                            .find(|f| f.id() == i.to_string())
                            .map(|f| format!("{}: {}", f.code(), f.message().unwrap_or_default()))
                            .unwrap_or_else(|| "not in the answer".into());
                        (m, why)
                    })
                    .collect()
            }
        }
    }

    /// Hides a message for `wait` (capped at [`MAX_VISIBILITY`]; whole seconds, at least
    /// the wait).
    pub async fn hide(&self, receipt_handle: &str, wait: Duration) -> Result<(), String> {
        let seconds = wait.min(MAX_VISIBILITY).as_millis().div_ceil(1000) as i32;
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("ChangeMessageVisibility: {}", DisplayErrorContext(&e)))
    }
}

/// What one message of the queue came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Its endpoint answered 410 (now or before), or its subscriber was removed, or the
    /// message is unreadable: nothing more to do with it.
    Dropped(String),
    /// Failed; hidden for the wait before the next attempt.
    Retry {
        attempt: u32,
        wait: Duration,
    },
    /// The last attempt failed: the redrive policy moves it to the dead letters.
    DeadLetter {
        attempt: u32,
    },
    /// Not tried: an earlier message of its group failed in this batch.
    HeldBehind,
}

/// One received message as the consumer needs it.
#[derive(Debug, Clone)]
pub struct Received<'a> {
    pub message_id: &'a str,
    pub receipt_handle: &'a str,
    pub body: &'a str,
    /// `ApproximateReceiveCount`: this is attempt number `receive_count`.
    pub receive_count: u32,
    pub group: Option<&'a str>,
}

/// Delivers a batch of the queue in order; the outcome of each message, in order. A
/// message that failed holds back the rest of its group in the batch.
pub async fn consume(webhooks: &Webhooks, queue: &RetryQueue, batch: &[Received<'_>]) -> Vec<Outcome> {
    let policy: RetryPolicy = webhooks.policy();
    let mut failed_groups: BTreeSet<&str> = BTreeSet::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for m in batch {
        if m.group.is_some_and(|g| failed_groups.contains(g)) {
            outcomes.push(Outcome::HeldBehind);
            continue;
        }
        let outcome = deliver(webhooks, queue, policy, m).await;
        if matches!(outcome, Outcome::Retry { .. } | Outcome::DeadLetter { .. }) {
            if let Some(g) = m.group {
                failed_groups.insert(g);
            }
        }
        outcomes.push(outcome);
    }
    outcomes
}

async fn deliver(webhooks: &Webhooks, queue: &RetryQueue, policy: RetryPolicy, m: &Received<'_>) -> Outcome {
    let queued: Queued = match serde_json::from_str(m.body) {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(message = %m.message_id, error = %e, "webhook_message_unreadable");
            return Outcome::Dropped(format!("unreadable: {e}"));
        }
    };
    let Some((i, subscriber)) = webhooks.subscriber_by_id(&queued.subscriber) else {
        tracing::warn!(event = %queued.event_id, subscriber = %queued.subscriber, "webhook_subscriber_removed");
        return Outcome::Dropped("the subscriber is no longer configured".into());
    };
    if webhooks.is_disabled(i).await {
        return Outcome::Dropped("the endpoint answered 410".into());
    }
    let Some(kind) = EventType::from_name(&queued.kind) else {
        return Outcome::Dropped(format!("no event type `{}`", queued.kind));
    };
    let attempt = m.receive_count.max(1);
    let pending = Pending {
        event_id: queued.event_id.clone(),
        kind,
        lead_id: queued.lead_id.clone(),
        body: queued.body.into_bytes(),
        attempts: attempt - 1,
    };
    match webhooks.attempt(subscriber, &pending).await {
        Attempt::Delivered(_) => Outcome::Delivered,
        Attempt::Gone => {
            webhooks.mark_gone(i).await;
            Outcome::Dropped("the endpoint answered 410".into())
        }
        Attempt::Failed(why) if attempt >= policy.attempts() => {
            tracing::error!(url = %subscriber.url, event = %pending.event_id, lead = %pending.lead_id, attempts = attempt, failure = %why, "webhook_dead_lettered");
            super::delivery::metric("WebhookDeadLetters", 1);
            // Visible at once: the next receive moves it to the dead letters.
            if let Err(e) = queue.hide(m.receipt_handle, Duration::ZERO).await {
                tracing::warn!(event = %pending.event_id, error = %e, "webhook_retry_not_rescheduled");
            }
            Outcome::DeadLetter { attempt }
        }
        Attempt::Failed(why) => {
            let wait = policy.delay(attempt);
            tracing::warn!(url = %subscriber.url, event = %pending.event_id, lead = %pending.lead_id, attempts = attempt, retry_in_s = wait.as_secs(), failure = %why, "webhook_failed");
            // Should the call fail, the queue's own visibility timeout brings it back sooner.
            if let Err(e) = queue.hide(m.receipt_handle, wait).await {
                tracing::warn!(event = %pending.event_id, error = %e, "webhook_retry_not_rescheduled");
            }
            Outcome::Retry { attempt, wait }
        }
    }
}
