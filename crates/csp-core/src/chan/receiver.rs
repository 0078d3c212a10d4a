//! The receiving half of a channel, its future and its `Stream` impl
//! (Go's `v, ok := <-ch` and `for v := range ch`).
//!
//! # Invariants
//! - Every `Receiver` clone counts once in `Chan::receivers`; dropping the
//!   last one closes the channel, so senders get their values back.
//! - A value handed to a [`Recv`] future (or to the `Stream`) that is dropped
//!   before returning it goes back to the head of the channel: never lost.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::core::Chan;
use super::error::{RecvTimeoutError, TryRecvError};
use super::op::RecvOp;
use super::state::Take;
use crate::loom::Arc;
use crate::plain_thread::block_on;
use pin_project::{pin_project, pinned_drop};

/// The receiving half of a channel: Go's `<-chan T`.
///
/// Cloneable (many goroutines may receive; each value goes to exactly one),
/// `Send + Sync` when `T: Send`. It is also a [`Stream`](futures_core::Stream)
/// that ends when the channel is closed and drained: Go's `for v := range ch`.
pub struct Receiver<T> {
    pub(crate) chan: Arc<Chan<T>>,
    /// The receive in flight when used as a `Stream` (boxed so the receiver
    /// stays `Unpin`; allocated on the first `poll_next`).
    stream: Option<Pin<Box<RecvOp<T>>>>,
}

