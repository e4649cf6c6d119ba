//! Building the app a Lambda function runs: everything from the environment, the wall
//! clock, the default retry policy. The store is the caller's (DynamoDB in the Lambdas).

use std::sync::Arc;

use crate::adapters::http::App;
use crate::domain::clock::SystemClock;
use crate::engine::scoring::Scorer;
use crate::usecases::retry::RetryPolicy;
use crate::wiring::config::{auth, id_key, sla, sources, ConfigError};

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
