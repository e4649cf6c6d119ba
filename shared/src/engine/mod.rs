//! The scoring engine: the SLA compiled once and applied to leads.

pub mod facts;
pub(crate) mod matcher;
pub mod refresh;
pub mod scoring;
