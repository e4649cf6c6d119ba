//! The table as `table.rs` designs it, created through the API (tests, the local server).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType as DdbKeyType,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use super::super::table::{self, KeyDesign, KeyType};
use super::errors::{internal, map_sdk_error};
use super::DynamoStore;
use crate::usecases::store::StoreError;

impl DynamoStore {
    /// Creates the table with both indexes, TTL and its change stream (new and old
    /// images, for the events function), as template.yaml declares it.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attr_type = |t: KeyType| match t {
            KeyType::S => ScalarAttributeType::S,
            KeyType::N => ScalarAttributeType::N,
        };
        let key_schema = |k: &KeyDesign| -> Result<Vec<KeySchemaElement>, StoreError> {
            Ok(vec![
                KeySchemaElement::builder()
                    .attribute_name(k.partition.0)
                    .key_type(DdbKeyType::Hash)
                    .build()
                    .map_err(internal)?,
                KeySchemaElement::builder()
                    .attribute_name(k.sort.0)
                    .key_type(DdbKeyType::Range)
                    .build()
                    .map_err(internal)?,
            ])
        };
        let mut definitions = BTreeMap::new();
        for k in std::iter::once(&table::TABLE_KEYS).chain(table::INDEXES.iter()) {
            definitions.insert(k.partition.0, k.partition.1);
            definitions.insert(k.sort.0, k.sort.1);
        }
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .map_err(internal)?,
            )
            .set_key_schema(Some(key_schema(&table::TABLE_KEYS)?));
        for (name, t) in definitions {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(attr_type(t))
                    .build()
                    .map_err(internal)?,
            );
        }
        for index in &table::INDEXES {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(index)?))
                    // Keys only: index entries stay tiny, so an intake write that moves a
                    // lead in the queue or the due list costs one unit per index, not the
                    // item's size again. Listings fetch the items by key.
                    .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
                    .build()
                    .map_err(internal)?,
            );
        }
        request.send().await.map_err(|e| map_sdk_error("CreateTable", e))?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(table::TTL_ATTRIBUTE)
                    .build()
                    .map_err(internal)?,
            )
            .send()
            .await
            .map_err(|e| map_sdk_error("UpdateTimeToLive", e))?;
        Ok(())
    }
}
