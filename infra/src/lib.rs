//! What wires Leadflow outside Lambda: the local API server (the Lambda handlers behind
//! a plain HTTP listener) and the DynamoDB Local launcher.

pub mod dynamodb_local;
pub mod local_events;
pub mod local_server;
pub mod stream_reader;
