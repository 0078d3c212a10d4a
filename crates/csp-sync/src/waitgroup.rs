//! [`WaitGroup`]: Go's `sync.WaitGroup`, a counter that goroutines wait on
//! until it reaches zero.
//!
//! # Invariants
//! - The word `state` is `count * ONE | WAITERS`, as Go packs its counter and
//!   waiter count into one atomic. `count >= 0` always: an `add` that would
//!   make it negative panics with Go's message ("sync: negative WaitGroup
//!   counter") and leaves it unchanged.
//! - `WAITERS` is set while `waiters` may hold a token; it is set and cleared
//!   only under the `waiters` lock. A waiter joins the list with a
//!   compare-exchange that sets `WAITERS` while it sees `count > 0`.
//! - The transition to zero with `WAITERS` set happens under the `waiters`
//!   lock and clears the word and the list together, so every waiter that
//!   saw the count above zero is released by that zero, and none that came
//!   after a later `add` (reuse) is. Other `add`s are one compare-exchange.
//! - A released waiter's token is `SELECTED(0)` before it is woken, so a
//!   waiter that re-polls after a later `add` still completes: it was
//!   released by the zero it waited for, as in Go.
//!
//! # Locking
//! `waiters` is a short `parking_lot` critical section taken only when
//! someone waits; tokens are woken after it is released.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use csp_core::goroutine::WaitReason;
use csp_core::waiter::Token;

use crate::waitlist::{release_all, ListWait, WaitList};
use parking_lot::Mutex as PlainMutex;

const NEGATIVE: &str = "sync: negative WaitGroup counter";

const WAITERS: u64 = 1;
const ONE: u64 = 2;

#[derive(Debug, Default)]
pub(crate) struct Shared {
    state: AtomicU64,
    waiters: PlainMutex<Vec<Arc<Token>>>,
}

impl Shared {
    /// The count after adding `delta` to the word `s`.
    #[track_caller]
    fn added(s: u64, delta: isize) -> u64 {
        let count = i128::from(s / ONE) + delta as i128;
        if count < 0 {
            panic!("{NEGATIVE}");
        }
        u64::try_from(count)
            .ok()
            .filter(|&c| c <= u64::MAX / ONE)
            .expect("sync: WaitGroup counter overflow")
    }

    /// Under the `waiters` lock: whether the caller must wait, and if so
    /// marks the word so the zero transition drains the list.
    fn mark_waiting(&self) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s / ONE == 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                s,
                s | WAITERS,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }
}

/// Waits for a collection of goroutines to finish: Go's `sync.WaitGroup`.
///
/// A cheap, cloneable handle (clones share one counter), so it can be moved
/// into goroutines where Go would capture `&wg`.
///
/// | Go | csp |
/// |---|---|
/// | `var wg sync.WaitGroup` | `let wg = WaitGroup::new();` |
/// | `wg.Add(n)` | `wg.add(n)` |
/// | `wg.Done()` | `wg.done()` |
/// | `wg.Wait()` | `wg.wait().await` (or `wg.wait_blocking()` on a plain thread) |
/// | `wg.Go(f)` (Go 1.25) | `wg.go(fut)` |
///
/// It may be reused once the counter is back at zero, and any number of
/// goroutines may wait at once; all are released when the counter hits zero.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// let wg = csp_sync::WaitGroup::new();
/// let hits = Arc::new(AtomicUsize::new(0));
/// for _ in 0..8 {
///     wg.add(1);
///     let (wg, hits) = (wg.clone(), hits.clone());
///     csp_core::go(async move {
///         hits.fetch_add(1, Ordering::Relaxed);
///         wg.done();
///     });
/// }
/// wg.wait().await;
/// assert_eq!(hits.load(Ordering::Relaxed), 8);
/// # });
/// ```
#[derive(Default)]
pub struct WaitGroup {
    /// Made on first use, so [`WaitGroup::new`] can be `const` (a `static`
    /// wait group is Go's package-level `var wg sync.WaitGroup`); clones
    /// share it.
    state: OnceLock<Arc<Shared>>,
}

impl Clone for WaitGroup {
    fn clone(&self) -> Self {
        Self {
            state: OnceLock::from(self.shared().clone()),
        }
    }
}

