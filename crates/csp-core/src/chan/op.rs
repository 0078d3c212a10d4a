//! One in-flight send or receive: the try / park / re-poll / withdraw logic
//! shared by the `send`/`recv` futures, the `Stream` impl, the timeout and
//! blocking variants.
//!
//! # Invariants
//! - `hook` is `Some` exactly while the operation is parked (published in a
//!   channel queue, or popped by a peer whose outcome the owner has not read).
//! - Cancel safety: [`SendOp::withdraw`] and [`RecvOp::withdraw`] leave no hook
//!   behind. A send value not yet taken comes back to the caller; once taken the
//!   send counts as done. A value already handed to a receive comes back to the
//!   caller of `withdraw`, who returns it to the channel head if it cannot use it.
//! - Every completion that did not park spends one unit of Tokio's cooperative
//!   budget, so a loop over an always-ready channel yields now and then.
//! - Parking takes the channel's spare hook (`Chan::spare`) and gives it back
//!   on completion, so steady-state parking does not allocate;
//!   a re-poll while still parked refreshes the waker under the channel lock
//!   (waker rule 2 in [`crate::waiter`]).

use std::panic::Location;
use std::task::{Context, Poll};

use tokio::task::coop;

use super::core::Chan;
use super::error::SendError;
use super::state::{Offer, Take};
use crate::goroutine::{record_park, WaitReason};
use crate::loom::Arc;
use crate::waiter::Hook;

/// What withdrawing a parked send found.
pub(crate) enum SendWithdrawn<T> {
    /// The value was never taken: here it is.
    NotSent(T),
    /// The operation had completed before it could be withdrawn.
    Done(Result<(), SendError<T>>),
}

/// A send that may be parked.
pub(crate) struct SendOp<T> {
    hook: Option<Arc<Hook<T>>>,
}

impl<T> SendOp<T> {
    pub(crate) const fn new() -> Self {
        Self { hook: None }
    }

    /// Whether the send is parked in the channel.
    pub(crate) fn is_parked(&self) -> bool {
        self.hook.is_some()
    }

    /// Drives the send. `value` is `Some` until the value is handed to the channel.
    pub(crate) fn poll(
        &mut self,
        chan: &Chan<T>,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Result<(), SendError<T>>> {
        if let Some(hook) = &self.hook {
            if still_waiting(chan, hook, cx) {
                record_park(WaitReason::ChanSend, at);
                return Poll::Pending;
            }
            let hook = self.hook.take().expect("checked above");
            let outcome = Self::outcome(&hook);
            chan.spare.put(hook);
            return Poll::Ready(outcome);
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
                let hook = spare_hook(chan);
                // SAFETY: not published yet: we own its waker and slot
                // (waker rule 1, slot rule 3).
                unsafe {
                    hook.arm(cx.waker());
                    hook.slot().put(back);
                }
                state.sendq.push_back(hook.clone());
                drop(state);
                self.hook = Some(hook);
                record_park(WaitReason::ChanSend, at);
                Poll::Pending
            }
        }
    }

    /// The outcome of a selected send hook.
    fn outcome(hook: &Hook<T>) -> Result<(), SendError<T>> {
        // SAFETY: the token is selected (observed with acquire by the caller),
        // and the selecting peer popped the hook: slot rule 3.
        match unsafe { hook.slot() }.take() {
            None => Ok(()),
            Some(item) => Err(SendError(item)),
        }
    }

    /// Withdraws a parked send. Returns `None` if nothing was parked.
    pub(crate) fn withdraw(&mut self, chan: &Chan<T>) -> Option<SendWithdrawn<T>> {
        let hook = self.hook.take()?;
        let was_queued = chan.lock().remove(&hook, true);
        if was_queued {
            // SAFETY: we removed the hook from its queue under the lock (rule 3).
            let item = unsafe { hook.slot() }.take().expect("unsent value");
            chan.spare.put(hook);
            Some(SendWithdrawn::NotSent(item))
        } else {
            // A peer popped it under the lock, and a plain send's token is
            // never withdrawn, so the peer selected it.
            debug_assert!(hook.is_selected());
            let outcome = Self::outcome(&hook);
            chan.spare.put(hook);
            Some(SendWithdrawn::Done(outcome))
        }
    }
}

/// A receive that may be parked.
pub(crate) struct RecvOp<T> {
    hook: Option<Arc<Hook<T>>>,
}

impl<T> RecvOp<T> {
    pub(crate) const fn new() -> Self {
        Self { hook: None }
    }

    /// Drives the receive: `Some(v)` a value, `None` closed and drained.
    pub(crate) fn poll(
        &mut self,
        chan: &Chan<T>,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        if let Some(hook) = &self.hook {
            if still_waiting(chan, hook, cx) {
                record_park(WaitReason::ChanReceive, at);
                return Poll::Pending;
            }
            let hook = self.hook.take().expect("checked above");
            // SAFETY: selected, and popped by the selecting peer (rule 3).
            let outcome = unsafe { hook.slot() }.take();
            chan.spare.put(hook);
            return Poll::Ready(outcome);
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
                let hook = spare_hook(chan);
                // SAFETY: not published yet: we own its waker (waker rule 1).
                unsafe { hook.arm(cx.waker()) };
                state.recvq.push_back(hook.clone());
                drop(state);
                self.hook = Some(hook);
                record_park(WaitReason::ChanReceive, at);
                Poll::Pending
            }
        }
    }

    /// Withdraws a parked receive. Returns `None` if nothing was parked or it
    /// was still waiting; `Some(outcome)` if it had completed (`Some(v)`: a
    /// value was handed to it, which the caller now owns).
    pub(crate) fn withdraw(&mut self, chan: &Chan<T>) -> Option<Option<T>> {
        let hook = self.hook.take()?;
        if chan.lock().remove(&hook, false) {
            chan.spare.put(hook);
            return None;
        }
        debug_assert!(hook.is_selected());
        // SAFETY: the hook is no longer queued and we took the lock after the
        // peer popped it (rule 3).
        let outcome = unsafe { hook.slot() }.take();
        chan.spare.put(hook);
        Some(outcome)
    }

    /// Withdraws for good (the future is dropped): a value already handed over
    /// goes back to the head of the channel, so nothing is lost.
    pub(crate) fn cancel(&mut self, chan: &Chan<T>) {
        if let Some(Some(item)) = self.withdraw(chan) {
            give_back(chan, item);
        }
    }
}

/// A hook to park with: the channel's spare one, or a new one (allocated under
/// the lock: cheaper than releasing it and trying again).
#[inline]
fn spare_hook<T>(chan: &Chan<T>) -> Arc<Hook<T>> {
    chan.spare.take().unwrap_or_else(|| Hook::single(None))
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
