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
//! - Every duration saturates: a timer, ticker period, sleep or timeout
//!   longer than `FAR` (about 30 years, up to `Duration::MAX`) is due
//!   after `FAR`, i.e. never in practice, as a Go timer that far out never
//!   fires; no deadline arithmetic overflows and Tokio's timer is never
//!   handed a deadline it cannot hold.
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

use std::time::Duration;

use tokio::time::Instant as TokioInstant;

use crate::loom::unmodeled::{AtomicUsize, Ordering};

pub use after_func::{after_func, AfterFunc};
pub use sleep::{sleep, Sleep};
pub use ticker::{tick, Ticker};
pub use timer::{after, Timer};

/// The longest wait csp schedules: about 30 years, the cap Tokio's own
/// `sleep` applies (a deadline 100 years out overflows `Instant` on some
/// platforms). Longer durations saturate to it.
pub(crate) const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// The instant `d` after `from`, with `d` saturated to [`FAR`]; if even that
/// overflows (`from` is itself far out), `FAR` from now.
pub(crate) fn deadline_after(from: TokioInstant, d: Duration) -> TokioInstant {
    from.checked_add(d.min(FAR))
        .unwrap_or_else(|| TokioInstant::now() + FAR)
}

/// The Tokio runtime the time functions schedule on, or csp's message
/// naming `what` and how to get one (instead of Tokio's "no reactor").
#[track_caller]
pub(crate) fn current_handle(what: &str) -> tokio::runtime::Handle {
    current_handle_at(what, std::panic::Location::caller())
}

/// [`current_handle`] for a call made at `at` (a future polled later).
pub(crate) fn current_handle_at(
    what: &str,
    at: &std::panic::Location<'_>,
) -> tokio::runtime::Handle {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "csp: `{what}` used outside a runtime (at {at}): use it in a goroutine under \
             `csp::run(...)` or `#[csp::main] async fn main()`, or inside any Tokio runtime \
             with its time driver enabled"
        ),
    }
}

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
