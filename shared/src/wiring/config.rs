//! Configuration from the environment, read once at start-up, with errors that say
//! which variable is wrong.

use crate::adapters::http::{Auth, Sources};
use crate::adapters::webhooks::delivery::RetryPolicy;
use crate::adapters::webhooks::{subscribers_from_json, Subscriber};
use crate::domain::identity::IdKey;
use crate::domain::sla::Sla;
use crate::wiring::secrets::{self, SecretError, ARN_SUFFIX};

/// `LEADFLOW_TABLE`: the DynamoDB table.
pub const TABLE: &str = "LEADFLOW_TABLE";
/// `LEADFLOW_ID_KEY`: the secret that turns emails into lead ids (16+ characters).
pub const ID_KEY: &str = "LEADFLOW_ID_KEY";
/// `LEADFLOW_SOURCES`: intake sources as JSON (see README).
pub const SOURCES: &str = "LEADFLOW_SOURCES";
/// `LEADFLOW_SLA`: path of an SLA JSON file; the shipped default SLA when unset.
pub const SLA: &str = "LEADFLOW_SLA";
/// `LEADFLOW_AUTH`: `scopes` (default: handlers check JWT scopes) or `open`.
pub const AUTH: &str = "LEADFLOW_AUTH";

/// `LEADFLOW_WEBHOOKS`: outbound webhook subscribers as JSON (see README). It holds
/// secrets: on AWS it comes from Secrets Manager (`LEADFLOW_WEBHOOKS_SECRET_ARN`).
pub const WEBHOOKS: &str = "LEADFLOW_WEBHOOKS";
/// `LEADFLOW_WEBHOOK_RETRY_BASE_MS`: the wait before a failed delivery's first retry
/// (doubling after); default one minute. Tests and demos shorten it.
pub const WEBHOOK_RETRY_BASE_MS: &str = "LEADFLOW_WEBHOOK_RETRY_BASE_MS";

/// `LEADFLOW_EVENT_BUS`: the EventBridge bus lead events go onto (its name or ARN);
/// unset: no bus (locally).
pub const EVENT_BUS: &str = "LEADFLOW_EVENT_BUS";

/// `LEADFLOW_WEBHOOK_RETRY_QUEUE`: the URL of the SQS FIFO queue webhook deliveries go
/// through on AWS (attempts, backoff, dead letters); unset: the stream retries (tests).
pub const WEBHOOK_RETRY_QUEUE: &str = "LEADFLOW_WEBHOOK_RETRY_QUEUE";

/// A configuration that cannot run, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: `{0}` must be set")]
    Missing(&'static str),
    #[error("configuration: `{var}`: {detail}")]
    Invalid { var: &'static str, detail: String },
    /// A secret asked for by `<NAME>_SECRET_ARN` could not be read.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

fn invalid(var: &'static str, detail: impl std::fmt::Display) -> ConfigError {
    let detail = match secrets::loaded(var) {
        // Should a message quote the value, the value stays out of the log.
        Some(value) => format!(
            "{} (the value of the secret in `{var}{ARN_SUFFIX}`)",
            detail.to_string().replace(value, "<secret>")
        ),
        None => detail.to_string(),
    };
    ConfigError::Invalid { var, detail }
}

/// A variable's value: from its secret when it names one ([`secrets::load`]), otherwise
/// from the environment.
fn var(name: &str) -> Option<String> {
    if let Some(value) = secrets::loaded(name) {
        return Some(value.to_owned());
    }
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    var(name).ok_or(ConfigError::Missing(name))
}

pub fn id_key() -> Result<IdKey, ConfigError> {
    IdKey::new(required(ID_KEY)?).map_err(|e| invalid(ID_KEY, e))
}

pub fn sources() -> Result<Sources, ConfigError> {
    match var(SOURCES) {
        None => Ok(Sources::default()),
        Some(text) => Sources::from_json(&text).map_err(|e| invalid(SOURCES, e)),
    }
}

pub fn sla() -> Result<Sla, ConfigError> {
    match var(SLA) {
        None => Ok(Sla::default_sla()),
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| invalid(SLA, format!("{path}: {e}")))?;
            Sla::from_json(&text).map_err(|e| invalid(SLA, format!("{path}: {e}")))
        }
    }
}

/// The webhook subscribers; none when unset.
pub fn webhooks() -> Result<Vec<Subscriber>, ConfigError> {
    match var(WEBHOOKS) {
        None => Ok(Vec::new()),
        Some(text) => subscribers_from_json(&text).map_err(|e| invalid(WEBHOOKS, e)),
    }
}

/// The webhook retry schedule, its first wait from [`WEBHOOK_RETRY_BASE_MS`].
pub fn webhook_retry_policy() -> Result<RetryPolicy, ConfigError> {
    let mut policy = RetryPolicy::default();
    if let Some(ms) = var(WEBHOOK_RETRY_BASE_MS) {
        let ms: u64 = ms.trim().parse().ok().filter(|ms| *ms > 0).ok_or_else(|| {
            invalid(WEBHOOK_RETRY_BASE_MS, format!("a positive number of milliseconds, not `{ms}`"))
        })?;
        policy.base = std::time::Duration::from_millis(ms);
    }
    Ok(policy)
}

/// The bus for lead events, if any ([`EVENT_BUS`]).
pub fn event_bus_name() -> Option<String> {
    var(EVENT_BUS).map(|name| name.trim().to_owned())
}

/// The webhook queue's URL, if any ([`WEBHOOK_RETRY_QUEUE`]).
pub fn webhook_retry_queue_url() -> Option<String> {
    var(WEBHOOK_RETRY_QUEUE).map(|url| url.trim().to_owned())
}

/// The SQS client over [`aws`]'s configuration.
pub fn sqs_client_from(aws: &aws_config::SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(aws)
}

/// The EventBridge client over [`aws`]'s configuration.
pub fn eventbridge_client_from(aws: &aws_config::SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(aws)
}

pub fn auth() -> Result<Auth, ConfigError> {
    match var(AUTH).as_deref() {
        None | Some("scopes") => Ok(Auth::Scopes),
        Some("open") => Ok(Auth::Open),
        Some(other) => Err(invalid(AUTH, format!("`scopes` or `open`, not `{other}`"))),
    }
}

/// The standard AWS configuration (region, credentials, `AWS_ENDPOINT_URL_<SERVICE>`,
/// retry settings), loaded once per process, over an HTTPS client that trusts the
/// system's CA bundle ([`super::tls::https_client`]).
pub async fn aws() -> aws_config::SdkConfig {
    // A stalled attempt is given up and retried well inside the functions' deadline
    // (DynamoDB answers in milliseconds; the SDK sets no read timeout by default).
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(3))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .http_client(super::tls::https_client())
        .load()
        .await
}

/// The DynamoDB client over [`aws`].
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    dynamodb_client_from(&aws().await)
}

pub fn dynamodb_client_from(aws: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(aws)
}

/// JSON logs, one line per event, level from `RUST_LOG` (default `info`). Log lines carry
/// lead ids, never emails, names or phone numbers.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let json = tracing_subscriber::fmt::layer().json().with_target(false).without_time();
    tracing_subscriber::registry().with(json).with(filter).init();
}
