//! [`sleep`]: Go's `time.Sleep`, counted as a pending timer.
//!
//! # Invariants
//! - A [`Sleep`] holds one count in `PENDING_TIMERS` from creation until it
//!   completes or is dropped, so a goroutine sleeping while all others are
//!   blocked is not a deadlock.
//! - It records no park: a sleeping goroutine counts as running for the
//!   deadlock detector (the timer, not another goroutine, wakes it).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::PendingTimer;

/// Pauses the current goroutine for at least `d`: Go's `time.Sleep(d)`.
///
/// A `d` past about 30 years (up to `Duration::MAX`) saturates: the sleep
/// never ends in practice, and nothing overflows.
///
/// # Panics
/// Outside a Tokio runtime (csp's message), or in one without its time
/// driver (Tokio's).
///
/// # Cancel safety
/// Cancel safe: dropping the future just cancels the sleep.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// csp_core::time::sleep(Duration::from_millis(5)).await;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// # });
/// ```
#[track_caller]
pub fn sleep(d: Duration) -> Sleep {
    drop(super::current_handle("time::sleep"));
    Sleep {
        inner: tokio::time::sleep(d),
        pending: Some(PendingTimer::new()),
    }
}

/// The future of [`sleep`].
#[pin_project::pin_project]
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    #[pin]
    inner: tokio::time::Sleep,
    pending: Option<PendingTimer>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let out = this.inner.poll(cx);
        if out.is_ready() {
            *this.pending = None;
        }
        out
    }
}
