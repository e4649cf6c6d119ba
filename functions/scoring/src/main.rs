//! The scoring Lambda, one handler for three triggers: the EventBridge schedule (due
//! requalification), `POST /leads/{id}/score` through the HTTP API, and direct actions.

use lambda_http::lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::lambda::scoring::handle_value;
use leadflow::store::DynamoStore;
use leadflow::wiring::{app::app_from_env, config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let app =
        app_from_env(DynamoStore::new(config::dynamodb_client().await, config::required(config::TABLE)?))?;
    run(service_fn(|event: LambdaEvent<Value>| async {
        Ok::<_, Error>(handle_value(&app, event.payload).await?)
    }))
    .await
}
