//! The funnel's aggregate items: one per day and source, updated in the lead's
//! transaction, read back into tallies.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::super::table;
use super::errors::internal;
use super::item::Item;
use super::DynamoStore;
use crate::domain::funnel::{duration_bucket, Bucket, Day, Tally};
use crate::domain::stage::Stage;
use crate::usecases::store::StoreError;

impl DynamoStore {
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
