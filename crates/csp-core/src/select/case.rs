//! Select cases: a receive or a send on one channel, or a disabled case
//! (Go's nil channel). Each case is typed by its channel's element type; the
//! engine sees them through the object-safe [`SelectCase`] trait, so one
//! select can mix channels of different types without allocating.
//!
//! # Invariants
//! - A case is pinned while the engine drives it: the hook it registers in
//!   pass 2 lives inside the case (no allocation) and is published in its
//!   channel's queue until pass 3 removes (or consumes) it. `hook` is `Some`
//!   from registration until no queue holds it and no peer can touch it (the
//!   lifetime protocol of [`crate::waiter`]); only then is it cleared.
//! - Dropping a case that is still registered (its select future was leaked)
//!   withdraws the hook first, giving a value it was handed back to the channel.
//! - A send case owns its value until the channel takes it: in `value` before
//!   parking, in its hook's slot while parked, back in `value` after a
//!   withdrawal. A send case that is not chosen drops its value with the case
//!   unless taken back with [`SendCase::take_unsent`] (`select!`'s
//!   `send_from` form does that).
//! - A case takes part in a select only if it is fresh: an enabled case that
//!   holds an unread outcome, a send case without its value, or a case still
//!   registered by a leaked select is rejected with a panic before any lock
//!   is taken ([`SelectCase::spent`]).
//! - `peer` holds the waker of a parked peer this case completed with under a
//!   lock: pass 1's attempt wakes it once it released its one lock, the engine
//!   after releasing every lock in pass 2.

use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::Waker;

use super::super::chan::core::Chan;
use super::super::chan::op::give_back;
use super::super::chan::state::{Offer, State, Take};
use crate::chan::{Receiver, SendError, Sender};
use crate::waiter::{Hook, HookPtr, SelectToken};

mod sealed {
    pub trait Sealed {}
}

/// What a pass-1 attempt at one case found (the engine's protocol).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The case completed.
    Completed,
    /// The case cannot complete now.
    WouldBlock,
    /// The channel lock stayed held; not attempted.
    Contended,
}

/// What a case's lock-free look found (the engine's protocol).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A disabled case (Go's nil channel): never touched.
    Disabled,
    /// The channel's lock-free view says the case cannot complete now.
    Blocked,
    /// The case may complete: pass 1 takes the lock and tries.
    MayProceed,
    /// The case cannot take part in a select (see [`SelectCase::spent`]).
    Spent(&'static str),
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
    /// Why this enabled case cannot take part in a new select (it holds an
    /// unread outcome, a send case has already given its value away, or a
    /// leaked select still has it registered), or `None` if it can. The
    /// engine checks every case before it takes any lock.
    #[doc(hidden)]
    fn spent(&self) -> Option<&'static str>;
    /// The engine's first look at the case, without any lock: disabled,
    /// spent, or what the channel's lock-free view says (one virtual call
    /// per case instead of one per question).
    #[doc(hidden)]
    fn probe(&self) -> Probe;
    /// Pass 1: completes now if possible, taking the channel lock itself.
    /// The engine calls it only on a case whose [`probe`](Self::probe) said
    /// [`Probe::MayProceed`]. With `wait == false`, a lock that stays held
    /// through a few quick re-checks is not waited for: [`Attempt::Contended`].
    /// A completed attempt has woken its peer (after unlocking).
    #[doc(hidden)]
    fn try_now(self: Pin<&mut Self>, wait: bool) -> Attempt;
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
    unsafe fn try_locked(self: Pin<&mut Self>) -> bool;
    /// Pass 2: parks this case as case `index` of `token`; the lock is held.
    ///
    /// # Safety
    /// The caller holds this case's channel lock, and keeps `token` alive and
    /// in place until this case's hook is withdrawn or completed (pass 3), or
    /// forever (a leaked select).
    #[doc(hidden)]
    unsafe fn register_locked(self: Pin<&mut Self>, token: &SelectToken, index: usize);
    /// Wakes the peer this case completed with, if any (no lock held).
    #[doc(hidden)]
    fn wake_peer(self: Pin<&mut Self>);
    /// Pass 3, chosen case: reads the outcome from the hook. The engine has
    /// called `SelectToken::settle` first (the peer is done with the hook).
    #[doc(hidden)]
    fn complete_selected(self: Pin<&mut Self>);
    /// Pass 3, other cases: removes the hook from its queue.
    #[doc(hidden)]
    fn withdraw(self: Pin<&mut Self>);
    /// The select was dropped after choosing this case: give a received value
    /// back to the channel.
    #[doc(hidden)]
    fn abandon(self: Pin<&mut Self>);
}

