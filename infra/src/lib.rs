//! What wires Leadflow outside Lambda (local server, DynamoDB Local launcher): lands with the store issue.
