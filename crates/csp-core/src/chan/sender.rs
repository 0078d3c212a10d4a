//! The sending half of a channel and its futures (Go's `ch <- v`).
//!
//! # Invariants
//! - Every `Sender` clone counts once in `Chan::senders`; dropping the last
//!   one closes the channel (Go has no such rule; it is how Rust channels end
//!   a `for v := range ch` loop without an explicit `close`).
//! - A [`Send`] future owns its value until the channel takes it; dropping
//!   the future before that drops the value in the caller's scope and no
//!   receiver ever sees it.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::core::Chan;
use super::error::{SendError, SendTimeoutError, TrySendError};
use super::op::{SendOp, SendWithdrawn};
use super::state::Offer;
use crate::loom::Arc;
use crate::plain_thread::block_on;
use pin_project::{pin_project, pinned_drop};

/// The sending half of a channel: Go's `chan<- T`.
///
/// Cloneable (many goroutines may send), `Send + Sync` when `T: Send`.
/// Create one with [`chan`](super::chan).
pub struct Sender<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting until a receiver takes it (unbuffered channel) or
    /// there is room in the buffer: Go's `ch <- v`.
    ///
    /// # Errors
    /// If the channel is closed (or every receiver is gone) the value comes
    /// back in [`SendError`]; Go would panic instead.
    ///
    /// # Cancel safety
    /// Cancel safe. If the future is dropped before the channel took the
    /// value, the value is dropped with it and no receiver sees it; once the
    /// value was taken the send is complete. Use [`Send::cancel`] to get the
    /// value back instead of dropping it.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let (tx, rx) = csp_core::chan::<i32>(1);
    /// tx.send(7).await.unwrap();
    /// assert_eq!(rx.recv().await, Some(7));
    /// # });
    /// ```
    #[track_caller]
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            chan: &self.chan,
            value: Some(value),
            op: SendOp::new(),
            at: Location::caller(),
        }
    }

    /// Sends without waiting: succeeds only if a receiver is parked or the
    /// buffer has room. Go's `select { case ch <- v: ... default: ... }`.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    ///
    /// Like Go's runtime, a send that cannot proceed finds that out without
    /// taking the channel lock.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let view = self.chan.snapshot();
        if view.send_blocks() {
            return Err(TrySendError::Full(value));
        }
        if view.is_closed() {
            return Err(TrySendError::Closed(value));
        }
        let mut state = self.chan.lock();
        match state.offer(value) {
            Offer::Handed(peer) => {
                drop(state);
                if let Some(peer) = peer {
                    crate::goroutine::waker::wake(peer);
                }
                Ok(())
            }
            Offer::Buffered => Ok(()),
            Offer::Closed(v) => Err(TrySendError::Closed(v)),
            Offer::WouldBlock(v) => Err(TrySendError::Full(v)),
        }
    }

    /// Sends, waiting at most `timeout`: Go's
    /// `select { case ch <- v: case <-time.After(d): }`.
    ///
    /// # Errors
    /// [`SendTimeoutError::Timeout`] or [`SendTimeoutError::Closed`], with the value.
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    ///
    /// # Panics
    /// When polled outside a Tokio runtime (csp's message) or in one without
    /// its time driver (Tokio's); csp's runtime has it. A `timeout` past about
    /// 30 years (up to `Duration::MAX`) saturates: it never expires in practice.
    #[track_caller]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), SendTimeoutError<T>>> + '_ {
        let at = std::panic::Location::caller();
        let send = self.send(value);
        async move {
            let mut send = std::pin::pin!(send);
            drop(crate::time::current_handle_at("Sender::send_timeout", at));
            let sleep = tokio::time::sleep(timeout);
            let mut sleep = std::pin::pin!(sleep);
            std::future::poll_fn(|cx| {
                if let Poll::Ready(res) = send.as_mut().poll(cx) {
                    return Poll::Ready(res.map_err(|SendError(v)| SendTimeoutError::Closed(v)));
                }
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                Poll::Ready(match send.as_mut().withdraw() {
                    SendWithdrawn::NotSent(v) => Err(SendTimeoutError::Timeout(v)),
                    SendWithdrawn::Done(res) => {
                        res.map_err(|SendError(v)| SendTimeoutError::Closed(v))
                    }
                })
            })
            .await
        }
    }

    /// Sends from a plain thread, blocking it until the send completes.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Panics
    /// When called from inside a goroutine or async task, where blocking would
    /// stall a runtime worker: use `send(..).await` there.
    #[track_caller]
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        block_on("send_blocking", self.send(value))
    }

    /// Whether both handles refer to the same channel (Go's `ch1 == ch2`).
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

super::channel_queries!(Sender);

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.chan.drop_sender() {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::debug_fields(f.debug_struct("Sender"), &self.chan)
    }
}

/// The future of [`Sender::send`].
///
/// `!Unpin`: while parked it is linked into the channel's queue in place (no
/// allocation), so it must be pinned to be polled (`.await`,
/// `std::pin::pin!`, `Box::pin` or `tokio::select!` all do that).
#[must_use = "futures do nothing unless awaited"]
#[pin_project(PinnedDrop)]
pub struct Send<'a, T> {
    chan: &'a Chan<T>,
    value: Option<T>,
    #[pin]
    op: SendOp<T>,
    at: &'static Location<'static>,
}

impl<T> Send<'_, T> {
    /// Withdraws the send and gives the value back if no receiver has taken
    /// it (`Some(v)`): still unsent, or refused because the channel closed
    /// while the send waited. `None` if the send completed, or if its outcome
    /// was already returned by `poll`. Go has no counterpart: a Go send cannot
    /// be taken back.
    ///
    /// # Examples
    /// ```
    /// use std::future::Future;
    /// use std::task::Context;
    ///
    /// let (tx, _rx) = csp_core::chan::<i32>(0);
    /// let mut send = std::pin::pin!(tx.send(5));
    /// let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    /// assert!(send.as_mut().poll(&mut cx).is_pending()); // parked: no receiver
    /// assert_eq!(send.cancel(), Some(5));
    /// ```
    pub fn cancel(self: Pin<&mut Self>) -> Option<T> {
        match self.withdraw() {
            SendWithdrawn::NotSent(v) | SendWithdrawn::Done(Err(SendError(v))) => Some(v),
            SendWithdrawn::Done(Ok(())) => None,
        }
    }

    fn withdraw(self: Pin<&mut Self>) -> SendWithdrawn<T> {
        let this = self.project();
        if let Some(v) = this.value.take() {
            return SendWithdrawn::NotSent(v);
        }
        match this.op.withdraw(this.chan) {
            Some(w) => w,
            None => SendWithdrawn::Done(Ok(())),
        }
    }
}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.op.poll(this.chan, this.value, cx, this.at)
    }
}

#[pinned_drop]
impl<T> PinnedDrop for Send<'_, T> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        // Most sends complete without parking: nothing to withdraw, and the
        // withdrawal stays out of this inlined check.
        if self.op.is_parked() {
            let this = self.project();
            withdraw_dropped(this.op, this.chan);
        }
    }
}

/// The drop of a parked `Send`: withdraws it (an unsent value is dropped with it).
#[inline(never)]
fn withdraw_dropped<T>(op: Pin<&mut SendOp<T>>, chan: &Chan<T>) {
    drop(op.withdraw(chan));
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send")
            .field("parked", &self.op.is_parked())
            .finish_non_exhaustive()
    }
}
