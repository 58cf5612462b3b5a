//! Pure decision functions: no I/O, exhaustively unit-tested.

pub mod breaker;
pub mod logging;
