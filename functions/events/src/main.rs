//! The events Lambda, two triggers: batches of the table's change stream (DynamoDB
//! Streams, new and old images) -> lead events -> the webhook queue and the event bus;
//! batches of the webhook queue (SQS FIFO) -> signed webhooks, retried with backoff.
//! Partial batch responses name what to hand over again.

use std::sync::Arc;

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::bus::EventBus;
use leadflow::lambda::events::{handle, DynamodbEvent};
use leadflow::lambda::webhook_retries::{self, SqsEvent};
use leadflow::store::DynamoStore;
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow::webhooks::queue::RetryQueue;
use leadflow::wiring::{app::load_secrets, config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The subscribers (with their secrets) from Secrets Manager, read once at cold start.
    load_secrets().await?;
    // Without the queue, retries wait in the stream: a failed record comes again.
    let mut webhooks = Webhooks::new(config::webhooks()?, config::webhook_retry_policy()?, RetryMode::Caller);
    let (bus, queue) = (config::event_bus_name(), config::webhook_retry_queue_url());
    let table = std::env::var(config::TABLE).ok().filter(|t| !t.trim().is_empty());
    let aws =
        if bus.is_some() || queue.is_some() || table.is_some() { Some(config::aws().await) } else { None };
    if let (Some(url), Some(aws)) = (queue, &aws) {
        webhooks = webhooks.with_queue(RetryQueue::new(config::sqs_client_from(aws), url));
    }
    // Endpoints that answered 410 stay disabled across cold starts: on record in the table.
    if let (Some(table), Some(aws), false) = (table, &aws, webhooks.subscribers().is_empty()) {
        let store = DynamoStore::new(config::dynamodb_client_from(aws), table);
        webhooks = webhooks.with_disabled_endpoints(Arc::new(store));
        if let Err(e) = webhooks.recall_disabled().await {
            // Not fatal: a gone endpoint answers 410 again and is disabled again.
            tracing::warn!(error = %e, "disabled_endpoints_not_read");
        }
    }
    let bus = match (bus, &aws) {
        (Some(name), Some(aws)) => Some(EventBus::new(config::eventbridge_client_from(aws), name)),
        _ => None,
    };
    let (webhooks, bus) = (&webhooks, bus.as_ref());
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let from_queue = event.payload["Records"][0]["eventSource"] == webhook_retries::EVENT_SOURCE;
        let response = if from_queue {
            let batch: SqsEvent = serde_json::from_value(event.payload)?;
            serde_json::to_value(webhook_retries::handle(webhooks, &batch).await.0)?
        } else {
            let batch: DynamodbEvent = serde_json::from_value(event.payload)?;
            serde_json::to_value(handle(webhooks, bus, &batch).await.0)?
        };
        Ok::<_, Error>(response)
    }))
    .await
}
