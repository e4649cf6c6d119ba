//! What Leadflow does with a store: intake, requalification, the sales commands.

pub mod deadline;
pub mod intake;
pub mod requalify;
pub mod retry;
pub mod sales;
pub mod store;
