//! Counting the funnel from the change stream: each write of a lead adds the funnel
//! events its new image has beyond its old one, at most once however often the record
//! is delivered. An erasure changes no count (the funnel keeps its numbers), and the
//! lead's fold mark (its id, creation instant and event count, nothing of the person)
//! expires two days after the last count: long enough for every redelivery.

use crate::domain::funnel::between;
use crate::domain::lead::Lead;
use crate::usecases::store::{Counted, FunnelCounter, StoreError};

/// Counts one change of a lead (`None`: no item before or after).
pub async fn count_change<C: FunnelCounter>(
    counter: &C,
    old: Option<&Lead>,
    new: Option<&Lead>,
) -> Result<Counted, StoreError> {
    match new {
        Some(new) => counter.count(&new.id, &between(old, new)).await,
        None => Ok(Counted::Already),
    }
}
