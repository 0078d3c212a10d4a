//! A list of parked tokens released all at once: the one waiting path (and
//! the one wait future, [`ListWait`]) of `WaitGroup.Wait` and of callers
//! waiting for another caller's `Once.Do`.
//!
//! # Invariants
//! - A [`ListWait`] holds a token exactly while it is parked; the token sits
//!   in the primitive's list, behind the primitive's own mutex.
//! - [`release_all`] selects every token of a drained list (case 0) before
//!   waking it, so a waiter that withdrew first (`try_abort` succeeded) is
//!   skipped, and one that was released never misses its wake-up.
//!
//! # Locking
//! The list lives in the primitive's state under its mutex; tokens are woken
//! after that mutex is released.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use csp_core::goroutine::{record_park, WaitReason};
use csp_core::waiter::Token;
use parking_lot::Mutex;

/// A primitive whose callers wait on a [`release_all`] list.
pub(crate) trait WaitList {
    /// What the primitive's mutex guards.
    type State;
    /// The Go wait reason a parked caller reports.
    const REASON: WaitReason;
    /// The mutex that guards the list.
    fn mutex(&self) -> &Mutex<Self::State>;
    /// Under the mutex: the list to join while the caller must wait, `None`
    /// once it need not.
    fn must_wait<'s>(&self, state: &'s mut Self::State) -> Option<&'s mut Vec<Arc<Token>>>;
    /// Under the mutex: the list (to withdraw from).
    fn list<'s>(&self, state: &'s mut Self::State) -> &'s mut Vec<Arc<Token>>;
}

/// The future that waits on a [`WaitList`] until it need not. Cancel safe:
/// dropped while parked, it withdraws its token.
pub(crate) struct ListWait<'a, L: WaitList> {
    owner: &'a L,
    token: Option<Arc<Token>>,
    at: &'static Location<'static>,
}

impl<'a, L: WaitList> ListWait<'a, L> {
    pub(crate) fn new(owner: &'a L, at: &'static Location<'static>) -> Self {
        Self {
            owner,
            token: None,
            at,
        }
    }

    /// Whether the future is parked on the list.
    pub(crate) fn is_parked(&self) -> bool {
        self.token.is_some()
    }
}

impl<L: WaitList> Future for ListWait<'_, L> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match &this.token {
            None => {
                let mut state = this.owner.mutex().lock();
                let Some(list) = this.owner.must_wait(&mut state) else {
                    return Poll::Ready(());
                };
                let token = Arc::new(Token::new(cx.waker()));
                list.push(token.clone());
                drop(state);
                this.token = Some(token);
            }
            Some(token) => {
                if token.poll_selected(cx.waker()).is_some() {
                    this.token = None;
                    return Poll::Ready(());
                }
            }
        }
        record_park(L::REASON, this.at);
        Poll::Pending
    }
}

impl<L: WaitList> Drop for ListWait<'_, L> {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        if token.try_abort().is_ok() {
            let mut state = self.owner.mutex().lock();
            let list = self.owner.list(&mut state);
            if let Some(i) = list.iter().position(|t| Arc::ptr_eq(t, &token)) {
                list.swap_remove(i);
            }
        }
    }
}

/// Releases every waiter of a list drained under the primitive's mutex.
/// Call after releasing that mutex.
pub(crate) fn release_all(list: Vec<Arc<Token>>) {
    for token in list {
        if token.try_select(0) {
            token.wake();
        }
    }
}
