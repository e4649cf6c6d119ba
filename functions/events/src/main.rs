//! The events Lambda: batches of the table's change stream (DynamoDB Streams, new and old
//! images) -> lead events -> signed webhooks and the event bus; partial batch responses
//! name the record to start again from.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::bus::EventBus;
use leadflow::lambda::events::{handle, DynamodbEvent};
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow::wiring::{app::load_secrets, config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The subscribers (with their secrets) from Secrets Manager, read once at cold start.
    load_secrets().await?;
    // Retries wait in the stream, not in this process: a failed record comes again.
    let webhooks = Webhooks::new(config::webhooks()?, config::webhook_retry_policy()?, RetryMode::Caller);
    let bus = match config::event_bus_name() {
        Some(name) => Some(EventBus::new(config::eventbridge_client_from(&config::aws().await), name)),
        None => None,
    };
    let (webhooks, bus) = (&webhooks, bus.as_ref());
    run(service_fn(move |event: LambdaEvent<DynamodbEvent>| async move {
        Ok::<_, Error>(handle(webhooks, bus, &event.payload).await.0)
    }))
    .await
}
