//! The select engine: Go's `selectgo`, as three named passes over the cases.
//!
//! 1. **Try**: visit the enabled cases in a uniformly random order, each under
//!    its own channel lock; the first that can complete commits (fairness among
//!    ready cases, as Go's `fastrandn` permutation). A case whose channel's
//!    lock-free view says it would block is skipped without locking; one whose
//!    lock stays held is put aside and retried last, waiting for the lock,
//!    only if no other case completes (so the choice leans away from a
//!    channel that is busy at that instant, never so far as to starve it:
//!    its producer stops holding the lock once its buffer is full).
//! 2. **Register**: lock every enabled channel in channel-id order (each once),
//!    try again in the same order (a peer may have arrived since pass 1), and
//!    if still nothing can complete, publish one hook per case, all sharing one
//!    fresh [`SelectToken`]; unlock; park.
//! 3. **Withdraw**: on wake, the token names the one case a peer committed;
//!    remove the other hooks from their queues. Dropping a parked select does
//!    the same after withdrawing the token, so nothing is lost or duplicated.
//!
//! With a `default` ([`try_select`]), pass 1 runs, then, if it found nothing
//! and there are several cases, the try of pass 2 under every lock, without
//! registering: `default` is taken only if at one instant (all locks held)
//! no case could proceed, as Go decides it. Pass 1 alone cannot say that: it
//! sees each case at a different instant.
//!
//! # Invariants
//! - While our hooks are published, this select never completes a case itself;
//!   only peers select the token (at most once: see [`crate::waiter`]). Pass 1
//!   and the try of pass 2 run with no hook published, so two selects can never
//!   each take the other's offer.
//! - Pass 2 holds several channel locks, always in increasing channel-id order;
//!   every other operation holds at most one: no lock-order cycle.
//! - Every case is checked fresh ([`SelectCase::spent`]) before any lock is
//!   taken, so a misused case panics with no lock held.
//!
//! # Locking
//! The locks of pass 2 are held by an [`AllLocked`] guard, released in reverse
//! order when it drops, on unwind too. Peers found in pass 1 or 2 are woken
//! only after every lock is released.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use smallvec::SmallVec;

use super::case::{Attempt, SelectCase};
use crate::budget;
use crate::goroutine::{record_park, WaitReason};
use crate::waiter::SelectToken;

/// Case indices: inline up to 16 cases, so a select allocates nothing.
type Indices<T> = SmallVec<[T; 16]>;

/// A uniformly random order of the enabled cases (Fisher-Yates), written
/// into `order` (an out-parameter: the inline buffer is not moved around).
///
/// Under loom the order is the source order: a model must replay the same
/// choices on every run, and loom explores the thread interleavings, which is
/// what the models check (the random order matters for fairness only).
fn random_order(cases: &[Pin<&mut dyn SelectCase>], order: &mut Indices<usize>) {
    for (i, case) in cases.iter().enumerate() {
        if case.chan_key().is_some() {
            order.push(i);
        }
    }
    #[cfg(not(loom))]
    if order.len() > 1 {
        // One thread-local draw seeds a local generator for the shuffle.
        let mut rng = fastrand::Rng::with_seed(fastrand::u64(..));
        for i in (1..order.len()).rev() {
            order.swap(i, rng.usize(..=i));
        }
    }
}

/// Pass 1. Returns the index of the case that completed.
///
/// A case whose channel lock stays held through the quick re-checks is put
/// aside rather than waited for (the lock's backoff lasts microseconds), and
/// retried, waiting, only if no other case completes: a select that consumes
/// from several busy producers moves on to a channel it can take now.
fn pass_try(cases: &mut [Pin<&mut dyn SelectCase>], order: &[usize]) -> Option<usize> {
    let mut contended = Indices::new();
    for &i in order {
        match cases[i].as_mut().try_now(false) {
            Attempt::Completed => return Some(completed(cases, i)),
            Attempt::WouldBlock => {}
            Attempt::Contended => contended.push(i),
        }
    }
    for i in contended {
        if cases[i].as_mut().try_now(true) == Attempt::Completed {
            return Some(completed(cases, i));
        }
    }
    None
}

/// Wakes the peer case `i` completed with; returns `i`.
fn completed(cases: &mut [Pin<&mut dyn SelectCase>], i: usize) -> usize {
    cases[i].as_mut().wake_peer();
    i
}

/// Panics, before any lock is taken, if a case cannot take part in a
/// select (see [`SelectCase::spent`]).
#[track_caller]
fn check_fresh(cases: &[Pin<&mut dyn SelectCase>]) {
    for (i, case) in cases.iter().enumerate() {
        if let Some(why) = case.spent() {
            panic!("select: case {i} cannot be used in a new select: it {why}");
        }
    }
}

