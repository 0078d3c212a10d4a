//! One in-flight send or receive: the try / park / re-poll / withdraw logic
//! shared by the `send`/`recv` futures, the `Stream` and `Sink` impls, the
//! timeout and blocking variants.
//!
//! # Invariants
//! - An op holds its hook inline (no allocation to park) and is driven
//!   through `Pin<&mut Self>`: while `parked`, its hook is published in a
//!   channel queue (or popped by a peer whose outcome the owner has not
//!   read), so the op must not move, and its owner must withdraw it before
//!   dropping it (the lifetime protocol of [`crate::waiter`]). An op dropped
//!   while parked would leave a dangling pointer in a queue: that bug aborts.
//! - Cancel safety: [`SendOp::withdraw`] and [`RecvOp::withdraw`] leave no hook
//!   behind. A send value not yet taken comes back to the caller; once taken the
//!   send counts as done. A value already handed to a receive comes back to the
//!   caller of `withdraw`, who returns it to the channel head if it cannot use it.
//! - Every completion that did not park spends Tokio's cooperative budget
//!   (one unit per [`budget::STRIDE`] operations), so a loop over an
//!   always-ready channel yields now and then.
//! - A re-poll while still parked refreshes the waker under the channel lock
//!   (waker rule 2 in [`crate::waiter`]).

use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::core::{Chan, Locked};
use super::error::SendError;
use super::state::{Offer, Take};
use crate::budget;
use crate::goroutine::{record_park, WaitReason};
use crate::waiter::{Hook, HookPtr};

/// What withdrawing a parked send found.
pub(crate) enum SendWithdrawn<T> {
    /// The value was never taken: here it is.
    NotSent(T),
    /// The operation had completed before it could be withdrawn.
    Done(Result<(), SendError<T>>),
}

/// The parking half that sends and receives share: the hook, built on the
/// first park (an op that never parks never pays for it), and whether it is
/// published.
struct Parking<T> {
    /// Dropped by hand, out of line and only if built (see `Drop`).
    hook: ManuallyDrop<Option<Hook<T>>>,
    parked: bool,
}

impl<T> Parking<T> {
    #[inline]
    const fn new() -> Self {
        Self {
            hook: ManuallyDrop::new(None),
            parked: false,
        }
    }

    /// The hook of a parked op.
    #[inline]
    fn hook(&self) -> &Hook<T> {
        self.hook.as_ref().expect("a parked op has a hook")
    }

    /// Publishes the hook in the locked channel's send queue (`value` is the
    /// send's) or receive queue. Out of line: the inlined fast path stays small.
    ///
    /// The op is pinned (its caller's `Pin<&mut Self>`): the hook stays put.
    #[inline(never)]
    fn park(
        &mut self,
        mut state: Locked<'_, T>,
        value: Option<T>,
        cx: &Context<'_>,
        at: &'static Location<'static>,
    ) {
        let hook = self.hook.get_or_insert_with(Hook::plain);
        let sending = value.is_some();
        // SAFETY: not published and no peer access in progress (the op is not
        // parked): waker rule 1, slot rule 3.
        unsafe {
            hook.arm(cx.waker());
            if let Some(value) = value {
                hook.slot().put(value);
            }
        }
        if sending {
            state.park_sender(HookPtr::new(hook));
        } else {
            state.park_receiver(HookPtr::new(hook));
        }
        drop(state);
        self.parked = true;
        record_park(reason(sending), at);
    }

    /// A re-poll while parked: the hook once a peer selected it (the op is
    /// then no longer parked), else `None` with the waker refreshed. The
    /// usual re-poll (woken because a peer selected it) is one load, inline;
    /// the locked re-check is out of line.
    #[inline]
    fn poll_parked(
        &mut self,
        chan: &Chan<T>,
        sending: bool,
        cx: &Context<'_>,
        at: &'static Location<'static>,
    ) -> Option<&Hook<T>> {
        if !self.hook().is_selected() && self.still_parked(chan, sending, cx, at) {
            return None;
        }
        self.parked = false;
        Some(self.hook())
    }

    /// The slow half of `poll_parked`: whether the op still waits, checked
    /// under the lock (the waker refreshed and the park recorded if so).
    #[inline(never)]
    fn still_parked(
        &self,
        chan: &Chan<T>,
        sending: bool,
        cx: &Context<'_>,
        at: &'static Location<'static>,
    ) -> bool {
        let waiting = still_waiting(chan, self.hook(), cx);
        if waiting {
            record_park(reason(sending), at);
        }
        waiting
    }