/// The `SelectCase` methods that only touch the case's channel, its hook and
/// the peer it completed with: the same for receive and send cases
/// (`$sending`: which queue the hook waits in).
macro_rules! channel_plumbing {
    ($sending:expr) => {
        unsafe fn register_locked(self: Pin<&mut Self>, token: &SelectToken, index: usize) {
            let this = self.inner();
            let offered = this.offered();
            let ptr = HookPtr::new(this.hook.insert(Hook::for_case(token, index, offered)));
            // SAFETY: the caller holds the lock; this is the only live reference.
            let locked = unsafe { this.chan().state_locked() };
            // SAFETY: as above.
            let state = unsafe { locked.get() };
            if $sending {
                state.park_sender(ptr);
            } else {
                state.park_receiver(ptr);
            }
        }

        fn chan_key(&self) -> Option<usize> {
            self.source.get().map(|handle| handle.chan.key())
        }

        fn spent(&self) -> Option<&'static str> {
            if self.source.get().is_none() {
                None // a disabled case is never touched
            } else if self.hook.is_some() {
                Some("is still registered by a select future that was leaked")
            } else if self.out.is_some() {
                Some("still holds the outcome of the select that chose it (read it with `take_output`)")
            } else {
                self.spent_value()
            }
        }

        fn probe(&self) -> Probe {
            if self.source.get().is_none() {
                Probe::Disabled
            } else if let Some(why) = self.spent() {
                Probe::Spent(why)
            } else if self.blocked_now() {
                Probe::Blocked
            } else {
                Probe::MayProceed
            }
        }

        fn lock(&self) {
            self.chan().raw_lock();
        }

        unsafe fn unlock(&self) {
            // SAFETY: forwarded precondition.
            unsafe { self.chan().raw_unlock() }
        }

        fn wake_peer(self: Pin<&mut Self>) {
            if let Some(peer) = self.inner().peer.take() {
                crate::goroutine::waker::wake(peer);
            }
        }

        fn try_now(self: Pin<&mut Self>, wait: bool) -> Attempt {
            let this = self.inner();
            // SAFETY: `chan_ptr` is valid while the case lives.
            let chan = unsafe { &*this.chan_ptr() };
            let mut state = if wait {
                chan.lock()
            } else {
                match chan.try_lock() {
                    Some(state) => state,
                    None => return Attempt::Contended,
                }
            };
            if !this.attempt(&mut state) {
                return Attempt::WouldBlock;
            }
            drop(state);
            // The lock is released: wake the peer now (no second call from
            // the engine).
            if let Some(peer) = this.peer.take() {
                crate::goroutine::waker::wake(peer);
            }
            Attempt::Completed
        }

        unsafe fn try_locked(self: Pin<&mut Self>) -> bool {
            let this = self.inner();
            let chan = this.chan_ptr();
            // SAFETY: `chan_ptr` is valid while the case lives; the caller
            // holds the lock, and this is the only live reference.
            this.attempt(unsafe { (*chan).state_locked().get() })
        }

        fn complete_selected(self: Pin<&mut Self>) {
            self.inner().complete_selected_unpinned();
        }

        fn withdraw(self: Pin<&mut Self>) {
            self.inner().withdraw_hook();
        }

        fn abandon(self: Pin<&mut Self>) {
            let this = self.inner();
            this.complete_selected_unpinned();
            this.give_back_output();
        }
    };
}

/// The inherent helpers of a case that only touch its channel and its hook:
/// the same for receive and send cases (`$sending`: which queue the hook is in).
macro_rules! case_internals {
    ($sending:expr) => {
        /// The fields; the hook must not be moved while registered (only
        /// cleared once it is out of every queue and no peer can touch it).
        fn inner(self: Pin<&mut Self>) -> &mut Self {
            // SAFETY: callers never move `hook` out while it is registered;
            // they set it to `None` only after the lifetime protocol ends peer
            // access.
            unsafe { self.get_unchecked_mut() }
        }

        /// Whether the channel's lock-free view says this case cannot
        /// complete now: pass 1 then skips it without taking the lock (pass 2
        /// re-checks under the lock).
        #[inline]
        fn blocked_now(&self) -> bool {
            let view = self.chan().snapshot();
            if $sending {
                view.send_blocks()
            } else {
                view.recv_blocks()
            }
        }

        fn chan(&self) -> &Chan<T> {
            &self
                .source
                .get()
                .expect("engine never touches a disabled case")
                .chan
        }

        /// The channel, as a pointer that does not borrow the case: the `Chan`
        /// lives in an `Arc` that the case's handle keeps alive, so it stays
        /// valid (and in place) while the case lives, even as fields change.
        fn chan_ptr(&self) -> *const Chan<T> {
            self.chan()
        }

        /// Reads the outcome of a selected hook and clears the hook. The
        /// engine settled the token first, or the hook was found popped under
        /// the channel lock.
        fn complete_selected_unpinned(&mut self) {
            if let Some(hook) = &self.hook {
                // SAFETY: the token is selected for this case, the selecting
                // peer popped the hook, and no peer touches it any more (slot
                // rule 3, lifetime rules 2 and 3).
                let slot = unsafe { hook.slot() }.take();
                self.hook = None;
                self.selected(slot);
            }
        }

        /// Takes the hook out of its queue (if a peer has not popped it) and
        /// clears it; an unsent value comes back. Returns whether a peer had
        /// selected it.
        fn withdraw_hook(&mut self) -> bool {
            let Some(hook) = &self.hook else {
                return false;
            };
            let queued = self.chan().lock().remove(hook, $sending);
            // No peer touches the hook now (lifetime rule 2).
            let selected = !queued && hook.is_selected();
            if selected {
                self.complete_selected_unpinned();
            } else {
                // SAFETY: out of its queue, removed now or popped as stale by
                // a peer before we took the lock: slot rule 3.
                let unsent = unsafe { hook.slot() }.take();
                self.hook = None;
                self.unsent(unsent);
            }
            selected
        }
    };
}

