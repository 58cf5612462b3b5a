//! Pure decision functions: no I/O, exhaustively unit-tested.

pub mod breaker;
pub mod bucket_logging;
pub mod copy;
pub mod glob;
pub mod guard_rules;
pub mod harvest;
pub mod logging;
pub mod priority;
pub mod recovery;
