//! Disabled webhook endpoints: one item each, `WEBHOOK#<subscriber id>` / `DISABLED`,
//! with the URL and when it answered 410. Deleting the item re-enables the endpoint
//! (at the function's next cold start); so does a new URL (a new id).

use std::collections::BTreeSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{map_sdk_error, table, DynamoStore, Item, StoreError};
use crate::domain::clock::Timestamp;
use crate::usecases::store::DisabledEndpoints;

fn key(endpoint: &str) -> Item {
    Item::from([
        (table::PK.to_owned(), AttributeValue::S(format!("{}{endpoint}", table::WEBHOOK_PK_PREFIX))),
        (table::SK.to_owned(), AttributeValue::S(table::WEBHOOK_DISABLED_SK.to_owned())),
    ])
}

impl DisabledEndpoints for DynamoStore {
    async fn disable_endpoint(&self, endpoint: &str, url: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut item = key(endpoint);
        item.insert("url".into(), AttributeValue::S(url.to_owned()));
        item.insert("disabled_at".into(), AttributeValue::N(at.unix().to_string()));
        // The first 410 stays on record; a later one changes nothing.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PK)
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(map_sdk_error("PutItem", e)),
        }
    }

    async fn disabled_endpoints(&self, endpoints: &[String]) -> Result<BTreeSet<String>, StoreError> {
        let reads = endpoints
            .iter()
            .map(|e| async move { Ok::<_, StoreError>(self.get_item(key(e)).await?.map(|_| e.clone())) });
        Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
    }
}
