//! Leads and checkpoints as DynamoDB items: keys, the index attributes, the version
//! condition every write carries.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::super::table;
use super::super::{due_at, queue_score};
use super::DynamoStore;
use crate::domain::identity::LeadId;
use crate::domain::lead::Lead;
use crate::usecases::store::StoreError;

pub(super) type Item = HashMap<String, AttributeValue>;

impl DynamoStore {
    pub(super) fn key(id: &LeadId) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{id}", table::LEAD_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(table::LEAD_SK.to_owned())),
        ])
    }

    pub(super) fn checkpoint_key(key: &str) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{key}", table::CHECKPOINT_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(table::CHECKPOINT_SK.to_owned())),
        ])
    }

    pub(super) fn to_item(lead: &Lead) -> Result<Item, StoreError> {
        let mut item: Item = serde_dynamo::aws_sdk_dynamodb_1::to_item(lead)
            .map_err(|e| StoreError::Internal(format!("cannot encode lead: {e}")))?;
        item.extend(Self::key(&lead.id));
        if let Some(score) = queue_score(lead) {
            item.insert(table::QUEUE_PK.into(), AttributeValue::S(lead.stage.id().into()));
            item.insert(table::QUEUE_SK.into(), AttributeValue::N(score.to_string()));
        }
        // TTL needs epoch seconds; the lead reads them back as a timestamp.
        if let Some(expires) = lead.expires_at {
            item.insert(table::TTL_ATTRIBUTE.into(), AttributeValue::N(expires.unix().to_string()));
        }
        if let Some(due) = due_at(lead) {
            item.insert(table::DUE_PK.into(), AttributeValue::S(table::DUE_SHARD.into()));
            item.insert(table::DUE_SK.into(), AttributeValue::N(due.unix().to_string()));
        }
        Ok(item)
    }

    pub(super) fn from_item(mut item: Item) -> Result<Lead, StoreError> {
        for k in [
            table::PK,
            table::SK,
            table::QUEUE_PK,
            table::QUEUE_SK,
            table::DUE_PK,
            table::DUE_SK,
            table::WRITE_TOKEN,
        ] {
            item.remove(k);
        }
        serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
            .map_err(|e| StoreError::Internal(format!("cannot decode lead item: {e}")))
    }
}

/// The condition of a versioned write: the stored item is `version - 1`, or absent for 1.
#[allow(clippy::type_complexity)]
pub(super) fn version_condition(
    version: u64,
) -> Result<(&'static str, HashMap<String, String>, Option<HashMap<String, AttributeValue>>), StoreError> {
    match version {
        0 => Err(StoreError::Internal("items are written with version 1 or more".into())),
        1 => Ok(("attribute_not_exists(#pk)", HashMap::from([("#pk".into(), table::PK.into())]), None)),
        v => Ok((
            "#v = :expected",
            HashMap::from([("#v".into(), table::VERSION.into())]),
            Some(HashMap::from([(":expected".into(), AttributeValue::N((v - 1).to_string()))])),
        )),
    }
}

/// A fresh token for one write attempt: 16 hex characters, random per call.
pub(super) fn write_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    format!("{:016x}", h.finish())
}
