//! Go's `time` package, the parts that meet concurrency: timers delivered as
//! channels ([`after`], [`tick`], [`Timer`], [`Ticker`]) and [`sleep`].
//!
//! Contents:
//! 1. `clock`: the one timer engine: Go 1.23's timer channels, whose value
//!    source lives in the channel (`crate::chan::timed`): ready once the
//!    deadline has passed, registered with Tokio's timer only while a
//!    receive is parked on them.
//! 2. `timer`: [`Timer`] and [`after`] (Go's `time.NewTimer`, `time.After`).
//! 3. `ticker`: [`Ticker`] and [`tick`] (Go's `time.NewTicker`, `time.Tick`).
//! 4. `after_func`: [`after_func`] and [`AfterFunc`] (Go's `time.AfterFunc`).
//! 5. `sleep`: [`sleep`] (Go's `time.Sleep`).
//!
//! The receivers are ordinary csp [`Receiver`](crate::Receiver)s, so they work
//! everywhere a channel does: `recv().await`, `try_recv`, and as `select`
//! cases (`RecvCase::new(after(d))`).
//!
//! # Invariants
//! - A timer channel costs nothing while nobody waits on it: no task, no
//!   Tokio timer entry. Its value is made when a receive takes it.
//! - `PENDING_TIMERS` counts the csp timers that will wake someone: every
//!   timer channel with a parked receiver (while it is registered with
//!   Tokio's timer), every pending [`AfterFunc`] and every unfinished
//!   [`Sleep`]. Each count holds an `ExternalWaker`, which the deadlock
//!   detector reads: goroutines all blocked while such a timer is pending is
//!   not a deadlock (Go's `checkdead` makes the same exception), since the
//!   timer will wake one of them. A count is taken before the parking
//!   goroutine's poll returns, so it is never seen parked without it.
//!
//! # Locking
//! A timer channel's clock lives in its channel state, under the channel
//! lock; an [`AfterFunc`] has one short mutex. Lock order: channel lock,
//! then Tokio's timer lock.

mod after_func;
mod clock;
mod sleep;
mod ticker;
mod timer;

use crate::loom::unmodeled::{AtomicUsize, Ordering};

pub use after_func::{after_func, AfterFunc};
pub use sleep::{sleep, Sleep};
pub use ticker::{tick, Ticker};
pub use timer::{after, Timer};

/// The number of csp timers that will wake someone (see the module's
/// invariants); read by the deadlock detector. A plain `std` atomic on purpose: a process-wide counter, not
/// part of any loom model.
pub(crate) static PENDING_TIMERS: AtomicUsize = AtomicUsize::new(0);

/// How many csp timers will wake someone right now (a snapshot): timer
/// channels with a parked receiver, pending `AfterFunc`s and `Sleep`s.
/// Diagnostics and tests; the deadlock detector reads the same counter.
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
