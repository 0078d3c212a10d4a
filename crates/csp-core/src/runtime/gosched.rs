//! [`gosched`]: yield the worker to other goroutines.
//!
//! # Invariants
//! - The future completes on its second poll; between the two, every other
//!   goroutine already runnable on this worker gets a turn: the first poll
//!   wakes its own task, which Tokio then queues behind every task runnable
//!   on this worker (a task woken while it runs goes to the back of the
//!   worker's queue, never to its LIFO slot).
//! - It never parks: a goroutine in `gosched` counts as running (no wait
//!   reason is recorded), as in Go.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields the processor, letting other goroutines run; resumes automatically.
///
/// Mirrors Go's `runtime.Gosched()`. On a 1-worker runtime (`GOMAXPROCS=1`),
/// two CPU-bound goroutines interleave only at such points, as in Go's tour
/// (`say("world")` / `say("hello")`).
///
/// Like Go's, it puts the goroutine at the back of the run queue and picks
/// the next runnable one, so a loop that yields while it polls (`select`
/// with a `default` that calls `gosched`) costs little when nothing else is
/// runnable; Tokio's `yield_now` instead holds the task back until its worker
/// has run out of other work (`docs/performance.md` has the measurements).
/// I/O and timer events are still polled at Tokio's regular interval while
/// goroutines keep yielding. As in Go, an idle worker may be woken to take
/// the yielding goroutine.
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
    Yield { yielded: false }.await
}

/// The future behind [`gosched`]: pending once, with its task woken.
struct Yield {
    yielded: bool,
}

impl Future for Yield {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
