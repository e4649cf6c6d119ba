//! Helpers for Leadflow's integration tests: DynamoDB Local clients and fresh tables,
//! and leads built to order.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use leadflow::scoring::{Grade, Score};
use leadflow::store::dynamodb::RequestCounter;
use leadflow::store::DynamoStore;
use leadflow::{IdKey, Lead, LeadId, Profile, Stage, Timestamp};

pub use leadflow_infra::dynamodb_local::{shared_endpoint, DynamoDbLocal};

/// The process-wide DynamoDB Local endpoint; fails the test with how to fix it.
pub fn endpoint() -> String {
    shared_endpoint().unwrap_or_else(|e| panic!("these tests need DynamoDB Local: {e}"))
}

/// A client for DynamoDB Local: static credentials, short timeouts, few retries, so an
/// outage shows quickly.
pub fn client(endpoint: &str, counter: Option<RequestCounter>) -> Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "leadflow-tests"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        );
    if let Some(counter) = counter {
        config = config.interceptor(counter);
    }
    Client::from_conf(config.build())
}

/// A table name no other test uses.
pub fn unique_table() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("leads-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// A DynamoDB store on a fresh table of the shared emulator.
pub async fn fresh_dynamo_store() -> DynamoStore {
    fresh_dynamo_store_counted(None).await
}

pub async fn fresh_dynamo_store_counted(counter: Option<RequestCounter>) -> DynamoStore {
    let store = DynamoStore::new(client(&endpoint(), counter), unique_table());
    store.create_table().await.unwrap_or_else(|e| panic!("creating the test table: {e}"));
    store
}

pub fn id_key() -> IdKey {
    IdKey::new("integration-test-key-0123").unwrap()
}

/// A lead for `email` in `stage` with a score `total`, due at `due` (store tests).
pub fn lead_in(email: &str, stage: Stage, total: i32, due: Option<Timestamp>) -> Lead {
    let profile = Profile { email: email.into(), company_domain: "firma.de".into(), ..Profile::default() };
    let now = Timestamp::from_unix(1_780_000_000);
    let mut lead = Lead::new(id_key().lead_id(email), "web", profile, now);
    lead.stage = stage;
    lead.version = 1;
    lead.score = Some(Score {
        total,
        need: 0,
        authority: 0,
        readiness: 0,
        fit: total,
        engagement: 0,
        grade: Grade::C,
        mql: stage == Stage::Mql,
        disqualification: None,
        explanation: vec![],
        sla_version: "test".into(),
        scored_at: now,
        next_change_at: due,
    });
    lead
}

pub fn ids(leads: &[Lead]) -> Vec<LeadId> {
    leads.iter().map(|l| l.id.clone()).collect()
}
