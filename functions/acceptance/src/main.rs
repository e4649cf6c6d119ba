//! The acceptance Lambda: API Gateway HTTP API (payload 2.0) -> `leadflow::http::acceptance::handle`.

use lambda_http::{run, service_fn, Error};
use leadflow::http::acceptance::handle;
use leadflow::wiring::{app::lambda_app, config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let app = lambda_app().await?;
    run(service_fn(|req| async { Ok::<_, Error>(handle(&app, req).await) })).await
}