impl<T> Receiver<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> Self {
        Self { chan, stream: None }
    }

    /// Receives a value, waiting until one is available: Go's `v, ok := <-ch`.
    /// `None` means the channel is closed and drained (Go's `ok == false`).
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped after a sender handed it a value,
    /// that value goes back to the head of the channel for the next receiver.
    /// Safe to use inside `tokio::select!`.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let (tx, rx) = csp_core::chan::<&str>(0);
    /// csp_core::go(async move { tx.send("ping").await.unwrap() });
    /// assert_eq!(rx.recv().await, Some("ping"));
    /// assert_eq!(rx.recv().await, None); // the goroutine dropped `tx`: closed
    /// # });
    /// ```
    #[track_caller]
    pub fn recv(&self) -> Recv<'_, T> {
        Recv {
            chan: &self.chan,
            op: RecvOp::new(),
            at: Location::caller(),
        }
    }

    /// The next value of the receiver as a `Stream`: Go's `v, ok := <-ch` in a
    /// `for v := range ch` loop, written `while let Some(v) = rx.next().await`.
    ///
    /// The same as `futures::StreamExt::next` (this inherent method is what
    /// `rx.next()` calls), except that a goroutine parked here is reported
    /// at this call's line in goroutine dumps; through `Stream` adapters the
    /// dump can only name csp's `poll_next`. Shares the `Stream`'s receive in
    /// flight, so mixing `next()` and `poll_next` loses nothing.
    ///
    /// # Cancel safety
    /// Cancel safe: a value handed to a dropped `next()` stays with the
    /// receiver and is returned by its next `next()` or `poll_next`.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let (tx, mut rx) = csp_core::chan::<u32>(2);
    /// csp_core::go(async move {
    ///     for i in 1..=3 {
    ///         tx.send(i).await.unwrap();
    ///     }
    /// });
    /// let mut sum = 0;
    /// while let Some(v) = rx.next().await {
    ///     sum += v;
    /// }
    /// assert_eq!(sum, 6);
    /// # });
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)] // a future, shadowing `StreamExt::next`
    pub fn next(&mut self) -> Next<'_, T> {
        Next {
            rx: self,
            at: Location::caller(),
        }
    }

    /// Polls the `Stream`'s receive in flight, reporting `at` if it parks.
    fn poll_stream(
        &mut self,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        self.stream
            .get_or_insert_with(|| Box::pin(RecvOp::new()))
            .as_mut()
            .poll(&self.chan, cx, at)
    }

    /// Receives without waiting: Go's `select { case v := <-ch: ... default: ... }`.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if nothing is buffered and no sender is parked;
    /// [`TryRecvError::Closed`] if closed and drained.
    ///
    /// Like Go's runtime, a receive that cannot proceed finds that out without
    /// taking the channel lock, so a loop polling an empty channel does not
    /// slow down the goroutines that send on it.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let view = self.chan.snapshot();
        if view.recv_blocks() {
            return Err(TryRecvError::Empty);
        }
        if view.is_drained() {
            return Err(TryRecvError::Closed);
        }
        let mut state = self.chan.lock();
        match state.take() {
            Take::Value(v, peer) => {
                drop(state);
                if let Some(peer) = peer {
                    crate::goroutine::waker::wake(peer);
                }
                Ok(v)
            }
            Take::Closed => Err(TryRecvError::Closed),
            Take::WouldBlock => Err(TryRecvError::Empty),
        }
    }

    /// Receives, waiting at most `timeout`: Go's
    /// `select { case v := <-ch: case <-time.After(d): }`.
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`] or [`RecvTimeoutError::Closed`].
    ///
    /// # Cancel safety
    /// As [`recv`](Self::recv).
    ///
    /// # Panics
    /// When polled outside a Tokio runtime (csp's message) or in one without
    /// its time driver (Tokio's); csp's runtime has it. A `timeout` past about
    /// 30 years (up to `Duration::MAX`) saturates: it never expires in practice.
    #[track_caller]
    pub fn recv_timeout(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = Result<T, RecvTimeoutError>> + '_ {
        let at = std::panic::Location::caller();
        let recv = self.recv();
        async move {
            let mut recv = std::pin::pin!(recv);
            drop(crate::time::current_handle_at("Receiver::recv_timeout", at));
            let sleep = tokio::time::sleep(timeout);
            let mut sleep = std::pin::pin!(sleep);
            std::future::poll_fn(|cx| {
                if let Poll::Ready(res) = recv.as_mut().poll(cx) {
                    return Poll::Ready(res.ok_or(RecvTimeoutError::Closed));
                }
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let this = recv.as_mut().project();
                Poll::Ready(match this.op.withdraw(this.chan) {
                    None => Err(RecvTimeoutError::Timeout),
                    Some(Some(v)) => Ok(v),
                    Some(None) => Err(RecvTimeoutError::Closed),
                })
            })
            .await
        }
    }

    /// Receives on a plain thread, blocking it until a value or close.
    ///
    /// # Panics
    /// When called from inside a goroutine or async task, where blocking would
    /// stall a runtime worker: use `recv().await` there.
    #[track_caller]
    pub fn recv_blocking(&self) -> Option<T> {
        block_on("recv_blocking", self.recv())
    }

    /// Whether both handles refer to the same channel (Go's `ch1 == ch2`).
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

super::channel_queries!(Receiver);

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Receiver::new(self.chan.clone())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(op) = &mut self.stream {
            op.as_mut().cancel(&self.chan);
        }
        if self.chan.drop_receiver() {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::debug_fields(f.debug_struct("Receiver"), &self.chan)
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    /// Go's `for v := range ch`: yields values until closed and drained.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_stream(cx, Location::caller())
    }
}

impl<T> futures_core::FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.chan.snapshot().is_drained()
    }
}

impl<T> Unpin for Receiver<T> {}

/// The future of [`Receiver::next`].
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, T> {
    rx: &'a mut Receiver<T>,
    at: &'static Location<'static>,
}

impl<T> Future for Next<'_, T> {
    type Output = Option<T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.rx.poll_stream(cx, this.at)
    }
}

impl<T> fmt::Debug for Next<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
///
/// `!Unpin`: while parked it is linked into the channel's queue in place (no
/// allocation), so it must be pinned to be polled (`.await`,
/// `std::pin::pin!`, `Box::pin` or `tokio::select!` all do that).
#[must_use = "futures do nothing unless awaited"]
#[pin_project(PinnedDrop)]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
    #[pin]
    op: RecvOp<T>,
    at: &'static Location<'static>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        this.op.poll(this.chan, cx, this.at)
    }
}

#[pinned_drop]
impl<T> PinnedDrop for Recv<'_, T> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        // As for `Send`: only a parked receive has anything to withdraw.
        if self.op.is_parked() {
            let this = self.project();
            cancel_dropped(this.op, this.chan);
        }
    }
}

/// The drop of a parked `Recv`: cancels it (a value it was handed goes back).
#[inline(never)]
fn cancel_dropped<T>(op: Pin<&mut RecvOp<T>>, chan: &Chan<T>) {
    op.cancel(chan);
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}
