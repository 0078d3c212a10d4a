//! [`RwMutex`]: Go's `sync.RWMutex`, guard-based and async.
//!
//! # Invariants
//! - `data` is reached only through a guard; a [`RwMutexWriteGuard`] exists
//!   only while the engine counts the one exclusive hold, a
//!   [`RwMutexReadGuard`] only while it counts one of the shared holds.
//! - Writer preference as in Go: once a writer is queued, later readers queue
//!   behind it even while other readers hold the lock, so a stream of readers
//!   cannot starve a writer. Waiters are woken FIFO, a run of queued readers
//!   together; a running writer may take a free lock first, until a waiter
//!   has waited 1 ms (then unlocks hand over directly, as `Mutex` does).
//!
//! # Locking
//! All waiting state lives in the engine (see `raw.rs`).

use std::cell::UnsafeCell;
use std::fmt;
use std::panic::Location;

use csp_core::goroutine::WaitReason;

use crate::guard::{exclusive_guard, lock_future, lock_guard};
use crate::loom::const_unless_loom;
use crate::raw::{Access, RawRwLock};

/// A reader/writer lock protecting a `T`: Go's `sync.RWMutex`.
///
/// | Go | csp |
/// |---|---|
/// | `rw.RLock()` / `rw.RUnlock()` | `let g = rw.read().await;` / `drop(g)` |
/// | `rw.Lock()` / `rw.Unlock()` | `let g = rw.write().await;` / `drop(g)` |
/// | `rw.TryRLock()`, `rw.TryLock()` | [`RwMutex::try_read`], [`RwMutex::try_write`] |
///
/// Many readers may hold the lock at once; a writer holds it alone.
///
/// **Writer starvation**: as in Go, a writer waiting in [`write`](Self::write)
/// blocks *new* readers, even while readers still hold the lock; the writer
/// gets the lock as soon as the current readers release it. So a steady
/// stream of readers cannot starve writers, and (FIFO) writers cannot starve
/// readers either. A consequence shared with Go: a goroutine that takes
/// `read()` twice can deadlock if a writer queues in between.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// let rw = csp_sync::RwMutex::new(5);
/// {
///     let (a, b) = (rw.read().await, rw.read().await); // two readers at once
///     assert_eq!(*a + *b, 10);
/// }
/// *rw.write().await += 1;
/// assert_eq!(*rw.read().await, 6);
/// # });
/// ```
pub struct RwMutex<T: ?Sized> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: writers get `&mut T` alone and readers share `&T`, as with
// `std::sync::RwLock`: `T: Send + Sync` makes sharing the lock sound.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwMutex<T> {}
// SAFETY: owning a `RwMutex<T>` owns a `T`.
unsafe impl<T: ?Sized + Send> Send for RwMutex<T> {}

impl<T> RwMutex<T> {
    const_unless_loom! {
        /// A new unlocked `RwMutex` holding `value` (Go's zero `sync.RWMutex`);
        /// `const`, so it can be a `static`.
        ///
        /// # Examples
        /// ```
        /// static TABLE: csp_sync::RwMutex<Vec<u32>> = csp_sync::RwMutex::new(Vec::new());
        /// # csp_core::runtime_for_doctest(async {
        /// TABLE.write().await.push(1);
        /// assert_eq!(TABLE.read().await.len(), 1);
        /// # });
        /// ```
        pub fn new(value: T) -> Self {
            Self {
                raw: RawRwLock::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the lock, returning the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwMutex<T> {
    /// Locks for reading: Go's `rw.RLock()`. Dropping the guard is `RUnlock`.
    ///
    /// Waits while a writer holds the lock *or is queued for it*.
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped future leaves the queue, and a read hold that
    /// was already handed to it is released at once.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let rw = csp_sync::RwMutex::new("config");
    /// assert_eq!(*rw.read().await, "config");
    /// # });
    /// ```
    #[track_caller]
    pub fn read(&self) -> Read<'_, T> {
        Read {
            lock: self,
            acquire: self
                .raw
                .acquire(Access::Shared, WaitReason::RwMutexRLock, Location::caller()),
        }
    }

    /// Locks for writing: Go's `rw.Lock()`. Dropping the guard is `Unlock`.
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped future leaves the queue (readers it was
    /// blocking may proceed), and a write hold that was already handed to it
    /// passes on to the next waiter.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let rw = csp_sync::RwMutex::new(Vec::new());
    /// rw.write().await.push(1);
    /// assert_eq!(rw.read().await.len(), 1);
    /// # });
    /// ```
    #[track_caller]
    pub fn write(&self) -> Write<'_, T> {
        Write {
            lock: self,
            acquire: self.raw.acquire(
                Access::Exclusive,
                WaitReason::RwMutexLock,
                Location::caller(),
            ),
        }
    }

    /// Go's `rw.TryRLock()`: a read guard if no writer holds or awaits the lock.
    ///
    /// # Examples
    /// ```
    /// let rw = csp_sync::RwMutex::new(1);
    /// let r = rw.try_read().unwrap();
    /// assert!(rw.try_write().is_none());
    /// assert!(rw.try_read().is_some());
    /// # drop(r);
    /// ```
    pub fn try_read(&self) -> Option<RwMutexReadGuard<'_, T>> {
        self.raw
            .try_acquire(Access::Shared)
            .then(|| RwMutexReadGuard { lock: self })
    }

    /// Go's `rw.TryLock()`: a write guard if the lock is entirely free.
    ///
    /// # Examples
    /// ```
    /// let rw = csp_sync::RwMutex::new(1);
    /// let w = rw.try_write().unwrap();
    /// assert!(rw.try_read().is_none());
    /// # drop(w);
    /// ```
    pub fn try_write(&self) -> Option<RwMutexWriteGuard<'_, T>> {
        self.raw
            .try_acquire(Access::Exclusive)
            .then(|| RwMutexWriteGuard { lock: self })
    }

    /// The data, through an exclusive borrow of the lock: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwMutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for RwMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwMutex")
            .field("locked", &self.raw.is_locked())
            .finish_non_exhaustive()
    }
}

lock_future!(
    /// The future of [`RwMutex::read`].
    Read,
    RwMutex,
    RwMutexReadGuard
);

lock_future!(
    /// The future of [`RwMutex::write`].
    Write,
    RwMutex,
    RwMutexWriteGuard
);

lock_guard!(
    /// A shared hold on a [`RwMutex`]; dropping it is Go's `rw.RUnlock()`.
    #[must_use = "dropping the guard unlocks at once"]
    RwMutexReadGuard,
    RwMutex,
    Access::Shared
);

lock_guard!(
    /// The exclusive hold on a [`RwMutex`]; dropping it is Go's `rw.Unlock()`.
    #[must_use = "dropping the guard unlocks at once"]
    RwMutexWriteGuard,
    RwMutex,
    Access::Exclusive
);
exclusive_guard!(RwMutexWriteGuard);
