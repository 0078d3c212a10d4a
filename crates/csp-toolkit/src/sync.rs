//! The one place csp-toolkit takes its synchronization primitives from.
//!
//! Under `--cfg loom` the atomics, `Arc` and the mutex come from [loom] so the
//! model in `tests/loom_context.rs` explores every interleaving of the
//! context tree; otherwise from `std` and `parking_lot`.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
    Arc,
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
    Arc,
};

/// A mutex without poisoning (a panic never happens while it is held: the
/// critical sections run no user code), with one API under loom and std.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(
    #[cfg(not(loom))] parking_lot::Mutex<T>,
    #[cfg(loom)] loom::sync::Mutex<T>,
);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return Self(parking_lot::Mutex::new(value));
        #[cfg(loom)]
        return Self(loom::sync::Mutex::new(value));
    }

    /// As [`Mutex::new`], in a `const` context (not under loom).
    #[cfg(not(loom))]
    pub(crate) const fn new_const(value: T) -> Self {
        Self(parking_lot::Mutex::new(value))
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
