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
//! Spending a unit per operation made busy tasks yield (a trip through the
//! scheduler) every 128 operations; spending one per 4 or more let them hold
//! their worker for hundreds of microseconds. The counter is per thread, not
//! per task: it only sets the rate at which units are spent. A task that must
//! never yield on csp's account runs under `tokio::task::unconstrained`.
//! The measurements: `docs/performance.md`, "The cooperative budget".

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
