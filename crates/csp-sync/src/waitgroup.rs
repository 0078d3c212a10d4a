//! [`WaitGroup`]: Go's `sync.WaitGroup`, a counter that goroutines wait on
//! until it reaches zero.
//!
//! # Invariants
//! - `count >= 0` always: an `add` that would make it negative panics with
//!   Go's message ("sync: negative WaitGroup counter") and leaves it unchanged.
//! - `waiters` is non-empty only while `count > 0`: the transition to zero
//!   drains it, selecting every token, so all waiters are released together.
//! - A released waiter's token is `SELECTED(0)` before it is woken, so a
//!   waiter that re-polls after a later `add` (reuse) still completes: it was
//!   released by the zero it waited for, as in Go.
//!
//! # Locking
//! `state` is a short `parking_lot` critical section; tokens are woken after
//! it is released.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use csp_core::goroutine::WaitReason;
use csp_core::waiter::Token;

use crate::waitlist::{release_all, Waiting};
use parking_lot::Mutex as PlainMutex;

const NEGATIVE: &str = "sync: negative WaitGroup counter";

#[derive(Debug, Default)]
struct State {
    count: isize,
    waiters: Vec<Arc<Token>>,
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
    state: OnceLock<Arc<PlainMutex<State>>>,
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

    fn shared(&self) -> &Arc<PlainMutex<State>> {
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
        let woken = {
            let mut state = self.shared().lock();
            let count = state
                .count
                .checked_add(delta)
                .expect("sync: WaitGroup counter overflow");
            if count < 0 {
                drop(state);
                panic!("{NEGATIVE}");
            }
            state.count = count;
            if count == 0 {
                std::mem::take(&mut state.waiters)
            } else {
                Vec::new()
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
        self.shared().lock().count as usize
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
        Wait {
            wg: self,
            waiting: Waiting::default(),
            at: Location::caller(),
        }
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
        let state = self.shared().lock();
        f.debug_struct("WaitGroup")
            .field("count", &state.count)
            .field("waiters", &state.waiters.len())
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

/// The future of [`WaitGroup::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a> {
    wg: &'a WaitGroup,
    waiting: Waiting,
    at: &'static Location<'static>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiting.poll(
            this.wg.shared(),
            |state| (state.count > 0).then_some(&mut state.waiters),
            cx,
            WaitReason::WaitGroupWait,
            this.at,
        )
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        self.waiting
            .cancel(self.wg.shared(), |state| &mut state.waiters);
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("parked", &self.waiting.is_parked())
            .finish()
    }
}
