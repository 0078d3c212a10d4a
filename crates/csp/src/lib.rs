//! csp: Go's concurrency model for async Rust — goroutines, channels, select
//! and `sync.WaitGroup` — on Tokio, with Go semantics.
//!
//! # Getting started
//!
//! `#[csp::main]` runs `async fn main` as the main goroutine; [`go`] starts
//! goroutines; when `main` returns the program ends, as in Go.
//!
//! ```
//! use csp::prelude::*;
//!
//! #[csp::main]
//! async fn main() {
//!     let worker = go(async {
//!         for _ in 0..3 {
//!             gosched().await; // let other goroutines run
//!         }
//!         "done"
//!     });
//!     println!("gomaxprocs={} goroutines={}", gomaxprocs(), num_goroutine());
//!     assert_eq!(worker.await.unwrap(), "done");
//! }
//! ```
//!
//! Without attributes, [`run`] does the same: `csp::run(async { ... })`.
//! Tests use `#[csp::test]`, which adds a timeout (60 s by default) so a hang
//! fails the test.
//!
//! # Go → csp
//!
//! | Go | csp |
//! |---|---|
//! | `func main()` | `#[csp::main] async fn main()`, or [`run`]`(async { .. })` |
//! | `func TestX(t *testing.T)` | `#[csp::test] async fn x()` (`timeout_secs = N`) |
//! | `go f(x)` | [`go`]`(f(x))`; the [`JoinHandle`] may be dropped or awaited |
//! | `runtime.Gosched()` | [`gosched`]`().await` |
//! | a blocking syscall | [`blocking`]`(\|\| ..).await` |
//! | `runtime.GOMAXPROCS(0)`, `runtime.NumGoroutine()` | [`gomaxprocs`]`()`, [`num_goroutine`]`()` |
//! | `runtime.NumCPU()` | [`num_cpu`]`()` |
//! | `GOMAXPROCS=n` | the same variable, or `Runtime::builder().gomaxprocs(n)` |
//! | goroutine dump | [`goroutines`]`()` (id, state, wait reason, locations) |
//!
//! # Runtime, GOMAXPROCS and panics
//!
//! A csp [`Runtime`] is a Tokio multi-thread runtime with GOMAXPROCS worker
//! threads: the `GOMAXPROCS` environment variable when set, else the number of
//! cores; an invalid value is an error naming the variable and the value.
//! A goroutine panic crashes the program with Go's report and exit status 2;
//! `Runtime::builder().on_goroutine_panic(PanicPolicy::Propagate)` surfaces it
//! through the [`JoinHandle`] instead.
//!
//! [`go`] also works inside a Tokio runtime csp did not build (for example
//! under `#[tokio::main]`), so an existing service can adopt csp piece by
//! piece; GOMAXPROCS and the crash-on-panic policy need csp's own runtime.

pub use csp_core::time::{after, sleep, tick, Ticker, Timer};
pub use csp_core::*;
pub use csp_macros::{main, select, test};
pub use csp_sync::{
    atomic, Cond, Mutex, MutexGuard, Once, RwMutex, RwMutexReadGuard, RwMutexWriteGuard, WaitGroup,
};

/// The names most programs need: `use csp::prelude::*;`.
pub mod prelude {
    pub use crate::{after, sleep, tick, Cond, Mutex, Once, RwMutex, Ticker, Timer, WaitGroup};
    pub use csp_core::{
        blocking, chan, go, gomaxprocs, gosched, num_cpu, num_goroutine, run, JoinHandle, Receiver,
        Runtime, Sender,
    };
    pub use csp_macros::select;
}

/// Compiles and runs the README's example as a doctest, so it cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Paths the macros expand to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use csp_core::runtime::{run_main, run_test, with_output, TestConfig};
    pub use csp_core::select::*;
}
