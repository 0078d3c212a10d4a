//! [`Mutex`]: Go's `sync.Mutex`, guard-based and async.
//!
//! # Invariants
//! - `data` is reached only through a [`MutexGuard`], and a guard exists only
//!   while the engine ([`RawRwLock`]) counts an exclusive hold for it; the
//!   guard's drop is the only release (Go's `Unlock`).
//! - Fairness as in Go's two modes (see `raw.rs`): an unlock wakes the
//!   longest waiting `lock()`, which competes with running acquirers; once a
//!   waiter has lost for more than 1 ms, unlocks hand the lock over directly
//!   (Go's starvation mode), so a goroutine cannot be overtaken forever.
//!
//! # Locking
//! All waiting state lives in the engine (see `raw.rs`); this file only ties
//! the engine's exclusive hold to the data.

use std::cell::UnsafeCell;
use std::fmt;
use std::panic::Location;

use csp_core::goroutine::WaitReason;

use crate::guard::{exclusive_guard, lock_future, lock_guard};
use crate::loom::const_unless_loom;
use crate::raw::{Access, RawRwLock};

/// A mutual-exclusion lock protecting a `T`: Go's `sync.Mutex` with the data
/// it guards moved inside, Rust style.
///
/// Go's `mu.Lock()` is `let guard = mu.lock().await`; Go's `mu.Unlock()` is
/// dropping the guard (explicitly with `drop(guard)` or at the end of scope).
/// Go's `mu.TryLock()` is [`Mutex::try_lock`].
///
/// A goroutine parked in [`Mutex::lock`] is reported as blocked in
/// `sync.Mutex.Lock` to csp's goroutine registry. Waiters are woken in FIFO
/// order; as in Go, a running goroutine may take the lock before a woken
/// one, until some waiter has waited more than 1 ms: from then on unlocks
/// hand the lock to the waiters directly, so no goroutine waits forever.
/// As Go's does, a contended `lock()` spins briefly before it parks when
/// another worker may be running the holder (never sleeping or yielding the
/// thread); an uncontended `lock()` or unlock is one compare-exchange.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::sync::Arc;
/// let mu = Arc::new(csp_sync::Mutex::new(0));
/// let mut handles = Vec::new();
/// for _ in 0..10 {
///     let mu = mu.clone();
///     handles.push(tokio::spawn(async move {
///         *mu.lock().await += 1; // mu.Lock(); n++; mu.Unlock()
///     }));
/// }
/// for h in handles {
///     h.await.unwrap();
/// }
/// assert_eq!(*mu.lock().await, 10);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: the engine hands out at most one exclusive hold at a time and `data`
// is reached only through the guard of that hold, so `&Mutex<T>` lets threads
// take turns owning `&mut T`: `T: Send` suffices, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: owning a `Mutex<T>` owns a `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    const_unless_loom! {
        /// A new unlocked mutex holding `value` (Go's zero `sync.Mutex`);
        /// `const`, so it can be a `static` (Go's package-level `var mu
        /// sync.Mutex`).
        ///
        /// # Examples
        /// ```
        /// static HITS: csp_sync::Mutex<u64> = csp_sync::Mutex::new(0);
        /// # csp_core::runtime_for_doctest(async {
        /// *HITS.lock().await += 1;
        /// assert_eq!(*HITS.lock().await, 1);
        /// # });
        /// ```
        pub fn new(value: T) -> Self {
            Self {
                raw: RawRwLock::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the mutex, returning the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting until it is free: Go's `mu.Lock()`.
    ///
    /// The returned guard unlocks on drop (Go's `mu.Unlock()`).
    ///
    /// # Cancel safety
    /// Cancel safe. Dropping the future before it completes withdraws it from
    /// the queue; if the lock had already been handed to it, the lock passes
    /// to the next waiter (or becomes free), so nothing is ever stuck.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let mu = csp_sync::Mutex::new(vec![1]);
    /// mu.lock().await.push(2);
    /// assert_eq!(*mu.lock().await, [1, 2]);
    /// # });
    /// ```
    #[track_caller]
    pub fn lock(&self) -> Lock<'_, T> {
        self.lock_at(Location::caller())
    }

    /// [`Mutex::lock`] on behalf of a blocking call made at `at`.
    pub(crate) fn lock_at(&self, at: &'static Location<'static>) -> Lock<'_, T> {
        Lock {
            lock: self,
            acquire: self
                .raw
                .acquire(Access::Exclusive, WaitReason::MutexLock, at),
        }
    }

    /// Locks the mutex if it is free: Go's `mu.TryLock()`. Returns `None`
    /// otherwise, and also while a starving waiter is being handed the lock
    /// (Go's starvation mode).
    ///
    /// # Examples
    /// ```
    /// let mu = csp_sync::Mutex::new(1);
    /// let guard = mu.try_lock().unwrap();
    /// assert!(mu.try_lock().is_none());
    /// drop(guard); // mu.Unlock()
    /// assert!(mu.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw
            .try_acquire(Access::Exclusive)
            .then(|| MutexGuard { lock: self })
    }

    /// Whether the mutex is locked right now (a snapshot, for diagnostics).
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The data, through an exclusive borrow of the mutex: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &self.is_locked())
            .finish_non_exhaustive()
    }
}

lock_future!(
    /// The future of [`Mutex::lock`]; resolves to a [`MutexGuard`].
    Lock,
    Mutex,
    MutexGuard
);

lock_guard!(
    /// Proof that the [`Mutex`] is locked; gives access to the data. Dropping it
    /// is Go's `mu.Unlock()`.
    #[must_use = "dropping the guard unlocks the mutex at once"]
    MutexGuard,
    Mutex,
    Access::Exclusive
);
exclusive_guard!(MutexGuard);

// SAFETY: sharing the guard shares `&T` only: `T: Sync` suffices.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks (used by [`Cond`](crate::Cond) to relock).
    pub(crate) fn mutex(guard: &Self) -> &'a Mutex<T> {
        guard.lock
    }
}
