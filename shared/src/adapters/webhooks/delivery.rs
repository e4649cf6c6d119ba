//! Delivering events to subscribers: one signed POST per event and subscriber, a 2xx is
//! delivered, a 410 disables the endpoint, anything else (another status, a refused
//! connection, no answer in time) is retried on the [`RetryPolicy`] and dead-lettered
//! after the last attempt. Per lead and subscriber, events arrive in order: once one is
//! waiting for a retry, the lead's later events queue behind it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;

use super::{signature_header, Subscriber};
use crate::domain::events::{EventType, LeadEvent};
use crate::domain::identity::LeadId;
use crate::usecases::store::{DisabledEndpoints, StoreError};

/// [`DisabledEndpoints`] as the webhooks hold it (any store, behind one pointer).
pub trait EndpointMemory: Send + Sync {
    fn remember<'a>(&'a self, endpoint: &'a str, url: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    fn recall<'a>(&'a self, endpoints: &'a [String]) -> BoxFuture<'a, Result<BTreeSet<String>, StoreError>>;
}

impl<S: DisabledEndpoints> EndpointMemory for S {
    fn remember<'a>(&'a self, endpoint: &'a str, url: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.disable_endpoint(endpoint, url, crate::domain::clock::Timestamp::now()))
    }

    fn recall<'a>(&'a self, endpoints: &'a [String]) -> BoxFuture<'a, Result<BTreeSet<String>, StoreError>> {
        Box::pin(self.disabled_endpoints(endpoints))
    }
}

/// When failed deliveries are tried again: the first retry after `base`, each next one
/// after twice the delay before, each at most `base * MAX_DELAY_FACTOR`, `retries` times;
/// then the event is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub retries: u32,
}

/// The longest wait between two attempts, in units of `base` (8 h at the default 1 min).
pub const MAX_DELAY_FACTOR: u32 = 480;

impl Default for RetryPolicy {
    /// 1 min, 2, 4 ... 256 min, then 8 h twice: 11 retries over 24 h 31 min.
    fn default() -> Self {
        Self { base: Duration::from_secs(60), retries: 11 }
    }
}

impl RetryPolicy {
    /// The wait before retry `n` (1-based).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX).min(MAX_DELAY_FACTOR);
        self.base.saturating_mul(factor)
    }

    /// Every attempt: the first and each retry (the retry queue's `maxReceiveCount`).
    pub fn attempts(&self) -> u32 {
        self.retries + 1
    }

    /// The whole schedule: the wait before each retry.
    pub fn schedule(&self) -> Vec<Duration> {
        (1..=self.retries).map(|n| self.delay(n)).collect()
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered(u16),
    /// 410 Gone: the subscriber asks not to be called again.
    Gone,
    /// Try again later: the status, or what went wrong on the way.
    Failed(String),
}

/// An event for one subscriber, with the attempts made so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub event_id: String,
    pub kind: EventType,
    pub lead_id: LeadId,
    pub body: Vec<u8>,
    pub attempts: u32,
}

/// An event given up on: every attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub url: String,
    pub event_id: String,
    pub kind: EventType,
    pub lead_id: LeadId,
    pub attempts: u32,
    pub last_failure: String,
}

/// What one call did, for logs, metrics and the stream handler.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    /// Events now waiting for a retry (new or queued behind one).
    pub waiting: usize,
    pub dead_lettered: usize,
    /// Events not sent because their endpoint answered 410 before.
    pub disabled: usize,
    /// Events of this call that were not delivered and are not waiting here: the
    /// caller must see to them (the stream handler's batch item failures).
    pub undelivered: Vec<String>,
}

/// Where retries wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// In this process, on the policy's schedule ([`Webhooks::retry_due`]); the local server.
    InProcess,
    /// Not here: a failed event is reported `undelivered` and the lead's later events in
    /// the same call are held back, so the caller can have them delivered again in
    /// order (the stream re-read from the failure). The Lambda without its queue
    /// ([`Webhooks::with_queue`]: then deliveries go through the queue instead).
    Caller,
}

struct Parked {
    queue: VecDeque<Pending>,
    next_at: Instant,
}

