//! [`blocking`]: run a blocking call off the worker threads.
//!
//! # Invariants
//! - The closure runs on Tokio's blocking pool, never on a worker thread, so
//!   the GOMAXPROCS workers keep running goroutines meanwhile.
//! - From the call until the closure returns, an `ExternalWaker` is held: the
//!   deadlock detector never reports while a blocking closure may still send.

use std::panic::resume_unwind;

/// Runs a blocking closure (file I/O, a C call, heavy CPU work) on a separate
/// thread and returns its result, without stalling other goroutines.
///
/// Mirrors what Go does implicitly on a blocking syscall: it hands the
/// goroutine's P to another thread. In async Rust it must be explicit.
/// Built on `tokio::task::spawn_blocking`; the blocking pool belongs to the
/// runtime and is not bounded by GOMAXPROCS.
///
/// # Panics
///
/// If `f` panics, the panic resumes in the caller (with the same payload).
/// Panics if called outside a Tokio runtime, pointing to `csp::run`.
///
/// # Examples
///
/// ```
/// csp_core::run(async {
///     let n = csp_core::blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0)).await;
///     let _ = n;
/// });
/// ```
///
/// # Cancel safety
///
/// Dropping the future does not stop the closure; it runs to completion and
/// its result is dropped.
#[track_caller]
pub fn blocking<F, R>(f: F) -> impl std::future::Future<Output = R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let at = std::panic::Location::caller();
    let handle = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "csp::blocking called outside a runtime (at {at}): call it from a goroutine \
             under `csp::run(...)` or `#[csp::main] async fn main()`, or inside any Tokio runtime"
        ),
    };
    // The closure may feed a channel even if this future is dropped: until
    // it returns it is a possible waker for the deadlock detector.
    let waker = crate::goroutine::ExternalWaker::new();
    let task = handle.spawn_blocking(move || {
        let _waker = waker;
        f()
    });
    async move {
        match task.await {
            Ok(out) => out,
            Err(e) => match e.try_into_panic() {
                Ok(payload) => resume_unwind(payload),
                Err(e) => panic!("csp::blocking: the blocking call was cancelled: {e}"),
            },
        }
    }
}