    /// The op completed through its hook and read the outcome out of the
    /// slot: the hook holds nothing any more, so it is forgotten instead of
    /// dropped through an out-of-line call.
    #[inline]
    fn release_done(&mut self) {
        #[cfg(not(loom))]
        // SAFETY: the op is no longer parked and its hook was selected and
        // settled: no queue holds it and no peer touches it again (lifetime
        // rule 1 in `crate::waiter`). It holds nothing to drop: the selecting
        // peer took the waker (waker rule 3), the caller took the slot's value.
        // Under loom the hook's drop runs as usual: it checks those accesses.
        unsafe {
            std::ptr::write(&mut *self.hook, None);
        }
    }

    /// Takes a parked hook out of its queue: `None` if nothing was parked,
    /// else the hook and whether it was still queued (if not, a peer had
    /// selected it). Either way no peer touches it any more: we removed it, or
    /// a peer popped (and selected) it in a critical section that ended
    /// before we took the lock (lifetime rule 2).
    #[inline]
    fn withdraw(&mut self, chan: &Chan<T>, sending: bool) -> Option<(&Hook<T>, bool)> {
        if !self.parked {
            return None;
        }
        self.parked = false;
        let hook = self.hook();
        let was_queued = chan.lock().remove(hook, sending);
        debug_assert!(was_queued || hook.is_selected());
        Some((hook, was_queued))
    }
}

impl<T> Drop for Parking<T> {
    /// Inline and trivial for an op that never parked (most of them): the
    /// hook's drop glue is only reached through an out-of-line call.
    #[inline]
    fn drop(&mut self) {
        abort_if_parked(self.parked);
        if self.hook.is_some() {
            drop_hook(&mut self.hook);
        }
    }
}

/// The slow half of `Parking::drop`: a built hook's drop glue.
#[inline(never)]
fn drop_hook<T>(hook: &mut ManuallyDrop<Option<Hook<T>>>) {
    // SAFETY: called once, from `Parking::drop`; the field is not used again.
    unsafe { ManuallyDrop::drop(hook) }
}

/// The goroutine wait reason of a parked send or receive.
#[inline]
fn reason(sending: bool) -> WaitReason {
    if sending {
        WaitReason::ChanSend
    } else {
        WaitReason::ChanReceive
    }
}

/// A send that may be parked.
pub(crate) struct SendOp<T> {
    parking: Parking<T>,
}

impl<T> SendOp<T> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            parking: Parking::new(),
        }
    }

    /// Whether the send is parked in the channel.
    #[inline]
    pub(crate) fn is_parked(&self) -> bool {
        self.parking.parked
    }

    /// Drives the send. `value` is `Some` until the value is handed to the channel.
    #[inline]
    pub(crate) fn poll(
        self: Pin<&mut Self>,
        chan: &Chan<T>,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Result<(), SendError<T>>> {
        // SAFETY: nothing is moved out of `this`; the hook stays in place.
        let this = unsafe { self.get_unchecked_mut() };
        if this.parking.parked {
            return match this.parking.poll_parked(chan, true, cx, at) {
                Some(hook) => {
                    let outcome = Self::outcome(hook);
                    this.parking.release_done();
                    Poll::Ready(outcome)
                }
                None => Poll::Pending,
            };
        }
        let spent = std::task::ready!(budget::poll_proceed(cx));
        let item = value.take().expect("send future polled after completion");
        let mut state = chan.lock_for(true);
        match state.offer(item) {
            Offer::Handed(peer) => {
                drop(state);
                if let Some(peer) = peer {
                    crate::goroutine::waker::wake(peer);
                }
                spent.made_progress();
                Poll::Ready(Ok(()))
            }
            Offer::Buffered => {
                drop(state);
                spent.made_progress();
                Poll::Ready(Ok(()))
            }
            Offer::Closed(back) => {
                drop(state);
                spent.made_progress();
                Poll::Ready(Err(SendError(back)))
            }
            Offer::WouldBlock(back) => {
                this.parking.park(state, Some(back), cx, at);
                Poll::Pending
            }
        }
    }

    /// The outcome of a selected send hook.
    fn outcome(hook: &Hook<T>) -> Result<(), SendError<T>> {
        // SAFETY: the token is selected (observed with acquire by the caller,
        // or found popped under the lock): slot rule 3.
        match unsafe { hook.slot() }.take() {
            None => Ok(()),
            Some(item) => Err(SendError(item)),
        }
    }

    /// Withdraws a parked send. Returns `None` if nothing was parked.
    #[inline]
    pub(crate) fn withdraw(self: Pin<&mut Self>, chan: &Chan<T>) -> Option<SendWithdrawn<T>> {
        // SAFETY: nothing is moved out of `this`.
        let this = unsafe { self.get_unchecked_mut() };
        let (hook, was_queued) = this.parking.withdraw(chan, true)?;
        Some(if was_queued {
            // SAFETY: we removed the hook from its queue under the lock (rule 3).
            let item = unsafe { hook.slot() }.take().expect("unsent value");
            SendWithdrawn::NotSent(item)
        } else {
            SendWithdrawn::Done(Self::outcome(hook))
        })
    }
}

