//! What wires Leadflow outside Lambda: the DynamoDB Local launcher (and, with the
//! handlers issue, the local API server).

pub mod dynamodb_local;
