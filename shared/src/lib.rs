//! Leadflow's shared crate, in layers; each layer imports only the ones above it:
//!
//! 1. [`domain`]: the lead, stages and the one table of moves, the SLA as data, score
//!    values, keyword matching, the clock, identity, the funnel's counting, the sales
//!    commands and their rules. Pure: no AWS type, no HTTP.
//! 2. [`engine`]: scoring — the SLA compiled once, applied to a lead at an instant, and
//!    bringing a lead up to an instant (response-time SLAs, retention, next due).
//! 3. [`usecases`]: intake, requalification, the sales commands against a store; the
//!    store port (`LeadStore`) and the one optimistic-update loop with its retry policy.
//! 4. [`adapters`]: HTTP (routes, problem+json, views), the form tools at the intake,
//!    the stores (DynamoDB, in memory), the Lambda entry points.
//! 5. [`wiring`]: building the app from configuration.
//!
//! A test (`layers` in this crate's tests) fails when a module imports from a layer below
//! its own. The re-exports at the root keep short paths (`leadflow::lead::Lead`) for the
//! binaries and tests.

pub mod adapters;
pub mod domain;
pub mod engine;
pub mod usecases;
pub mod wiring;

#[cfg(test)]
mod architecture;

pub use adapters::{bus, webhooks};
pub use adapters::{http, intake as forms, lambda, store};
pub use domain::{clock, funnel, identity, lead, matching, sales, score, sla, stage, vocabulary};
pub use engine::scoring;
pub use usecases::{intake, requalify};
pub use wiring::config;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use identity::{IdKey, LeadId};
pub use lead::{Activity, Answer, Answers, Lead, Profile};
pub use score::Score;
pub use scoring::Scorer;
pub use sla::Sla;
pub use stage::{Stage, Transition, Trigger};
