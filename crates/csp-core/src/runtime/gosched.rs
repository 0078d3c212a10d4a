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
/// runnable. Tokio's `yield_now` instead holds the task back until its
/// worker has run out of other work, has tried to steal from the others and
/// has polled the I/O driver. Measured (`benches/sched.rs`, 2 workers, time
/// per yield): one task yielding in a loop 161 ns, against 675 ns with
/// `yield_now` and Go's 74; four tasks 52 ns, against 251 and Go's 202.
/// I/O and timer events are still polled at Tokio's regular interval while
/// goroutines keep yielding. As in Go, an idle worker may be woken to take
/// the yielding goroutine, so a receiver that polls a channel may end up on
/// another worker than its sender, which costs cache traffic per message
/// (`benches/chan.rs` `poll`, against `yield_now`, five runs: 1.4-1.7x
/// faster at capacity 1; at capacity 64 from level to 1.5x slower, and level
/// with Go).
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
