//! The `leadflow` crate through its public API, one module per area, in one test binary:
//! the article's people scored, properties of the scoring engine, retention, the SLA
//! document, and the public intake fuzzed. One area: `cargo test -p leadflow --test
//! integration personas`.

mod common;
mod corpus;
mod fuzz_intake;
mod personas;
mod properties;
mod retention;
mod sla_schema;
