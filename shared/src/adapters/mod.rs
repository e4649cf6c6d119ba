//! Leadflow meets the world: HTTP, the form tools, the stores, the Lambda runtime.

pub mod bus;
pub mod http;
pub mod intake;
pub mod lambda;
pub mod store;
pub mod webhooks;
