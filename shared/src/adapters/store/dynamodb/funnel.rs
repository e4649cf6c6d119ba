//! The funnel's aggregates: one per day and source, counted from the change stream
//! (each write at most once, by the lead's fold mark), read back into tallies.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::super::table;
use super::errors::{internal, map_sdk_error};
use super::item::Item;
use super::DynamoStore;
use crate::domain::clock::Timestamp;
use crate::domain::funnel::{duration_bucket, Bucket, Day, Fold, FoldMark, Tally};
use crate::domain::identity::LeadId;
use crate::domain::stage::Stage;
use crate::usecases::retry::RetryPolicy;
use crate::usecases::store::{FunnelCounter, StoreError};

/// Attempts of a count that meets other transactions on the same aggregate (several
/// shards counting into one day), with full jitter: the stream's own retry takes over
/// after these.
const COUNT_RETRY: RetryPolicy =
    RetryPolicy { max_attempts: 8, base: Duration::from_millis(20), cap: Duration::from_millis(1_000) };

impl FunnelCounter for DynamoStore {
    async fn fold_mark(&self, lead: &LeadId) -> Result<Option<FoldMark>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::fold_key(lead)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| counting_error("GetItem", e))?;
        let Some(item) = out.item else { return Ok(None) };
        let number =
            |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
        match (number(table::FOLD_LIFE), number(table::FOLD_THROUGH)) {
            (Some(life), Some(through)) => Ok(Some(FoldMark {
                life: Timestamp::from_unix(life),
                through: u32::try_from(through).map_err(internal)?,
            })),
            _ => Err(StoreError::Internal(format!("the fold mark of {lead} is not one this store wrote"))),
        }
    }

    /// One transaction: the lead's fold mark moves from `seen` to the fold's (its
    /// condition is what makes a redelivered or concurrent count add nothing) and the
    /// aggregates add the fold's tallies.
    async fn count(&self, lead: &LeadId, seen: Option<FoldMark>, fold: &Fold) -> Result<bool, StoreError> {
        let mark = self.fold_mark_update(lead, seen, fold)?;
        let mut attempt = 0;
        loop {
            let mut request = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().update(mark.clone()).build());
            for (bucket, tally) in &fold.tallies {
                request = request.transact_items(
                    TransactWriteItem::builder().update(self.funnel_update(bucket, tally)?).build(),
                );
            }
            let error = match request.send().await {
                Ok(_) => return Ok(true),
                Err(SdkError::ServiceError(e)) => match e.err() {
                    TransactWriteItemsError::TransactionCanceledException(c) => {
                        let codes: Vec<String> = c
                            .cancellation_reasons()
                            .iter()
                            .filter_map(|r| r.code())
                            .map(str::to_owned)
                            .collect();
                        match cancellation(&codes) {
                            // The mark moved since it was read (or this very count landed
                            // and its answer was lost): read it again.
                            Cancelled::Condition => return Ok(false),
                            Cancelled::Permanent => {
                                return Err(StoreError::Internal(format!(
                                    "TransactWriteItems cancelled: {codes:?}"
                                )))
                            }
                            Cancelled::Conflict | Cancelled::Transient => {
                                StoreError::Unavailable(format!("TransactWriteItems cancelled: {codes:?}"))
                            }
                        }
                    }
                    _ => counting_error("TransactWriteItems", SdkError::ServiceError(e)),
                },
                Err(e) => counting_error("TransactWriteItems", e),
            };
            attempt += 1;
            if !matches!(error, StoreError::Unavailable(_)) || attempt >= COUNT_RETRY.max_attempts {
                return Err(error);
            }
            tokio::time::sleep(COUNT_RETRY.backoff(attempt)).await;
        }
    }
}

/// A counting error in the events function's terms: only a request the table refuses as
/// malformed is `Internal` (skipped and alarmed); anything else, a permission not there
/// yet or a table being restored included, may pass later, so the record is held.
fn counting_error<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let refused = matches!(&err, SdkError::ServiceError(e) if e.err().code() == Some("ValidationException"));
    match map_sdk_error(operation, err) {
        StoreError::Internal(text) if !refused => StoreError::Unavailable(text),
        other => other,
    }
}

/// When DynamoDB's TTL may remove a fold mark: a day past the stream's retention, after
/// which no record can come again.
fn fold_kept_until() -> i64 {
    Timestamp::now().unix() + table::FOLD_KEEP_SECONDS
}

/// Why a transaction was cancelled, by what its cancellation reasons say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cancelled {
    Condition,
    Conflict,
    Permanent,
    Transient,
}

/// Reason codes that no retry can fix.
const PERMANENT_REASONS: &[&str] = &["ValidationError", "ItemCollectionSizeLimitExceeded"];

pub(super) fn cancellation(codes: &[String]) -> Cancelled {
    let has = |code: &str| codes.iter().any(|c| c == code);
    if has("ConditionalCheckFailed") {
        Cancelled::Condition
    } else if PERMANENT_REASONS.iter().any(|c| has(c)) {
        Cancelled::Permanent
    } else if has("TransactionConflict") {
        Cancelled::Conflict
    } else {
        Cancelled::Transient
    }
}

