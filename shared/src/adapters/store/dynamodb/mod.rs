//! The DynamoDB store: one item per lead, conditional writes, two sparse indexes.
//! Split by concern: item mapping (`item`), listings (`listing`), the funnel's
//! aggregates (`funnel`), the table's creation (`schema`), error mapping (`errors`).

mod endpoints;
mod errors;
mod funnel;
mod item;
mod listing;
mod requests;
mod schema;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use super::table;
use super::{
    check_limit, check_segment, decode_cursor, due_at, encode_cursor, Checkpoint, LeadStore, Page,
    StoreError, QUEUED_STAGES,
};
use crate::domain::clock::Timestamp;
use crate::domain::funnel::{Bucket, Day, Tally};
use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;
use crate::domain::stage::Stage;
use funnel::tally_from_item;
use item::{version_condition, write_token, Item};
use listing::{id_of, number};

pub use errors::map_sdk_error;
pub use requests::RequestCounter;

/// Leads in one DynamoDB table (see [`table`] for its design).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl DynamoStore {
    /// Reads one item by key, consistently.
    async fn get_item(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| map_sdk_error("GetItem", e))?;
        Ok(out.item)
    }

    /// Writes an item that carries `version`, only if the stored one is `version - 1`
    /// (1: only if there is none). A failed condition is [`StoreError::Conflict`], and so
    /// is a `TransactionConflictException` (a transaction held the item): both re-read
    /// and retry. The item carries a fresh write token: a condition failed by our own
    /// earlier attempt (the SDK retried a write whose answer was lost) is success.
    async fn put_versioned(&self, mut item: Item, version: u64) -> Result<(), StoreError> {
        let (condition, names, values) = version_condition(version)?;
        let token = write_token();
        item.insert(table::WRITE_TOKEN.into(), AttributeValue::S(token.clone()));
        let key = key_of(&item);
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(values);
        match request.send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                self.landed(key, &token).await
            }
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_conflict_exception() => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(map_sdk_error("PutItem", e)),
        }
    }

    /// After a failed version condition: `Ok` if the stored item carries `token` (the
    /// write was ours and landed on an attempt whose answer was lost), else `Conflict`.
    async fn landed(&self, key: Item, token: &str) -> Result<(), StoreError> {
        let stored = self.get_item(key).await?;
        match stored.as_ref().and_then(|item| item.get(table::WRITE_TOKEN)) {
            Some(AttributeValue::S(t)) if t == token => {
                tracing::info!("a write whose answer was lost had landed");
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }
}

/// The key attributes of an item.
fn key_of(item: &Item) -> Item {
    [table::PK, table::SK]
        .into_iter()
        .filter_map(|k| item.get(k).map(|v| (k.to_owned(), v.clone())))
        .collect()
}

impl LeadStore for DynamoStore {
    async fn get(&self, id: &LeadId) -> Result<Option<Lead>, StoreError> {
        self.get_item(Self::key(id)).await?.map(Self::from_item).transpose()
    }

    async fn put(&self, lead: &Lead) -> Result<(), StoreError> {
        self.put_versioned(Self::to_item(lead)?, lead.version).await
    }

    async fn queue(&self, stage: Stage, limit: usize, cursor: Option<&str>) -> Result<Page, StoreError> {
        let start = Self::index_start(cursor, stage.id(), (table::QUEUE_PK, stage.id()), table::QUEUE_SK)?;
        if !QUEUED_STAGES.contains(&stage) {
            return Ok(Page::default());
        }
        let limit = check_limit(limit);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(table::QUEUE_INDEX)
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", table::QUEUE_PK)
            .expression_attribute_values(":s", AttributeValue::S(stage.id().into()))
            .scan_index_forward(false)
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| map_sdk_error("Query", e))?;
        let (keys, last) = Self::cut(out.items.unwrap_or_default(), out.last_evaluated_key.is_some(), limit);
        let cursor = last.map(|k| encode_cursor(stage.id(), &[&number(&k, table::QUEUE_SK), &id_of(&k)]));
        let (leads, unreadable) = self.fetch(&keys, |l| l.stage == stage).await?;
        Ok(Page { leads, cursor, unreadable })
    }

    async fn due(&self, now: Timestamp, limit: usize, cursor: Option<&str>) -> Result<Page, StoreError> {
        let start = Self::index_start(cursor, "due", (table::DUE_PK, table::DUE_SHARD), table::DUE_SK)?;
        let limit = check_limit(limit);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(table::DUE_INDEX)
            .key_condition_expression("#p = :p AND #d <= :now")
            .expression_attribute_names("#p", table::DUE_PK)
            .expression_attribute_names("#d", table::DUE_SK)
            .expression_attribute_values(":p", AttributeValue::S(table::DUE_SHARD.into()))
            .expression_attribute_values(":now", AttributeValue::N(now.unix().to_string()))
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| map_sdk_error("Query", e))?;
        let (keys, last) = Self::cut(out.items.unwrap_or_default(), out.last_evaluated_key.is_some(), limit);
        let cursor = last.map(|k| encode_cursor("due", &[&number(&k, table::DUE_SK), &id_of(&k)]));
        let (leads, unreadable) = self.fetch(&keys, |l| due_at(l).is_some_and(|d| d <= now)).await?;
        Ok(Page { leads, cursor, unreadable })
    }

    async fn scan(
        &self,
        segment: u32,
        segments: u32,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        check_segment(segment, segments)?;
        // The cursor is the raw key to continue after: a page may end on an item that
        // is not a lead (a checkpoint), which the filter drops.
        let start = match cursor {
            None => None,
            Some(c) => {
                let p = decode_cursor(c, "scan", 2)?;
                Some(HashMap::from([
                    (table::PK.to_owned(), AttributeValue::S(p[0].clone())),
                    (table::SK.to_owned(), AttributeValue::S(p[1].clone())),
                ]))
            }
        };
        let limit = check_limit(limit);
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .segment(segment as i32)
            .total_segments(segments as i32)
            .filter_expression("#sk = :lead")
            .expression_attribute_names("#sk", table::SK)
            .expression_attribute_values(":lead", AttributeValue::S(table::LEAD_SK.into()))
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| map_sdk_error("Scan", e))?;
        let key_cursor = |pk: &str, sk: &str| encode_cursor("scan", &[pk, sk]);
        // A broken item is reported, not a reason to stop the scan.
        let mut items: Vec<(String, Result<Lead, StoreError>)> = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let pk = match item.get(table::PK) {
                    Some(AttributeValue::S(pk)) => pk.clone(),
                    _ => String::new(),
                };
                (pk, Self::from_item(item))
            })
            .collect();
        let cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|(pk, _)| key_cursor(pk, table::LEAD_SK))
        } else {
            out.last_evaluated_key.as_ref().map(|k| {
                let text = |name: &str| match k.get(name) {
                    Some(AttributeValue::S(v)) => v.clone(),
                    _ => String::new(),
                };
                key_cursor(&text(table::PK), &text(table::SK))
            })
        };
        let mut page = Page::new(Vec::new(), cursor);
        for (pk, lead) in items {
            match lead {
                Ok(lead) => page.leads.push(lead),
                Err(e) => {
                    let id = pk.strip_prefix(table::LEAD_PK_PREFIX).unwrap_or(&pk).to_owned();
                    tracing::error!(lead = %id, error = %e, "unreadable_item");
                    page.unreadable.push(id);
                }
            }
        }
        Ok(page)
    }

    async fn get_checkpoint(&self, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        match self.get_item(Self::checkpoint_key(key)).await? {
            None => Ok(None),
            Some(mut item) => {
                item.remove(table::PK);
                item.remove(table::SK);
                item.remove(table::WRITE_TOKEN);
                serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
                    .map(Some)
                    .map_err(|e| StoreError::Internal(format!("cannot decode checkpoint: {e}")))
            }
        }
    }

    async fn put_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let mut item: Item = serde_dynamo::aws_sdk_dynamodb_1::to_item(checkpoint)
            .map_err(|e| StoreError::Internal(format!("cannot encode checkpoint: {e}")))?;
        item.extend(Self::checkpoint_key(&checkpoint.key));
        self.put_versioned(item, checkpoint.version).await
    }

    async fn funnel(&self, from: Day, to: Day) -> Result<Vec<(Bucket, Tally)>, StoreError> {
        let mut rows = Vec::new();
        let mut month = from;
        while month <= to {
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                    .expression_attribute_names("#pk", table::PK)
                    .expression_attribute_names("#sk", table::SK)
                    .expression_attribute_values(
                        ":pk",
                        AttributeValue::S(format!("{}{}", table::FUNNEL_PK_PREFIX, month.month())),
                    )
                    // `#` sorts before `$`: every source of the first and the last day.
                    .expression_attribute_values(":from", AttributeValue::S(format!("{month}#")))
                    .expression_attribute_values(":to", AttributeValue::S(format!("{to}$")))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("Query", e))?;
                rows.extend(out.items.unwrap_or_default().iter().filter_map(tally_from_item));
                match out.last_evaluated_key {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
            month = month.next_month();
        }
        Ok(rows)
    }

    async fn delete(&self, id: &LeadId) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| map_sdk_error("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
