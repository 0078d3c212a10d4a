//! [`Timer`] and [`after`]: Go's `time.NewTimer` and `time.After`.
//!
//! # Invariants
//! - At most one value is received per arming (`new` or `reset`); after
//!   `stop`/`reset` returns, no value of an earlier arming can be received
//!   (Go 1.23's guarantee: the value is made only when received).
//! - Dropping a `Timer` does not stop it: a surviving receiver clone still
//!   gets its value. Dropping every receiver frees it, with nothing left
//!   registered with Tokio's timer.
//!
//! # Locking
//! See `clock.rs`.

use std::time::{Duration, Instant};

use super::clock;
use crate::chan::Receiver;

/// A single event delivered on a channel after a duration: Go's `time.Timer`.
///
/// | Go | csp |
/// |---|---|
/// | `t := time.NewTimer(d)` | `let t = Timer::new(d);` |
/// | `<-t.C` | `t.c.recv().await` |
/// | `t.Stop()` | `t.stop()` |
/// | `t.Reset(d)` | `t.reset(d)` |
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::time::Duration;
/// let t = csp_core::time::Timer::new(Duration::from_millis(5));
/// let fired = t.c.recv().await.unwrap();
/// assert!(fired.elapsed() < Duration::from_secs(5));
/// # });
/// ```
#[derive(Debug)]
pub struct Timer {
    /// The channel on which the time is delivered: Go's `t.C`.
    pub c: Receiver<Instant>,
}

impl Timer {
    /// A timer that sends the current time on [`c`](Self::c) after `d`:
    /// Go's `time.NewTimer(d)`.
    ///
    /// The channel is ready from the moment `d` has passed (a select sees it
    /// ready at once, as any ready channel); nothing is registered with
    /// Tokio's timer unless a receive waits on it. A `d` past about 30 years
    /// (up to `Duration::MAX`) saturates: the timer never fires in practice,
    /// as a Go timer that far out.
    ///
    /// # Panics
    /// Outside a Tokio runtime (the timer uses the current one's clock).
    #[track_caller]
    pub fn new(d: Duration) -> Self {
        Timer {
            c: clock::start("Timer::new", d, None),
        }
    }

    /// Stops the timer: Go's `t.Stop()`. Returns `true` if this call stopped
    /// it, i.e. its value had not been received yet (still pending, or
    /// expired but unread), `false` if it had already been received or the
    /// timer was stopped.
    ///
    /// After `stop` returns, receiving from `c` waits for a later
    /// [`reset`](Self::reset) (Go 1.23 semantics: no stale value).
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::time::Duration;
    /// let t = csp_core::time::Timer::new(Duration::from_millis(1));
    /// assert!(t.stop());
    /// tokio::time::sleep(Duration::from_millis(20)).await;
    /// assert!(t.c.try_recv().is_err()); // never delivered
    /// # });
    /// ```
    pub fn stop(&self) -> bool {
        clock::stop(&self.c.chan)
    }

    /// Re-arms the timer to fire `d` from now: Go's `t.Reset(d)`. Returns
    /// what [`stop`](Self::stop) would have returned. An unread value of the
    /// previous arming is gone. `d` saturates as in [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::time::Duration;
    /// let t = csp_core::time::Timer::new(Duration::from_secs(3600));
    /// t.reset(Duration::from_millis(1));
    /// assert!(t.c.recv().await.is_some());
    /// # });
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        clock::reset(&self.c.chan, d, None)
    }

    /// The receiver, for code that prefers a method to the field (Go's `t.C`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.c
    }
}

/// Waits for `d` and then sends the current time on the returned channel:
/// Go's `time.After(d)`.
///
/// The channel yields exactly once and then stays open with nothing more to
/// receive (as Go's). Use it as a timeout in a `select`. It is cheap, as in
/// Go 1.23: ready the moment `d` has passed (checked when a receive or
/// select looks), registered with Tokio's timer only while a receive waits
/// on it, and freed with nothing to cancel when dropped unfired. A `d` past
/// about 30 years (up to `Duration::MAX`) saturates: it never fires in
/// practice.
///
/// # Panics
/// Outside a Tokio runtime (the timer uses the current one's clock).
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use csp_core::select::{select, RecvCase};
/// use std::time::Duration;
/// let (_tx, rx) = csp_core::chan::<u32>(0); // nobody ever sends
/// let mut work = std::pin::pin!(RecvCase::new(&rx));
/// let mut timeout = std::pin::pin!(RecvCase::new(csp_core::time::after(Duration::from_millis(10))));
/// // select { case v := <-rx: ...; case <-time.After(10 * time.Millisecond): ... }
/// assert_eq!(select(&mut [work.as_mut(), timeout.as_mut()]).await, 1);
/// # });
/// ```
#[track_caller]
pub fn after(d: Duration) -> Receiver<Instant> {
    clock::start("time::after", d, None)
}
