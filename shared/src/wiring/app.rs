//! Building the app a Lambda function runs: everything from the environment, the wall
//! clock, the default retry policy. The store is the caller's (DynamoDB in the Lambdas).

use std::sync::Arc;

use crate::adapters::http::App;
use crate::adapters::store::DynamoStore;
use crate::domain::clock::SystemClock;
use crate::engine::scoring::Scorer;
use crate::usecases::retry::RetryPolicy;
use crate::wiring::config::{self, auth, id_key, sla, sources, ConfigError};
use crate::wiring::secrets;

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

/// What every Lambda's `main` starts with: the AWS configuration, the secrets its
/// environment asks for (read once, here, at cold start), and the app over the table.
/// A configuration that cannot run is logged and ends the start-up.
pub async fn lambda_app() -> Result<App<DynamoStore>, ConfigError> {
    let started = async {
        let aws = config::aws().await;
        secrets::load(&aws).await?;
        let table = config::required(config::TABLE)?;
        app_from_env(DynamoStore::new(config::dynamodb_client_from(&aws), table))
    };
    started.await.inspect_err(|e| tracing::error!(error = %e, "cannot start"))
}

/// Cold start for a function without an app (the events function): the secrets its
/// environment asks for and the table's store, with the AWS configuration for its other
/// clients; logged like [`lambda_app`] when they cannot be had.
pub async fn lambda_store() -> Result<(DynamoStore, aws_config::SdkConfig), ConfigError> {
    let started = async {
        let aws = config::aws().await;
        secrets::load(&aws).await?;
        let store = DynamoStore::new(config::dynamodb_client_from(&aws), config::required(config::TABLE)?);
        Ok((store, aws))
    };
    started.await.inspect_err(|e: &ConfigError| tracing::error!(error = %e, "cannot start"))
}
