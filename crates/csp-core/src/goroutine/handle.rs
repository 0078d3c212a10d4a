//! The optional handle to a goroutine's result: [`JoinHandle`] and [`JoinError`].
//!
//! # Invariants
//! - Dropping a [`JoinHandle`] detaches the goroutine (Go's fire-and-forget
//!   `go f()`); it never cancels it. Only [`JoinHandle::abort`] cancels.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A handle to a goroutine started with [`go`](crate::go): await it for the
/// goroutine's output, or drop it to let the goroutine run on its own.
///
/// Go has no equivalent (a goroutine's result travels over a channel); this is
/// the Rust convenience mirroring `tokio::task::JoinHandle`. It is not
/// `#[must_use]`: `go(f());` is the normal fire-and-forget form.
///
/// # Examples
///
/// ```
/// csp_core::run(async {
///     let h = csp_core::go(async { 6 * 7 });
///     assert_eq!(h.await.unwrap(), 42);
/// });
/// ```
///
/// # Cancel safety
///
/// Dropping the handle (or a future awaiting it) detaches the goroutine; it
/// keeps running and its output is dropped.
#[derive(Debug)]
pub struct JoinHandle<T> {
    pub(crate) inner: tokio::task::JoinHandle<T>,
    pub(crate) id: u64,
}

impl<T> JoinHandle<T> {
    /// The goroutine's id, as in [`GoroutineInfo::id`](crate::GoroutineInfo::id).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Cancels the goroutine at its next `.await` (no Go equivalent: Go
    /// goroutines cannot be killed). Awaiting the handle then gives a
    /// [`JoinError`] for which [`JoinError::is_cancelled`] holds.
    pub fn abort(&self) {
        self.inner.abort();
    }

    /// Whether the goroutine has finished (returned, panicked or was cancelled).
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|r| r.map_err(|inner| JoinError { id, inner }))
    }
}

/// Why a goroutine produced no output: it panicked or was cancelled.
///
/// A panic reaches the handle only under
/// [`PanicPolicy::Propagate`](crate::runtime::PanicPolicy::Propagate) or on a
/// Tokio runtime csp did not build; by default a goroutine panic ends the
/// program, as in Go.
pub struct JoinError {
    id: u64,
    inner: tokio::task::JoinError,
}

impl JoinError {
    /// The id of the goroutine that failed.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the goroutine panicked.
    pub fn is_panic(&self) -> bool {
        self.inner.is_panic()
    }

    /// Whether the goroutine was cancelled ([`JoinHandle::abort`] or runtime shutdown).
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// The panic payload, to pass to `std::panic::resume_unwind`.
    ///
    /// # Errors
    ///
    /// Returns the error unchanged if the goroutine did not panic.
    pub fn try_into_panic(self) -> Result<Box<dyn std::any::Any + Send + 'static>, JoinError> {
        let id = self.id;
        self.inner
            .try_into_panic()
            .map_err(|inner| JoinError { id, inner })
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinError")
            .field("id", &self.id)
            .field("inner", &self.inner)
            .finish()
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_panic() {
            write!(f, "goroutine {} panicked", self.id)
        } else {
            write!(f, "goroutine {} was cancelled", self.id)
        }
    }
}

impl std::error::Error for JoinError {}
