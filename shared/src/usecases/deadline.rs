//! The instant by which an invocation must have answered. Lambda stops a function at its
//! timeout without a word (API Gateway then answers a bare 503, the schedule counts a
//! failure); work that runs up to a deadline instead ends on its own terms: an answer that
//! says "try again" with `Retry-After`, or a run that reports how far it got.

use std::time::{Duration, Instant, SystemTime};

/// Kept free before the deadline to send the answer.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// `None`: no deadline (the local server, tests, a missing invocation context).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    pub const NONE: Deadline = Deadline(None);

    /// The invocation's deadline (a wall-clock instant, as Lambda hands it over), less
    /// [`ANSWER_MARGIN`]. An instant before 2001 is no deadline: a context without one
    /// (0), or an emulator's that holds a duration (cargo-lambda's `watch` sends
    /// 600000 ms).
    pub fn of_invocation(deadline: SystemTime) -> Deadline {
        if deadline < SystemTime::UNIX_EPOCH + Duration::from_secs(978_307_200) {
            return Deadline::NONE;
        }
        let left = deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
        Deadline(Some(Instant::now() + left.saturating_sub(ANSWER_MARGIN)))
    }

    /// The same deadline, `by` earlier: batch work keeps room to finish the lead at hand
    /// and to report.
    pub fn earlier_by(self, by: Duration) -> Deadline {
        // Earlier than the clock can say: already passed.
        Deadline(self.0.map(|at| at.checked_sub(by).unwrap_or_else(Instant::now)))
    }

    pub fn in_(left: Duration) -> Deadline {
        Deadline(Some(Instant::now() + left))
    }

    /// Time left; `None` without a deadline.
    pub fn remaining(self) -> Option<Duration> {
        self.0.map(|at| at.saturating_duration_since(Instant::now()))
    }

    pub fn passed(self) -> bool {
        self.remaining() == Some(Duration::ZERO)
    }

    /// Runs `work` up to the deadline; `None` when the deadline came first (the work is
    /// dropped where it stood: every write it may have sent is one its retry recognises).
    pub async fn run<T>(self, work: impl std::future::Future<Output = T>) -> Option<T> {
        match self.remaining() {
            None => Some(work.await),
            Some(left) => tokio::time::timeout(left, work).await.ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invocation_deadline_keeps_a_margin_to_answer_in() {
        let d = Deadline::of_invocation(SystemTime::now() + Duration::from_secs(10));
        let left = d.remaining().unwrap();
        assert!(left <= Duration::from_secs(10) - ANSWER_MARGIN && left > Duration::from_secs(8), "{left:?}");
        assert!(!d.passed());
        assert!(Deadline::of_invocation(SystemTime::now() - Duration::from_secs(1)).passed());
        assert!(Deadline::of_invocation(SystemTime::now() + Duration::from_millis(100)).passed());
        assert_eq!(Deadline::of_invocation(SystemTime::UNIX_EPOCH), Deadline::NONE);
        let emulators = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        assert_eq!(Deadline::of_invocation(emulators), Deadline::NONE);
        assert_eq!(Deadline::NONE.remaining(), None);
    }

    #[tokio::test]
    async fn work_past_the_deadline_is_cut_off() {
        let slow = tokio::time::sleep(Duration::from_secs(60));
        assert_eq!(Deadline::in_(Duration::from_millis(50)).run(slow).await, None);
        assert_eq!(Deadline::in_(Duration::from_secs(1)).run(async { 7 }).await, Some(7));
        assert_eq!(Deadline::NONE.run(async { 7 }).await, Some(7));
    }
}
