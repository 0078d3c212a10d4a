//! Select cases: a receive or a send on one channel, or a disabled case
//! (Go's nil channel). Each case is typed by its channel's element type; the
//! engine sees them through the object-safe [`SelectCase`] trait, so one
//! select can mix channels of different types without allocating.
//!
//! # Invariants
//! - A case holds at most one hook, published in its channel's queue during
//!   pass 2 of the engine and removed (or consumed) in pass 3.
//! - A send case owns its value until the channel takes it: in `value` before
//!   parking, in its hook's slot while parked, back in `value` after a
//!   withdrawal. A send case that is not chosen drops its value with the case
//!   (at the end of the `select!`), unless taken back with
//!   [`SendCase::into_unsent`].
//! - `peer` holds the waker of a parked peer this case completed with under a
//!   lock; the engine wakes it after releasing every lock.

use std::task::Waker;

use super::super::chan::core::Chan;
use super::super::chan::op::give_back;
use super::super::chan::state::{Offer, Take};
use crate::chan::{Receiver, SendError, Sender};
use crate::loom::Arc;
use crate::waiter::{HeapHook, Hook, HookPtr, Token};

mod sealed {
    pub trait Sealed {}
}

/// One case of a `select`, as the engine sees it (Go's `runtime.scase`).
///
/// Implemented by [`RecvCase`] and [`SendCase`]; sealed. The methods are the
/// engine's protocol and hidden from the docs. Cases are `Send` (their
/// element type is), so a select can run in any goroutine.
pub trait SelectCase: sealed::Sealed + Send {
    /// The channel's key (the lock order), or `None` for a disabled case.
    #[doc(hidden)]
    fn chan_key(&self) -> Option<usize>;
    /// Pass 1: completes now if possible, taking the channel lock itself.
    #[doc(hidden)]
    fn try_now(&mut self) -> bool;
    /// Takes the channel lock (pass 2).
    #[doc(hidden)]
    fn lock(&self);
    /// Releases the channel lock.
    ///
    /// # Safety
    /// The lock was taken with [`SelectCase::lock`] on this case (or on another
    /// case of the same channel) and not released since.
    #[doc(hidden)]
    unsafe fn unlock(&self);
    /// Pass 2: completes now if possible; the lock is held.
    ///
    /// # Safety
    /// The caller holds this case's channel lock.
    #[doc(hidden)]
    unsafe fn try_locked(&mut self) -> bool;
    /// Pass 2: parks this case as case `index` of `token`; the lock is held.
    ///
    /// # Safety
    /// The caller holds this case's channel lock.
    #[doc(hidden)]
    unsafe fn register_locked(&mut self, token: &Arc<Token>, index: usize);
    /// Wakes the peer this case completed with, if any (no lock held).
    #[doc(hidden)]
    fn wake_peer(&mut self);
    /// Pass 3, chosen case: reads the outcome from the hook. The engine has
    /// called `Token::settle` first (the peer is done with the hook).
    #[doc(hidden)]
    fn complete_selected(&mut self);
    /// Pass 3, other cases: removes the hook from its queue.
    #[doc(hidden)]
    fn withdraw(&mut self);
    /// The select was dropped after choosing this case: give a received value
    /// back to the channel.
    #[doc(hidden)]
    fn abandon(&mut self);
}

/// The `SelectCase` methods that only touch the case's channel and the peer
/// it completed with: the same for receive and send cases.
macro_rules! channel_plumbing {
    () => {
        fn chan_key(&self) -> Option<usize> {
            self.source.get().map(|handle| handle.chan.key())
        }

        fn lock(&self) {
            self.chan().raw_lock();
        }

        unsafe fn unlock(&self) {
            // SAFETY: forwarded precondition.
            unsafe { self.chan().raw_unlock() }
        }

        fn wake_peer(&mut self) {
            if let Some(peer) = self.peer.take() {
                peer.wake();
            }
        }
    };
}

/// The channel a case waits on, borrowed or owned (so `recv(after(d))`
/// works without a binding).
enum Source<'a, H> {
    Borrowed(&'a H),
    Owned(H),
    Disabled,
}

impl<H> Source<'_, H> {
    fn get(&self) -> Option<&H> {
        match self {
            Source::Borrowed(h) => Some(h),
            Source::Owned(h) => Some(h),
            Source::Disabled => None,
        }
    }
}

/// What a receive case can wait on: a `Receiver` (borrowed or owned), or an
/// `Option` of one where `None` is Go's nil channel (the case never fires).
pub trait IntoRecvCase<'a, T> {
    /// Builds the case.
    fn into_recv_case(self) -> RecvCase<'a, T>;
}

