//! The events Lambda: batches of the table's change stream (DynamoDB Streams, new and old
//! images) -> the funnel's count, lead events -> signed webhooks; partial batch responses
//! name the record to start again from.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::lambda::events::{handle, DynamodbEvent};
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow::wiring::{app::lambda_store, config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The subscribers (with their secrets) from Secrets Manager, read once at cold start.
    let store = lambda_store().await?;
    let store = &store;
    // Retries wait in the stream, not in this process: a failed record comes again.
    let webhooks = Webhooks::new(config::webhooks()?, config::webhook_retry_policy()?, RetryMode::Caller);
    let webhooks = &webhooks;
    run(service_fn(move |event: LambdaEvent<DynamodbEvent>| async move {
        Ok::<_, Error>(handle(webhooks, store, &event.payload).await.0)
    }))
    .await
}
