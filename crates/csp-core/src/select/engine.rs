//! The select engine: Go's `selectgo`, as three named passes over the cases.
//!
//! 1. **Try**: visit the enabled cases in a uniformly random order, each under
//!    its own channel lock; the first that can complete commits (fairness among
//!    ready cases, as Go's `fastrandn` permutation). With a `default`, stop here.
//! 2. **Register**: lock every enabled channel in channel-key order (each once),
//!    try again in the same order (a peer may have arrived since pass 1), and
//!    if still nothing can complete, publish one hook per case, all sharing one
//!    fresh [`Token`]; unlock; park.
//! 3. **Withdraw**: on wake, the token names the one case a peer committed;
//!    remove the other hooks from their queues. Dropping a parked select does
//!    the same after withdrawing the token, so nothing is lost or duplicated.
//!
//! # Invariants
//! - While our hooks are published, this select never completes a case itself;
//!   only peers select the token (at most once: see [`crate::waiter`]). Pass 1
//!   and the try of pass 2 run with no hook published, so two selects can never
//!   each take the other's offer.
//! - Pass 2 holds several channel locks, always in increasing channel-key order;
//!   every other operation holds at most one: no lock-order cycle.
//!
//! # Locking
//! Peers found in pass 1 or 2 are woken only after every lock is released.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::coop;

use super::case::SelectCase;
use crate::goroutine::{record_park, WaitReason};
use crate::loom::Arc;
use crate::waiter::Token;

/// The index [`select`] and [`try_select`] report for `default`.
pub const DEFAULT: usize = usize::MAX;

/// A uniformly random order of the enabled cases (Fisher-Yates).
///
/// Under loom the order is the source order: a model must replay the same
/// choices on every run, and loom explores the thread interleavings, which is
/// what the models check (the random order matters for fairness only).
fn random_order(cases: &[&mut dyn SelectCase], order: &mut Vec<usize>) {
    order.clear();
    order.extend((0..cases.len()).filter(|&i| cases[i].chan_key().is_some()));
    #[cfg(not(loom))]
    for i in (1..order.len()).rev() {
        order.swap(i, fastrand::usize(..=i));
    }
}

/// Pass 1. Returns the index of the case that completed.
fn pass_try(cases: &mut [&mut dyn SelectCase], order: &[usize]) -> Option<usize> {
    for &i in order {
        if cases[i].try_now() {
            cases[i].wake_peer();
            return Some(i);
        }
    }
    None
}

/// Pass 2. Returns the case that completed under the locks, or the token of
/// the hooks it published.
fn pass_register(
    cases: &mut [&mut dyn SelectCase],
    order: &[usize],
    lock_order: &mut Vec<(usize, usize)>,
    token: Arc<Token>,
) -> Result<usize, Arc<Token>> {
    lock_order.clear();
    lock_order.extend(order.iter().map(|&i| (cases[i].chan_key().unwrap_or(0), i)));
    lock_order.sort_unstable();
    lock_order.dedup_by_key(|(key, _)| *key);
    for &(_, i) in lock_order.iter() {
        cases[i].lock();
    }
    let mut done = None;
    for &i in order {
        // SAFETY: every enabled case's channel is locked above.
        if unsafe { cases[i].try_locked() } {
            done = Some(i);
            break;
        }
    }
    if done.is_none() {
        for &i in order {
            // SAFETY: as above.
            unsafe { cases[i].register_locked(&token, i) };
        }
    }
    for &(_, i) in lock_order.iter().rev() {
        // SAFETY: locked in the loop above, released once here.
        unsafe { cases[i].unlock() };
    }
    match done {
        Some(i) => {
            cases[i].wake_peer();
            Ok(i)
        }
        None => Err(token),
    }
}

/// Pass 3: case `chosen` was committed by a peer; withdraw every other hook.
fn pass_withdraw(cases: &mut [&mut dyn SelectCase], order: &[usize], token: &Token, chosen: usize) {
    // The committing peer may still hold the token's waker lock: wait for it
    // before the chosen hook is freed (lifetime rule 3 in `crate::waiter`).
    token.settle();
    for &i in order {
        if i == chosen {
            cases[i].complete_selected();
        } else {
            cases[i].withdraw();
        }
    }
}

