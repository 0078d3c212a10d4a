//! Tokio's cooperative budget, spent in proportion to the work a channel
//! operation does. Go preempts a goroutine that loops over always-ready
//! channels; a Tokio task must yield on its own, and the budget is how Tokio
//! tells it to (a task gets 128 units per poll).
//!
//! # Invariants
//! - Every [`STRIDE`]-th channel operation that completes without parking on
//!   a thread spends one unit; the others spend nothing. So a loop over an
//!   always-ready channel yields after at most `128 * STRIDE` operations,
//!   a few microseconds.
//! - An operation that parks gives back what it spent (Tokio's
//!   `RestoreOnPending`): only completed operations count.
//! - When the budget is exhausted, the operation returns `Pending` with its
//!   task already rescheduled by Tokio, and does nothing to the channel.
//! - A `select` spends one unit each time ([`poll_unit`]): it locks every
//!   case's channel, so it is worth several plain operations.
//!
//! # Why one unit per two operations
//! A channel operation costs 10-20 ns; one unit each made a busy task yield
//! every 128 operations, and each yield costs a trip through the scheduler
//! (on a multi-worker runtime it may wake an idle worker to steal the task).
//! Spending less often trades that cost against how long a busy task keeps
//! its worker from the tasks queued behind it. Measured on a 2-worker
//! runtime (`benches/chan.rs`, and `benches/latency.rs`, whose probe task
//! waits behind 4:4 traffic at capacity 64), one unit per 1, 2, 4 and 8
//! operations:
//! - the probe's scheduling latency, p50 / p99: 12 / 124 µs, 17 / 200 µs,
//!   314 / 725 µs, 375 / 850 µs: past 2 the busy tasks hold their worker
//!   for hundreds of microseconds;
//! - MPSC 4:1 and MPMC 4:4 at capacity 64 and ping-pong: 1 was 15% slower
//!   than 8; 2 measured level with 8;
//! - an uncontended send + receive: 45 ns at 1 and 2, 32 ns at 8.
//!
//! So 2. The counter is per thread, not per task: it only sets the rate at
//! which units are spent.
//!
//! Re-measured on a second VM (2026-12-02, two runs each): at 4 and 8 the
//! probe beside 4:4 traffic at capacity 64 waited 390-510 µs (p50) and
//! 0.9-1.0 ms (p99), against 12 µs and 138-223 µs at 2, and the traffic moved
//! no more (17.9-23.6 against 22.6-23.2 Mmsg/s).
//!
//! # What it costs
//! Against kanal, which spends no budget: with this module's spending removed
//! (an experiment build, three criterion rounds) an uncontended send +
//! receive took 23-30 ns (kanal 24, csp 36-39 in that phase of the VM) and
//! SPSC at capacity 64 41-50 ns (kanal 36-39, csp 45-59). Two parts: each
//! unit is a call into Tokio's thread-local context (about 4 ns here), and a
//! task that runs out yields. On the contended flows the yields cost nothing
//! measurable: the `csp-unconstrained` rows of `benches/chan.rs` are level
//! with or slower than `csp`.
//!
//! # Opting out
//! A task that must never yield on csp's account can run under
//! `tokio::task::unconstrained`: then no operation spends anything. On a
//! 2-worker runtime whose other worker is idle each yield also wakes that
//! worker (Tokio hands it the search for work), which is most of what the
//! budget costs: an uncontended send + receive measured 26 ns unconstrained
//! against 41-56 ns with the budget (kanal, which spends none: 29-31 ns,
//! same run). On the contended flows the budget cost nothing measurable.

use std::cell::Cell;
use std::task::{Context, Poll};

use tokio::task::coop;

/// Completed operations per unit of budget.
pub(crate) const STRIDE: u8 = 2;

thread_local! {
    /// Operations completed on this thread since a unit was last spent.
    static SINCE_SPENT: Cell<u8> = const { Cell::new(0) };
}

/// The budget a starting operation took: settle it with [`Spent::made_progress`]
/// when the operation completes; dropping it (the operation parked) gives it back.
pub(crate) struct Spent(Option<coop::RestoreOnPending>);

impl Spent {
    /// The operation completed: keep what it spent.
    #[inline]
    pub(crate) fn made_progress(self) {
        if let Some(restore) = self.0 {
            restore.made_progress();
            // After `made_progress` the guard's drop restores nothing: skip
            // its out-of-line call.
            std::mem::forget(restore);
        }
    }
}

/// Takes budget for one operation: `Pending` (the task is rescheduled) if it
/// is this operation's turn to spend a unit and the task has none left.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Spent> {
    let due = SINCE_SPENT.with(|since| {
        let next = since.get() + 1;
        let due = next == STRIDE;
        since.set(if due { 0 } else { next });
        due
    });
    if !due {
        return Poll::Ready(Spent(None));
    }
    poll_unit(cx)
}

/// Takes one unit of budget now: a `select`'s share, and every
/// [`STRIDE`]-th channel operation's.
#[inline]
pub(crate) fn poll_unit(cx: &mut Context<'_>) -> Poll<Spent> {
    coop::poll_proceed(cx).map(|restore| Spent(Some(restore)))
}
