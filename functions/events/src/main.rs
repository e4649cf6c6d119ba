//! The events Lambda, two triggers: batches of the table's change stream (DynamoDB
//! Streams, new and old images) -> the funnel's count, lead events -> the webhook queue
//! and the event bus; batches of the webhook queue (SQS FIFO) -> signed webhooks, retried
//! with backoff. Partial batch responses name what to hand over again.

use std::sync::Arc;

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use leadflow::bus::EventBus;
use leadflow::lambda::events::{handle, DynamodbEvent};
use leadflow::lambda::webhook_retries::{self, SqsEvent};
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow::webhooks::queue::RetryQueue;
use leadflow::wiring::{app::lambda_store, config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The subscribers (with their secrets) from Secrets Manager, read once at cold start;
    // the table, where the funnel is counted.
    let (store, aws) = lambda_store().await?;
    // Without the queue, retries wait in the stream: a failed record comes again.
    let mut webhooks = Webhooks::new(config::webhooks()?, config::webhook_retry_policy()?, RetryMode::Caller);
    if let Some(url) = config::webhook_retry_queue_url() {
        webhooks = webhooks.with_queue(RetryQueue::new(config::sqs_client_from(&aws), url));
    }
    // Endpoints that answered 410 stay disabled across cold starts: on record in the table.
    if !webhooks.subscribers().is_empty() {
        webhooks = webhooks.with_disabled_endpoints(Arc::new(store.clone()));
        if let Err(e) = webhooks.recall_disabled().await {
            // Not fatal: a gone endpoint answers 410 again and is disabled again.
            tracing::warn!(error = %e, "disabled_endpoints_not_read");
        }
    }
    let bus = config::event_bus_name().map(|name| EventBus::new(config::eventbridge_client_from(&aws), name));
    let (webhooks, store, bus) = (&webhooks, &store, bus.as_ref());
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let from_queue = event.payload["Records"][0]["eventSource"] == webhook_retries::EVENT_SOURCE;
        let response = if from_queue {
            let batch: SqsEvent = serde_json::from_value(event.payload)?;
            serde_json::to_value(webhook_retries::handle(webhooks, &batch).await.0)?
        } else {
            let batch: DynamodbEvent = serde_json::from_value(event.payload)?;
            serde_json::to_value(handle(webhooks, store, bus, &batch).await.0)?
        };
        Ok::<_, Error>(response)
    }))
    .await
}
