//! The funnel's aggregates: one per day and source, counted from the change stream
//! (each write at most once, by the lead's fold mark), read back into tallies.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::super::table;
use super::errors::{internal, map_sdk_error};
use super::item::Item;
use super::DynamoStore;
use crate::domain::clock::Timestamp;
use crate::domain::funnel::{duration_bucket, Bucket, Day, Fold, Tally};
use crate::domain::identity::LeadId;
use crate::domain::stage::Stage;
use crate::usecases::store::{Counted, FunnelCounter, StoreError};

/// Attempts of a count that meets other transactions on the same aggregate (several
/// shards counting into one day): the stream's own retry takes over after these.
const COUNT_ATTEMPTS: u32 = 5;

impl FunnelCounter for DynamoStore {
    /// One transaction: the lead's fold mark moves forward (its condition is what makes a
    /// redelivered record count nothing) and the aggregates add the fold's tallies.
    async fn count(&self, lead: &LeadId, fold: &Fold) -> Result<Counted, StoreError> {
        if fold.is_empty() {
            return Ok(Counted::Already);
        }
        let mark = self.fold_mark(lead, fold)?;
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
                Ok(_) => return Ok(Counted::Added),
                Err(SdkError::ServiceError(e)) => match e.err() {
                    TransactWriteItemsError::TransactionCanceledException(c) => {
                        let codes: Vec<String> = c
                            .cancellation_reasons()
                            .iter()
                            .filter_map(|r| r.code())
                            .map(str::to_owned)
                            .collect();
                        match cancellation(&codes) {
                            Cancelled::Condition => return Ok(Counted::Already),
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
                    _ => map_sdk_error("TransactWriteItems", SdkError::ServiceError(e)),
                },
                Err(e) => map_sdk_error("TransactWriteItems", e),
            };
            attempt += 1;
            if !matches!(error, StoreError::Unavailable(_)) || attempt >= COUNT_ATTEMPTS {
                return Err(error);
            }
            tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
        }
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

    /// The lead's fold mark moved to (`fold.life`, `fold.through`), only if it is behind
    /// it: an earlier life (or erasure), or fewer events of this one.
    fn fold_mark(&self, lead: &LeadId, fold: &Fold) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::fold_key(lead)))
            .update_expression("SET #life = :life, #through = :through, #ttl = :ttl")
            .condition_expression(
                "attribute_not_exists(#pk) OR #life < :life OR (#life = :life AND #through < :through)",
            )
            .expression_attribute_names("#pk", table::PK)
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
