//! Go-semantic channels: `make(chan T, n)`, `ch <- v`, `<-ch`, `close(ch)`.
//!
//! Contents, in dependency order:
//! 1. `state`: the state machine (`buffer` + sender and receiver wait queues
//!    (`queue`)),
//!    one algorithm for every capacity as in Go's `hchan`: capacity 0 is the
//!    rendezvous flavour (a send completes only when a receiver has the
//!    value), capacity n ≥ 1 the buffered one. Go's nil channel is a disabled
//!    `select` case (see `select`), not a channel value.
//! 2. `lock`: the channel lock (Go's `hchan.lock`), held across channels only
//!    by the select engine.
//! 3. `core`: the shared object: lock, state, handle counts;
//!    `snapshot`: the lock-free view of the state it publishes at every
//!    unlock, for non-blocking operations that cannot proceed.
//! 4. `op`: one in-flight send or receive: try, park, re-poll, withdraw.
//! 5. `sender` / `receiver`: the public handles and their futures (the
//!    `*_blocking` methods for plain threads drive them with
//!    `crate::plain_thread`).
//! 6. `error`: one error type per failure shape, each carrying the value back.
//! 7. `sink`: [`SendSink`], a `Sender` as a `futures::Sink`.
//! 8. `timed`: the timer flavor (a deadline-driven value source in the state,
//!    used by `crate::time`).
//! 9. `demand`: [`watched`] channels, whose parked senders and receivers a
//!    bridge can see without taking part (the same state slot as `timed`).
//!
//! The waiting itself (tokens and hooks) lives in [`crate::waiter`], shared
//! with the select engine; the share of Tokio's cooperative budget an
//! operation spends, in `crate::budget`.

mod buffer;
pub(crate) mod core;
pub mod demand;
mod error;
pub(crate) mod lock;
pub(crate) mod op;
mod queue;
mod receiver;
mod sender;
mod sink;
pub(crate) mod snapshot;
pub(crate) mod state;
pub(crate) mod timed;

pub use demand::{watched, Demand};
pub use error::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
pub use receiver::{Next, Receiver, Recv};
pub use sender::{Send, Sender};
pub use sink::SendSink;

use crate::loom::Arc;
use core::Chan;

/// Makes a channel: Go's `make(chan T, capacity)`.
///
/// `capacity == 0` is an unbuffered channel: a send completes only when a
/// receiver has taken the value. `capacity == n` buffers exactly `n` values,
/// FIFO. Both halves are `Clone` (MPMC): every value is received exactly once.
///
/// The capacity is a bound, not a reservation (unlike Go, which allocates the
/// whole buffer): the buffer starts with room for at most a few KiB of values
/// (at least 4, at most `capacity`), grows with what is buffered, and shrinks
/// back once drained. So any `capacity` up to `usize::MAX` works, as a
/// practically unbounded channel, and memory follows the values in flight.
///
/// The channel closes on [`Sender::close`] / [`Receiver::close`], when every
/// `Sender` is dropped, or when every `Receiver` is dropped.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// let (tx, rx) = csp_core::chan::<u32>(2); // make(chan uint32, 2)
/// tx.send(1).await.unwrap();
/// tx.send(2).await.unwrap();
/// assert_eq!((rx.len(), rx.capacity()), (2, 2));
/// tx.close();
/// assert_eq!(rx.recv().await, Some(1)); // drains the buffer first,
/// assert_eq!(rx.recv().await, Some(2));
/// assert_eq!(rx.recv().await, None); // then reports "closed"
/// # });
/// ```
pub fn chan<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(capacity));
    (Sender { chan: chan.clone() }, Receiver::new(chan))
}

/// The methods both handles share: `close` and Go's `len`/`cap` queries.
macro_rules! channel_queries {
    ($handle:ident) => {
        impl<T> $handle<T> {
            /// Closes the channel: Go's `close(ch)`. Parked receivers and
            /// senders wake; receivers drain the buffer, then get `None`;
            /// sends fail with the value back.
            ///
            /// Returns whether this call closed it (closing twice is not a
            /// panic, unlike Go).
            pub fn close(&self) -> bool {
                self.chan.close()
            }

            /// Whether the channel is closed (values may still be buffered).
            /// Lock-free, as every query here.
            pub fn is_closed(&self) -> bool {
                self.chan.snapshot().is_closed()
            }

            /// Number of buffered values: Go's `len(ch)`.
            pub fn len(&self) -> usize {
                self.chan.snapshot().len()
            }

            /// Whether no value is buffered.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Whether the buffer is full (always true for an unbuffered channel).
            pub fn is_full(&self) -> bool {
                self.len() >= self.capacity()
            }

            /// The buffer size given to [`chan`](crate::chan()): Go's `cap(ch)`.
            pub fn capacity(&self) -> usize {
                self.chan.cap()
            }
        }
    };
}
use channel_queries;

/// The shared `Debug` body of both handles: what `len`, `cap` and close say.
fn debug_fields<T>(mut d: std::fmt::DebugStruct<'_, '_>, chan: &Chan<T>) -> std::fmt::Result {
    let view = chan.snapshot();
    let (len, cap, closed) = (view.len(), chan.cap(), view.is_closed());
    d.field("len", &len)
        .field("capacity", &cap)
        .field("closed", &closed)
        .finish()
}
