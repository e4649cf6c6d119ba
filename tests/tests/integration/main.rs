//! Leadflow's integration and end-to-end tests, one module per area, in one test binary:
//! the AWS SDK, rustls and the handlers are linked once, and the tests that need DynamoDB
//! Local share one. One area: `cargo test -p leadflow-tests --test integration funnel`.

mod bad_input;
mod browser_form;
mod dynamodb_store;
mod events;
mod faults;
mod funnel;
mod handlers;
mod imports;
mod isolation;
mod lambda_emulator;
mod local_server;
mod logs;
mod privacy;
mod requalify;
mod rescore;
mod scoring_function;
mod secrets;
mod store_contract;
mod template;
mod webhooks;
