//! The select engine: Go's `selectgo`, as three named passes over the cases.
//!
//! 1. **Try**: probe every case without locking (disabled, spent, or what its
//!    channel's lock-free view says), then try the cases the view found
//!    ready, each under its own channel lock, picking each next one uniformly
//!    at random among those left; the first that can complete commits
//!    (fairness among ready cases, as Go's `fastrandn` permutation). A case
//!    whose view says it would block is never locked here; one whose lock
//!    stays held is put aside and retried last, waiting for the lock, only
//!    if no other case completes (so the choice leans away from a channel
//!    that is busy at that instant, never so far as to starve it: its
//!    producer stops holding the lock once its buffer is full). Up to
//!    [`MASK_CASES`] cases this runs over bit masks (no index list, one
//!    random draw per attempt); larger selects shuffle an index list.
//! 2. **Register**: lock every enabled channel in channel-id order (each once),
//!    try again in a uniformly random order (a peer may have arrived since pass 1), and
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

use super::case::{Attempt, Probe, SelectCase};
use crate::budget;
use crate::goroutine::{record_park, WaitReason};
use crate::waiter::SelectToken;

/// Case indices: inline up to 16 cases, so a select allocates nothing.
type Indices<T> = SmallVec<[T; 16]>;

/// Selects with at most this many cases run pass 1 over bit masks (one bit
/// per case: no index list, one random draw per attempt); larger ones take
/// the general path over an index list.
const MASK_CASES: usize = 64;

