//! Retry pacing for the bridges: exponential waits between a floor and a
//! ceiling.
//!
//! # Invariants
//! Each wait is at least the floor and at most the ceiling; `reset` returns
//! to the floor.
//!
//! # Locking
//! None: each bridge owns its own.

use std::time::Duration;

/// Exponential backoff between `min` and `max`.
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// For a full channel: retry soon, a receiver frees a slot any moment.
    pub(crate) fn full() -> Backoff {
        Backoff::new(Duration::from_millis(1), Duration::from_millis(16))
    }

    /// For a server error or a lost connection.
    pub(crate) fn errors() -> Backoff {
        Backoff::new(Duration::from_millis(20), Duration::from_millis(500))
    }

    fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    /// Sleeps for the current step and doubles the next one.
    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(self.max);
    }

    /// The current step, without sleeping (to bound another wait).
    pub(crate) fn step(&self) -> Duration {
        self.next
    }

    /// Doubles the next step, as [`wait`](Self::wait) does after sleeping.
    pub(crate) fn grow(&mut self) {
        self.next = (self.next * 2).min(self.max);
    }

    /// Back to the shortest wait, after a success.
    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }
}
