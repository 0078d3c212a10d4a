//! The channel state machine: one buffer and two wait queues behind one lock,
//! for every capacity (Go's `hchan`; capacity 0 is the rendezvous flavour).
//!
//! # Invariants (checked by the model and property tests)
//! - `buf.len() <= cap`, except for values a dropped receive future gave back
//!   ([`State::give_back`]), which go to the head of the buffer and may
//!   briefly exceed `cap`. The buffer's memory follows what is buffered, not
//!   `cap` (see [`super::buffer`]): any capacity up to `usize::MAX` works.
//! - Go's: a live receiver is queued only when the buffer is empty; a live
//!   sender is queued only when the buffer is full (`cap == 0`: always full).
//!   So at most one of the two queues holds live hooks, unless a select waits
//!   on both sides of one channel.
//! - Queues may hold *stale* hooks (their token already selected elsewhere or
//!   withdrawn). Every pop skips them; owners remove their own on withdrawal.
//! - `closed` never goes back to false. Once closed, no hook is queued.
//!
//! # Locking
//! Every method here runs with the channel lock held (it takes `&mut State`).
//! Methods never wake anyone: they return the wakers of the hooks they
//! selected, and the caller wakes them after unlocking.

use std::task::Waker;

use super::buffer::Buffer;
use super::queue::WaitQueue;
use super::snapshot::{Snapshot, MAX_LEN};
use super::timed::TimedSource;
use crate::waiter::{Hook, HookPtr};

/// Result of offering a value to the channel without waiting.
pub(crate) enum Offer<T> {
    /// A parked receiver got the value; wake it (after unlocking).
    Handed(Option<Waker>),
    /// The value went into the buffer.
    Buffered,
    /// The channel is closed; the value comes back.
    Closed(T),
    /// Nobody to take it and no room; the value comes back.
    WouldBlock(T),
}

/// Result of asking the channel for a value without waiting.
pub(crate) enum Take<T> {
    /// Got a value; wake the parked sender it came from, if any (after unlocking).
    Value(T, Option<Waker>),
    /// Closed and drained.
    Closed,
    /// Nothing there yet.
    WouldBlock,
}

/// A channel's locked state.
pub(crate) struct State<T> {
    buf: Buffer<T>,
    cap: usize,
    /// Parked receivers, FIFO.
    pub(crate) recvq: WaitQueue<T>,
    /// Parked senders, FIFO; each hook's slot holds its value.
    pub(crate) sendq: WaitQueue<T>,
    closed: bool,
    /// The timer flavor's value source (see [`super::timed`]), or a watched
    /// channel's demand watch (see [`super::demand`]); `None` for every
    /// other channel.
    pub(crate) timer: Option<Box<dyn TimedSource<T>>>,
}

