//! The one waiting engine behind [`Mutex`](crate::Mutex) and
//! [`RwMutex`](crate::RwMutex): a reader/writer lock word taken lock-free
//! when it is free, and a FIFO queue of parked acquirers. It follows Go's
//! `sync.Mutex` (`runtime/sema.go` and `sync/mutex.go`): a normal mode in
//! which an unlock wakes the head waiter to compete for the lock, and a
//! starvation ("hand-off") mode in which an unlock gives the lock directly
//! to the head waiter.
//!
//! # Invariants
//! - The word `state` is `WRITER | QUEUED | HANDOFF | WOKEN | readers *
//!   ONE_READER`; `WRITER` implies `readers == 0`.
//! - `QUEUED` is set exactly while the queue is non-empty, and `HANDOFF`
//!   only while `QUEUED`; both change only under the queue lock. An acquirer
//!   sets `QUEUED` with a compare-exchange that also observes the lock held,
//!   so a release either sees `QUEUED` (and takes the slow path, which needs
//!   the queue lock) or frees the lock before the acquirer's check.
//! - Normal mode (`!HANDOFF`): a free lock may be taken by anyone for
//!   writing (barging, as Go lets a running goroutine win over a woken one);
//!   for reading only while nobody is queued (a queued writer blocks later
//!   readers: Go's RWMutex rule against writer starvation). A release that
//!   sees `QUEUED` and not `WOKEN` pops the head waiter (a writer, or a run of
//!   readers), selects its token with case [`WOKEN_CASE`] and sets `WOKEN`;
//!   the woken waiter retries as the head by right, and queues again at the
//!   front if the lock was taken meanwhile.
//! - `WOKEN` means an acquirer with a right to the next free lock is in
//!   flight, so a release wakes nobody: a woken waiter, or a writer spinning
//!   while others are queued that claimed it (Go's spinner sets
//!   `mutexWoken`; see "Spinning"). Each clears it in the exchange that
//!   takes the lock or queues it behind a holder, so a flag raced onto a
//!   second owner costs at most a spare wake, never a lost one.
//! - Progress: while the queue is non-empty, either the lock is held (its
//!   release wakes someone) or a `WOKEN` owner is in flight (it takes the
//!   lock or queues behind a holder; a woken waiter dropped passes the wake
//!   on, and a spinner's claim ends within its poll).
//! - Hand-off mode (`HANDOFF`): set by a woken waiter that failed to get the
//!   lock after waiting longer than [`STARVING_AFTER`] (Go's 1 ms). Nobody
//!   takes the lock lock-free; a release grants it to the head waiters (token
//!   case [`GRANTED`]: the hold is already counted for them when they wake).
//!   While `HANDOFF` is set the lock is never free with waiters queued, so a
//!   queued waiter always has a release to wait for. Cleared when the queue
//!   empties or a granted waiter had waited less than [`STARVING_AFTER`].
//! - A queue entry may be stale briefly: its owner withdrew its token and has
//!   not yet taken the queue lock to remove it. Wakes and grants skip it
//!   (their `try_select` fails).
//!
//! # Spinning
//! Before it parks, an acquirer spins as Go's `sync.Mutex` does: at most
//! [`SPINS`] rounds of a few `spin_loop` hints ([`PAUSES`]), reading the word and
//! trying the exchange only when the lock looks free (the holder keeps its
//! cache line), and only when another thread may be running the holder
//! ([`spin_pays`]: more than one CPU and more than one worker). It never
//! sleeps or yields the thread. The uncontended paths are one inlined
//! compare-exchange each (lock: `0 -> WRITER` or `ONE_READER`, unlock: back
//! to `0`); everything else is out of line. Measurements: `docs/performance.md`,
//! "Contended Mutex (issue 19)".
//!
//! # Locking
//! `queue` is a short mutex (`parking_lot`, loom's under `--cfg loom`) that
//! the uncontended paths never take; tokens are woken only after it is
//! released. No user code runs under it. The word changes only by atomic
//! read-modify-writes (acquire on taking, release on releasing).

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use csp_core::goroutine::{record_park, WaitReason};
use csp_core::waiter::Token;

use crate::loom::{atomic_usize, const_unless_loom, AtomicUsize, Ordering, PlainMutex};

const WRITER: usize = 1;
const QUEUED: usize = 2;
const HANDOFF: usize = 4;
const WOKEN: usize = 8;
const ONE_READER: usize = 16;

