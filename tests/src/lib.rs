//! Shared helpers for Leadflow's integration tests.
