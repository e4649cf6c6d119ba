//! Listings over the sparse indexes: the leads behind index entries, and cursors.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::super::table;
use super::super::{cursor_id, cursor_number, decode_cursor};
use super::errors::{internal, map_sdk_error};
use super::item::Item;
use super::DynamoStore;
use crate::domain::lead::Lead;
use crate::usecases::store::StoreError;

impl DynamoStore {
    /// The leads behind index entries, in the entries' order, read consistently and
    /// kept only if `still` holds for their current state (an index lags its table);
    /// and the ids of items that could not be read as leads.
    pub(super) async fn fetch(
        &self,
        keys: &[Item],
        still: impl Fn(&Lead) -> bool,
    ) -> Result<(Vec<Lead>, Vec<String>), StoreError> {
        let mut found: HashMap<String, Lead> = HashMap::with_capacity(keys.len());
        let mut unreadable = Vec::new();
        let mut pending: Vec<Item> = keys
            .iter()
            .map(|k| {
                k.iter()
                    .filter(|(n, _)| *n == table::PK || *n == table::SK)
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect()
            })
            .collect();
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            if rounds > 8 {
                return Err(StoreError::Unavailable(
                    "BatchGetItem: keys left unprocessed after 8 rounds".into(),
                ));
            }
            if rounds > 1 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << rounds)).await;
            }
            let batch: Vec<Item> = pending.drain(..pending.len().min(100)).collect();
            let request = KeysAndAttributes::builder()
                .set_keys(Some(batch))
                .consistent_read(true)
                .build()
                .map_err(internal)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| map_sdk_error("BatchGetItem", e))?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                let id = match item.get(table::PK) {
                    Some(AttributeValue::S(pk)) => {
                        pk.strip_prefix(table::LEAD_PK_PREFIX).unwrap_or(pk).to_owned()
                    }
                    _ => String::new(),
                };
                match Self::from_item(item) {
                    Ok(lead) => {
                        found.insert(lead.id.as_str().to_owned(), lead);
                    }
                    Err(e) => {
                        tracing::error!(lead = %id, error = %e, "unreadable_item");
                        unreadable.push(id);
                    }
                }
            }
            if let Some(left) = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                pending.extend(left.keys);
            }
        }
        let leads = keys
            .iter()
            .filter_map(|k| match k.get(table::PK) {
                Some(AttributeValue::S(pk)) => pk.strip_prefix(table::LEAD_PK_PREFIX),
                _ => None,
            })
            .filter_map(|id| found.remove(id))
            .filter(|l| still(l))
            .collect();
        Ok((leads, unreadable))
    }

    /// The index key a listing continues after, from a cursor `<tag>, <sort number>, <id>`.
    pub(super) fn index_start(
        cursor: Option<&str>,
        tag: &str,
        (partition, partition_value): (&str, &str),
        sort: &str,
    ) -> Result<Option<Item>, StoreError> {
        let Some(cursor) = cursor else { return Ok(None) };
        let p = decode_cursor(cursor, tag, 2)?;
        let (number, id) = (cursor_number(&p[0])?, cursor_id(&p[1])?);
        let mut key = Self::key(&id);
        key.insert(partition.into(), AttributeValue::S(partition_value.into()));
        key.insert(sort.into(), AttributeValue::N(number.to_string()));
        Ok(Some(key))
    }

    /// Cuts a listing to `limit` (the request asked for one more, so the last page
    /// carries no cursor) and builds the cursor from the last index entry kept.
    pub(super) fn cut(mut keys: Vec<Item>, more: bool, limit: usize) -> (Vec<Item>, Option<Item>) {
        let more = more || keys.len() > limit;
        keys.truncate(limit);
        let last = if more { keys.last().cloned() } else { None };
        (keys, last)
    }
}

/// A number attribute of an index entry, as text (for cursors).
pub(super) fn number(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.clone(),
        _ => "0".into(),
    }
}

/// The lead id in an index entry's partition key.
pub(super) fn id_of(item: &Item) -> String {
    match item.get(table::PK) {
        Some(AttributeValue::S(pk)) => pk.strip_prefix(table::LEAD_PK_PREFIX).unwrap_or(pk).to_owned(),
        _ => String::new(),
    }
}
