//! The scoring Lambda, one handler for three triggers: the EventBridge schedule (due
//! requalification), `POST /leads/{id}/score` through the HTTP API, and direct actions.

use lambda_http::lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::config;
use leadflow::store::DynamoStore;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let store = DynamoStore::new(config::dynamodb_client().await, config::required(config::TABLE)?);
    let app = config::app_from_env(store)?;
    run(service_fn(|event: LambdaEvent<Value>| async {
        leadflow::http::scoring::handle_any(&app, event.payload).await.map_err(Error::from)
    }))
    .await
}
