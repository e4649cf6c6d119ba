//! Leadflow's shared crate: the lead domain, the SLA, the scoring engine.
//!
//! Nothing in the domain knows about AWS: stores and handlers adapt to it.

pub mod clock;
pub mod config;
pub mod funnel;
pub mod http;
pub mod identity;
pub mod intake;
pub mod lead;
pub mod matching;
pub mod requalify;
pub mod scoring;
pub mod sla;
pub mod stage;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use identity::{IdKey, LeadId};
pub use lead::{Activity, Answer, Answers, Lead, Profile};
pub use scoring::{Score, Scorer};
pub use sla::Sla;
pub use stage::{Stage, Transition, Trigger};