impl WaitGroup {
    /// A new wait group with a zero counter (Go's zero `sync.WaitGroup`);
    /// `const`, so it can be a `static`.
    ///
    /// # Examples
    /// ```
    /// static WG: csp_sync::WaitGroup = csp_sync::WaitGroup::new();
    /// WG.add(1);
    /// WG.done();
    /// assert_eq!(WG.count(), 0);
    /// ```
    pub const fn new() -> Self {
        Self {
            state: OnceLock::new(),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        self.state.get_or_init(Default::default)
    }

    /// Adds `delta` (which may be negative) to the counter: Go's `wg.Add(delta)`.
    /// When the counter reaches zero, every goroutine in [`wait`](Self::wait)
    /// is released.
    ///
    /// As in Go, calls with a positive delta that start from zero should
    /// happen before the matching `wait`, typically before spawning.
    ///
    /// # Panics
    /// With Go's message `sync: negative WaitGroup counter` if the counter
    /// would become negative (the counter is left unchanged).
    ///
    /// # Examples
    /// ```
    /// let wg = csp_sync::WaitGroup::new();
    /// wg.add(2);
    /// wg.add(-1);
    /// assert_eq!(wg.count(), 1);
    /// ```
    #[track_caller]
    pub fn add(&self, delta: isize) {
        let shared = self.shared();
        let mut s = shared.state.load(Ordering::Relaxed);
        loop {
            let count = Shared::added(s, delta);
            if count == 0 && s & WAITERS != 0 {
                break;
            }
            match shared.state.compare_exchange_weak(
                s,
                (count * ONE) | (s & WAITERS),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
        // Someone waits and this may be the zero: decide under their lock.
        let woken = {
            let mut waiters = shared.waiters.lock();
            let mut s = shared.state.load(Ordering::Relaxed);
            loop {
                let count = Shared::added(s, delta);
                let (new, zero) = if count == 0 {
                    (0, true)
                } else {
                    ((count * ONE) | (s & WAITERS), false)
                };
                match shared.state.compare_exchange_weak(
                    s,
                    new,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) if zero => break std::mem::take(&mut *waiters),
                    Ok(_) => break Vec::new(),
                    Err(now) => s = now,
                }
            }
        };
        release_all(woken);
    }

    /// Decrements the counter by one: Go's `wg.Done()`.
    ///
    /// # Panics
    /// With `sync: negative WaitGroup counter` if the counter is already zero.
    ///
    /// # Examples
    /// ```
    /// let wg = csp_sync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// assert_eq!(wg.count(), 0);
    /// ```
    #[track_caller]
    pub fn done(&self) {
        self.add(-1);
    }

    /// The counter right now (a snapshot; Go has no equivalent).
    pub fn count(&self) -> usize {
        (self.shared().state.load(Ordering::Acquire) / ONE) as usize
    }

    /// Waits until the counter is zero: Go's `wg.Wait()`. Completes at once
    /// if it is zero already.
    ///
    /// A goroutine parked here is reported as blocked in
    /// `sync.WaitGroup.Wait` to csp's goroutine registry.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future withdraws the waiter and has no other
    /// effect on the group.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let wg = csp_sync::WaitGroup::new();
    /// wg.add(1);
    /// let done = wg.clone();
    /// csp_core::go(async move { done.done() });
    /// wg.wait().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> Wait<'_> {
        Wait(ListWait::new(self.shared(), Location::caller()))
    }

    /// Waits until the counter is zero, blocking the current OS thread: Go's
    /// `wg.Wait()` for code that is not async (a plain `std::thread`).
    ///
    /// # Panics
    /// If called from inside an async task on a runtime worker (use
    /// [`wait`](Self::wait) there): blocking a worker would stall every
    /// goroutine scheduled on it.
    ///
    /// # Examples
    /// ```
    /// let wg = csp_sync::WaitGroup::new();
    /// wg.add(1);
    /// let done = wg.clone();
    /// std::thread::spawn(move || done.done());
    /// wg.wait_blocking();
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) {
        csp_core::block_on_plain_thread("WaitGroup::wait_blocking", self.wait());
    }

    /// Runs `fut` in a new goroutine tracked by this group: Go 1.25's
    /// `wg.Go(f)`, i.e. `wg.Add(1); go func() { defer wg.Done(); f() }()`.
    ///
    /// `done` runs when the future finishes, and also if it panics or is
    /// dropped unfinished (a drop guard), so a failing goroutine cannot leave
    /// [`wait`](Self::wait) hanging.
    ///
    /// # Panics
    /// If called outside a Tokio runtime (as [`go`](csp_core::go) does).
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let wg = csp_sync::WaitGroup::new();
    /// let n = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..4 {
    ///     let n = n.clone();
    ///     wg.go(async move {
    ///         n.fetch_add(1, Ordering::Relaxed);
    ///     });
    /// }
    /// wg.wait().await;
    /// assert_eq!(n.load(Ordering::Relaxed), 4);
    /// # });
    /// ```
    #[track_caller]
    pub fn go<F>(&self, fut: F)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.add(1);
        let guard = DoneOnDrop(self.clone());
        let task = async move {
            let _done = guard;
            fut.await;
        };
        drop(csp_core::go(task));
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .field("waiters", &self.shared().waiters.lock().len())
            .finish()
    }
}

/// Calls `done` when dropped: after the goroutine of [`WaitGroup::go`]
/// finishes, panics or is cancelled.
struct DoneOnDrop(WaitGroup);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        self.0.done();
    }
}

impl WaitList for Shared {
    type State = Vec<Arc<Token>>;
    const REASON: WaitReason = WaitReason::WaitGroupWait;

    fn mutex(&self) -> &PlainMutex<Self::State> {
        &self.waiters
    }

    fn must_wait<'s>(&self, waiters: &'s mut Self::State) -> Option<&'s mut Vec<Arc<Token>>> {
        self.mark_waiting().then_some(waiters)
    }

    fn list<'s>(&self, waiters: &'s mut Self::State) -> &'s mut Vec<Arc<Token>> {
        waiters
    }
}

/// The future of [`WaitGroup::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a>(ListWait<'a, Shared>);

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("parked", &self.0.is_parked())
            .finish()
    }
}
