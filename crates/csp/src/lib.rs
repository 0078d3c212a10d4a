//! csp: Go's concurrency model for async Rust.
pub use csp_core::*;

pub use csp_core::time::{after, sleep, tick, Ticker, Timer};
pub use csp_sync::{
    atomic, Cond, Mutex, MutexGuard, Once, RwMutex, RwMutexReadGuard, RwMutexWriteGuard, WaitGroup,
};

/// The names most csp programs use: `use csp::prelude::*;`.
pub mod prelude {
    pub use crate::{after, sleep, tick, Cond, Mutex, Once, RwMutex, Ticker, Timer, WaitGroup};
}
