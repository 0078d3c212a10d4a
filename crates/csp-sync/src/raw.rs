//! The one waiting engine behind [`Mutex`](crate::Mutex) and
//! [`RwMutex`](crate::RwMutex): a reader/writer lock with a FIFO queue of
//! parked acquirers and direct hand-off (tokio's `batch_semaphore` plays the
//! same role for tokio's locks).
//!
//! # Invariants
//! - `writer` implies `readers == 0`.
//! - Hand-off: a release grants the lock to the waiters at the head of the
//!   queue *before* anyone else can take it. A granted waiter's token is
//!   `SELECTED(0)` and the lock is already counted as its own (`readers += 1`
//!   or `writer = true`) when it wakes; its future only observes that.
//! - FIFO, no barging: a new acquirer takes the lock at once only if the queue
//!   is empty. So a queued writer blocks every later reader (Go's RWMutex rule
//!   that prevents writer starvation), and a queued reader behind a writer
//!   waits for that writer. Nobody waits forever while the holders release.
//! - The queue may hold a stale entry briefly: a waiter whose owner aborted
//!   its token and has not yet taken the state lock to remove it. Grants skip
//!   such entries (their `try_select` fails).
//!
//! # Locking
//! `state` is a short `parking_lot` critical section; tokens are woken only
//! after it is released. No user code runs under it.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use csp_core::goroutine::{record_park, WaitReason};
use csp_core::waiter::Token;
use parking_lot::Mutex as PlainMutex;

/// Shared (read) or exclusive (write) access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Shared,
    Exclusive,
}

#[derive(Debug)]
struct Waiter {
    token: Arc<Token>,
    access: Access,
}

#[derive(Debug, Default)]
struct State {
    readers: usize,
    writer: bool,
    queue: VecDeque<Waiter>,
}

impl State {
    fn can_grant(&self, access: Access) -> bool {
        match access {
            Access::Shared => !self.writer,
            Access::Exclusive => !self.writer && self.readers == 0,
        }
    }

    fn grant(&mut self, access: Access) {
        match access {
            Access::Shared => self.readers += 1,
            Access::Exclusive => self.writer = true,
        }
    }

    /// Hands the lock to the waiters at the head of the queue that can have
    /// it now (one writer, or a run of readers). Returns the tokens to wake
    /// after the state lock is released.
    fn grant_waiters(&mut self) -> Vec<Arc<Token>> {
        let mut woken = Vec::new();
        while let Some(front) = self.queue.front() {
            if !self.can_grant(front.access) {
                break;
            }
            let waiter = self.queue.pop_front().expect("front exists");
            if waiter.token.try_select(0) {
                self.grant(waiter.access);
                woken.push(waiter.token);
                if waiter.access == Access::Exclusive {
                    break;
                }
            }
        }
        woken
    }
}

/// A fair reader/writer lock without data: the engine of the csp locks.
#[derive(Debug, Default)]
pub(crate) struct RawRwLock {
    state: PlainMutex<State>,
}

fn wake_all(tokens: Vec<Arc<Token>>) {
    for token in tokens {
        token.wake();
    }
}

impl RawRwLock {
    pub(crate) const fn new() -> Self {
        Self {
            state: PlainMutex::new(State {
                readers: 0,
                writer: false,
                queue: VecDeque::new(),
            }),
        }
    }

    /// Takes the lock now if it is free for `access` and nobody is queued.
    pub(crate) fn try_acquire(&self, access: Access) -> bool {
        let mut state = self.state.lock();
        if state.queue.is_empty() && state.can_grant(access) {
            state.grant(access);
            true
        } else {
            false
        }
    }

    /// Releases one `access` hold and hands the lock on.
    pub(crate) fn release(&self, access: Access) {
        let woken = {
            let mut state = self.state.lock();
            match access {
                Access::Shared => {
                    debug_assert!(state.readers > 0, "read unlock of unlocked RwMutex");
                    state.readers -= 1;
                }
                Access::Exclusive => {
                    debug_assert!(state.writer, "unlock of unlocked mutex");
                    state.writer = false;
                }
            }
            state.grant_waiters()
        };
        wake_all(woken);
    }

    /// A future that acquires `access`, parking with `reason` at `at`.
    pub(crate) fn acquire(
        &self,
        access: Access,
        reason: WaitReason,
        at: &'static Location<'static>,
    ) -> Acquire<'_> {
        Acquire {
            lock: self,
            access,
            reason,
            at,
            token: None,
            acquired: false,
        }
    }

    /// Whether any hold (read or write) is outstanding.
    pub(crate) fn is_locked(&self) -> bool {
        let state = self.state.lock();
        state.writer || state.readers > 0
    }
}

/// One acquisition in flight. Cancel safe: dropping it before it is granted
/// withdraws it; dropping it after a grant it never returned releases the
/// hold (handing the lock on).
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    lock: &'a RawRwLock,
    access: Access,
    reason: WaitReason,
    at: &'static Location<'static>,
    token: Option<Arc<Token>>,
    acquired: bool,
}

impl Future for Acquire<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        assert!(!this.acquired, "lock future polled after completion");
        match &this.token {
            None => {
                let mut state = this.lock.state.lock();
                if state.queue.is_empty() && state.can_grant(this.access) {
                    state.grant(this.access);
                    drop(state);
                    this.acquired = true;
                    return Poll::Ready(());
                }
                let token = Arc::new(Token::new(cx.waker()));
                state.queue.push_back(Waiter {
                    token: token.clone(),
                    access: this.access,
                });
                drop(state);
                this.token = Some(token);
            }
            Some(token) => {
                if token.poll_selected(cx.waker()).is_some() {
                    this.acquired = true;
                    return Poll::Ready(());
                }
            }
        }
        record_park(this.reason, this.at);
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.acquired {
            return;
        }
        let Some(token) = self.token.take() else {
            return;
        };
        match token.try_abort() {
            Ok(()) => {
                // Withdrawn: leave the queue. Our leaving may unblock the
                // waiters behind us (a queued writer was blocking readers).
                let woken = {
                    let mut state = self.lock.state.lock();
                    if let Some(i) = state
                        .queue
                        .iter()
                        .position(|w| Arc::ptr_eq(&w.token, &token))
                    {
                        state.queue.remove(i);
                    }
                    state.grant_waiters()
                };
                wake_all(woken);
            }
            // The lock was handed to us but nobody will use it: pass it on.
            Err(_) => self.lock.release(self.access),
        }
    }
}
