//! The one table, described once: keys, the two sparse indexes, the TTL attribute.
//! The DynamoDB store, the tests, the local server and template.yaml all follow this.

/// Partition key: `LEAD#<id>`.
pub const PK: &str = "PK";
/// Sort key: `LEAD` for the lead item (room for other item types under the same key).
pub const SK: &str = "SK";
pub const LEAD_SK: &str = "LEAD";
pub const LEAD_PK_PREFIX: &str = "LEAD#";
/// Progress of a long job (a full re-score): `CHECKPOINT#<key>`, `CHECKPOINT`.
pub const CHECKPOINT_PK_PREFIX: &str = "CHECKPOINT#";
pub const CHECKPOINT_SK: &str = "CHECKPOINT";
/// A webhook endpoint that answered 410 Gone: `WEBHOOK#<subscriber id>` / `DISABLED`.
pub const WEBHOOK_PK_PREFIX: &str = "WEBHOOK#";
pub const WEBHOOK_DISABLED_SK: &str = "DISABLED";

/// How far a lead's writes are counted into the funnel: `LEAD#<id>`, `FUNNEL`, with the
/// lead's creation instant (`life`), its funnel event count (`through`) and a TTL a day
/// past the stream's 24 h retention (only a redelivered record needs it).
pub const FOLD_SK: &str = "FUNNEL";
pub const FOLD_LIFE: &str = "life";
pub const FOLD_THROUGH: &str = "through";
pub const FOLD_KEEP_SECONDS: i64 = 2 * 86_400;

/// The funnel's aggregates: `FUNNEL#<YYYY-MM>`, `<YYYY-MM-DD>#<source>`. One partition
/// per month, so a report reads one query per month it covers.
pub const FUNNEL_PK_PREFIX: &str = "FUNNEL#";
/// Attribute prefixes of an aggregate: entered count, velocity bucket count
/// (`h:<stage>:<bucket>`), leave reason count. `v:` (a list of durations) is what items
/// written before the buckets hold; it is still read.
pub const FUNNEL_ENTERED: &str = "n:";
pub const FUNNEL_VELOCITY_BUCKET: &str = "h:";
pub const FUNNEL_VELOCITY: &str = "v:";
pub const FUNNEL_LEFT: &str = "r:";

/// The sales queue: leads of one stage, best score first. Sparse: only queued stages.
pub const QUEUE_INDEX: &str = "queue";
pub const QUEUE_PK: &str = "queue_stage";
pub const QUEUE_SK: &str = "queue_score";

/// Leads due for re-scoring, earliest first. Sparse: only leads that can change.
pub const DUE_INDEX: &str = "due";
pub const DUE_PK: &str = "due_shard";
pub const DUE_SK: &str = "due_epoch";
/// The due index's one partition value. Due writes are one per scoring change, far
/// below a partition's limit for any lead volume a marketing team produces.
pub const DUE_SHARD: &str = "DUE";

/// Epoch seconds after which DynamoDB's TTL removes the item (retention policy).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Optimistic concurrency.
pub const VERSION: &str = "version";
/// A random token per write attempt (not part of the lead): a write whose answer was
/// lost is recognised as our own when its retry finds the token in the stored item.
pub const WRITE_TOKEN: &str = "write_token";

/// Attribute types of key attributes, as DynamoDB names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    S,
    N,
}

/// An index (or the table itself): partition and sort key with their types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDesign {
    pub name: &'static str,
    pub partition: (&'static str, KeyType),
    pub sort: (&'static str, KeyType),
}

pub const TABLE_KEYS: KeyDesign =
    KeyDesign { name: "table", partition: (PK, KeyType::S), sort: (SK, KeyType::S) };
pub const INDEXES: [KeyDesign; 2] = [
    KeyDesign { name: QUEUE_INDEX, partition: (QUEUE_PK, KeyType::S), sort: (QUEUE_SK, KeyType::N) },
    KeyDesign { name: DUE_INDEX, partition: (DUE_PK, KeyType::S), sort: (DUE_SK, KeyType::N) },
];