impl DynamoStore {
    fn fold_key(lead: &LeadId) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{lead}", table::LEAD_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(table::FOLD_SK.to_owned())),
        ])
    }

    /// The lead's fold mark moved to the fold's, only if it is still `seen`.
    fn fold_mark_update(
        &self,
        lead: &LeadId,
        seen: Option<FoldMark>,
        fold: &Fold,
    ) -> Result<Update, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::fold_key(lead)))
            .update_expression("SET #life = :life, #through = :through, #ttl = :ttl");
        update = match seen {
            None => update
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", table::PK),
            Some(seen) => update
                .condition_expression("#life = :seen_life AND #through = :seen_through")
                .expression_attribute_values(":seen_life", AttributeValue::N(seen.life.unix().to_string()))
                .expression_attribute_values(":seen_through", AttributeValue::N(seen.through.to_string())),
        };
        update
            .expression_attribute_names("#life", table::FOLD_LIFE)
            .expression_attribute_names("#through", table::FOLD_THROUGH)
            .expression_attribute_names("#ttl", table::TTL_ATTRIBUTE)
            .expression_attribute_values(":life", AttributeValue::N(fold.life.unix().to_string()))
            .expression_attribute_values(":through", AttributeValue::N(fold.through.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(fold_kept_until().to_string()))
            .build()
            .map_err(internal)
    }

    fn funnel_key(month: &str, sort: String) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{month}", table::FUNNEL_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(sort)),
        ])
    }

    /// Adds a tally to its bucket's aggregate item (created by the first add).
    pub(super) fn funnel_update(&self, bucket: &Bucket, tally: &Tally) -> Result<Update, StoreError> {
        let mut names =
            HashMap::from([("#day".to_owned(), "day".to_owned()), ("#src".to_owned(), "source".to_owned())]);
        let mut values = HashMap::from([
            (":day".to_owned(), AttributeValue::S(bucket.day.to_string())),
            (":src".to_owned(), AttributeValue::S(bucket.source.clone())),
        ]);
        let set = ["#day = :day".to_owned(), "#src = :src".to_owned()];
        let mut add = Vec::new();
        let counts = tally
            .entered
            .iter()
            .map(|(stage, n)| (format!("{}{stage}", table::FUNNEL_ENTERED), *n))
            .chain(
                tally
                    .left
                    .iter()
                    .map(|((stage, reason), n)| (format!("{}{stage}:{reason}", table::FUNNEL_LEFT), *n)),
            )
            .chain(tally.velocity.iter().flat_map(|(stage, buckets)| {
                buckets
                    .iter()
                    .map(move |(b, n)| (format!("{}{stage}:{b}", table::FUNNEL_VELOCITY_BUCKET), *n))
            }));
        for (i, (name, n)) in counts.enumerate() {
            names.insert(format!("#c{i}"), name);
            values.insert(format!(":c{i}"), AttributeValue::N(n.to_string()));
            add.push(format!("#c{i} :c{i}"));
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !add.is_empty() {
            expression.push_str(&format!(" ADD {}", add.join(", ")));
        }
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::funnel_key(&bucket.day.month(), format!("{}#{}", bucket.day, bucket.source))))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(internal)
    }
}

/// An aggregate item back into its bucket and tally; attributes it does not know are skipped.
pub(super) fn tally_from_item(item: &Item) -> Option<(Bucket, Tally)> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    };
    let bucket = Bucket { day: Day::parse(&text("day")?)?, source: text("source")? };
    let mut tally = Tally::default();
    for (name, value) in item {
        if let Some(stage) = name.strip_prefix(table::FUNNEL_ENTERED).and_then(Stage::from_id) {
            if let AttributeValue::N(n) = value {
                tally.entered.insert(stage, n.parse().ok()?);
            }
        } else if let Some((stage, bucket)) = name
            .strip_prefix(table::FUNNEL_VELOCITY_BUCKET)
            .and_then(|r| r.split_once(':'))
            .and_then(|(s, b)| Some((Stage::from_id(s)?, b.parse::<u8>().ok()?)))
        {
            if let AttributeValue::N(n) = value {
                *tally.velocity.entry(stage).or_default().entry(bucket).or_default() +=
                    n.parse::<u64>().ok()?;
            }
        } else if let Some(stage) = name.strip_prefix(table::FUNNEL_VELOCITY).and_then(Stage::from_id) {
            // An aggregate from before the buckets: its list of durations, bucketed.
            if let AttributeValue::L(list) = value {
                let buckets = tally.velocity.entry(stage).or_default();
                for seconds in list.iter().filter_map(|v| v.as_n().ok()?.parse::<i64>().ok()) {
                    *buckets.entry(duration_bucket(seconds)).or_default() += 1;
                }
            }
        } else if let Some((stage, reason)) =
            name.strip_prefix(table::FUNNEL_LEFT).and_then(|r| r.split_once(':'))
        {
            if let (Some(stage), AttributeValue::N(n)) = (Stage::from_id(stage), value) {
                tally.left.insert((stage, reason.to_owned()), n.parse().ok()?);
            }
        }
    }
    Some((bucket, tally))
}

#[cfg(test)]
mod tests {
    use super::{cancellation, Cancelled};

    fn codes(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_cancelled_transaction_is_retried_only_when_a_retry_can_help() {
        assert_eq!(cancellation(&codes(&["ConditionalCheckFailed", "None"])), Cancelled::Condition);
        assert_eq!(cancellation(&codes(&["TransactionConflict", "None"])), Cancelled::Conflict);
        assert_eq!(cancellation(&codes(&["None", "ValidationError"])), Cancelled::Permanent);
        assert_eq!(cancellation(&codes(&["ItemCollectionSizeLimitExceeded"])), Cancelled::Permanent);
        assert_eq!(cancellation(&codes(&["ThrottlingError", "None"])), Cancelled::Transient);
        assert_eq!(cancellation(&codes(&["ProvisionedThroughputExceeded"])), Cancelled::Transient);
    }
}
