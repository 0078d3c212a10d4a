//! [`Cond`]: Go's `sync.Cond`, a condition variable used with a csp
//! [`Mutex`](crate::Mutex).
//!
//! Go's ticket algorithm (`runtime.notifyList`), which cannot lose a wake-up:
//! `wait` takes a ticket *before* unlocking the mutex, and a signal is a
//! promise to a ticket, not to a parked task. So a signal that arrives between
//! the unlock and the park is not lost: the waiter finds its ticket already
//! served when it first polls.
//!
//! # Invariants
//! - `notify <= wait`. Tickets `0..wait` were handed out; tickets
//!   `0..notify` have been signalled (served). A waiter with ticket `t`
//!   returns once `t < notify`.
//! - `parked` holds `(t, token)` for unserved waiters that have polled; a
//!   waiter that has not polled yet simply is not there, and finds out on its
//!   first poll.
//! - `cancelled` holds unserved tickets whose futures were dropped; `signal`
//!   skips them so a signal is never spent on a waiter that is gone.
//!
//! # Locking
//! `state` is a short `parking_lot` critical section. A waiter stores its
//! waker in its token while holding it, and `signal`/`broadcast` advance
//! `notify` while holding it and wake after releasing it, so every serve is
//! either seen by the waiter's check or wakes the waker it stored.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use csp_core::goroutine::{record_park, WaitReason};
use csp_core::waiter::Token;
use parking_lot::Mutex as PlainMutex;

use crate::mutex::{Lock, MutexGuard};

#[derive(Debug, Default)]
struct State {
    wait: u64,
    notify: u64,
    parked: Vec<(u64, Arc<Token>)>,
    cancelled: Vec<u64>,
}

/// A condition variable: Go's `sync.Cond`, used with a csp [`Mutex`](crate::Mutex).
///
/// | Go | csp |
/// |---|---|
/// | `c := sync.NewCond(&mu)` | `let c = Cond::new();` (the mutex is passed to `wait`) |
/// | `c.Wait()` (with `mu` locked) | `guard = c.wait(guard).await;` |
/// | `c.Signal()` | `c.signal()` |
/// | `c.Broadcast()` | `c.broadcast()` |
///
/// As in Go, wait in a loop that re-checks the condition:
/// `while !cond(&guard) { guard = c.wait(guard).await; }`.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::sync::Arc;
/// let shared = Arc::new((csp_sync::Mutex::new(false), csp_sync::Cond::new()));
/// let s = shared.clone();
/// tokio::spawn(async move {
///     *s.0.lock().await = true;
///     s.1.broadcast();
/// });
/// let (mu, cond) = &*shared;
/// let mut ready = mu.lock().await;
/// while !*ready {
///     ready = cond.wait(ready).await;
/// }
/// # });
/// ```
#[derive(Default)]
pub struct Cond {
    state: PlainMutex<State>,
}

impl Cond {
    /// A new condition variable (Go's `sync.NewCond`, minus the locker);
    /// `const`, so it can be a `static`.
    ///
    /// # Examples
    /// ```
    /// static READY: csp_sync::Cond = csp_sync::Cond::new();
    /// READY.broadcast(); // nobody waits: a no-op
    /// ```
    pub const fn new() -> Self {
        Self {
            state: PlainMutex::new(State {
                wait: 0,
                notify: 0,
                parked: Vec::new(),
                cancelled: Vec::new(),
            }),
        }
    }

    /// Atomically unlocks the mutex of `guard` and waits for a
    /// [`signal`](Self::signal) or [`broadcast`](Self::broadcast), then locks
    /// the mutex again and returns the new guard: Go's `c.Wait()`.
    ///
    /// The mutex is unlocked when this method is called (not when the future
    /// is first polled), after a ticket has been taken, so no signal sent
    /// after the unlock can be missed. A goroutine parked here is reported as
    /// blocked in `sync.Cond.Wait`, then in `sync.Mutex.Lock` while relocking.
    ///
    /// # Cancel safety
    /// Dropping the future before it was signalled withdraws it, and a later
    /// signal goes to another waiter. Dropping it after it was signalled but
    /// before it returned passes the signal on to the next waiter (at worst a
    /// spurious wake-up, which Go's contract allows). Dropping it while it
    /// relocks behaves as a dropped [`Mutex::lock`](crate::Mutex::lock). In
    /// every case the mutex ends up unlocked by this wait.
    #[track_caller]
    pub fn wait<'c, 'a, T: ?Sized>(&'c self, guard: MutexGuard<'a, T>) -> CondWait<'c, 'a, T> {
        let at = Location::caller();
        let mutex = MutexGuard::mutex(&guard);
        let ticket = {
            let mut state = self.state.lock();
            let ticket = state.wait;
            state.wait += 1;
            ticket
        };
        drop(guard); // Unlock only after taking the ticket.
        CondWait {
            cond: self,
            mutex,
            at,
            phase: Phase::Ticket {
                ticket,
                token: None,
            },
        }
    }

