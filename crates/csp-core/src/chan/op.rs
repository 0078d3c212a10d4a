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
//! - Every completion that did not park spends one unit of Tokio's cooperative
//!   budget, so a loop over an always-ready channel yields now and then.
//! - A re-poll while still parked refreshes the waker under the channel lock
//!   (waker rule 2 in [`crate::waiter`]).

use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::coop;

use super::core::{Chan, Locked};
use super::error::SendError;
use super::state::{Offer, Take};
use crate::goroutine::{record_park, WaitReason};
use crate::waiter::{Hook, HookPtr};

/// What withdrawing a parked send found.
pub(crate) enum SendWithdrawn<T> {
    /// The value was never taken: here it is.
    NotSent(T),
    /// The operation had completed before it could be withdrawn.
    Done(Result<(), SendError<T>>),
}

/// A send that may be parked.
pub(crate) struct SendOp<T> {
    /// Built on the first park (an op that never parks never pays for it).
    hook: Option<Hook<T>>,
    parked: bool,
}

impl<T> SendOp<T> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            hook: None,
            parked: false,
        }
    }

    /// Whether the send is parked in the channel.
    #[inline]
    pub(crate) fn is_parked(&self) -> bool {
        self.parked
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
        if this.parked {
            return this.poll_parked(chan, cx, at);
        }
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let item = value.take().expect("send future polled after completion");
        let mut state = chan.lock();
        match state.offer(item) {
            Offer::Handed(peer) => {
                drop(state);
                if let Some(peer) = peer {
                    peer.wake();
                }
                coop.made_progress();
                Poll::Ready(Ok(()))
            }
            Offer::Buffered => {
                drop(state);
                coop.made_progress();
                Poll::Ready(Ok(()))
            }
            Offer::Closed(back) => {
                drop(state);
                coop.made_progress();
                Poll::Ready(Err(SendError(back)))
            }
            Offer::WouldBlock(back) => {
                this.park(state, back, cx, at);
                Poll::Pending
            }
        }
    }

    /// Parks the send with `value` (out of line: the inlined fast path stays small).
    #[inline(never)]
    fn park(
        &mut self,
        mut state: Locked<'_, T>,
        value: T,
        cx: &Context<'_>,
        at: &'static Location<'static>,
    ) {
        let hook = self.hook.get_or_insert_with(Hook::plain);
        // SAFETY: not published and no peer access in progress (the op is not
        // parked): waker rule 1, slot rule 3. The op is pinned (caller).
        unsafe {
            hook.arm(cx.waker());
            hook.slot().put(value);
        }
        state.sendq.push_back(HookPtr::new(hook));
        drop(state);
        self.parked = true;
        record_park(WaitReason::ChanSend, at);
    }

    /// A re-poll while parked.
    #[inline(never)]
    fn poll_parked(
        &mut self,
        chan: &Chan<T>,
        cx: &Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Result<(), SendError<T>>> {
        let hook = parked_hook(&self.hook);
        if still_waiting(chan, hook, cx) {
            record_park(WaitReason::ChanSend, at);
            return Poll::Pending;
        }
        self.parked = false;
        Poll::Ready(Self::outcome(hook))
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
        if !self.parked {
            return None;
        }
        // SAFETY: nothing is moved out of `this`.
        let this = unsafe { self.get_unchecked_mut() };
        let hook = parked_hook(&this.hook);
        let was_queued = chan.lock().remove(hook, true);
        // Either way no peer touches the hook any more: we removed it, or a
        // peer popped (and selected) it in a critical section that ended
        // before we took the lock (lifetime rule 2).
        this.parked = false;
        if was_queued {
            // SAFETY: we removed the hook from its queue under the lock (rule 3).
            let item = unsafe { hook.slot() }.take().expect("unsent value");
            Some(SendWithdrawn::NotSent(item))
        } else {
            debug_assert!(hook.is_selected());
            Some(SendWithdrawn::Done(Self::outcome(hook)))
        }
    }
}

impl<T> Drop for SendOp<T> {
    #[inline]
    fn drop(&mut self) {
        abort_if_parked(self.parked);
    }
}

/// A receive that may be parked.
pub(crate) struct RecvOp<T> {
    /// Built on the first park (an op that never parks never pays for it).
    hook: Option<Hook<T>>,
    parked: bool,
}

impl<T> RecvOp<T> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            hook: None,
            parked: false,
        }
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
        if this.parked {
            return this.poll_parked(chan, cx, at);
        }
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let mut state = chan.lock();
        match state.take() {
            Take::Value(item, peer) => {
                drop(state);
                if let Some(peer) = peer {
                    peer.wake();
                }
                coop.made_progress();
                Poll::Ready(Some(item))
            }
            Take::Closed => {
                drop(state);
                coop.made_progress();
                Poll::Ready(None)
            }
            Take::WouldBlock => {
                this.park(state, cx, at);
                Poll::Pending
            }
        }
    }

    /// Parks the receive (out of line: the inlined fast path stays small).
    #[inline(never)]
    fn park(&mut self, mut state: Locked<'_, T>, cx: &Context<'_>, at: &'static Location<'static>) {
        let hook = self.hook.get_or_insert_with(Hook::plain);
        // SAFETY: not published and no peer access in progress (the op is not
        // parked): waker rule 1. The op is pinned (caller).
        unsafe { hook.arm(cx.waker()) };
        state.recvq.push_back(HookPtr::new(hook));
        drop(state);
        self.parked = true;
        record_park(WaitReason::ChanReceive, at);
    }

    /// A re-poll while parked.
    #[inline(never)]
    fn poll_parked(
        &mut self,
        chan: &Chan<T>,
        cx: &Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        let hook = parked_hook(&self.hook);
        if still_waiting(chan, hook, cx) {
            record_park(WaitReason::ChanReceive, at);
            return Poll::Pending;
        }
        self.parked = false;
        // SAFETY: selected, observed with acquire (slot rule 3).
        Poll::Ready(unsafe { hook.slot() }.take())
    }

    /// Withdraws a parked receive. Returns `None` if nothing was parked or it
    /// was still waiting; `Some(outcome)` if it had completed (`Some(v)`: a
    /// value was handed to it, which the caller now owns).
    #[inline]
    pub(crate) fn withdraw(self: Pin<&mut Self>, chan: &Chan<T>) -> Option<Option<T>> {
        if !self.parked {
            return None;
        }
        // SAFETY: nothing is moved out of `this`.
        let this = unsafe { self.get_unchecked_mut() };
        let hook = parked_hook(&this.hook);
        let was_queued = chan.lock().remove(hook, false);
        // No peer touches the hook any more (lifetime rule 2, as for sends).
        this.parked = false;
        if was_queued {
            return None;
        }
        debug_assert!(hook.is_selected());
        // SAFETY: the hook is no longer queued and we took the lock after the
        // peer popped it (rule 3).
        Some(unsafe { hook.slot() }.take())
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

impl<T> Drop for RecvOp<T> {
    #[inline]
    fn drop(&mut self) {
        abort_if_parked(self.parked);
    }
}

/// The hook of a parked op (built when it parked).
#[inline]
fn parked_hook<T>(hook: &Option<Hook<T>>) -> &Hook<T> {
    hook.as_ref().expect("a parked op has a hook")
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
        peer.wake();
    }
}
