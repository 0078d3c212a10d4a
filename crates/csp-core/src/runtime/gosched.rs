//! [`gosched`]: yield the worker to other goroutines.
//!
//! # Invariants
//! - The future completes on its second poll; between the two, every other
//!   goroutine already runnable on this worker gets a turn.

/// Yields the processor, letting other goroutines run; resumes automatically.
///
/// Mirrors Go's `runtime.Gosched()`. On a 1-worker runtime (`GOMAXPROCS=1`),
/// two CPU-bound goroutines interleave only at such points, as in Go's tour
/// (`say("world")` / `say("hello")`). Built on `tokio::task::yield_now`.
///
/// # Examples
///
/// ```
/// csp_core::run(async {
///     for _ in 0..3 {
///         csp_core::gosched().await;
///     }
/// });
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it has no effect.
pub async fn gosched() {
    tokio::task::yield_now().await;
}
