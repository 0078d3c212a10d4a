//! The one place csp-core takes its synchronization primitives from.
//!
//! Under `--cfg loom` every atomic, mutex and cell comes from [loom] so the
//! model tests explore all interleavings; otherwise from `std`/`parking_lot`.
//! No other file in csp-core imports `std::sync::atomic` or `std::cell::UnsafeCell`
//! directly.

#[cfg(loom)]
pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex,
};

/// `std` atomics for process-wide statics and watchdog state that loom models
/// never exercise (the deadlock detector's counters): loom atomics cannot live
/// in a `static`.
pub(crate) mod unmodeled {
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

/// `std`'s `UnsafeCell` behind loom's `get_mut` API, so the same code
/// compiles under both.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }
}

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// A pointer through which the contents may be mutated (loom's `get_mut` shape).
    #[inline(always)]
    pub(crate) fn get_mut(&self) -> MutPtr<T> {
        MutPtr(self.0.get())
    }
}

/// `std` twin of loom's `MutPtr`: a raw pointer that is dereferenced under the
/// caller's proof of exclusive access.
#[cfg(not(loom))]
pub(crate) struct MutPtr<T>(*mut T);

#[cfg(not(loom))]
impl<T> MutPtr<T> {
    /// # Safety
    /// The caller has exclusive access to the cell for the lifetime of the
    /// returned reference.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn deref(&self) -> &mut T {
        // SAFETY: exclusivity is the caller's precondition.
        unsafe { &mut *self.0 }
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::MutPtr;

/// A mutex without poisoning, with the same API under loom and std.
#[derive(Debug, Default)]
pub(crate) struct PlainMutex<T>(
    #[cfg(not(loom))] parking_lot::Mutex<T>,
    #[cfg(loom)] loom::sync::Mutex<T>,
);

impl<T> PlainMutex<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return Self(parking_lot::Mutex::new(value));
        #[cfg(loom)]
        return Self(loom::sync::Mutex::new(value));
    }

    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }

    #[cfg(loom)]
    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}

/// A lock whose acquire and release are separate calls, so the select engine
/// can hold the locks of several channels at once (Go's `sellock`), in channel-key
/// order. The data it protects lives in an [`UnsafeCell`] next to it.
pub(crate) struct RawLock {
    #[cfg(not(loom))]
    raw: parking_lot::RawMutex,
    #[cfg(loom)]
    held: loom::sync::Mutex<bool>,
    #[cfg(loom)]
    released: loom::sync::Condvar,
}

impl RawLock {
    pub(crate) fn new() -> Self {
        #[cfg(not(loom))]
        return Self {
            raw: <parking_lot::RawMutex as parking_lot::lock_api::RawMutex>::INIT,
        };
        #[cfg(loom)]
        return Self {
            held: loom::sync::Mutex::new(false),
            released: loom::sync::Condvar::new(),
        };
    }

    /// Blocks until the lock is acquired.
    #[inline]
    pub(crate) fn lock(&self) {
        #[cfg(not(loom))]
        parking_lot::lock_api::RawMutex::lock(&self.raw);
        #[cfg(loom)]
        {
            let mut held = self.held.lock().unwrap();
            while *held {
                held = self.released.wait(held).unwrap();
            }
            *held = true;
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// The calling thread acquired the lock with [`RawLock::lock`] and has not
    /// released it since.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        #[cfg(not(loom))]
        // SAFETY: the caller holds the lock (precondition).
        unsafe {
            parking_lot::lock_api::RawMutex::unlock(&self.raw)
        };
        #[cfg(loom)]
        {
            *self.held.lock().unwrap() = false;
            self.released.notify_one();
        }
    }
}