    /// Wakes one waiting goroutine, the longest waiting one, if any: Go's
    /// `c.Signal()`. Holding the mutex is allowed but not required.
    ///
    /// # Examples
    /// ```
    /// let c = csp_sync::Cond::new();
    /// c.signal(); // nobody waits: no effect, as in Go
    /// ```
    pub fn signal(&self) {
        let woken = {
            let mut state = self.state.lock();
            loop {
                if state.notify == state.wait {
                    break None;
                }
                let t = state.notify;
                state.notify += 1;
                if let Some(i) = state.cancelled.iter().position(|&c| c == t) {
                    state.cancelled.swap_remove(i);
                    continue;
                }
                break state
                    .parked
                    .iter()
                    .position(|(pt, _)| *pt == t)
                    .map(|i| state.parked.swap_remove(i).1);
            }
        };
        if let Some(token) = woken {
            token.wake();
        }
    }

    /// Wakes every waiting goroutine: Go's `c.Broadcast()`.
    ///
    /// # Examples
    /// ```
    /// let c = csp_sync::Cond::new();
    /// c.broadcast();
    /// ```
    pub fn broadcast(&self) {
        let woken = {
            let mut state = self.state.lock();
            state.notify = state.wait;
            state.cancelled.clear();
            std::mem::take(&mut state.parked)
        };
        for (_, token) in woken {
            token.wake();
        }
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Cond")
            .field("waiting", &(state.wait - state.notify))
            .finish()
    }
}

enum Phase<'a, T: ?Sized> {
    Ticket {
        ticket: u64,
        token: Option<Arc<Token>>,
    },
    Relock(Lock<'a, T>),
    Finished,
}

/// The future of [`Cond::wait`]; resolves to the relocked guard.
#[must_use = "futures do nothing unless awaited; the mutex is already unlocked"]
pub struct CondWait<'c, 'a, T: ?Sized> {
    cond: &'c Cond,
    mutex: &'a crate::Mutex<T>,
    at: &'static Location<'static>,
    phase: Phase<'a, T>,
}

impl<'a, T: ?Sized> Future for CondWait<'_, 'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.phase {
                Phase::Ticket { ticket, token } => {
                    let mut state = this.cond.state.lock();
                    if *ticket < state.notify {
                        drop(state);
                        this.phase = Phase::Relock(this.mutex.lock_at(this.at));
                        continue;
                    }
                    match token {
                        None => {
                            let t = Arc::new(Token::new(cx.waker()));
                            state.parked.push((*ticket, t.clone()));
                            *token = Some(t);
                        }
                        Some(t) => {
                            // Never selected: this only stores the new waker,
                            // under the state lock (see the module's Locking).
                            let _ = t.poll_selected(cx.waker());
                        }
                    }
                    drop(state);
                    record_park(WaitReason::CondWait, this.at);
                    return Poll::Pending;
                }
                Phase::Relock(lock) => {
                    let guard = std::task::ready!(Pin::new(lock).poll(cx));
                    this.phase = Phase::Finished;
                    return Poll::Ready(guard);
                }
                Phase::Finished => panic!("CondWait polled after completion"),
            }
        }
    }
}

impl<T: ?Sized> Drop for CondWait<'_, '_, T> {
    fn drop(&mut self) {
        let Phase::Ticket { ticket, .. } = self.phase else {
            return; // Relock: the `Lock` future's own drop is cancel safe.
        };
        let served = {
            let mut state = self.cond.state.lock();
            if ticket < state.notify {
                true
            } else {
                state.parked.retain(|(t, _)| *t != ticket);
                state.cancelled.push(ticket);
                false
            }
        };
        if served {
            // We were signalled but will never act on it: pass it on.
            self.cond.signal();
        }
    }
}

impl<T: ?Sized> fmt::Debug for CondWait<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CondWait").finish_non_exhaustive()
    }
}
