//! [`Ticker`] and [`tick`]: Go's `time.NewTicker` and `time.Tick`.
//!
//! # Invariants
//! - Ticks are delivered with `try_send` into a capacity-1 channel: a reader
//!   slower than the period finds at most one buffered tick; the others are
//!   dropped, and the schedule stays on multiples of the period (Go).
//! - The ticker's task stops on [`Ticker::stop`] and when every receiver is
//!   dropped (so `tick(d)` whose receiver is dropped does not leak).
//!
//! # Locking
//! See `clock.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::Clock;
use crate::chan::{Receiver, Sender};

const NON_POSITIVE: &str = "non-positive interval for NewTicker";

/// Delivers the time on a channel every period: Go's `time.Ticker`.
///
/// | Go | csp |
/// |---|---|
/// | `tk := time.NewTicker(d)` | `let tk = Ticker::new(d);` |
/// | `<-tk.C` | `tk.c.recv().await` |
/// | `tk.Stop()` | `tk.stop()` |
/// | `tk.Reset(d)` | `tk.reset(d)` |
///
/// Dropping a `Ticker` without [`stop`](Ticker::stop) leaves it ticking only
/// while a clone of [`c`](Ticker::c) lives: its task ends when the last
/// receiver is dropped (Go 1.23 collects unreferenced tickers likewise).
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::time::Duration;
/// let tk = csp_core::time::Ticker::new(Duration::from_millis(2));
/// for _ in 0..3 {
///     tk.c.recv().await.unwrap();
/// }
/// tk.stop();
/// # });
/// ```
#[derive(Debug)]
pub struct Ticker {
    /// The channel on which the ticks are delivered: Go's `tk.C`.
    pub c: Receiver<Instant>,
    tx: Sender<Instant>,
    clock: Arc<Clock>,
}

impl Ticker {
    /// A ticker delivering the time every `period`, first after one period:
    /// Go's `time.NewTicker(period)`.
    ///
    /// # Panics
    /// If `period` is zero (Go's message `non-positive interval for
    /// NewTicker`), or outside a Tokio runtime.
    #[track_caller]
    pub fn new(period: Duration) -> Self {
        assert!(!period.is_zero(), "{NON_POSITIVE}");
        let (clock, tx, c) = Clock::start(period, Some(period));
        Ticker { c, tx, clock }
    }

    /// Stops the ticker: Go's `tk.Stop()`. No tick is received after it
    /// returns (an unread one is removed); the channel is not closed.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::time::Duration;
    /// let tk = csp_core::time::Ticker::new(Duration::from_millis(1));
    /// tk.stop();
    /// tokio::time::sleep(Duration::from_millis(10)).await;
    /// assert!(tk.c.try_recv().is_err());
    /// # });
    /// ```
    pub fn stop(&self) {
        self.clock.stop(&self.c);
    }

    /// Changes the period to `period` and restarts the schedule from now:
    /// Go's `tk.Reset(period)`. Also restarts a stopped ticker.
    ///
    /// # Panics
    /// If `period` is zero (`non-positive interval for Ticker.Reset`), or
    /// outside a Tokio runtime when the ticker had stopped.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::time::Duration;
    /// let tk = csp_core::time::Ticker::new(Duration::from_secs(3600));
    /// tk.reset(Duration::from_millis(1));
    /// assert!(tk.c.recv().await.is_some());
    /// # });
    /// ```
    #[track_caller]
    pub fn reset(&self, period: Duration) {
        assert!(!period.is_zero(), "non-positive interval for Ticker.Reset");
        self.clock.reset(period, Some(period), &self.tx, &self.c);
    }

    /// The receiver, for code that prefers a method to the field (Go's `tk.C`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.c
    }
}

/// A channel that delivers the time every `period`: Go's `time.Tick(period)`.
///
/// Ticks are dropped for a slow reader (at most one waits in the channel).
/// The ticker cannot be stopped except by dropping every clone of the
/// receiver, which ends its timer task.
///
/// # Panics
/// If `period` is zero (Go's `Tick` returns a nil channel there; csp refuses
/// rather than hand out a channel that never delivers), or outside a Tokio
/// runtime.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::time::Duration;
/// let ticks = csp_core::time::tick(Duration::from_millis(2));
/// let (a, b) = (ticks.recv().await.unwrap(), ticks.recv().await.unwrap());
/// assert!(b > a);
/// # });
/// ```
#[track_caller]
pub fn tick(period: Duration) -> Receiver<Instant> {
    assert!(!period.is_zero(), "{NON_POSITIVE}");
    let (_clock, _tx, rx) = Clock::start(period, Some(period));
    rx
}
