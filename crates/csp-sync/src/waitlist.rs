//! A list of parked tokens released all at once: the one waiting path of
//! `WaitGroup.Wait` and of callers waiting for another caller's `Once.Do`.
//!
//! # Invariants
//! - A [`Waiting`] holds a token exactly while its future is parked; the token
//!   sits in the primitive's list, behind the primitive's own mutex.
//! - [`release_all`] selects every token of a drained list (case 0) before
//!   waking it, so a waiter that withdrew first (`try_abort` succeeded) is
//!   skipped, and one that was released never misses its wake-up.
//!
//! # Locking
//! The list lives in the primitive's state under its mutex; tokens are woken
//! after that mutex is released.

use std::panic::Location;
use std::sync::Arc;
use std::task::{Context, Poll};

use csp_core::goroutine::{record_park, WaitReason};
use csp_core::waiter::Token;
use parking_lot::Mutex;

/// The parked part of a future that waits on a [`release_all`] list.
#[derive(Debug, Default)]
pub(crate) struct Waiting {
    token: Option<Arc<Token>>,
}

impl Waiting {
    /// Whether the future is parked on a list.
    pub(crate) fn is_parked(&self) -> bool {
        self.token.is_some()
    }

    /// Polls: `must_wait` runs under `lock` and returns the list to join while
    /// the caller must wait, `None` once it need not.
    pub(crate) fn poll<S>(
        &mut self,
        lock: &Mutex<S>,
        must_wait: impl FnOnce(&mut S) -> Option<&mut Vec<Arc<Token>>>,
        cx: &Context<'_>,
        reason: WaitReason,
        at: &'static Location<'static>,
    ) -> Poll<()> {
        match &self.token {
            None => {
                let mut state = lock.lock();
                let Some(list) = must_wait(&mut state) else {
                    return Poll::Ready(());
                };
                let token = Arc::new(Token::new(cx.waker()));
                list.push(token.clone());
                drop(state);
                self.token = Some(token);
            }
            Some(token) => {
                if token.poll_selected(cx.waker()).is_some() {
                    self.token = None;
                    return Poll::Ready(());
                }
            }
        }
        record_park(reason, at);
        Poll::Pending
    }

    /// Withdraws a parked waiter (its future is dropped) from `list`.
    pub(crate) fn cancel<S>(
        &mut self,
        lock: &Mutex<S>,
        list: impl FnOnce(&mut S) -> &mut Vec<Arc<Token>>,
    ) {
        let Some(token) = self.token.take() else {
            return;
        };
        if token.try_abort().is_ok() {
            let mut state = lock.lock();
            let list = list(&mut state);
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
