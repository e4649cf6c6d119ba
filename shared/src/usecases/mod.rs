//! What Leadflow does with a store: intake, requalification, the sales commands, the
//! funnel's count.

pub mod deadline;
pub mod funnel;
pub mod intake;
pub mod requalify;
pub mod retry;
pub mod sales;
pub mod store;
