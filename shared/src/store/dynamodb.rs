//! The DynamoDB store: one item per lead, conditional writes, two sparse indexes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType as DdbKeyType,
    KeysAndAttributes, Projection, ProjectionType, Put, ReturnValue, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

use super::table::{self, KeyDesign, KeyType};
use super::{
    check_limit, check_segment, cursor_id, cursor_number, decode_cursor, due_at, encode_cursor, queue_score,
    Checkpoint, LeadStore, Page, StoreError, QUEUED_STAGES,
};
use crate::clock::Timestamp;
use crate::funnel::{self, Bucket, Day, Tally};
use crate::identity::LeadId;
use crate::lead::Lead;
use crate::stage::Stage;

type Item = HashMap<String, AttributeValue>;

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

    fn key(id: &LeadId) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{id}", table::LEAD_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(table::LEAD_SK.to_owned())),
        ])
    }

    fn checkpoint_key(key: &str) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{key}", table::CHECKPOINT_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(table::CHECKPOINT_SK.to_owned())),
        ])
    }

    fn to_item(lead: &Lead) -> Result<Item, StoreError> {
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

    fn from_item(mut item: Item) -> Result<Lead, StoreError> {
        for k in [table::PK, table::SK, table::QUEUE_PK, table::QUEUE_SK, table::DUE_PK, table::DUE_SK] {
            item.remove(k);
        }
        serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
            .map_err(|e| StoreError::Internal(format!("cannot decode lead item: {e}")))
    }

    /// The leads behind index entries, in the entries' order, read consistently and
    /// kept only if `still` holds for their current state (an index lags its table).
    async fn fetch(&self, keys: &[Item], still: impl Fn(&Lead) -> bool) -> Result<Vec<Lead>, StoreError> {
        let mut found: HashMap<String, Lead> = HashMap::with_capacity(keys.len());
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
                let lead = Self::from_item(item)?;
                found.insert(lead.id.as_str().to_owned(), lead);
            }
            if let Some(left) = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                pending.extend(left.keys);
            }
        }
        Ok(keys
            .iter()
            .filter_map(|k| match k.get(table::PK) {
                Some(AttributeValue::S(pk)) => pk.strip_prefix(table::LEAD_PK_PREFIX),
                _ => None,
            })
            .filter_map(|id| found.remove(id))
            .filter(|l| still(l))
            .collect())
    }

    /// The index key a listing continues after, from a cursor `<tag>, <sort number>, <id>`.
    fn index_start(
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
    fn cut(mut keys: Vec<Item>, more: bool, limit: usize) -> (Vec<Item>, Option<Item>) {
        let more = more || keys.len() > limit;
        keys.truncate(limit);
        let last = if more { keys.last().cloned() } else { None };
        (keys, last)
    }

    /// Creates the table with both indexes and TTL, as template.yaml declares it.
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

/// A number attribute of an index entry, as text (for cursors).
fn number(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.clone(),
        _ => "0".into(),
    }
}