/// A receive that may be parked.
pub(crate) struct RecvOp<T> {
    parking: Parking<T>,
}

impl<T> RecvOp<T> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            parking: Parking::new(),
        }
    }

    /// Whether the receive is parked in the channel.
    #[inline]
    pub(crate) fn is_parked(&self) -> bool {
        self.parking.parked
    }

    /// Drives the receive: `Some(v)` a value, `None` closed and drained.
    #[inline]
    pub(crate) fn poll(
        self: Pin<&mut Self>,
        chan: &Chan<T>,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        // SAFETY: nothing is moved out of `this`; the hook stays in place.
        let this = unsafe { self.get_unchecked_mut() };
        if this.parking.parked {
            return match this.parking.poll_parked(chan, false, cx, at) {
                Some(hook) => {
                    // SAFETY: selected, observed with acquire (slot rule 3).
                    let got = unsafe { hook.slot() }.take();
                    this.parking.release_done();
                    Poll::Ready(got)
                }
                None => Poll::Pending,
            };
        }
        let spent = std::task::ready!(budget::poll_proceed(cx));
        let mut state = chan.lock_for(false);
        match state.take() {
            Take::Value(item, peer) => {
                drop(state);
                if let Some(peer) = peer {
                    crate::goroutine::waker::wake(peer);
                }
                spent.made_progress();
                Poll::Ready(Some(item))
            }
            Take::Closed => {
                drop(state);
                spent.made_progress();
                Poll::Ready(None)
            }
            Take::WouldBlock => {
                this.parking.park(state, None, cx, at);
                Poll::Pending
            }
        }
    }

    /// Withdraws a parked receive. Returns `None` if nothing was parked or it
    /// was still waiting; `Some(outcome)` if it had completed (`Some(v)`: a
    /// value was handed to it, which the caller now owns).
    #[inline]
    pub(crate) fn withdraw(self: Pin<&mut Self>, chan: &Chan<T>) -> Option<Option<T>> {
        // SAFETY: nothing is moved out of `this`.
        let this = unsafe { self.get_unchecked_mut() };
        match this.parking.withdraw(chan, false)? {
            (_, true) => None,
            // SAFETY: the hook is no longer queued and we took the lock after
            // the peer popped it (rule 3).
            (hook, false) => Some(unsafe { hook.slot() }.take()),
        }
    }

    /// Withdraws for good (the future is dropped): a value already handed over
    /// goes back to the head of the channel, so nothing is lost.
    #[inline]
    pub(crate) fn cancel(self: Pin<&mut Self>, chan: &Chan<T>) {
        if let Some(Some(item)) = self.withdraw(chan) {
            give_back(chan, item);
        }
    }
}

/// An op's owner must withdraw it before dropping it; if a bug in csp ever
/// skipped that, a queue would keep a pointer to freed memory: stop instead.
#[inline]
fn abort_if_parked(parked: bool) {
    if parked {
        eprintln!("csp: internal error: a parked channel operation was dropped unwithdrawn");
        std::process::abort();
    }
}

/// The owner's re-poll of a parked plain operation: `false` once a peer
/// selected it; else the waker is refreshed (under the lock: waker rule 2).
#[inline]
fn still_waiting<T>(chan: &Chan<T>, hook: &Hook<T>, cx: &Context<'_>) -> bool {
    if hook.is_selected() {
        return false;
    }
    let state = chan.lock();
    if !hook.is_waiting() {
        return false;
    }
    // SAFETY: lock held and the token still waits under it (waker rule 2).
    unsafe { hook.rearm_locked(cx.waker()) };
    drop(state);
    true
}

/// Returns `item` to the head of the channel (see `State::give_back`).
pub(crate) fn give_back<T>(chan: &Chan<T>, item: T) {
    let woken = chan.lock().give_back(item);
    if let Some(peer) = woken {
        crate::goroutine::waker::wake(peer);
    }
}
