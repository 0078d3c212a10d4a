//! [`Ticker`] and [`tick`]: Go's `time.NewTicker` and `time.Tick`.
//!
//! # Invariants
//! - A reader slower than the period finds one tick waiting (the others are
//!   skipped), and the schedule stays on multiples of the period (Go).
//! - Nothing runs for a ticker nobody waits on: Tokio's timer is involved
//!   only while a receive is parked on it, and dropping every receiver frees
//!   it (so `tick(d)` whose receiver is dropped leaks nothing).
//!
//! # Locking
//! See `clock.rs`.

use std::time::{Duration, Instant};

use super::clock;
use crate::chan::Receiver;

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
/// while a clone of [`c`](Ticker::c) lives (Go 1.23 collects unreferenced
/// tickers likewise).
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
}

impl Ticker {
    /// A ticker delivering the time every `period`, first after one period:
    /// Go's `time.NewTicker(period)`. A `period` past about 30 years (up to
    /// `Duration::MAX`) saturates: it never ticks in practice.
    ///
    /// # Panics
    /// If `period` is zero (Go's message `non-positive interval for
    /// NewTicker`), or outside a Tokio runtime.
    #[track_caller]
    pub fn new(period: Duration) -> Self {
        assert!(!period.is_zero(), "{NON_POSITIVE}");
        Ticker {
            c: clock::start("Ticker::new", period, Some(period)),
        }
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
        clock::stop(&self.c.chan);
    }

    /// Changes the period to `period` and restarts the schedule from now:
    /// Go's `tk.Reset(period)`. Also restarts a stopped ticker. `period`
    /// saturates as in [`new`](Self::new).
    ///
    /// # Panics
    /// If `period` is zero (`non-positive interval for Ticker.Reset`).
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
        clock::reset(&self.c.chan, period, Some(period));
    }

    /// The receiver, for code that prefers a method to the field (Go's `tk.C`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.c
    }
}

/// A channel that delivers the time every `period`: Go's `time.Tick(period)`.
///
/// Ticks are skipped for a slow reader (at most one waits). The ticker
/// cannot be stopped except by dropping every clone of the receiver, which
/// frees it. An elapsed tick is ready at once, as any ready channel. A
/// `period` past about 30 years saturates, as in [`Ticker::new`].
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
    clock::start("time::tick", period, Some(period))
}