/// Token case of a waiter granted the lock in hand-off mode.
const GRANTED: usize = 0;
/// Token case of a waiter woken to compete for the lock (normal mode).
const WOKEN_CASE: usize = 1;

/// How long a woken waiter may lose to barging acquirers before the lock
/// switches to hand-off mode (Go's `starvationThresholdNs`). Zero under
/// loom, so the models reach hand-off mode at the first lost retry.
pub(crate) const STARVING_AFTER: Duration = if cfg!(loom) {
    Duration::ZERO
} else {
    Duration::from_millis(1)
};

/// Spin rounds an acquirer makes before it parks, when spinning can pay
/// ([`spin_pays`]): Go's `active_spin` (4). One under loom, so the models
/// cover a spinner's claim of `WOKEN`.
const SPINS: u32 = if cfg!(loom) { 1 } else { 4 };

/// `spin_loop` hints in the first spin round, doubling each round (1, 2, 4,
/// 8: 15 in all). Go's `active_spin_cnt` is 30 per round, 120 in all; but a
/// `PAUSE` costs 40-80 ns on current AMD cores, so 120 would spin 5-10 µs,
/// longer than a park and a wake, and a spinner may be keeping the holder
/// itself off its worker (Go checks its local run queue is empty; Tokio
/// does not expose that). 15 keep a failed spin near 1 µs. None under loom,
/// whose models need no busy loop.
const PAUSES: u32 = if cfg!(loom) { 0 } else { 1 };

/// Whether spinning can pay on this thread: some other thread may be
/// running the holder (Go's `sync_runtime_canSpin`: more than one CPU and
/// GOMAXPROCS > 1; a current-thread or single-worker runtime never spins,
/// as its holder cannot run while its waiter spins). Decided once per
/// thread: a worker thread belongs to one runtime for life, and the
/// queries behind it are too slow for every contended acquire.
#[cfg(not(loom))]
fn spin_pays() -> bool {
    use std::cell::Cell;
    thread_local! {
        static PAYS: Cell<Option<bool>> = const { Cell::new(None) };
    }
    PAYS.with(|pays| {
        pays.get().unwrap_or_else(|| {
            let answer = csp_core::num_cpu() > 1 && csp_core::gomaxprocs() > 1;
            pays.set(Some(answer));
            answer
        })
    })
}

#[cfg(loom)]
fn spin_pays() -> bool {
    true
}

/// Shared (read) or exclusive (write) access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Shared,
    Exclusive,
}

impl Access {
    /// Whether the word `s` leaves the lock free for this access (ignoring
    /// the queue flags).
    fn is_free(self, s: usize) -> bool {
        match self {
            Access::Shared => s & WRITER == 0,
            Access::Exclusive => s & WRITER == 0 && s < ONE_READER,
        }
    }

    /// The word with this access's hold added.
    fn take(self, s: usize) -> usize {
        match self {
            Access::Shared => s + ONE_READER,
            Access::Exclusive => s | WRITER,
        }
    }

    /// The word with this access's hold removed.
    fn untake(self, s: usize) -> usize {
        match self {
            Access::Shared => s - ONE_READER,
            Access::Exclusive => s & !WRITER,
        }
    }

    /// Whether an acquirer that is not at the head may take the free lock
    /// lock-free in word `s`.
    fn may_barge(self, s: usize) -> bool {
        s & HANDOFF == 0 && self.is_free(s) && (self == Access::Exclusive || s & QUEUED == 0)
    }
}

/// How a spin ended.
enum Spin {
    Acquired,
    /// Not acquired; `claimed`: the spinner holds `WOKEN` (it must clear it
    /// as it queues).
    Failed {
        claimed: bool,
    },
}

#[derive(Debug)]
struct Waiter {
    token: Arc<Token>,
    access: Access,
    since: Instant,
}

/// A fair reader/writer lock without data: the engine of the csp locks.
#[derive(Debug)]
pub(crate) struct RawRwLock {
    state: AtomicUsize,
    queue: PlainMutex<VecDeque<Waiter>>,
}

fn wake_all(tokens: Vec<Arc<Token>>) {
    for token in tokens {
        token.wake();
    }
}

impl RawRwLock {
    const_unless_loom! {
        /// A free lock; `const` so the locks built on it can be `static`.
        pub(crate) fn new() -> Self {
            Self {
                state: atomic_usize(0),
                queue: PlainMutex::new(VecDeque::new()),
            }
        }
    }