/// Every enabled case's channel locked, in channel-id order, each once; the
/// locks are released in reverse order when this drops (also on unwind, so a
/// panic never leaves a channel locked).
struct AllLocked<'g, 'a> {
    cases: &'g mut [Pin<&'a mut dyn SelectCase>],
    /// (channel id, index of one case on that channel), sorted, deduplicated.
    locks: Indices<(usize, usize)>,
}

impl<'g, 'a> AllLocked<'g, 'a> {
    /// Locks the channels of the cases in `order` (the enabled ones).
    fn lock(cases: &'g mut [Pin<&'a mut dyn SelectCase>], order: &[usize]) -> Self {
        let mut locks: Indices<(usize, usize)> = order
            .iter()
            .map(|&i| (cases[i].chan_key().unwrap_or(0), i))
            .collect();
        locks.sort_unstable();
        locks.dedup_by_key(|(key, _)| *key);
        let mut guard = Self {
            cases,
            locks: Indices::new(),
        };
        for &(key, i) in locks.iter() {
            guard.cases[i].lock();
            // Pushed once held: a drop releases exactly the locks taken.
            guard.locks.push((key, i));
        }
        guard
    }

    /// Tries the cases in `order` under the locks; returns the first that
    /// completed.
    fn try_each(&mut self, order: &[usize]) -> Option<usize> {
        order.iter().copied().find(|&i| {
            // SAFETY: every enabled case's channel is locked (`lock`), and
            // `order` lists only enabled cases.
            unsafe { self.cases[i].as_mut().try_locked() }
        })
    }

    /// Registers every case in `order` with `token`.
    ///
    /// # Safety
    /// `token` stays alive and in place until every hook registered with it
    /// is withdrawn or completed (pass 3), or forever.
    unsafe fn register(&mut self, order: &[usize], token: &SelectToken) {
        for &i in order {
            // SAFETY: locked as in `try_each`; the token's promise is the caller's.
            unsafe { self.cases[i].as_mut().register_locked(token, i) };
        }
    }
}

impl Drop for AllLocked<'_, '_> {
    fn drop(&mut self) {
        for &(_, i) in self.locks.iter().rev() {
            // SAFETY: locked in `AllLocked::lock`, released once here.
            unsafe { self.cases[i].unlock() };
        }
    }
}

/// Pass 2 without registering: with every lock held, the first case that
/// can complete, else `None` (at this instant no case could proceed).
fn pass_try_locked(cases: &mut [Pin<&mut dyn SelectCase>], order: &[usize]) -> Option<usize> {
    let done = AllLocked::lock(cases, order).try_each(order);
    if let Some(i) = done {
        cases[i].as_mut().wake_peer();
    }
    done
}

/// Pass 2. Returns the case that completed under the locks, or `None` once
/// every case is registered with `token`.
///
/// # Safety
/// `token` stays alive and in place until every hook registered with it is
/// withdrawn or completed (pass 3), or forever.
unsafe fn pass_register(
    cases: &mut [Pin<&mut dyn SelectCase>],
    order: &[usize],
    token: &SelectToken,
) -> Option<usize> {
    let done = {
        let mut locked = AllLocked::lock(cases, order);
        let done = locked.try_each(order);
        if done.is_none() {
            // SAFETY: the token's promise is the caller's.
            unsafe { locked.register(order, token) };
        }
        done
    };
    if let Some(i) = done {
        cases[i].as_mut().wake_peer();
    }
    done
}

/// Pass 3: case `chosen` was committed by a peer; withdraw every other hook.
fn pass_withdraw(cases: &mut [Pin<&mut dyn SelectCase>], token: &SelectToken, chosen: usize) {
    // The committing peer may still be using the chosen hook: wait until it
    // is done before the hook is freed (lifetime rule 3 in `crate::waiter`).
    token.settle();
    // Disabled cases hold no hook: withdrawing them is a no-op.
    for (i, case) in cases.iter_mut().enumerate() {
        if i == chosen {
            case.as_mut().complete_selected();
        } else {
            case.as_mut().withdraw();
        }
    }
}

