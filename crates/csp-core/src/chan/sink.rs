//! [`SendSink`]: a [`Sender`] as a `futures::Sink`, so streams can be
//! forwarded into a channel (`stream.forward(tx.into_sink())`).
//!
//! # Invariants
//! - At most one value is in flight: `start_send` stores it, `poll_flush`
//!   (and `poll_ready`, which flushes) drives it with the same machinery as
//!   [`Sender::send`], so a sink send parks, hands off and is cancel safe
//!   exactly like `send(v).await`.
//! - `poll_close` only flushes: the channel closes when the sink's `Sender`
//!   drops and it was the last one (other senders may still be sending).

use std::fmt;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::SendError;
use super::op::SendOp;
use super::sender::Sender;

/// A [`Sender`] as a [`Sink`](futures_sink::Sink): Go's `for v := range in { ch <- v }`
/// written as `in.forward(tx.into_sink())`.
///
/// A send on a closed channel fails with [`SendError`], carrying the value.
///
/// # Examples
/// ```
/// use futures::{stream, SinkExt, StreamExt};
/// # csp_core::runtime_for_doctest(async {
/// let (tx, rx) = csp_core::chan::<i32>(0);
/// csp_core::go(async move {
///     stream::iter(1..=3).map(Ok).forward(tx.into_sink()).await.unwrap();
/// });
/// assert_eq!(rx.collect::<Vec<_>>().await, vec![1, 2, 3]);
/// # });
/// ```
pub struct SendSink<T> {
    tx: Sender<T>,
    value: Option<T>,
    /// Boxed so the sink stays `Unpin` (the op must not move while parked).
    op: Pin<Box<SendOp<T>>>,
    at: &'static Location<'static>,
}

impl<T> Sender<T> {
    /// Turns this sender into a [`SendSink`].
    #[track_caller]
    pub fn into_sink(self) -> SendSink<T> {
        SendSink {
            tx: self,
            value: None,
            op: Box::pin(SendOp::new()),
            at: Location::caller(),
        }
    }
}

impl<T> SendSink<T> {
    /// The sender inside.
    pub fn get_ref(&self) -> &Sender<T> {
        &self.tx
    }
}

impl<T> futures_sink::Sink<T> for SendSink<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        self.poll_flush(cx)
    }

    /// # Panics
    /// If a value is still in flight: call `poll_ready` first (the `Sink`
    /// contract; `SinkExt` methods do).
    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), SendError<T>> {
        let this = self.get_mut();
        assert!(
            this.value.is_none() && !this.op.is_parked(),
            "SendSink::start_send called before poll_ready finished the previous send"
        );
        this.value = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let this = self.get_mut();
        if this.value.is_none() && !this.op.is_parked() {
            return Poll::Ready(Ok(()));
        }
        this.op
            .as_mut()
            .poll(&this.tx.chan, &mut this.value, cx, this.at)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        self.poll_flush(cx)
    }
}

impl<T> Unpin for SendSink<T> {}

impl<T> Drop for SendSink<T> {
    fn drop(&mut self) {
        if self.op.is_parked() {
            drop(self.op.as_mut().withdraw(&self.tx.chan));
        }
    }
}

impl<T> fmt::Debug for SendSink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendSink")
            .field("sender", &self.tx)
            .field("in_flight", &(self.value.is_some() || self.op.is_parked()))
            .finish()
    }
}
