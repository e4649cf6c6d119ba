//! The scoring Lambda, one handler for three triggers: the EventBridge schedule (due
//! requalification), `POST /leads/{id}/score` through the HTTP API, and direct actions.

use lambda_http::lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::lambda::scoring::handle_value;
use leadflow::wiring::{app::lambda_app, config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let app = lambda_app().await?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline();
        Ok::<_, Error>(handle_value(app, event.payload, deadline).await?)
    }))
    .await
}