/// The channel a case waits on, borrowed or owned (so `recv(after(d))`
/// works without a binding).
enum Source<'a, H> {
    Borrowed(&'a H),
    /// Dropped by hand, out of line (see `Drop`).
    Owned(ManuallyDrop<H>),
    Disabled,
}

impl<H> Source<'_, H> {
    fn owned(handle: H) -> Self {
        Source::Owned(ManuallyDrop::new(handle))
    }

    #[inline]
    fn get(&self) -> Option<&H> {
        match self {
            Source::Borrowed(h) => Some(h),
            Source::Owned(h) => Some(h),
            Source::Disabled => None,
        }
    }
}

impl<H> Drop for Source<'_, H> {
    /// One inline check for a borrowed or disabled source (most of them):
    /// the handle's drop is reached through an out-of-line call.
    #[inline]
    fn drop(&mut self) {
        if let Source::Owned(handle) = self {
            drop_handle(handle);
        }
    }
}

/// The slow half of `Source::drop`: an owned handle's drop.
#[inline(never)]
fn drop_handle<H>(handle: &mut ManuallyDrop<H>) {
    // SAFETY: called once, from `Source::drop`; the handle is not used again.
    unsafe { ManuallyDrop::drop(handle) }
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
                $case::from_source(Source::owned(self) $(, $value)?)
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
                $case::from_source(self.map_or(Source::Disabled, Source::owned) $(, $value)?)
            }
        }
    };
}

impl_into_case!(IntoRecvCase, into_recv_case, RecvCase, Receiver);
impl_into_case!(IntoSendCase, into_send_case, SendCase, Sender, value);

/// A receive case: Go's `case v, ok := <-ch:`.
///
/// `!Unpin`: pin it to use it with [`select`](super::select) (`std::pin::pin!`).
pub struct RecvCase<'a, T> {
    source: Source<'a, Receiver<T>>,
    /// `Some` while registered (see the module invariants).
    hook: Option<Hook<T>>,
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

    /// The outcome once this case was chosen: `Some(v)` a value, `None` the
    /// channel is closed and drained (Go's `ok == false`).
    ///
    /// # Panics
    /// If this case was not the one chosen (or its outcome was already taken).
    pub fn take_output(self: Pin<&mut Self>) -> Option<T> {
        self.inner()
            .out
            .take()
            .expect("RecvCase::take_output: this case was not chosen")
    }

    case_internals!(false);

    /// Tries to receive from the locked `state`.
    #[inline]
    fn attempt(&mut self, state: &mut State<T>) -> bool {
        let take = state.take();
        self.store(take)
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

    fn selected(&mut self, slot: Option<T>) {
        self.out = Some(slot);
    }

    /// A value this case received but nobody will read goes back to the head
    /// of the channel.
    fn give_back_output(&mut self) {
        if let Some(Some(v)) = self.out.take() {
            give_back(self.chan(), v);
        }
    }

    /// A receive case can be used again once its outcome is read.
    fn spent_value(&self) -> Option<&'static str> {
        None
    }

    /// A receive hook carries no value in.
    fn offered(&mut self) -> Option<T> {
        None
    }

    /// A receive hook that was not selected holds nothing.
    fn unsent(&mut self, slot: Option<T>) {
        debug_assert!(slot.is_none(), "an unselected receive hook holds no value");
    }
}

impl<T> Drop for RecvCase<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Still registered only if the select future was leaked: withdraw, and
        // give back a value a peer handed over meanwhile.
        if self.hook.is_some() && self.withdraw_hook() {
            self.give_back_output();
        }
    }
}

