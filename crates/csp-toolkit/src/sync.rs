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
/// critical sections run no user code), with one API under loom and std:
/// csp-core's.
pub(crate) use csp_core::PlainMutex as Mutex;
