//! The domain: what a lead is and how it may move. Pure: no AWS, no HTTP.

pub mod clock;
pub mod events;
pub mod funnel;
pub mod identity;
pub mod lead;
pub mod lists;
pub mod matching;
pub mod reading;
pub mod sales;
pub mod score;
pub mod sla;
pub mod stage;
pub mod vocabulary;
