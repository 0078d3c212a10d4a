//! csp-core: the runtime under csp.
//!
//! Goroutines ([`go`]), Go-semantic channels (`chan`), the select engine,
//! timers as channels and the goroutine registry. Users depend on the `csp`
//! facade, which re-exports this crate; see its docs for the Go → csp table.

// Until chan/ and select/ land, parts of the switch module are unused.
#[allow(dead_code, unused_imports)]
pub(crate) mod loom;

pub mod goroutine;
pub mod runtime;

pub use goroutine::{
    go, goroutines, num_goroutine, GoroutineInfo, GoroutineState, JoinError, JoinHandle, WaitReason,
};
pub use runtime::{
    blocking, gomaxprocs, gosched, num_cpu, run, PanicPolicy, Runtime, RuntimeError,
};