impl<T> sealed::Sealed for RecvCase<'_, T> {}

impl<T: Send> SelectCase for RecvCase<'_, T> {
    channel_plumbing!(false);
}

/// A send case: Go's `case ch <- v:`.
///
/// `!Unpin`: pin it to use it with [`select`](super::select) (`std::pin::pin!`).
pub struct SendCase<'a, T> {
    source: Source<'a, Sender<T>>,
    value: Option<T>,
    /// `Some` while registered (see the module invariants).
    hook: Option<Hook<T>>,
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

    /// The outcome once this case was chosen: `Ok(())` sent, `Err` the channel
    /// is closed, with the value back.
    ///
    /// # Panics
    /// If this case was not the one chosen (or its outcome was already taken).
    pub fn take_output(self: Pin<&mut Self>) -> Result<(), SendError<T>> {
        self.inner()
            .out
            .take()
            .expect("SendCase::take_output: this case was not chosen")
    }

    /// A send case of the value in `slot`, taken out of it now; disabled
    /// (Go's nil channel) if `slot` is `None`. If the case is not chosen, put
    /// the value back with [`SendCase::take_unsent`]: `select!`'s
    /// `send_from(tx, &mut slot)` form does that for you.
    ///
    /// # Examples
    /// ```
    /// use csp_core::select::{try_select, SendCase};
    /// let (tx, _rx) = csp_core::chan::<String>(0); // nobody receives
    /// let mut slot = Some(String::from("not Clone-free"));
    /// let mut case = std::pin::pin!(SendCase::from_slot(&tx, &mut slot));
    /// assert_eq!(slot, None); // the case holds the value now
    /// assert_eq!(try_select(&mut [case.as_mut()]), None);
    /// slot = case.take_unsent();
    /// assert_eq!(slot.as_deref(), Some("not Clone-free"));
    /// ```
    pub fn from_slot(tx: impl IntoSendCase<'a, T>, slot: &mut Option<T>) -> Self {
        match slot.take() {
            Some(value) => tx.into_send_case(value),
            None => Self {
                source: Source::Disabled,
                value: None,
                hook: None,
                peer: None,
                out: None,
            },
        }
    }

    /// The value back, if this case was not chosen (it was never sent);
    /// `None` if it was chosen (sent, or returned in `take_output`'s error).
    ///
    /// Go copies the value of a send case, so a losing case loses nothing;
    /// in Rust a value that is not `Clone` would be dropped with the case.
    /// Call this after the select to keep it (it costs nothing if you don't).
    ///
    /// # Examples
    /// ```
    /// use csp_core::select::{try_select, SendCase};
    /// let (tx, _rx) = csp_core::chan::<Vec<u8>>(0); // nobody receives
    /// let mut case = std::pin::pin!(SendCase::new(&tx, vec![1, 2, 3]));
    /// assert_eq!(try_select(&mut [case.as_mut()]), None); // default
    /// assert_eq!(case.take_unsent(), Some(vec![1, 2, 3]));
    /// ```
    pub fn take_unsent(self: Pin<&mut Self>) -> Option<T> {
        self.inner().value.take()
    }

    case_internals!(true);

    /// Tries to send on the locked `state`.
    #[inline]
    fn attempt(&mut self, state: &mut State<T>) -> bool {
        // The engine rejected a case without its value before locking.
        let value = self.value.take().expect("send case holds its value");
        let offer = state.offer(value);
        self.store(offer)
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

    fn selected(&mut self, slot: Option<T>) {
        self.out = Some(match slot {
            None => Ok(()),
            Some(v) => Err(SendError(v)),
        });
    }

    /// The value was taken (the send happened) or the channel closed; either
    /// way nothing goes back.
    fn give_back_output(&mut self) {}

    /// A send case that has given its value away has nothing left to send.
    fn spent_value(&self) -> Option<&'static str> {
        if self.value.is_none() {
            Some("has already sent its value (build a new `SendCase`)")
        } else {
            None
        }
    }

    /// A send hook carries the value while it waits.
    fn offered(&mut self) -> Option<T> {
        self.value.take()
    }

    /// A send hook that was not selected still holds the value: it comes
    /// back to the case.
    fn unsent(&mut self, slot: Option<T>) {
        self.value = slot;
    }
}

impl<T> Drop for SendCase<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Still registered only if the select future was leaked.
        if self.hook.is_some() {
            self.withdraw_hook();
        }
    }
}

impl<T> sealed::Sealed for SendCase<'_, T> {}

impl<T: Send> SelectCase for SendCase<'_, T> {
    channel_plumbing!(true);
}