thread_local! {
    /// This thread's random state for the case order (wyrand); 0 until seeded.
    #[cfg(not(loom))]
    static RNG: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A uniformly random number in `0..n` (`n > 0`): wyrand, reduced by a
/// multiply-shift as Go's `cheaprandn` (the bias, below 2^-32 for the case
/// counts of a select, does not matter for fairness).
///
/// Under loom always 0: a model must replay the same choices on every run,
/// and loom explores the thread interleavings, which is what the models
/// check (the random order matters for fairness only).
#[inline(always)]
fn rand_below(n: usize) -> usize {
    #[cfg(loom)]
    {
        let _ = n;
        0
    }
    #[cfg(not(loom))]
    {
        let mut state = RNG.get();
        if state == 0 {
            state = seed();
        }
        state = state.wrapping_add(0xa076_1d64_78bd_642f);
        RNG.set(state);
        let mixed = u128::from(state) * u128::from(state ^ 0xe703_7ed1_a0b4_28db);
        let r = ((mixed >> 64) as u64) ^ (mixed as u64);
        ((u128::from(r) * n as u128) >> 64) as usize
    }
}

/// A thread's first random state (never 0, the "unseeded" mark).
#[cfg(not(loom))]
#[cold]
fn seed() -> u64 {
    fastrand::u64(1..)
}

/// A uniformly random element of a bit set of `n > 0` elements.
#[inline]
fn pick(mut set: u64, n: usize) -> usize {
    debug_assert_eq!(set.count_ones() as usize, n);
    if n > 1 {
        for _ in 0..rand_below(n) {
            set &= set - 1;
        }
    }
    set.trailing_zeros() as usize
}

/// Shuffles `order` uniformly (Fisher-Yates); under loom it keeps the
/// source order (see [`rand_below`]).
fn shuffle(order: &mut [usize]) {
    if cfg!(loom) {
        return;
    }
    for i in (1..order.len()).rev() {
        order.swap(i, rand_below(i + 1));
    }
}

/// Panics for a case that cannot take part in a select; the engine calls
/// it before any lock is taken.
#[cold]
#[track_caller]
fn spent_panic(i: usize, why: &str) -> ! {
    panic!("select: case {i} cannot be used in a new select: it {why}");
}

/// The cases probed without locking (at most [`MASK_CASES`]): bit `i` of
/// `enabled` for every enabled case, of `ready` for those whose channel's
/// view says they may complete.
#[derive(Clone, Copy)]
struct Probed {
    enabled: u64,
    ready: u64,
    /// How many bits `ready` has.
    ready_count: usize,
}

impl Probed {
    /// Probes every case. Panics, before any lock is taken, if one is spent.
    #[track_caller]
    fn of(cases: &[Pin<&mut dyn SelectCase>]) -> Self {
        let mut probed = Probed {
            enabled: 0,
            ready: 0,
            ready_count: 0,
        };
        for (i, case) in cases.iter().enumerate() {
            let bit = 1 << i;
            match case.probe() {
                Probe::Disabled => {}
                Probe::Blocked => probed.enabled |= bit,
                Probe::MayProceed => {
                    probed.enabled |= bit;
                    probed.ready |= bit;
                    probed.ready_count += 1;
                }
                Probe::Spent(why) => spent_panic(i, why),
            }
        }
        probed
    }

    /// Writes the enabled cases into `order` in a uniformly random order
    /// (pass 2's).
    fn order(self, order: &mut Indices<usize>) {
        let mut set = self.enabled;
        while set != 0 {
            order.push(set.trailing_zeros() as usize);
            set &= set - 1;
        }
        shuffle(order);
    }
}

/// Pass 1 over a probed select: tries the cases its view found ready, in a
/// uniformly random order. Returns the index of the case that completed.
///
/// A case whose channel lock stays held through the quick re-checks is put
/// aside rather than waited for (the lock's backoff lasts microseconds), and
/// retried, waiting, only if no other case completes: a select that consumes
/// from several busy producers moves on to a channel it can take now.
fn pass_try_probed(cases: &mut [Pin<&mut dyn SelectCase>], probed: Probed) -> Option<usize> {
    let (mut ready, mut left) = (probed.ready, probed.ready_count);
    let (mut contended, mut contended_count) = (0, 0);
    while left != 0 {
        let i = pick(ready, left);
        ready &= !(1 << i);
        left -= 1;
        match cases[i].as_mut().try_now(false) {
            Attempt::Completed => return Some(i),
            Attempt::WouldBlock => {}
            Attempt::Contended => {
                contended |= 1 << i;
                contended_count += 1;
            }
        }
    }
    while contended_count != 0 {
        let i = pick(contended, contended_count);
        contended &= !(1 << i);
        contended_count -= 1;
        if cases[i].as_mut().try_now(true) == Attempt::Completed {
            return Some(i);
        }
    }
    None
}

/// The general path's order: every enabled case, uniformly shuffled.
fn random_order(cases: &[Pin<&mut dyn SelectCase>], order: &mut Indices<usize>) {
    for (i, case) in cases.iter().enumerate() {
        if case.chan_key().is_some() {
            order.push(i);
        }
    }
    shuffle(order);
}

/// Pass 1 of the general path, in `order`. Returns the index of the case
/// that completed (see [`pass_try_probed`]).
fn pass_try(cases: &mut [Pin<&mut dyn SelectCase>], order: &[usize]) -> Option<usize> {
    let mut contended = Indices::new();
    for &i in order {
        if cases[i].probe() != Probe::MayProceed {
            continue;
        }
        match cases[i].as_mut().try_now(false) {
            Attempt::Completed => return Some(i),
            Attempt::WouldBlock => {}
            Attempt::Contended => contended.push(i),
        }
    }
    contended
        .into_iter()
        .find(|&i| cases[i].as_mut().try_now(true) == Attempt::Completed)
}

/// The cases as pass 1 found them without locking: probed bit masks, or
/// (more than [`MASK_CASES`] cases) checked fresh for the general path.
#[derive(Clone, Copy)]
enum Looked {
    Probed(Probed),
    Many,
}

impl Looked {
    /// Looks at every case, without locking. Panics, before any lock is
    /// taken, if a case is spent.
    #[track_caller]
    #[inline]
    fn of(cases: &[Pin<&mut dyn SelectCase>]) -> Self {
        if cases.len() <= MASK_CASES {
            Looked::Probed(Probed::of(cases))
        } else {
            check_fresh(cases);
            Looked::Many
        }
    }

    /// Pass 1: the case that completed, else `None` with `order` holding
    /// the enabled cases in a uniformly random order for pass 2 (an
    /// out-parameter: the inline buffer is not moved around).
    #[inline]
    fn try_cases(
        self,
        cases: &mut [Pin<&mut dyn SelectCase>],
        order: &mut Indices<usize>,
    ) -> Option<usize> {
        match self {
            Looked::Probed(probed) => {
                if probed.ready != 0 {
                    if let Some(i) = pass_try_probed(cases, probed) {
                        return Some(i);
                    }
                }
                probed.order(order);
                None
            }
            Looked::Many => {
                random_order(cases, order);
                pass_try(cases, order)
            }
        }
    }
}

/// Panics, before any lock is taken, if a case cannot take part in a
/// select (see [`SelectCase::spent`]).
#[track_caller]
fn check_fresh(cases: &[Pin<&mut dyn SelectCase>]) {
    for (i, case) in cases.iter().enumerate() {
        if let Probe::Spent(why) = case.probe() {
            spent_panic(i, why);
        }
    }
}

/// Every enabled case's channel locked, in channel-id order, each once; the
/// locks are released in reverse order when this drops (also on unwind, so a
/// panic never leaves a channel locked).
struct AllLocked<'g, 'a> {
    cases: &'g mut [Pin<&'a mut dyn SelectCase>],
    /// (channel id, index of one case on that channel), sorted,
    /// deduplicated: the caller's buffer, so the guard stays small.
    locks: &'g Indices<(usize, usize)>,
    /// How many of `locks` are held (from the first): a drop releases
    /// exactly those.
    held: usize,
}

