//! Counting the funnel from the change stream: each write of a lead adds the funnel
//! events its new image has beyond the lead's fold mark, and moves the mark, in one
//! conditional write. However often a record is delivered it counts once; a record that
//! was never counted (skipped, aged out of the stream) is made up by the lead's next
//! write. An erasure changes no count, and the fold mark (the lead's pseudonymous id, its
//! creation instant and an event count) expires two days after its last count.

use crate::domain::funnel::{counted_before, since};
use crate::domain::lead::Lead;
use crate::usecases::store::{Counted, FunnelCounter, StoreError};

/// Reads of the mark before a count gives up to the stream's retry: the mark moves only
/// when another delivery of the same lead's records counts at the same moment.
const ATTEMPTS: u32 = 5;

/// Counts one change of a lead: its images before and after (`None`: no item). `legacy`:
/// the `funnel_mark` an item written before the funnel moved to the stream carries (its
/// write counted that many events itself).
pub async fn count_change<C: FunnelCounter>(
    counter: &C,
    old: Option<&Lead>,
    new: Option<&Lead>,
    legacy: Option<u32>,
) -> Result<Counted, StoreError> {
    let Some(new) = new else { return Ok(Counted::Already) };
    for _ in 0..ATTEMPTS {
        let seen = counter.fold_mark(&new.id).await?;
        let Some(counted) = counted_before(seen, legacy, old, new) else { return Ok(Counted::Already) };
        let Some(fold) = since(counted, new) else { return Ok(Counted::Already) };
        if counter.count(&new.id, seen, &fold).await? {
            return Ok(Counted::Added);
        }
    }
    Err(StoreError::Unavailable(format!("the fold mark of {} kept moving", new.id)))
}
