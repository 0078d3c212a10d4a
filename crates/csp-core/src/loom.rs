//! The one place csp-core takes its synchronization primitives from.
//!
//! Under `--cfg loom` every atomic, mutex and cell comes from [loom] so the
//! model tests explore all interleavings; otherwise from `std`/`parking_lot`.
//! No other file in csp-core imports `std::sync::atomic` or
//! `std::cell::UnsafeCell` directly: process-wide statics (loom atomics cannot
//! live in a `static`) take `std`'s through [`unmodeled`], and the few
//! per-thread `Cell`s and the goroutine waker's one-time `UnsafeCell`
//! (`goroutine::waker`) are not shared state a model explores.

#[cfg(loom)]
pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering},
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

/// A mutex without poisoning, with the same API under loom and std (shared
/// with csp-sync and csp-toolkit, whose loom switches re-export it).
#[derive(Debug, Default)]
pub struct PlainMutex<T>(
    #[cfg(not(loom))] parking_lot::Mutex<T>,
    #[cfg(loom)] loom::sync::Mutex<T>,
);

impl<T> PlainMutex<T> {
    /// A new unlocked mutex; `const` outside loom (loom's is not).
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Self(parking_lot::Mutex::new(value))
    }

    /// A new unlocked mutex.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    /// Locks; never poisoned (its critical sections run no user code).
    #[cfg(not(loom))]
    #[inline]
    pub fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }

    /// Locks; never poisoned (its critical sections run no user code).
    #[cfg(loom)]
    pub fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}