impl<'g, 'a> AllLocked<'g, 'a> {
    /// Locks the channels of the cases in `order` (the enabled ones);
    /// `locks` is scratch space for the lock order.
    fn lock(
        cases: &'g mut [Pin<&'a mut dyn SelectCase>],
        order: &[usize],
        locks: &'g mut Indices<(usize, usize)>,
    ) -> Self {
        locks.clear();
        for &i in order {
            locks.push((cases[i].chan_key().unwrap_or(0), i));
        }
        locks.sort_unstable();
        locks.dedup_by_key(|(key, _)| *key);
        let mut guard = Self {
            cases,
            locks,
            held: 0,
        };
        for &(_, i) in guard.locks.iter() {
            guard.cases[i].lock();
            guard.held += 1;
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
        for &(_, i) in self.locks[..self.held].iter().rev() {
            // SAFETY: locked in `AllLocked::lock`, released once here.
            unsafe { self.cases[i].unlock() };
        }
    }
}

/// Pass 2 without registering: with every lock held, the first case that
/// can complete, else `None` (at this instant no case could proceed).
fn pass_try_locked(cases: &mut [Pin<&mut dyn SelectCase>], order: &[usize]) -> Option<usize> {
    let mut locks = Indices::new();
    let done = AllLocked::lock(cases, order, &mut locks).try_each(order);
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
        let mut locks = Indices::new();
        let mut locked = AllLocked::lock(cases, order, &mut locks);
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
    let mut order = Indices::new();
    if let Some(i) = Looked::of(cases).try_cases(cases, &mut order) {
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
        let looked = Looked::of(this.cases);
        let spent = std::task::ready!(budget::poll_unit(cx));
        let mut order = Indices::new();
        if let Some(i) = looked.try_cases(this.cases, &mut order) {
            spent.made_progress();
            return Poll::Ready(i);
        }
        if order.is_empty() {
            record_park(WaitReason::SelectNoCases, this.at);
            return Poll::Pending;
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
    #[inline]
    fn drop(&mut self) {
        if self.token.is_some() {
            self.withdraw_all();
        }
    }
}

impl Select<'_, '_> {
    /// The drop of a parked select (out of line: most selects complete
    /// without parking, and their drop is one check).
    #[inline(never)]
    fn withdraw_all(&mut self) {
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
