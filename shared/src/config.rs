//! Configuration from the environment, read once at start-up, with errors that say
//! which variable is wrong.

use std::sync::Arc;

use crate::clock::SystemClock;
use crate::http::{App, Auth, Sources};
use crate::identity::IdKey;
use crate::intake::RetryPolicy;
use crate::scoring::Scorer;
use crate::sla::Sla;

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

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn required(name: &str) -> Result<String, ConfigError> {
    var(name).ok_or_else(|| ConfigError(format!("`{name}` must be set")))
}

pub fn id_key() -> Result<IdKey, ConfigError> {
    IdKey::new(required(ID_KEY)?).map_err(|e| ConfigError(format!("`{ID_KEY}`: {e}")))
}

pub fn sources() -> Result<Sources, ConfigError> {
    match var(SOURCES) {
        None => Ok(Sources::default()),
        Some(text) => Sources::from_json(&text).map_err(|e| ConfigError(format!("`{SOURCES}`: {e}"))),
    }
}

pub fn sla() -> Result<Sla, ConfigError> {
    match var(SLA) {
        None => Ok(Sla::default_sla()),
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| ConfigError(format!("`{SLA}` ({path}): {e}")))?;
            Sla::from_json(&text).map_err(|e| ConfigError(format!("`{SLA}` ({path}): {e}")))
        }
    }
}

pub fn auth() -> Result<Auth, ConfigError> {
    match var(AUTH).as_deref() {
        None | Some("scopes") => Ok(Auth::Scopes),
        Some("open") => Ok(Auth::Open),
        Some(other) => Err(ConfigError(format!("`{AUTH}` is `scopes` or `open`, not `{other}`"))),
    }
}

/// The app a Lambda function runs: everything from the environment, the wall clock.
pub fn app_from_env<S>(store: S) -> Result<App<S>, ConfigError> {
    Ok(App {
        store,
        scorer: Scorer::new(sla()?),
        id_key: id_key()?,
        sources: sources()?,
        auth: auth()?,
        clock: Arc::new(SystemClock),
        retry: RetryPolicy::default(),
    })
}

/// The DynamoDB client from the standard AWS configuration (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB`), built once per process.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_dynamodb::Client::new(&config)
}

/// JSON logs, one line per event, level from `RUST_LOG` (default `info`). Log lines carry
/// lead ids, never emails, names or phone numbers.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).without_time().init();
}