/// What a send case can send on: a `Sender` (borrowed or owned), or an
/// `Option` of one where `None` is Go's nil channel (the case never fires).
pub trait IntoSendCase<'a, T> {
    /// Builds the case, with the value to send.
    fn into_send_case(self, value: T) -> SendCase<'a, T>;
}

macro_rules! impl_into_case {
    ($trait:ident, $method:ident, $case:ident, $handle:ident $(, $value:ident)?) => {
        impl<'a, T> $trait<'a, T> for &'a $handle<T> {
            fn $method(self $(, $value: T)?) -> $case<'a, T> {
                $case::from_source(Source::Borrowed(self) $(, $value)?)
            }
        }
        impl<'a, T> $trait<'a, T> for $handle<T> {
            fn $method(self $(, $value: T)?) -> $case<'a, T> {
                $case::from_source(Source::Owned(self) $(, $value)?)
            }
        }
        impl<'a, T> $trait<'a, T> for Option<&'a $handle<T>> {
            fn $method(self $(, $value: T)?) -> $case<'a, T> {
                $case::from_source(self.map_or(Source::Disabled, Source::Borrowed) $(, $value)?)
            }
        }
        impl<'a, T> $trait<'a, T> for &'a Option<$handle<T>> {
            fn $method(self $(, $value: T)?) -> $case<'a, T> {
                $case::from_source(self.as_ref().map_or(Source::Disabled, Source::Borrowed) $(, $value)?)
            }
        }
        impl<'a, T> $trait<'a, T> for Option<$handle<T>> {
            fn $method(self $(, $value: T)?) -> $case<'a, T> {
                $case::from_source(self.map_or(Source::Disabled, Source::Owned) $(, $value)?)
            }
        }
    };
}

impl_into_case!(IntoRecvCase, into_recv_case, RecvCase, Receiver);
impl_into_case!(IntoSendCase, into_send_case, SendCase, Sender, value);

/// A receive case: Go's `case v, ok := <-ch:`.
pub struct RecvCase<'a, T> {
    source: Source<'a, Receiver<T>>,
    hook: Option<HeapHook<T>>,
    peer: Option<Waker>,
    out: Option<Option<T>>,
}

impl<'a, T> RecvCase<'a, T> {
    /// A receive case on `rx` (a `&Receiver`, a `Receiver`, or an `Option` of
    /// either, `None` being a disabled case).
    pub fn new(rx: impl IntoRecvCase<'a, T>) -> Self {
        rx.into_recv_case()
    }

    fn from_source(source: Source<'a, Receiver<T>>) -> Self {
        Self {
            source,
            hook: None,
            peer: None,
            out: None,
        }
    }

    fn chan(&self) -> &Chan<T> {
        &self
            .source
            .get()
            .expect("engine never touches a disabled case")
            .chan
    }

    /// The outcome once this case was chosen: `Some(v)` a value, `None` the
    /// channel is closed and drained (Go's `ok == false`).
    ///
    /// # Panics
    /// If this case was not the one chosen.
    pub fn into_output(mut self) -> Option<T> {
        self.out
            .take()
            .expect("RecvCase::into_output: this case was not chosen")
    }

    fn store(&mut self, take: Take<T>) -> bool {
        match take {
            Take::Value(v, peer) => {
                self.peer = peer;
                self.out = Some(Some(v));
                true
            }
            Take::Closed => {
                self.out = Some(None);
                true
            }
            Take::WouldBlock => false,
        }
    }
}

impl<T> sealed::Sealed for RecvCase<'_, T> {}

impl<T: Send> SelectCase for RecvCase<'_, T> {
    channel_plumbing!();

    fn try_now(&mut self) -> bool {
        let take = self.chan().lock().take();
        self.store(take)
    }

    unsafe fn try_locked(&mut self) -> bool {
        // SAFETY: the caller holds the lock; this is the only live reference.
        let take = unsafe { self.chan().state_locked().get() }.take();
        self.store(take)
    }

    unsafe fn register_locked(&mut self, token: &Arc<Token>, index: usize) {
        let hook = Hook::for_case(token.clone(), index, None);
        // SAFETY: the caller holds the lock; this is the only live reference.
        unsafe { self.chan().state_locked().get() }
            .recvq
            .push_back(HookPtr::new(&hook));
        self.hook = Some(hook);
    }

    fn complete_selected(&mut self) {
        let hook = self.hook.take().expect("a parked case has a hook");
        // SAFETY: the token is selected for this case, the selecting peer
        // popped the hook, and the engine settled the token first (slot rule 3,
        // lifetime rule 3).
        self.out = Some(unsafe { hook.slot() }.take());
    }

    fn withdraw(&mut self) {
        if let Some(hook) = self.hook.take() {
            self.chan().lock().remove(&hook, false);
        }
    }

    fn abandon(&mut self) {
        self.complete_selected();
        if let Some(Some(v)) = self.out.take() {
            give_back(self.chan(), v);
        }
    }
}

