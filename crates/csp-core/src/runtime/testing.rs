//! The runners behind `#[csp::main]` and `#[csp::test]` (hidden API: the
//! macros expand to calls into this file through `csp::__private`).
//!
//! # Invariants
//! - A `#[csp::test]` body runs as the main goroutine of its own runtime on a
//!   separate thread; the test thread only waits, so a hung body (even one
//!   that blocks its worker synchronously) fails after the timeout with
//!   "test timed out after N s".
//! - The first goroutine panic or deadlock in a test fails the test with Go's
//!   report (`fatal error: all goroutines are asleep - deadlock!` and the
//!   dump); the body's thread then stays parked until the process ends. A
//!   panic of the body itself is resumed with its original payload, so
//!   `#[should_panic(expected = ...)]` works.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::mpsc;
use std::time::Duration;

use super::{Builder, Runtime};

/// Settings of one `#[csp::test]`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct TestConfig {
    /// Fail the test if it has not finished after this many seconds.
    pub timeout_secs: u64,
    /// The runtime's GOMAXPROCS; `None`: environment or core count.
    pub gomaxprocs: Option<usize>,
}

/// What the body's thread tells the waiting test thread.
enum Event<T> {
    Done(T),
    MainPanicked(Box<dyn Any + Send>),
    /// Go's report of a goroutine panic or of a deadlock.
    Fatal(String),
}

/// Returns `fut` unchanged; its explicit `T` tells type inference the body's
/// output type (so `?` in a `#[csp::main]`/`#[csp::test]` body converts errors
/// into the declared return type).
#[doc(hidden)]
pub fn with_output<T, F: Future<Output = T>>(fut: F) -> F {
    fut
}

/// `#[csp::main]`: runs `fut` as main on a new runtime; an invalid
/// `GOMAXPROCS` prints the error and exits with status 2.
#[doc(hidden)]
#[track_caller]
pub fn run_main<F>(gomaxprocs: Option<usize>, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut builder = Runtime::builder();
    if let Some(n) = gomaxprocs {
        builder = builder.gomaxprocs(n);
    }
    match builder.build() {
        Ok(rt) => rt.run(fut),
        Err(e) => {
            eprintln!("csp: {e}");
            std::process::exit(2)
        }
    }
}

/// `#[csp::test]`: runs the body made by `make` as main on a new runtime,
/// failing on timeout, on a goroutine panic, or on the body's own panic.
#[doc(hidden)]
#[track_caller]
pub fn run_test<M, F>(config: TestConfig, make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let at = Location::caller();
    let (tx, rx) = mpsc::channel::<Event<F::Output>>();
    let report_tx = tx.clone();
    let mut builder = Builder::new().report_panics_to(std::sync::Arc::new(move |report| {
        let _ = report_tx.send(Event::Fatal(report));
    }));
    if let Some(n) = config.gomaxprocs {
        builder = builder.gomaxprocs(n);
    }
    let rt = builder.build().unwrap_or_else(|e| panic!("csp::test: {e}"));
    std::thread::Builder::new()
        .name("csp-test-main".into())
        .spawn(move || {
            let out = catch_unwind(AssertUnwindSafe(|| rt.run(make())));
            drop(rt);
            let _ = tx.send(match out {
                Ok(out) => Event::Done(out),
                Err(payload) => Event::MainPanicked(payload),
            });
        })
        .unwrap_or_else(|e| panic!("csp::test: cannot start the test thread: {e}"));
    match rx.recv_timeout(Duration::from_secs(config.timeout_secs)) {
        Ok(Event::Done(out)) => out,
        Ok(Event::MainPanicked(payload)) => resume_unwind(payload),
        Ok(Event::Fatal(report)) => panic!("{report}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "test timed out after {} s (csp::test at {at}); \
             raise it with #[csp::test(timeout_secs = N)]",
            config.timeout_secs
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("csp::test: the test thread ended without a result")
        }
    }
}
