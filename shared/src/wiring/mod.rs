//! Building the app: configuration from the environment, and the app itself.

pub mod app;
pub mod config;
pub mod secrets;
pub mod tls;
