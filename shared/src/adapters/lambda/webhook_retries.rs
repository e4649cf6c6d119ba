//! The events function's second trigger: the webhook queue (SQS FIFO, see
//! [`crate::webhooks::queue`]). Each message is one event for one subscriber; a failed one
//! is hidden for its retry wait and reported as a batch item failure, with the rest of
//! its group in the batch, so the queue hands them over again, in order.

use aws_lambda_events::sqs::BatchItemFailure;
pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

use crate::adapters::webhooks::delivery::Webhooks;
use crate::adapters::webhooks::queue::{consume, Outcome, Received};

/// The `eventSource` of an SQS record.
pub const EVENT_SOURCE: &str = "aws:sqs";

/// Handles one batch of the queue; the response names the messages to hand over again.
pub async fn handle(webhooks: &Webhooks, batch: &SqsEvent) -> (SqsBatchResponse, Vec<Outcome>) {
    let mut response = SqsBatchResponse::default();
    let Some(queue) = webhooks.queue() else {
        // Configured without the queue it is fed from: keep every message for later.
        tracing::error!("webhook queue batch, but LEADFLOW_WEBHOOK_RETRY_QUEUE is not set");
        for m in &batch.records {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = m.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
        return (response, Vec::new());
    };
    let received: Vec<Received> = batch
        .records
        .iter()
        .map(|m| Received {
            message_id: m.message_id.as_deref().unwrap_or_default(),
            receipt_handle: m.receipt_handle.as_deref().unwrap_or_default(),
            body: m.body.as_deref().unwrap_or_default(),
            receive_count: m
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1),
            group: m.attributes.get("MessageGroupId").map(String::as_str),
        })
        .collect();
    let outcomes = consume(webhooks, queue, &received).await;
    for (m, outcome) in received.iter().zip(&outcomes) {
        if matches!(outcome, Outcome::Retry { .. } | Outcome::DeadLetter { .. } | Outcome::HeldBehind) {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = m.message_id.to_owned();
            response.batch_item_failures.push(failure);
        }
    }
    let delivered = outcomes.iter().filter(|o| **o == Outcome::Delivered).count();
    tracing::info!(
        messages = outcomes.len(),
        delivered,
        failed = response.batch_item_failures.len(),
        "webhook_queue_batch"
    );
    (response, outcomes)
}