/// Go's `select` with a `default` case: commits a case that can proceed now
/// and returns its index, or `None` (take `default`) if no case could proceed
/// at one instant.
///
/// Read the chosen case's outcome with its `take_output`.
///
/// # Panics
/// If a case is spent: it holds the unread outcome of an earlier select, a
/// send case already sent its value, or a leaked select still has it
/// registered. Nothing is locked or changed then.
///
/// # Examples
/// ```
/// use csp_core::select::{try_select, RecvCase};
/// let (tx, rx) = csp_core::chan::<i32>(1);
/// let mut case = std::pin::pin!(RecvCase::new(&rx));
/// assert_eq!(try_select(&mut [case.as_mut()]), None); // nothing ready: default
/// tx.try_send(5).unwrap();
/// assert_eq!(try_select(&mut [case.as_mut()]), Some(0));
/// assert_eq!(case.take_output(), Some(5));
/// ```
#[track_caller]
pub fn try_select(cases: &mut [Pin<&mut dyn SelectCase>]) -> Option<usize> {
    check_fresh(cases);
    let mut order = Indices::new();
    random_order(cases, &mut order);
    if let Some(i) = pass_try(cases, &order) {
        return Some(i);
    }
    if order.len() < 2 {
        // One channel's view is one instant: its "would block" is exact.
        return None;
    }
    pass_try_locked(cases, &order)
}

/// Waits until exactly one case can commit and commits it: Go's `select`
/// without `default` (and `reflect.Select` for a dynamic number of cases).
/// Resolves to the index of the chosen case; read its outcome with its
/// `take_output`.
///
/// With no enabled case it never resolves (Go's `select {}`), and the
/// goroutine's wait reason is `select (no cases)`.
///
/// # Panics
/// When first polled, if a case is spent (see [`try_select`]); nothing is
/// locked or changed then.
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
/// // Cases are pinned: while the select waits, each is linked into its
/// // channel's queue in place.
/// let mut recv_a = std::pin::pin!(RecvCase::new(&rx_a));
/// let mut send_b = std::pin::pin!(SendCase::new(&tx_b, 7)); // no receiver: cannot commit
/// let chosen = select(&mut [recv_a.as_mut(), send_b.as_mut()]).await;
/// assert_eq!(chosen, 0);
/// assert_eq!(recv_a.take_output(), Some("ready"));
/// assert_eq!(send_b.take_unsent(), Some(7));
/// # });
/// ```
#[track_caller]
pub fn select<'c, 'a>(cases: &'c mut [Pin<&'a mut dyn SelectCase>]) -> Select<'c, 'a> {
    Select {
        cases,
        token: None,
        at: std::panic::Location::caller(),
        _pinned: PhantomPinned,
    }
}

/// The future of [`select`].
///
/// `!Unpin`: while it waits, the token its cases' hooks point to lives inside it.
#[must_use = "futures do nothing unless awaited"]
pub struct Select<'c, 'a> {
    cases: &'c mut [Pin<&'a mut dyn SelectCase>],
    /// `Some` while the cases are registered with it (and until pass 3).
    token: Option<SelectToken>,
    at: &'static std::panic::Location<'static>,
    _pinned: PhantomPinned,
}

impl Future for Select<'_, '_> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        // SAFETY: the token is never moved while the cases' hooks point to it:
        // it is set in place before registration and cleared after pass 3.
        let this = unsafe { self.get_unchecked_mut() };
        if let Some(token) = &this.token {
            let Some(chosen) = token.poll_selected(cx.waker()) else {
                record_park(WaitReason::Select, this.at);
                return Poll::Pending;
            };
            pass_withdraw(this.cases, token, chosen);
            this.token = None;
            return Poll::Ready(chosen);
        }
        check_fresh(this.cases);
        let spent = std::task::ready!(budget::poll_unit(cx));
        let mut order = Indices::new();
        random_order(this.cases, &mut order);
        if order.is_empty() {
            record_park(WaitReason::SelectNoCases, this.at);
            return Poll::Pending;
        }
        if let Some(i) = pass_try(this.cases, &order) {
            spent.made_progress();
            return Poll::Ready(i);
        }
        let token = this.token.insert(SelectToken::new(cx.waker()));
        // SAFETY: `token` lives in this pinned future, and is cleared only
        // after pass 3 (in `poll` or `drop`); a leaked future keeps it forever.
        match unsafe { pass_register(this.cases, &order, token) } {
            Some(i) => {
                this.token = None; // nothing registered
                spent.made_progress();
                Poll::Ready(i)
            }
            None => {
                record_park(WaitReason::Select, this.at);
                Poll::Pending
            }
        }
    }
}

impl Drop for Select<'_, '_> {
    fn drop(&mut self) {
        // The token stays in place until every hook is withdrawn, below.
        let Some(token) = &self.token else {
            return;
        };
        match token.try_abort() {
            Ok(()) => {
                for case in self.cases.iter_mut() {
                    case.as_mut().withdraw();
                }
            }
            Err(chosen) => {
                token.settle(); // as in `pass_withdraw`
                for (i, case) in self.cases.iter_mut().enumerate() {
                    if i == chosen {
                        case.as_mut().abandon();
                    } else {
                        case.as_mut().withdraw();
                    }
                }
            }
        }
        self.token = None;
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