#[derive(Default)]
struct State {
    disabled: BTreeSet<usize>,
    parked: BTreeMap<(usize, LeadId), Parked>,
    dead_letters: Vec<DeadLetter>,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The subscribers and their deliveries.
pub struct Webhooks {
    subscribers: Vec<Subscriber>,
    policy: RetryPolicy,
    mode: RetryMode,
    timeout: Duration,
    client: OnceLock<HttpsClient>,
    /// Set: deliveries go through this queue ([`super::queue`]), [`Webhooks::publish`] only sends.
    queue: Option<super::queue::RetryQueue>,
    /// Where 410s are remembered across processes, if anywhere.
    memory: Option<Arc<dyn EndpointMemory>>,
    // Held across deliveries: publishing and retrying never interleave, which is what
    // keeps one lead's events in order.
    state: tokio::sync::Mutex<State>,
}

/// How long one attempt may take before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Webhooks {
    pub fn new(subscribers: Vec<Subscriber>, policy: RetryPolicy, mode: RetryMode) -> Self {
        Self {
            subscribers,
            policy,
            mode,
            timeout: DEFAULT_TIMEOUT,
            client: OnceLock::new(),
            queue: None,
            memory: None,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Deliveries through an SQS FIFO queue: [`Webhooks::publish`] queues them, the
    /// queue's consumer ([`super::queue::consume`]) attempts them.
    pub fn with_queue(mut self, queue: super::queue::RetryQueue) -> Self {
        self.queue = Some(queue);
        self
    }

    pub fn queue(&self) -> Option<&super::queue::RetryQueue> {
        self.queue.as_ref()
    }

    pub fn subscribers(&self) -> &[Subscriber] {
        &self.subscribers
    }

    /// A subscriber by [`Subscriber::id`], with its position.
    pub fn subscriber_by_id(&self, id: &str) -> Option<(usize, &Subscriber)> {
        self.subscribers.iter().enumerate().find(|(_, s)| s.id() == id)
    }

    /// Subscriber `i` answered 410: no more events go to it.
    pub async fn mark_gone(&self, i: usize) {
        let mut state = self.state.lock().await;
        self.gone(&mut state, i).await;
    }

    /// Remembers 410s in `store`, beyond this process ([`Webhooks::recall_disabled`]).
    pub fn with_disabled_endpoints(mut self, store: Arc<dyn EndpointMemory>) -> Self {
        self.memory = Some(store);
        self
    }

    /// At start: the subscribers whose endpoint answered 410 before (in the store) are
    /// not called. How many that is.
    pub async fn recall_disabled(&self) -> Result<usize, StoreError> {
        let Some(memory) = &self.memory else { return Ok(0) };
        let ids: Vec<String> = self.subscribers.iter().map(Subscriber::id).collect();
        let disabled = memory.recall(&ids).await?;
        let mut state = self.state.lock().await;
        for (i, id) in ids.iter().enumerate() {
            if disabled.contains(id) && state.disabled.insert(i) {
                tracing::warn!(url = %self.subscribers[i].url, "webhook_endpoint_disabled_before: it answered 410 Gone; delete its record or change the URL to call it again");
            }
        }
        Ok(disabled.len())
    }

    /// Subscriber `i` answered 410: disabled here, and on record when there is a store.
    async fn gone(&self, state: &mut State, i: usize) {
        if !self.disable(state, i) {
            return;
        }
        if let Some(memory) = &self.memory {
            let subscriber = &self.subscribers[i];
            if let Err(e) = memory.remember(&subscriber.id(), &subscriber.url).await {
                // Still disabled in this process; a new one calls it once more.
                tracing::error!(url = %subscriber.url, error = %e, "webhook_disable_not_recorded");
            }
        }
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    fn client(&self) -> &HttpsClient {
        self.client.get_or_init(|| {
            // Built on first use: no certificate loading on a cold start without events.
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "webhooks: no system certificates; https endpoints will fail");
                    hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(
                        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                            rustls::crypto::ring::default_provider(),
                        ))
                        .with_safe_default_protocol_versions()
                        .expect("default protocol versions")
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth(),
                    )
                })
                .https_or_http()
                .enable_http1()
                .build();
            Client::builder(TokioExecutor::new()).build(https)
        })
    }

    /// One signed POST of one event to one subscriber.
    pub async fn attempt(&self, subscriber: &Subscriber, pending: &Pending) -> Attempt {
        let timestamp = crate::domain::clock::Timestamp::now().unix();
        let signature = signature_header(&subscriber.secrets, &pending.event_id, timestamp, &pending.body);
        let request = match http::Request::post(&subscriber.url)
            .header("content-type", "application/json")
            .header("user-agent", "Leadflow-Webhooks/1")
            .header("webhook-id", &pending.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(Full::new(Bytes::from(pending.body.clone())))
        {
            Ok(r) => r,
            Err(e) => return Attempt::Failed(format!("request: {e}")),
        };
        let answer = tokio::time::timeout(self.timeout, async {
            let response = self.client().request(request).await?;
            let status = response.status().as_u16();
            // Read the (ignored) body so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok::<_, hyper_util::client::legacy::Error>(status)
        })
        .await;
        match answer {
            Err(_) => Attempt::Failed(format!("no answer within {} ms", self.timeout.as_millis())),
            Ok(Err(e)) => Attempt::Failed(format!("connection: {e}")),
            Ok(Ok(410)) => Attempt::Gone,
            Ok(Ok(s)) if (200..300).contains(&s) => Attempt::Delivered(s),
            Ok(Ok(s)) => Attempt::Failed(format!("status {s}")),
        }
    }

    /// Delivers a change's events, in order, to every subscriber that wants them.
    pub async fn publish(&self, events: &[LeadEvent]) -> Report {
        if let Some(queue) = &self.queue {
            return queue.enqueue(self, events).await;
        }
        let mut report = Report::default();
        let mut state = self.state.lock().await;
        // Leads held back in this call (caller mode): (subscriber, lead).
        let mut held: BTreeSet<(usize, LeadId)> = BTreeSet::new();
        for event in events {
            let mut undelivered = false;
            for (i, subscriber) in self.subscribers.iter().enumerate() {
                if !subscriber.wants(event.kind) {
                    continue;
                }
                if state.disabled.contains(&i) {
                    report.disabled += 1;
                    continue;
                }
                let pending = Pending {
                    event_id: event.id.clone(),
                    kind: event.kind,
                    lead_id: event.lead_id.clone(),
                    body: subscriber.body(event),
                    attempts: 0,
                };
                let key = (i, event.lead_id.clone());
                if let Some(parked) = state.parked.get_mut(&key) {
                    parked.queue.push_back(pending);
                    report.waiting += 1;
                    continue;
                }
                if held.contains(&key) {
                    undelivered = true;
                    continue;
                }
                match self.attempt(subscriber, &pending).await {
                    Attempt::Delivered(_) => report.delivered += 1,
                    Attempt::Gone => self.gone(&mut state, i).await,
                    Attempt::Failed(why) => {
                        tracing::warn!(url = %subscriber.url, event = %pending.event_id, lead = %pending.lead_id, failure = %why, "webhook_failed");
                        match self.mode {
                            RetryMode::InProcess => {
                                let mut pending = pending;
                                pending.attempts = 1;
                                let next_at = Instant::now() + self.policy.delay(1);
                                state
                                    .parked
                                    .insert(key, Parked { queue: VecDeque::from([pending]), next_at });
                                report.waiting += 1;
                            }
                            RetryMode::Caller => {
                                held.insert(key);
                                undelivered = true;
                            }
                        }
                    }
                }
            }
            if undelivered {
                report.undelivered.push(event.id.clone());
            }
        }
        report
    }

    /// Whether it was not disabled before.
    fn disable(&self, state: &mut State, i: usize) -> bool {
        let new = state.disabled.insert(i);
        if new {
            let url = &self.subscribers[i].url;
            tracing::error!(url = %url, "webhook_endpoint_disabled: it answered 410 Gone; no more events are sent to it");
            metric("WebhookEndpointsDisabled", 1);
            // Whatever waited for it is dropped with it.
            state.parked.retain(|(s, _), _| *s != i);
        }
        new
    }

    /// Retries every waiting delivery whose time has come (in process mode); a lead's
    /// queue goes on with its next event as soon as the head is through.
    pub async fn retry_due(&self) -> Report {
        let mut report = Report::default();
        let mut state = self.state.lock().await;
        let now = Instant::now();
        let due: Vec<(usize, LeadId)> =
            state.parked.iter().filter(|(_, p)| p.next_at <= now).map(|(k, _)| k.clone()).collect();
        for key in due {
            let subscriber = &self.subscribers[key.0];
            while let Some(parked) = state.parked.get_mut(&key) {
                let Some(head) = parked.queue.front_mut() else {
                    state.parked.remove(&key);
                    break;
                };
                let head_snapshot = head.clone();
                match self.attempt(subscriber, &head_snapshot).await {
                    Attempt::Delivered(_) => {
                        report.delivered += 1;
                        state.parked.get_mut(&key).map(|p| p.queue.pop_front());
                    }
                    Attempt::Gone => {
                        self.gone(&mut state, key.0).await;
                        break;
                    }
                    Attempt::Failed(why) => {
                        let parked = state.parked.get_mut(&key).expect("present above");
                        let head = parked.queue.front_mut().expect("present above");
                        head.attempts += 1;
                        if head.attempts > self.policy.retries {
                            let dead = parked.queue.pop_front().expect("present above");
                            tracing::error!(url = %subscriber.url, event = %dead.event_id, lead = %dead.lead_id, attempts = dead.attempts, failure = %why, "webhook_dead_lettered");
                            metric("WebhookDeadLetters", 1);
                            state.dead_letters.push(DeadLetter {
                                url: subscriber.url.clone(),
                                event_id: dead.event_id,
                                kind: dead.kind,
                                lead_id: dead.lead_id,
                                attempts: dead.attempts,
                                last_failure: why,
                            });
                            report.dead_lettered += 1;
                            continue;
                        }
                        parked.next_at = Instant::now() + self.policy.delay(head.attempts);
                        tracing::warn!(url = %subscriber.url, event = %head.event_id, attempts = head.attempts, failure = %why, "webhook_retry_failed");
                        break;
                    }
                }
            }
        }
        report.waiting = state.parked.values().map(|p| p.queue.len()).sum();
        report
    }

    /// When the next waiting delivery is due (`None`: nothing waits).
    pub async fn next_retry_at(&self) -> Option<Instant> {
        self.state.lock().await.parked.values().map(|p| p.next_at).min()
    }

    /// Deliveries given up on so far (in process mode).
    pub async fn dead_letters(&self) -> Vec<DeadLetter> {
        self.state.lock().await.dead_letters.clone()
    }

    /// Whether subscriber `i` answered 410 and is no longer called.
    pub async fn is_disabled(&self, i: usize) -> bool {
        self.state.lock().await.disabled.contains(&i)
    }

    /// Retries waiting deliveries on their schedule until the process ends (local server).
    pub async fn run_retries(self: std::sync::Arc<Self>) {
        loop {
            let wait = match self.next_retry_at().await {
                Some(at) => at.saturating_duration_since(Instant::now()),
                // Nothing waits: look again soon (a publish may park something).
                None => self.policy.base.min(Duration::from_secs(1)),
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            self.retry_due().await;
        }
    }
}

/// A CloudWatch metric in the embedded metric format: one JSON log line, no API call.
pub fn metric(name: &str, value: u64) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let line = serde_json::json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{ "Namespace": METRIC_NAMESPACE, "Dimensions": [[]], "Metrics": [{ "Name": name, "Unit": "Count" }] }]
        },
        name: value,
    });
    // Straight to stdout: Lambda's log stream is what CloudWatch reads EMF from.
    println!("{line}");
}

/// The CloudWatch namespace of Leadflow's own metrics.
pub const METRIC_NAMESPACE: &str = "Leadflow";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_retries_for_more_than_a_day_with_doubling_waits() {
        let p = RetryPolicy::default();
        let minutes: Vec<u64> = p.schedule().iter().map(|d| d.as_secs() / 60).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 480, 480]);
        let total: Duration = p.schedule().iter().sum();
        assert!(total >= Duration::from_secs(86_400), "{total:?}");
        assert_eq!(total.as_secs() / 60, 1471);
    }

    #[test]
    fn a_short_base_shortens_the_whole_schedule() {
        let p = RetryPolicy { base: Duration::from_millis(10), retries: 3 };
        assert_eq!(p.schedule(), [10, 20, 40].map(Duration::from_millis));
        // Far beyond the schedule the wait stays capped.
        assert_eq!(p.delay(64), Duration::from_millis(10 * u64::from(MAX_DELAY_FACTOR)));
    }
}
