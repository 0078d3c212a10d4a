//! The one place csp-sync's waiting engine (`raw.rs`) takes its
//! synchronization primitives from, as csp-core's `loom` module does for the
//! channels.
//!
//! Under `--cfg loom` the atomics and the queue mutex come from [loom] so the
//! models in `loom_raw.rs` explore every interleaving of the lock word against
//! the wait queue; otherwise from `std` and `parking_lot`. The other
//! primitives (`WaitGroup`, `Once`, `Cond`) keep every shared field behind one
//! `parking_lot` mutex and have no lock-free state to model.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};

/// A mutex without poisoning (its critical sections run no user code), with
/// one API under loom and std: csp-core's.
pub(crate) use csp_core::PlainMutex;

/// Defines a function that is `const` outside loom and plain under loom
/// (loom's atomics and mutex have no `const` constructors), from one body:
/// the constructors of csp-sync's `static`-friendly locks.
macro_rules! const_unless_loom {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$meta])*
        #[cfg(not(loom))]
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        $(#[$meta])*
        #[cfg(loom)]
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_unless_loom;

const_unless_loom! {
    /// A new atomic word; `const` outside loom.
    pub(crate) fn atomic_usize(value: usize) -> AtomicUsize {
        AtomicUsize::new(value)
    }
}
