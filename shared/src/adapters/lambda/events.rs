//! The events function: a batch of the table's change stream (DynamoDB Streams, new and
//! old images) as Lambda's event source mapping hands it over, counted into the funnel
//! and turned into lead events for the webhook subscribers.
//!
//! Records are handled in stream order. The first record that cannot be counted, or
//! whose events cannot all be delivered, stops the batch and is reported as the batch item failure (partial batch
//! response): the event source mapping hands the shard over again from that record, so
//! a lead's events stay in order and nothing after the failure is skipped. A record
//! whose image cannot be read as a lead is logged and counted, never retried forever.
//!
//! With a bus ([`EventBus`]), a record's events go onto it once its webhooks are
//! delivered (or, with the webhook queue, queued): a record that comes again for its
//! webhooks does not put its events twice; events the bus refuses make the record the
//! batch item failure too.

pub use aws_lambda_events::dynamodb::Event as DynamodbEvent;
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use crate::adapters::bus::EventBus;
use crate::adapters::store::table;
use crate::adapters::webhooks::delivery::{metric, Webhooks};
use crate::domain::clock::Timestamp;
use crate::domain::events::{derive, LeadEvent};
use crate::domain::lead::Lead;
use crate::usecases::funnel::count_change;
use crate::usecases::store::{Counted, FunnelCounter, StoreError};

/// The function's crate (`leadflow-events`), binary and template name (`EventsFunction`).
pub const FUNCTION: &str = "events";

/// What a record holds for the events function.
#[derive(Debug)]
pub enum Change {
    /// Not a lead item (a funnel aggregate, a checkpoint): nothing to tell.
    NotALead,
    Lead(Box<LeadChange>),
}

/// A lead item's change: the images before and after, and the events it makes.
#[derive(Debug)]
pub struct LeadChange {
    pub old: Option<Lead>,
    pub new: Option<Lead>,
    /// The count an item written before the funnel moved to the stream carries: its
    /// write counted the lead's funnel events that far itself.
    pub legacy_counted: Option<u32>,
    pub events: Vec<LeadEvent>,
}

/// What items written before the funnel moved to the stream carry: how many of the
/// lead's funnel events that write counted itself, in its own transaction.
const LEGACY_FUNNEL_MARK: &str = "funnel_mark";

fn is_lead_item(record: &EventRecord) -> bool {
    matches!(
        record.change.keys.get(table::SK),
        Some(serde_dynamo::AttributeValue::S(sk)) if sk == table::LEAD_SK
    )
}

fn image(item: &serde_dynamo::Item) -> Result<Option<Lead>, String> {
    if item.is_empty() {
        return Ok(None);
    }
    serde_dynamo::from_item(item.clone()).map(Some).map_err(|e| format!("not a lead: {e}"))
}

/// The lead events of one stream record.
pub fn change_of(record: &EventRecord) -> Result<Change, String> {
    if !is_lead_item(record) {
        return Ok(Change::NotALead);
    }
    let old = image(&record.change.old_image)?;
    let new = image(&record.change.new_image)?;
    let observed = Timestamp::from_unix(record.change.approximate_creation_date_time.timestamp());
    // An INSERT or MODIFY without its new image, or a REMOVE without the old one, means
    // the stream is not NEW_AND_OLD_IMAGES: say so instead of inventing events.
    match (record.event_name.as_str(), &old, &new) {
        ("INSERT" | "MODIFY", _, None) | ("REMOVE", None, _) => {
            return Err(format!(
                "a {} record without the image it needs: the stream must carry NEW_AND_OLD_IMAGES",
                record.event_name
            ));
        }
        _ => {}
    }
    let events = derive(old.as_ref(), new.as_ref(), observed);
    let legacy_counted = [&record.change.new_image, &record.change.old_image].into_iter().find_map(|image| {
        match image.get(LEGACY_FUNNEL_MARK) {
            Some(serde_dynamo::AttributeValue::N(n)) => n.parse().ok(),
            _ => None,
        }
    });
    Ok(Change::Lead(Box::new(LeadChange { old, new, legacy_counted, events })))
}

/// What a batch came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub records: usize,
    /// Writes that added to the funnel (a redelivered one adds nothing).
    pub counted: usize,
    /// Writes the funnel could not count for a reason no retry fixes (logged, counted).
    pub uncounted: usize,
    pub events: usize,
    pub delivered: usize,
    /// Events put on the bus.
    pub on_bus: usize,
    pub unreadable: usize,
    /// The sequence number the batch stopped at, if a delivery failed.
    pub failed_at: Option<String>,
}

/// Handles one batch; the response names the record to start again from, if any.
pub async fn handle<C: FunnelCounter>(
    webhooks: &Webhooks,
    funnel: &C,
    bus: Option<&EventBus>,
    batch: &Event,
) -> (DynamoDbEventResponse, BatchReport) {
    let mut report = BatchReport::default();
    let mut response = DynamoDbEventResponse::default();
    let mut stop_at = |record: &EventRecord, report: &mut BatchReport| {
        let sequence = record.change.sequence_number.clone();
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence.clone();
        response.batch_item_failures.push(failure);
        report.failed_at = sequence;
    };
    for record in &batch.records {
        report.records += 1;
        let change = match change_of(record) {
            Ok(Change::NotALead) => continue,
            Ok(Change::Lead(change)) => change,
            Err(e) => {
                // Retrying cannot fix a broken image; holding the shard would stop every lead.
                let key = format!("{:?}", record.change.keys.get(table::PK));
                tracing::error!(record = %record.event_id, key = %key, error = %e, "unreadable_stream_record");
                metric("UnreadableStreamRecords", 1);
                report.unreadable += 1;
                continue;
            }
        };
        // Counted before the events go out: a record redelivered for its webhooks finds
        // itself counted and adds nothing.
        match count_change(funnel, change.old.as_ref(), change.new.as_ref(), change.legacy_counted).await {
            Ok(Counted::Added) => report.counted += 1,
            Ok(Counted::Already) => {}
            Err(StoreError::Unavailable(e)) => {
                tracing::warn!(record = %record.event_id, sequence = ?record.change.sequence_number, error = %e, "batch_stopped_at_uncounted_record");
                stop_at(record, &mut report);
                break;
            }
            Err(e) => {
                // A request the table refuses as malformed (a bug) fails the same way on every
                // delivery: holding the shard for it would stop every lead's events. The
                // lead's next write makes the count up.
                tracing::error!(record = %record.event_id, error = %e, "uncounted_stream_record");
                metric("UncountedStreamRecords", 1);
                report.uncounted += 1;
            }
        }
        let events = change.events;
        report.events += events.len();
        let published = webhooks.publish(&events).await;
        report.delivered += published.delivered;
        let mut undelivered = published.undelivered;
        if let (Some(bus), true) = (bus, undelivered.is_empty()) {
            let refused = bus.put(&events).await;
            report.on_bus += events.len() - refused.len();
            undelivered.extend(refused.into_iter().map(|(id, _)| format!("{id} (bus)")));
        }
        if !undelivered.is_empty() {
            tracing::warn!(record = %record.event_id, sequence = ?record.change.sequence_number, undelivered = ?undelivered, "batch_stopped_at_undelivered_events");
            stop_at(record, &mut report);
            break;
        }
    }
    tracing::info!(records = report.records, counted = report.counted, events = report.events, delivered = report.delivered, on_bus = report.on_bus, unreadable = report.unreadable, failed_at = ?report.failed_at, "stream_batch");
    (response, report)
}