    /// Takes the lock now if nobody at the head of the queue has a better
    /// claim (Go's `TryLock`: a writer may barge past queued waiters in
    /// normal mode, never in hand-off mode; a reader never passes a waiter).
    pub(crate) fn try_acquire(&self, access: Access) -> bool {
        self.try_quiet(access) || self.try_take(access, false, self.state.load(Ordering::Relaxed))
    }

    /// The fast path: takes a free lock with nobody queued (Go's
    /// `CAS(0, locked)`). One compare-exchange and no load before it: under
    /// contention a load first fetches the line shared, and the exchange
    /// must fetch it again. A reader that finds only readers (and nobody queued) joins them with
    /// a second exchange from the word the first returned.
    #[inline]
    fn try_quiet(&self, access: Access) -> bool {
        match self
            .state
            .compare_exchange(0, access.take(0), Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => true,
            Err(s) => {
                access == Access::Shared
                    && s & !(ONE_READER - 1) == s
                    && self
                        .state
                        .compare_exchange(s, access.take(s), Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
            }
        }
    }

    /// One lock-free attempt from the observed word `s`; `head` for an
    /// acquirer with a right to the next free lock (a woken waiter, or a
    /// spinner holding `WOKEN`): the queue does not stop it, and taking the
    /// lock clears `WOKEN`.
    fn try_take(&self, access: Access, head: bool, mut s: usize) -> bool {
        loop {
            let (may, new) = if head {
                (
                    s & HANDOFF == 0 && access.is_free(s),
                    access.take(s & !WOKEN),
                )
            } else {
                (access.may_barge(s), access.take(s))
            };
            if !may {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// Lock-free attempts between short pauses before an acquirer parks, as
    /// Go's `sync.Mutex` spins before it sleeps: a holder running on
    /// another worker often releases within a few hundred cycles, far less
    /// than a park and a wake cost. The spinner reads the word and tries
    /// the exchange only when the lock looks free, so it does not steal the
    /// line from the holder. A writer spinning while waiters are queued
    /// claims `WOKEN` (Go's spinner sets `mutexWoken`): the release then
    /// wakes nobody, since the spinner is about to take the lock, and the
    /// spinner takes it as the head would. A claim ends in this call: the
    /// spinner takes the lock, or clears `WOKEN` as it queues (`claimed`).
    fn spin_acquire(&self, access: Access, retry: bool) -> Spin {
        let mut claimed = false;
        let mut round = 0;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & HANDOFF != 0 {
                break;
            }
            if self.try_take(access, retry || claimed, s) {
                return Spin::Acquired;
            }
            if round == SPINS || !spin_pays() {
                break;
            }
            round += 1;
            if !retry
                && !claimed
                && access == Access::Exclusive
                && s & (QUEUED | WOKEN | HANDOFF) == QUEUED
            {
                claimed = self
                    .state
                    .compare_exchange(s, s | WOKEN, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok();
            }
            for _ in 0..PAUSES << (round - 1) {
                std::hint::spin_loop();
            }
        }
        Spin::Failed { claimed }
    }

    /// Releases one `access` hold; wakes or grants waiters if any are queued.
    #[inline]
    pub(crate) fn release(&self, access: Access) {
        // Bets on the only hold with nobody queued (as `try_quiet` does):
        // one compare-exchange, no load before it.
        if self
            .state
            .compare_exchange(access.take(0), 0, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        self.release_slow(access);
    }

    /// [`release`](Self::release) past the bet: other readers, queued
    /// waiters or hand-off mode.
    #[inline(never)]
    fn release_slow(&self, access: Access) {
        debug_assert!(
            {
                let s = self.state.load(Ordering::Relaxed);
                match access {
                    Access::Shared => s >= ONE_READER,
                    Access::Exclusive => s & WRITER != 0,
                }
            },
            "unlock of an unlocked lock"
        );
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let last = access == Access::Exclusive || s < 2 * ONE_READER;
            let must_hand_on = s & HANDOFF != 0 || (s & QUEUED != 0 && s & WOKEN == 0);
            if last && must_hand_on {
                break;
            }
            match self.state.compare_exchange_weak(
                s,
                access.untake(s),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
        let woken = {
            let mut queue = self.queue.lock();
            match access {
                Access::Shared => self.state.fetch_sub(ONE_READER, Ordering::AcqRel),
                Access::Exclusive => self.state.fetch_and(!WRITER, Ordering::AcqRel),
            };
            self.hand_on(&mut queue)
        };
        wake_all(woken);
    }

    /// Under the queue lock, after a release (or a withdrawn wake): grants
    /// the lock in hand-off mode, or wakes the head in normal mode unless a
    /// woken waiter is already in flight. Returns the tokens to wake.
    fn hand_on(&self, queue: &mut VecDeque<Waiter>) -> Vec<Arc<Token>> {
        let s = self.state.load(Ordering::Acquire);
        if s & HANDOFF != 0 {
            return self.grant(queue);
        }
        let mut woken = Vec::new();
        if s & WOKEN == 0 {
            // `WOKEN` goes up before a token is selected: a woken waiter may
            // retry (and clear it) as soon as its token is selected.
            self.state.fetch_or(WOKEN, Ordering::AcqRel);
            while let Some(front) = queue.front() {
                if !woken.is_empty() && front.access == Access::Exclusive {
                    break;
                }
                let waiter = queue.pop_front().expect("front exists");
                if waiter.token.try_select(WOKEN_CASE) {
                    woken.push(waiter.token);
                    if waiter.access == Access::Exclusive {
                        break;
                    }
                }
            }
            if woken.is_empty() {
                self.state.fetch_and(!WOKEN, Ordering::AcqRel);
            }
        }
        self.sync_queued(queue);
        woken
    }

    /// Hand-off mode, under the queue lock: gives the lock to the head
    /// waiters that can have it now (one writer, or a run of readers).
    fn grant(&self, queue: &mut VecDeque<Waiter>) -> Vec<Arc<Token>> {
        let mut granted = Vec::new();
        let mut starving = true;
        while let Some(front) = queue.front() {
            let access = front.access;
            if !access.is_free(self.state.load(Ordering::Acquire)) {
                break;
            }
            // The hold is counted before the token is selected: the waiter
            // may be polled (and release) as soon as it is selected, woken or
            // not. Nobody else takes the lock meanwhile (hand-off mode).
            self.count_hold(access);
            let waiter = queue.pop_front().expect("front exists");
            if waiter.token.try_select(GRANTED) {
                starving &= waiter.since.elapsed() >= STARVING_AFTER;
                granted.push(waiter.token);
                if access == Access::Exclusive {
                    break;
                }
            } else {
                // Withdrawn: take the hold back. A reader that released
                // meanwhile saw it and left the hand-off to this loop, which
                // looks at the word again for the next waiter.
                match access {
                    Access::Shared => self.state.fetch_sub(ONE_READER, Ordering::AcqRel),
                    Access::Exclusive => self.state.fetch_and(!WRITER, Ordering::AcqRel),
                };
            }
        }
        if !granted.is_empty() && !starving {
            // Go leaves starvation mode once a waiter got the lock quickly.
            self.state.fetch_and(!HANDOFF, Ordering::AcqRel);
        }
        self.sync_queued(queue);
        granted
    }

    /// Counts an `access` hold granted to a waiter.
    fn count_hold(&self, access: Access) {
        match access {
            Access::Shared => self.state.fetch_add(ONE_READER, Ordering::AcqRel),
            Access::Exclusive => self.state.fetch_or(WRITER, Ordering::AcqRel),
        };
    }

    /// Under the queue lock: clears `QUEUED` and `HANDOFF` once the queue
    /// is empty.
    fn sync_queued(&self, queue: &VecDeque<Waiter>) {
        if queue.is_empty() {
            self.state.fetch_and(!(QUEUED | HANDOFF), Ordering::AcqRel);
        }
    }

    /// The slow path of an acquirer: under the queue lock, takes the lock if
    /// it may, or queues a token (at the front for a woken waiter retrying,
    /// which may switch the lock to hand-off mode). A woken waiter and a
    /// spinner that `claimed` `WOKEN` clear it either way. `None` when
    /// acquired.
    fn acquire_or_queue(
        &self,
        access: Access,
        (retry, claimed): (bool, bool),
        since: Instant,
        waker: &Waker,
    ) -> Option<Arc<Token>> {
        let mut queue = self.queue.lock();
        let clear = if retry || claimed { WOKEN } else { 0 };
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let may_take = if retry || claimed {
                s & HANDOFF == 0 && access.is_free(s)
            } else {
                access.may_barge(s)
            };
            let new = if may_take {
                access.take(s & !clear)
            } else {
                let starving = retry && since.elapsed() >= STARVING_AFTER;
                (s & !clear) | QUEUED | if starving { HANDOFF } else { 0 }
            };
            match self
                .state
                .compare_exchange(s, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if may_take => return None,
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        let token = Arc::new(Token::new(waker));
        let waiter = Waiter {
            token: token.clone(),
            access,
            since,
        };
        if retry {
            queue.push_front(waiter);
        } else {
            queue.push_back(waiter);
        }
        Some(token)
    }

    /// Withdraws a parked acquirer whose future is dropped.
    #[inline(never)]
    fn withdraw(&self, access: Access, token: &Arc<Token>) {
        match token.try_abort() {
            Ok(()) => {
                let woken = {
                    let mut queue = self.queue.lock();
                    if let Some(i) = queue.iter().position(|w| Arc::ptr_eq(&w.token, token)) {
                        queue.remove(i);
                    }
                    // Our leaving may unblock the waiters behind us (a queued
                    // writer was blocking readers).
                    let s = self.state.load(Ordering::Acquire);
                    if s & HANDOFF != 0 {
                        self.grant(&mut queue)
                    } else if queue.front().is_some_and(|w| w.access.is_free(s)) {
                        self.hand_on(&mut queue)
                    } else {
                        self.sync_queued(&queue);
                        Vec::new()
                    }
                };
                wake_all(woken);
            }
            // The lock was handed to us but nobody will use it: pass it on.
            Err(GRANTED) => self.release(access),
            // Woken to compete but gone: let the next waiter compete.
            Err(_) => {
                let woken = {
                    let mut queue = self.queue.lock();
                    self.state.fetch_and(!WOKEN, Ordering::AcqRel);
                    self.hand_on(&mut queue)
                };
                wake_all(woken);
            }
        }
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
            since: None,
            retry: false,
            acquired: false,
        }
    }

    /// The whole word (for the loom models' final checks).
    #[cfg(all(test, loom))]
    pub(crate) fn word(&self) -> usize {
        self.state.load(Ordering::Relaxed)
    }

    /// Whether any hold (read or write) is outstanding.
    pub(crate) fn is_locked(&self) -> bool {
        let s = self.state.load(Ordering::Relaxed);
        s & WRITER != 0 || s >= ONE_READER
    }
}

impl Default for RawRwLock {
    fn default() -> Self {
        Self::new()
    }
}

/// One acquisition in flight. Cancel safe: dropping it while queued
/// withdraws it; dropping it after a wake passes the wake on; dropping it
/// after a grant it never returned releases the hold (handing the lock on).
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    lock: &'a RawRwLock,
    access: Access,
    reason: WaitReason,
    at: &'static Location<'static>,
    token: Option<Arc<Token>>,
    /// When this acquisition first parked (for hand-off mode).
    since: Option<Instant>,
    /// Woken to compete: the next attempt is the head's.
    retry: bool,
    acquired: bool,
}

impl Future for Acquire<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.token.is_none() && !this.retry && !this.acquired && this.lock.try_quiet(this.access)
        {
            this.acquired = true;
            return Poll::Ready(());
        }
        this.poll_contended(cx)
    }
}

impl Acquire<'_> {
    /// [`poll`](Future::poll) past the fast path: spin, queue, or check the
    /// queued token.
    #[inline(never)]
    fn poll_contended(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.acquired, "lock future polled after completion");
        if let Some(token) = &self.token {
            match token.poll_selected(cx.waker()) {
                None => {
                    record_park(self.reason, self.at);
                    return Poll::Pending;
                }
                Some(GRANTED) => {
                    self.token = None;
                    self.acquired = true;
                    return Poll::Ready(());
                }
                Some(_) => {
                    self.token = None;
                    self.retry = true;
                }
            }
        }
        let claimed = match self.lock.spin_acquire(self.access, self.retry) {
            Spin::Acquired => {
                self.acquired = true;
                return Poll::Ready(());
            }
            Spin::Failed { claimed } => claimed,
        };
        let since = *self.since.get_or_insert_with(Instant::now);
        match self
            .lock
            .acquire_or_queue(self.access, (self.retry, claimed), since, cx.waker())
        {
            None => {
                self.acquired = true;
                Poll::Ready(())
            }
            Some(token) => {
                self.token = Some(token);
                record_park(self.reason, self.at);
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    #[inline]
    fn drop(&mut self) {
        // Polls leave it either acquired or parked with a token.
        if let Some(token) = self.token.take() {
            self.lock.withdraw(self.access, &token);
        }
    }
}
