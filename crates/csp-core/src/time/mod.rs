//! Go's `time` package, the parts that meet concurrency: timers delivered as
//! channels ([`after`], [`tick`], [`Timer`], [`Ticker`]) and [`sleep`].
//!
//! Contents:
//! 1. `clock`: the one timer engine: a control block and a timer task on the
//!    current Tokio runtime that feeds a capacity-1 channel.
//! 2. `timer`: [`Timer`] and [`after`] (Go's `time.NewTimer`, `time.After`).
//! 3. `ticker`: [`Ticker`] and [`tick`] (Go's `time.NewTicker`, `time.Tick`).
//! 4. `sleep`: [`sleep`] (Go's `time.Sleep`).
//!
//! The receivers are ordinary csp [`Receiver`](crate::Receiver)s, so they work
//! everywhere a channel does: `recv().await`, `try_recv`, and as `select`
//! cases (`RecvCase::new(after(d))`).
//!
//! # Invariants
//! - A timer task runs while its control block has a deadline and its channel
//!   is open. It stops when the deadline is cleared (`stop`, or a one-shot
//!   timer firing) and when the channel closes (every receiver dropped), so
//!   an abandoned `tick(d)` does not leak a task.
//! - Deliveries use `try_send` on the capacity-1 channel: a slow reader finds
//!   at most one buffered tick and the rest are dropped, as in Go.
//! - `PENDING_TIMERS` counts the csp timers that may still fire: every live
//!   timer task and every unfinished [`Sleep`]. It is incremented before a
//!   task is spawned (synchronously, so a goroutine that then parks on the
//!   channel is never seen with the count still at zero) and decremented when
//!   the task ends or the `Sleep` completes or is dropped. Each count holds an
//!   `ExternalWaker`, which the deadlock detector reads: goroutines all blocked while a timer is pending is
//!   not a deadlock (Go's `checkdead` makes the same exception), since the
//!   timer will wake one of them.
//!
//! # Locking
//! Each control block has one short mutex (deadline, period, whether its task
//! runs). Lock order: control block, then the channel lock (a delivery is a
//! `try_send` under the control lock, which makes `stop`/`reset` exact).

mod clock;
mod sleep;
mod ticker;
mod timer;

use std::sync::atomic::{AtomicUsize, Ordering};

pub use sleep::{sleep, Sleep};
pub use ticker::{tick, Ticker};
pub use timer::{after, Timer};

/// The number of csp timers that may still fire (live timer tasks plus
/// pending [`Sleep`]s). See the module's invariants; read by the deadlock
/// detector. A plain `std` atomic on purpose: a process-wide counter, not
/// part of any loom model.
pub(crate) static PENDING_TIMERS: AtomicUsize = AtomicUsize::new(0);

/// How many csp timers may still fire right now (a snapshot). Diagnostics
/// and tests; the deadlock detector reads the same counter.
#[doc(hidden)]
pub fn pending_timers() -> usize {
    PENDING_TIMERS.load(Ordering::Acquire)
}

/// One count in `PENDING_TIMERS`, released on drop. It is also an
/// [`ExternalWaker`](crate::ExternalWaker): the deadlock detector never reports
/// while a csp timer may still fire.
#[derive(Debug)]
pub(crate) struct PendingTimer(#[allow(dead_code)] crate::ExternalWaker);

impl PendingTimer {
    pub(crate) fn new() -> Self {
        PENDING_TIMERS.fetch_add(1, Ordering::AcqRel);
        PendingTimer(crate::ExternalWaker::new())
    }
}

impl Drop for PendingTimer {
    fn drop(&mut self) {
        PENDING_TIMERS.fetch_sub(1, Ordering::AcqRel);
    }
}