/// Runs pass 1 only: Go's `select` with a `default` case. Returns the index of
/// the case that completed, or [`DEFAULT`] if none was ready.
///
/// Read the chosen case's outcome with its `into_output`.
///
/// # Examples
/// ```
/// use csp_core::select::{try_select, RecvCase, DEFAULT};
/// let (_tx, rx) = csp_core::chan::<i32>(1);
/// let mut case = RecvCase::new(&rx);
/// assert_eq!(try_select(&mut [&mut case]), DEFAULT); // nothing ready: default
/// ```
pub fn try_select(cases: &mut [&mut dyn SelectCase]) -> usize {
    let mut order = Vec::with_capacity(cases.len());
    random_order(cases, &mut order);
    pass_try(cases, &order).unwrap_or(DEFAULT)
}

/// Waits until exactly one case can commit and commits it: Go's `select`
/// without `default` (and `reflect.Select` for a dynamic number of cases).
/// Resolves to the index of the chosen case; read its outcome with its
/// `into_output`.
///
/// With no enabled case it never resolves (Go's `select {}`), and the
/// goroutine's wait reason is `select (no cases)`.
///
/// # Cancel safety
/// Cancel safe: dropping the future withdraws every offer at once. If a peer
/// had already committed a case, a received value goes back to the head of its
/// channel; a committed send stays sent.
///
/// # Examples
/// ```
/// use csp_core::select::{select, RecvCase, SendCase};
/// # csp_core::runtime_for_doctest(async {
/// let (tx_a, rx_a) = csp_core::chan::<&str>(1);
/// let (tx_b, _rx_b) = csp_core::chan::<i32>(0);
/// tx_a.send("ready").await.unwrap();
/// let mut recv_a = RecvCase::new(&rx_a);
/// let mut send_b = SendCase::new(&tx_b, 7); // no receiver: cannot commit
/// let chosen = select(&mut [&mut recv_a, &mut send_b]).await;
/// assert_eq!(chosen, 0);
/// assert_eq!(recv_a.into_output(), Some("ready"));
/// assert_eq!(send_b.into_unsent(), Some(7));
/// # });
/// ```
#[track_caller]
pub fn select<'c, 'a>(cases: &'c mut [&'a mut dyn SelectCase]) -> Select<'c, 'a> {
    Select {
        cases,
        order: Vec::new(),
        lock_order: Vec::new(),
        token: None,
        at: std::panic::Location::caller(),
    }
}

/// The future of [`select`].
#[must_use = "futures do nothing unless awaited"]
pub struct Select<'c, 'a> {
    cases: &'c mut [&'a mut dyn SelectCase],
    order: Vec<usize>,
    lock_order: Vec<(usize, usize)>,
    token: Option<Arc<Token>>,
    at: &'static std::panic::Location<'static>,
}

impl Future for Select<'_, '_> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        if let Some(token) = &this.token {
            let Some(chosen) = token.poll_selected(cx.waker()) else {
                record_park(WaitReason::Select, this.at);
                return Poll::Pending;
            };
            pass_withdraw(this.cases, &this.order, token, chosen);
            this.token = None;
            return Poll::Ready(chosen);
        }
        let coop = std::task::ready!(coop::poll_proceed(cx));
        random_order(this.cases, &mut this.order);
        if this.order.is_empty() {
            record_park(WaitReason::SelectNoCases, this.at);
            return Poll::Pending;
        }
        if let Some(i) = pass_try(this.cases, &this.order) {
            coop.made_progress();
            return Poll::Ready(i);
        }
        let token = Arc::new(Token::new(cx.waker()));
        match pass_register(this.cases, &this.order, &mut this.lock_order, token) {
            Ok(i) => {
                coop.made_progress();
                Poll::Ready(i)
            }
            Err(token) => {
                this.token = Some(token);
                record_park(WaitReason::Select, this.at);
                Poll::Pending
            }
        }
    }
}

impl Drop for Select<'_, '_> {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        match token.try_abort() {
            Ok(()) => {
                for &i in &self.order {
                    self.cases[i].withdraw();
                }
            }
            Err(chosen) => {
                token.settle(); // as in `pass_withdraw`
                for &i in &self.order {
                    if i == chosen {
                        self.cases[i].abandon();
                    } else {
                        self.cases[i].withdraw();
                    }
                }
            }
        }
    }
}

impl std::fmt::Debug for Select<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.cases.len())
            .field("parked", &self.token.is_some())
            .finish()
    }
}