impl<T> State<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            buf: Buffer::new(cap),
            cap,
            recvq: WaitQueue::new(),
            sendq: WaitQueue::new(),
            closed: false,
            timer: None,
        }
    }

    /// The lock-free view of this state (published at every unlock). A queue
    /// holding only stale hooks counts as non-empty: the view then says an
    /// operation *may* proceed, and the locked path finds out.
    #[inline]
    pub(crate) fn snapshot(&self) -> Snapshot {
        let len = saturated_len::<T>(self.buf.len());
        let open = !self.closed;
        // A pending timer may be due by the time anyone looks: never "blocks".
        let timer_pending = self.timer.as_ref().is_some_and(|t| t.pending());
        Snapshot::new(
            len,
            self.closed,
            open && len == 0 && self.sendq.is_empty() && !timer_pending,
            open && len >= self.cap && self.recvq.is_empty(),
        )
    }

    /// Go's `chansend` fast paths: hand to a parked receiver, else buffer.
    #[inline]
    pub(crate) fn offer(&mut self, value: T) -> Offer<T> {
        if self.closed {
            return Offer::Closed(value);
        }
        let value = if self.recvq.is_empty() {
            value
        } else {
            match hand_to_receiver(&mut self.recvq, value) {
                Ok(waker) => return Offer::Handed(waker),
                Err(back) => back,
            }
        };
        if self.buf.has_room() {
            self.buf.push_back(value);
            return Offer::Buffered;
        }
        Offer::WouldBlock(value)
    }

    /// Go's `chanrecv` fast paths: take from the buffer (refilling it from a
    /// parked sender), else straight from a parked sender, else closed.
    #[inline]
    pub(crate) fn take(&mut self) -> Take<T> {
        if let Some(value) = self.buf.pop_front() {
            if self.sendq.is_empty() {
                return Take::Value(value, None);
            }
            // Room appeared: move the first live parked sender's value in.
            let woken = self.pop_sender_value().and_then(|(v, waker)| {
                self.buf.push_back(v);
                waker
            });
            return Take::Value(value, woken);
        }
        if let Some((value, waker)) = self.pop_sender_value() {
            return Take::Value(value, waker);
        }
        if let Some(timer) = self.timer.as_mut() {
            if let Some(value) = timer.take_due(tokio::time::Instant::now()) {
                return Take::Value(value, None);
            }
        }
        if self.closed {
            Take::Closed
        } else {
            Take::WouldBlock
        }
    }

    /// Pops parked senders until one commits; returns its value and hook.
    fn pop_sender_value(&mut self) -> Option<(T, Option<Waker>)> {
        while let Some(ptr) = self.sendq.pop_front() {
            // SAFETY: we hold the channel lock and popped `ptr` from its queue
            // in this critical section (lifetime protocol).
            let hook = unsafe { ptr.get() };
            // SAFETY: as above (slot rule 1).
            let value = unsafe { hook.slot() }
                .take()
                .expect("a parked sender's slot holds its value");
            // SAFETY: as above (waker rule 3).
            match unsafe { hook.select_locked() } {
                Ok(waker) => return Some((value, waker)),
                // Stale: give the value back before anyone else can look (rule 2).
                // SAFETY: as above.
                Err(_) => drop(unsafe { hook.slot() }.put(value)),
            }
        }
        None
    }

    /// Closes the channel. Returns `None` if it was already closed, else every
    /// hook that was parked and must now be woken (each selected with the
    /// "closed" outcome: its slot untouched).
    pub(crate) fn close(&mut self) -> Option<Vec<Waker>> {
        if self.closed {
            return None;
        }
        self.closed = true;
        let mut woken = Vec::new();
        for ptr in self.recvq.drain().chain(self.sendq.drain()) {
            // SAFETY: lock held, popped in this critical section (lifetime
            // protocol; waker rule 3). A stale hook is simply dropped from
            // the queue: its owner withdraws it.
            if let Ok(waker) = unsafe { ptr.get().select_locked() } {
                woken.extend(waker);
            }
        }
        Some(woken)
    }

    /// A value that a dropped receive future had already been handed goes back
    /// to the head of the channel: to a parked receiver if there is one, else to
    /// the front of the buffer (even past `cap`: losing it is not an option).
    ///
    /// On a timer channel a value from before the last `stop` or `reset` is
    /// stale (Go 1.23: none may be received after them): it is dropped.
    pub(crate) fn give_back(&mut self, value: T) -> Option<Waker> {
        if self.timer.as_ref().is_some_and(|t| !t.is_current(&value)) {
            return None;
        }
        match hand_to_receiver(&mut self.recvq, value) {
            Ok(waker) => waker,
            Err(value) => {
                self.buf.push_front(value);
                None
            }
        }
    }

    /// A timer channel's `stop` or `reset`: drops the values dropped receives
    /// gave back (the only values a timer channel ever buffers); returns
    /// whether there was one (a value not received yet).
    pub(crate) fn discard_given_back(&mut self) -> bool {
        let had = !self.buf.is_empty();
        self.buf.clear();
        had
    }

    /// Removes `hook` from the queue it waits in. Returns whether it was still
    /// queued (if not, a peer popped it: selected, or found it stale).
    pub(crate) fn remove(&mut self, hook: &Hook<T>, sending: bool) -> bool {
        let queue = if sending {
            &mut self.sendq
        } else {
            &mut self.recvq
        };
        let removed = queue.remove(hook);
        if !sending && self.recvq.is_empty() {
            if let Some(timer) = self.timer.as_mut() {
                timer.disarm();
            }
        }
        removed
    }

    /// Queues a parking receive's hook. A timer channel with a deadline first
    /// registers with Tokio's timer (see [`super::timed`]); registering
    /// panics on a Tokio runtime without its time driver (Tokio's message
    /// says to enable it), and then nothing is queued: the receive unwinds
    /// as if it had never parked.
    #[inline]
    pub(crate) fn park_receiver(&mut self, hook: HookPtr<T>) {
        if let Some(source) = self.timer.as_mut() {
            source.arm();
        }
        self.recvq.push_back(hook);
    }

    /// Queues a parking send's hook; a watched channel tells its demand
    /// watch (see [`super::demand`]).
    #[inline]
    pub(crate) fn park_sender(&mut self, hook: HookPtr<T>) {
        self.sendq.push_back(hook);
        if let Some(source) = self.timer.as_mut() {
            source.sender_parked();
        }
    }

    /// A timer channel's Tokio timer fired: hands the due value to the first
    /// live parked receiver, then stays armed for the next deadline while
    /// receivers remain parked. Returns the waker to wake after unlocking.
    pub(crate) fn fire_timer(&mut self) -> Option<Waker> {
        let timer = self.timer.as_mut()?;
        let before = timer.deadline();
        let mut woken = None;
        if let Some(value) = timer.take_due(tokio::time::Instant::now()) {
            match hand_to_receiver(&mut self.recvq, value) {
                Ok(waker) => woken = waker,
                // Nobody took it: as far as anyone can tell it was never
                // made, and the deadline stays.
                Err(_) => timer.untake(before),
            }
        }
        if self.recvq.is_empty() {
            timer.disarm();
        } else {
            timer.arm();
        }
        woken
    }
}

/// `len` buffered `T`s as the snapshot can hold it: saturated at
/// [`MAX_LEN`] for values under 4 bytes (larger ones never get there: see
/// [`super::snapshot`]); the size test is decided at compile time.
#[inline]
pub(crate) fn saturated_len<T>(len: usize) -> usize {
    if std::mem::size_of::<T>() < 4 {
        len.min(MAX_LEN)
    } else {
        len
    }
}

/// Hands `value` to the first live parked receiver in `recvq`: its waker
/// (to wake after unlocking), or the value back if none is parked.
fn hand_to_receiver<T>(recvq: &mut WaitQueue<T>, mut value: T) -> Result<Option<Waker>, T> {
    while let Some(ptr) = recvq.pop_front() {
        // SAFETY: the caller holds the channel lock and we popped `ptr` from
        // its queue in this critical section (lifetime protocol).
        let hook = unsafe { ptr.get() };
        // Slot rules 1 and 2: write, then select; on failure take it back.
        // SAFETY: as above.
        unsafe { hook.slot() }.put(value);
        // SAFETY: as above (waker rule 3).
        match unsafe { hook.select_locked() } {
            Ok(waker) => return Ok(waker),
            Err(_) => {
                // SAFETY: as above; the selection failed, so the owner does
                // not read it.
                value = unsafe { hook.slot() }
                    .take()
                    .expect("slot holds the value just put")
            }
        }
    }
    Err(value)
}
