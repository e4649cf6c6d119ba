//! The events function in the local server: the same handler and webhooks as the Lambda,
//! fed from DynamoDB Local's stream (read as the event source mapping reads it; the funnel
//! is counted from it too) or from the in-memory store's change feed (that store counts
//! its funnel as it writes). Retries wait in this process on the schedule
//! (`LEADFLOW_WEBHOOK_RETRY_BASE_MS`).

use std::sync::Arc;
use std::time::Duration;

use leadflow::domain::events::derive;
use leadflow::lambda::events::{handle, DynamodbEvent};
use leadflow::store::memory::LeadChange;
use leadflow::store::DynamoStore;
use leadflow::webhooks::delivery::Webhooks;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::stream_reader::StreamReader;

/// How many records one batch takes, as the template's event source mapping.
pub const BATCH_SIZE: usize = 100;

/// Reads `table`'s stream on DynamoDB Local every `poll` and hands each batch to the
/// events handler, which counts the funnel into `store`; a record the handler reports as
/// failed comes again.
pub async fn follow_stream(
    endpoint: String,
    table: String,
    store: DynamoStore,
    webhooks: Arc<Webhooks>,
    poll: Duration,
) {
    let mut reader = loop {
        match StreamReader::open(&endpoint, &table).await {
            Ok(reader) => break reader,
            Err(e) => {
                tracing::warn!(error = %e, "events: the table's stream cannot be read yet");
                tokio::time::sleep(poll.max(Duration::from_secs(1))).await;
            }
        }
    };
    loop {
        let batch = match reader.next_batch(BATCH_SIZE).await {
            Ok(Some(batch)) => batch,
            Ok(None) => {
                tokio::time::sleep(poll).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "events: reading the stream failed");
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        let failed = match serde_json::from_value::<DynamodbEvent>(batch.event.clone()) {
            Ok(event) => handle(&webhooks, &store, None, &event)
                .await
                .0
                .batch_item_failures
                .first()
                .and_then(|f| f.item_identifier.clone()),
            Err(e) => {
                tracing::error!(error = %e, "events: a stream batch is not a DynamodbEvent");
                None
            }
        };
        reader.commit(&batch, failed.as_deref());
        if failed.is_some() {
            tokio::time::sleep(poll).await;
        }
    }
}

/// Hands every change of the in-memory store to the webhooks, in the order written.
pub async fn follow_changes(mut feed: UnboundedReceiver<LeadChange>, webhooks: Arc<Webhooks>) {
    while let Some(change) = feed.recv().await {
        let events = derive(change.old.as_ref(), change.new.as_ref(), change.at);
        webhooks.publish(&events).await;
    }
}
