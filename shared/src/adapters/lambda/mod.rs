//! Lambda entry points beyond the HTTP routes: the scoring function's typed triggers,
//! the events function's change-stream batches.

pub mod events;
pub mod scoring;
pub mod webhook_retries;
