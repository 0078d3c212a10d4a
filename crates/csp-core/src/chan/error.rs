//! Channel errors, one type per failure shape. Every error of an operation
//! that carried a value carries it back: nothing is lost.

use std::fmt;

/// A send on a closed channel (Go panics: "send on closed channel"; csp
/// returns the value instead).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Why a [`try_send`](super::Sender::try_send) did not send: Go's
/// `select { case ch <- v: default: }` taking the default branch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No receiver waiting and no room in the buffer.
    Full(T),
    /// The channel is closed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Whether the channel was full (as opposed to closed).
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the channel was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

/// Why a [`send_timeout`](super::Sender::send_timeout) did not send.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// The deadline passed first.
    Timeout(T),
    /// The channel is closed.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Closed(v) => v,
        }
    }
}

/// Why a [`try_recv`](super::Receiver::try_recv) got no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing buffered and no sender waiting.
    Empty,
    /// Closed and drained.
    Closed,
}

/// Why a [`recv_timeout`](super::Receiver::recv_timeout) got no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvTimeoutError {
    /// The deadline passed first.
    Timeout,
    /// Closed and drained.
    Closed,
}

macro_rules! value_error_fmt {
    ($ty:ident, $($variant:pat => $msg:expr),+) => {
        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(unused_variables)]
                let msg = match self { $($variant => $msg),+ };
                write!(f, "{}(..)", msg)
            }
        }
        impl<T> fmt::Display for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(unused_variables)]
                let msg = match self { $($variant => $msg),+ };
                f.write_str(msg)
            }
        }
        impl<T> std::error::Error for $ty<T> {}
    };
}

value_error_fmt!(SendError, SendError(_) => "send on closed channel");
value_error_fmt!(TrySendError,
    TrySendError::Full(_) => "send on full channel",
    TrySendError::Closed(_) => "send on closed channel");
value_error_fmt!(SendTimeoutError,
    SendTimeoutError::Timeout(_) => "timed out waiting to send",
    SendTimeoutError::Closed(_) => "send on closed channel");

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receive on empty channel",
            TryRecvError::Closed => "receive on closed channel",
        })
    }
}
impl std::error::Error for TryRecvError {}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out waiting to receive",
            RecvTimeoutError::Closed => "receive on closed channel",
        })
    }
}
impl std::error::Error for RecvTimeoutError {}
