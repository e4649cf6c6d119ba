//! Reads a table's DynamoDB Stream from DynamoDB Local as Lambda's event source mapping
//! does, and hands the records over as the `DynamodbEvent` JSON Lambda would send.
//!
//! DynamoDB Local answers the Streams API on its own endpoint (target prefix
//! `DynamoDBStreams_20120810`). `GetRecords` returns records in exactly the shape of a
//! Lambda event's `Records` (the mapping adds `eventSourceARN`), so nothing is rebuilt.
//! Position per shard: from the start of the stream, after the last record handled, or
//! at a record a batch reported as failed (partial batch response), which comes again.

use std::collections::BTreeMap;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// Where a shard is read from next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    Start,
    After(String),
    At(String),
}

/// A reader of one table's stream on DynamoDB Local.
pub struct StreamReader {
    endpoint: String,
    pub stream_arn: String,
    shards: BTreeMap<String, Position>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// One batch of one shard.
#[derive(Debug, Clone)]
pub struct Batch {
    pub shard: String,
    /// `{"Records": [...]}`: the `DynamodbEvent` a Lambda would get.
    pub event: Value,
    /// The sequence numbers of its records, in order.
    pub sequence_numbers: Vec<String>,
}

impl StreamReader {
    /// Opens the latest stream of `table`.
    pub async fn open(endpoint: &str, table: &str) -> Result<StreamReader, String> {
        let mut reader = StreamReader {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            stream_arn: String::new(),
            shards: BTreeMap::new(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        let streams = reader.call("ListStreams", json!({ "TableName": table })).await?;
        reader.stream_arn = streams["Streams"]
            .as_array()
            .and_then(|s| s.last())
            .and_then(|s| s["StreamArn"].as_str())
            .ok_or_else(|| format!("table `{table}` has no stream (create it with NEW_AND_OLD_IMAGES)"))?
            .to_owned();
        Ok(reader)
    }

    async fn call(&self, action: &str, body: Value) -> Result<Value, String> {
        // DynamoDB Local reads the access key from the authorization header and checks no
        // signature; the header's form is all it needs.
        let request = hyper::Request::post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
            .header("x-amz-date", "20261128T000000Z")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20261128/eu-central-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
            )
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let response = self.client.request(request).await.map_err(|e| format!("{action}: {e}"))?;
        let status = response.status();
        let bytes = response.into_body().collect().await.map_err(|e| format!("{action}: {e}"))?.to_bytes();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("{action}: {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        Ok(value)
    }

    async fn refresh_shards(&mut self) -> Result<(), String> {
        let mut start: Option<String> = None;
        loop {
            let mut request = json!({ "StreamArn": self.stream_arn });
            if let Some(s) = &start {
                request["ExclusiveStartShardId"] = json!(s);
            }
            let out = self.call("DescribeStream", request).await?;
            let description = &out["StreamDescription"];
            for shard in description["Shards"].as_array().into_iter().flatten() {
                if let Some(id) = shard["ShardId"].as_str() {
                    self.shards.entry(id.to_owned()).or_insert(Position::Start);
                }
            }
            match description["LastEvaluatedShardId"].as_str() {
                Some(last) => start = Some(last.to_owned()),
                None => return Ok(()),
            }
        }
    }

    /// The next batch of at most `limit` records of any shard that has some (`None`: the
    /// stream has nothing new).
    pub async fn next_batch(&mut self, limit: usize) -> Result<Option<Batch>, String> {
        self.refresh_shards().await?;
        let shards: Vec<(String, Position)> =
            self.shards.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (shard, position) in shards {
            let mut request = json!({ "StreamArn": self.stream_arn, "ShardId": shard });
            match &position {
                Position::Start => request["ShardIteratorType"] = json!("TRIM_HORIZON"),
                Position::After(seq) => {
                    request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                    request["SequenceNumber"] = json!(seq);
                }
                Position::At(seq) => {
                    request["ShardIteratorType"] = json!("AT_SEQUENCE_NUMBER");
                    request["SequenceNumber"] = json!(seq);
                }
            }
            let iterator = self.call("GetShardIterator", request).await?;
            let Some(iterator) = iterator["ShardIterator"].as_str() else { continue };
            let out = self.call("GetRecords", json!({ "ShardIterator": iterator, "Limit": limit })).await?;
            let mut records: Vec<Value> = out["Records"].as_array().cloned().unwrap_or_default();
            if records.is_empty() {
                continue;
            }
            let mut sequence_numbers = Vec::with_capacity(records.len());
            for r in &mut records {
                r["eventSourceARN"] = json!(self.stream_arn);
                sequence_numbers
                    .push(r["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default().to_owned());
            }
            return Ok(Some(Batch { shard, event: json!({ "Records": records }), sequence_numbers }));
        }
        Ok(None)
    }

    /// Moves the shard on after a batch: past all of it, or to the record the handler
    /// reported as failed (the record comes again with everything after it).
    pub fn commit(&mut self, batch: &Batch, failed: Option<&str>) {
        let next = match failed {
            Some(seq) => Position::At(seq.to_owned()),
            None => match batch.sequence_numbers.last() {
                Some(last) => Position::After(last.clone()),
                None => return,
            },
        };
        self.shards.insert(batch.shard.clone(), next);
    }
}
