//! The acceptance Lambda: API Gateway HTTP API (payload 2.0) -> `leadflow::http::acceptance::handle`.

use lambda_http::{run, service_fn, Error};
use leadflow::http::acceptance::handle;
use leadflow::store::DynamoStore;
use leadflow::wiring::{app::app_from_env, config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let app =
        app_from_env(DynamoStore::new(config::dynamodb_client().await, config::required(config::TABLE)?))?;
    run(service_fn(|req| async { Ok::<_, Error>(handle(&app, req).await) })).await
}
