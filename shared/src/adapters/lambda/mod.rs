//! Lambda entry points beyond the HTTP routes: the scoring function's typed triggers.

pub mod scoring;
