//! The timer flavor of a channel: Go 1.23's timer channels, whose readiness
//! is their deadline. A channel made by `time::after`, `tick`, `Timer` or
//! `Ticker` carries a [`TimedSource`] in its state: a receive finds a value
//! there when the deadline has passed, checked when the receive looks (so an
//! expired timer is ready at once, like any ready channel in a select), and
//! nothing is registered with Tokio's timer until a receiver parks.
//!
//! # Invariants
//! - A value exists only when taken: [`TimedSource::take_due`] makes it from
//!   the current time and consumes the deadline (one-shot: cleared; periodic:
//!   advanced past now, skipping missed ticks). Nothing is buffered, so a
//!   `stop` or `reset` can leave no stale value behind.
//! - The source is registered with Tokio's timer ("armed") only while a
//!   receive hook waits in the channel's receive queue and a deadline is set;
//!   the channel disarms it when its receive queue empties, the deadline
//!   goes, or it closes.
//! - A value handed to a receive that is then dropped goes back to the
//!   channel's buffer only if it is current ([`TimedSource::is_current`]);
//!   `stop` and `reset` discard a value given back before them
//!   ([`State::discard_given_back`](super::state::State::discard_given_back)),
//!   so the buffer never holds a stale value either.
//! - While armed the source holds a count that vetoes the deadlock report
//!   (a goroutine parked on a timer that will fire is not deadlocked).
//!
//! # Locking
//! Every method runs under the channel lock. Arming registers with Tokio's
//! timer (Tokio's own short lock, taken after ours; Tokio wakes timer wakers
//! after releasing it) and wakes nobody: when the timer fires, its waker
//! spawns a task that takes the channel lock and hands the value to a parked
//! receiver. The one thing done under the channel lock beyond the state
//! itself: arming a deadline that has already passed spawns that task at
//! once. It is csp's own task, runs no user code, and takes the lock only
//! after the arming thread releases it.
//! - Lock order: channel lock, then Tokio's timer lock; never the reverse.

use tokio::time::Instant as TokioInstant;

/// The deadline-driven value source of a timer channel (see the module docs).
pub(crate) trait TimedSource<T>: Send {
    /// Whether a deadline is set (a value is due now or later).
    fn pending(&self) -> bool;
    /// The value if the deadline has passed by `now`; consumes the deadline.
    fn take_due(&mut self, now: TokioInstant) -> Option<T>;
    /// The deadline before the last `take_due`, put back when the value it
    /// made found no receiver.
    fn untake(&mut self, deadline: Option<TokioInstant>);
    /// The current deadline.
    fn deadline(&self) -> Option<TokioInstant>;
    /// Registers with Tokio's timer for the current deadline, if one is set
    /// and not registered yet (a receiver parked). A deadline that has
    /// already passed fires at once, from a task.
    fn arm(&mut self);
    /// Deregisters from Tokio's timer (no receiver is parked any more).
    fn disarm(&mut self);
    /// Go's `Stop`: clears the deadline and disarms; returns whether a
    /// deadline was set.
    fn stop(&mut self) -> bool;
    /// Go's `Reset`: a new deadline (and period, for tickers); returns
    /// whether a deadline was set before. The caller re-arms if a receiver
    /// is parked.
    fn reset(&mut self, deadline: TokioInstant, period: Option<std::time::Duration>) -> bool;
    /// Whether `value`, made by this source and handed to a receive that was
    /// then dropped, belongs to the current arming (no `stop` or `reset`
    /// since it was made), so it may go back to the channel; a stale one is
    /// discarded instead.
    fn is_current(&self, value: &T) -> bool;
    /// A send hook was just queued. Timers ignore it; a demand watch
    /// ([`super::demand`]) wakes its watcher.
    fn sender_parked(&mut self) {}
    /// The demand watch, if this source is one.
    fn as_watch(&mut self) -> Option<&mut super::demand::Watch> {
        None
    }
}