/// The lead id in an index entry's partition key.
fn id_of(item: &Item) -> String {
    match item.get(table::PK) {
        Some(AttributeValue::S(pk)) => pk.strip_prefix(table::LEAD_PK_PREFIX).unwrap_or(pk).to_owned(),
        _ => String::new(),
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
    /// (1: only if there is none). A failed condition is [`StoreError::Conflict`].
    async fn put_versioned(&self, item: Item, version: u64) -> Result<(), StoreError> {
        let (condition, names, values) = version_condition(version)?;
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
                Err(StoreError::Conflict)
            }
            Err(e) => Err(map_sdk_error("PutItem", e)),
        }
    }

    /// The versioned write of a lead together with its new funnel events: one
    /// transaction, so the events are counted exactly when the lead is stored.
    async fn put_with_funnel(
        &self,
        item: Item,
        version: u64,
        pending: &[(Bucket, Tally)],
    ) -> Result<(), StoreError> {
        let (condition, names, values) = version_condition(version)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(values)
            .build()
            .map_err(internal)?;
        let mut request =
            self.client.transact_write_items().transact_items(TransactWriteItem::builder().put(put).build());
        for (bucket, tally) in pending {
            let update = self.funnel_update(bucket, tally)?;
            request = request.transact_items(TransactWriteItem::builder().update(update).build());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => {
                if let TransactWriteItemsError::TransactionCanceledException(c) = e.err() {
                    let codes: Vec<&str> = c.cancellation_reasons().iter().filter_map(|r| r.code()).collect();
                    // Our condition failed, or another transaction held the lead: re-read and retry.
                    if codes.iter().any(|c| *c == "ConditionalCheckFailed" || *c == "TransactionConflict") {
                        return Err(StoreError::Conflict);
                    }
                    return Err(StoreError::Unavailable(format!("TransactWriteItems cancelled: {codes:?}")));
                }
                Err(map_sdk_error("TransactWriteItems", SdkError::ServiceError(e)))
            }
            Err(e) => Err(map_sdk_error("TransactWriteItems", e)),
        }
    }

    fn funnel_key(month: &str, sort: String) -> Item {
        HashMap::from([
            (table::PK.to_owned(), AttributeValue::S(format!("{}{month}", table::FUNNEL_PK_PREFIX))),
            (table::SK.to_owned(), AttributeValue::S(sort)),
        ])
    }

    /// Adds a tally to its bucket's aggregate item (created by the first add).
    fn funnel_update(&self, bucket: &Bucket, tally: &Tally) -> Result<Update, StoreError> {
        let mut names =
            HashMap::from([("#day".to_owned(), "day".to_owned()), ("#src".to_owned(), "source".to_owned())]);
        let mut values = HashMap::from([
            (":day".to_owned(), AttributeValue::S(bucket.day.to_string())),
            (":src".to_owned(), AttributeValue::S(bucket.source.clone())),
        ]);
        let mut set = vec!["#day = :day".to_owned(), "#src = :src".to_owned()];
        let mut add = Vec::new();
        let counts =
            tally.entered.iter().map(|(stage, n)| (format!("{}{stage}", table::FUNNEL_ENTERED), *n)).chain(
                tally
                    .left
                    .iter()
                    .map(|((stage, reason), n)| (format!("{}{stage}:{reason}", table::FUNNEL_LEFT), *n)),
            );
        for (i, (name, n)) in counts.enumerate() {
            names.insert(format!("#c{i}"), name);
            values.insert(format!(":c{i}"), AttributeValue::N(n.to_string()));
            add.push(format!("#c{i} :c{i}"));
        }
        for (i, (stage, seconds)) in tally.velocity.iter().enumerate() {
            names.insert(format!("#v{i}"), format!("{}{stage}", table::FUNNEL_VELOCITY));
            values.insert(
                format!(":v{i}"),
                AttributeValue::L(seconds.iter().map(|s| AttributeValue::N(s.to_string())).collect()),
            );
            set.push(format!("#v{i} = list_append(if_not_exists(#v{i}, :empty), :v{i})"));
        }
        if !tally.velocity.is_empty() {
            values.insert(":empty".to_owned(), AttributeValue::L(vec![]));
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

/// The condition of a versioned write: the stored item is `version - 1`, or absent for 1.
#[allow(clippy::type_complexity)]
fn version_condition(
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

/// An aggregate item back into its bucket and tally; attributes it does not know are skipped.
fn tally_from_item(item: &Item) -> Option<(Bucket, Tally)> {
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
        } else if let Some(stage) = name.strip_prefix(table::FUNNEL_VELOCITY).and_then(Stage::from_id) {
            if let AttributeValue::L(list) = value {
                let seconds = list.iter().filter_map(|v| v.as_n().ok()?.parse().ok()).collect();
                tally.velocity.insert(stage, seconds);
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

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// Error codes that mean "not now": throttling and server-side trouble.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
    "TransactionInProgressException",
];

/// Maps an SDK error into the domain's terms; never panics, whatever the SDK returns.
pub fn map_sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let unavailable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => e.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c)),
        _ => false,
    };
    let text = format!("{operation}: {}", DisplayErrorContext(&err));
    if unavailable {
        StoreError::Unavailable(text)
    } else {
        StoreError::Internal(text)
    }
}

impl LeadStore for DynamoStore {
    async fn get(&self, id: &LeadId) -> Result<Option<Lead>, StoreError> {
        self.get_item(Self::key(id)).await?.map(Self::from_item).transpose()
    }

    async fn put(&self, lead: &Lead) -> Result<(), StoreError> {
        let pending = funnel::pending(lead);
        let mut item = Self::to_item(lead)?;
        item.insert("funnel_mark".into(), AttributeValue::N(funnel::event_count(lead).to_string()));
        if pending.is_empty() {
            // The common write (a returning person, a re-score without a move): no transaction.
            self.put_versioned(item, lead.version).await
        } else {
            self.put_with_funnel(item, lead.version, &pending).await
        }
    }

    async fn queue(&self, stage: Stage, limit: usize, cursor: Option<&str>) -> Result<Page, StoreError> {
        let start = Self::index_start(cursor, stage.id(), (table::QUEUE_PK, stage.id()), table::QUEUE_SK)?;
        if !QUEUED_STAGES.contains(&stage) {
            return Ok(Page { leads: vec![], cursor: None });
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
        let leads = self.fetch(&keys, |l| l.stage == stage).await?;
        Ok(Page { leads, cursor })
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
        let leads = self.fetch(&keys, |l| due_at(l).is_some_and(|d| d <= now)).await?;
        Ok(Page { leads, cursor })
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
        let mut leads =
            out.items.unwrap_or_default().into_iter().map(Self::from_item).collect::<Result<Vec<_>, _>>()?;
        let cursor = if leads.len() > limit {
            leads.truncate(limit);
            leads.last().map(|l| key_cursor(&format!("{}{}", table::LEAD_PK_PREFIX, l.id), table::LEAD_SK))
        } else {
            out.last_evaluated_key.as_ref().map(|k| {
                let text = |name: &str| match k.get(name) {
                    Some(AttributeValue::S(v)) => v.clone(),
                    _ => String::new(),
                };
                key_cursor(&text(table::PK), &text(table::SK))
            })
        };
        Ok(Page { leads, cursor })
    }

    async fn get_checkpoint(&self, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        match self.get_item(Self::checkpoint_key(key)).await? {
            None => Ok(None),
            Some(mut item) => {
                item.remove(table::PK);
                item.remove(table::SK);
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

/// Counts the requests a client sends, by operation (`GetItem`, `PutItem`, ...), retries
/// included. Proves the cost claims (one read and one write per submission).
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl RequestCounter {
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn reset(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get("x-amz-target").unwrap_or("unknown");
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(operation).or_default() += 1;
        Ok(())
    }
}
