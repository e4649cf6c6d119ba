//! Hello world on lambda_runtime: what a Rust function costs before it does anything.
//! `cargo bench -p leadflow-tests --bench lambda` measures Leadflow's functions against it.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(json!({ "hello": event.payload }))
    }))
    .await
}