/// A send case: Go's `case ch <- v:`.
pub struct SendCase<'a, T> {
    source: Source<'a, Sender<T>>,
    value: Option<T>,
    hook: Option<HeapHook<T>>,
    peer: Option<Waker>,
    out: Option<Result<(), SendError<T>>>,
}

impl<'a, T> SendCase<'a, T> {
    /// A send case of `value` on `tx` (a `&Sender`, a `Sender`, or an `Option`
    /// of either, `None` being a disabled case). The value is evaluated now,
    /// before selection, as Go evaluates every case expression up front.
    pub fn new(tx: impl IntoSendCase<'a, T>, value: T) -> Self {
        tx.into_send_case(value)
    }

    fn from_source(source: Source<'a, Sender<T>>, value: T) -> Self {
        Self {
            source,
            value: Some(value),
            hook: None,
            peer: None,
            out: None,
        }
    }

    fn chan(&self) -> &Chan<T> {
        &self
            .source
            .get()
            .expect("engine never touches a disabled case")
            .chan
    }

    /// The outcome once this case was chosen: `Ok(())` sent, `Err` the channel
    /// is closed, with the value back.
    ///
    /// # Panics
    /// If this case was not the one chosen.
    pub fn into_output(mut self) -> Result<(), SendError<T>> {
        self.out
            .take()
            .expect("SendCase::into_output: this case was not chosen")
    }

    /// The value, if this case was not chosen (it was never sent).
    pub fn into_unsent(mut self) -> Option<T> {
        self.value.take()
    }

    fn store(&mut self, offer: Offer<T>) -> bool {
        match offer {
            Offer::Handed(peer) => {
                self.peer = peer;
                self.out = Some(Ok(()));
                true
            }
            Offer::Buffered => {
                self.out = Some(Ok(()));
                true
            }
            Offer::Closed(v) => {
                self.out = Some(Err(SendError(v)));
                true
            }
            Offer::WouldBlock(v) => {
                self.value = Some(v);
                false
            }
        }
    }
}

impl<T> sealed::Sealed for SendCase<'_, T> {}

impl<T: Send> SelectCase for SendCase<'_, T> {
    channel_plumbing!();

    fn try_now(&mut self) -> bool {
        let value = self.value.take().expect("send case holds its value");
        let offer = self.chan().lock().offer(value);
        self.store(offer)
    }

    unsafe fn try_locked(&mut self) -> bool {
        let value = self.value.take().expect("send case holds its value");
        // SAFETY: the caller holds the lock; this is the only live reference.
        let offer = unsafe { self.chan().state_locked().get() }.offer(value);
        self.store(offer)
    }

    unsafe fn register_locked(&mut self, token: &Arc<Token>, index: usize) {
        let hook = Hook::for_case(token.clone(), index, self.value.take());
        // SAFETY: the caller holds the lock; this is the only live reference.
        unsafe { self.chan().state_locked().get() }
            .sendq
            .push_back(HookPtr::new(&hook));
        self.hook = Some(hook);
    }

    fn complete_selected(&mut self) {
        let hook = self.hook.take().expect("a parked case has a hook");
        // SAFETY: the token is selected for this case, the selecting peer
        // popped the hook, and the engine settled the token first (slot rule 3,
        // lifetime rule 3).
        self.out = Some(match unsafe { hook.slot() }.take() {
            None => Ok(()),
            Some(v) => Err(SendError(v)),
        });
    }

    fn withdraw(&mut self) {
        if let Some(hook) = self.hook.take() {
            self.chan().lock().remove(&hook, true);
            // SAFETY: the hook is out of its queue (removed now, or popped as
            // stale by a peer before we took the lock): slot rule 3.
            self.value = unsafe { hook.slot() }.take();
        }
    }

    fn abandon(&mut self) {
        // The value was taken (the send happened) or the channel closed; either
        // way nothing goes back.
        self.complete_selected();
    }
}
