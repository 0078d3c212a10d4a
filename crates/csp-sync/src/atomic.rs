//! Go's `sync/atomic`: std's atomics, re-exported, with the Go → Rust table.
//!
//! Go's atomic operations are sequentially consistent; use
//! [`Ordering::SeqCst`] for the same guarantees (weaker orderings are a
//! Rust-only optimisation: `Relaxed` is enough for a plain counter).
//!
//! | Go (`sync/atomic`) | Rust (`std::sync::atomic`) |
//! |---|---|
//! | `var n int64` used with `atomic.*Int64` / `atomic.Int64` | [`AtomicI64`] |
//! | `atomic.Int32`, `atomic.Uint32`, `atomic.Uint64`, `atomic.Uintptr` | [`AtomicI32`], [`AtomicU32`], [`AtomicU64`], [`AtomicUsize`] |
//! | `atomic.Bool` | [`AtomicBool`] |
//! | `atomic.Pointer[T]` | [`AtomicPtr<T>`] (or an `Arc` swap crate) |
//! | `atomic.AddInt64(&n, d)` / `n.Add(d)` (returns the **new** value) | `n.fetch_add(d, SeqCst) + d` (`fetch_add` returns the **old** value) |
//! | `atomic.LoadInt64(&n)` / `n.Load()` | `n.load(SeqCst)` |
//! | `atomic.StoreInt64(&n, v)` / `n.Store(v)` | `n.store(v, SeqCst)` |
//! | `atomic.SwapInt64(&n, v)` / `n.Swap(v)` | `n.swap(v, SeqCst)` |
//! | `atomic.CompareAndSwapInt64(&n, old, new)` / `n.CompareAndSwap(old, new)` → `bool` | `n.compare_exchange(old, new, SeqCst, SeqCst).is_ok()` |
//! | `atomic.AndInt64`, `atomic.OrInt64` (Go 1.23) | `n.fetch_and(m, SeqCst)`, `n.fetch_or(m, SeqCst)` |
//! | `atomic.Value` | a [`Mutex`](crate::Mutex) or [`RwMutex`](crate::RwMutex) around the value |
//!
//! Go's wrapping on overflow matches Rust's atomics: `fetch_add` wraps.
//!
//! # Examples
//! ```
//! use csp_sync::atomic::{AtomicI64, Ordering::SeqCst};
//! let n = AtomicI64::new(0);                  // var n atomic.Int64
//! assert_eq!(n.fetch_add(5, SeqCst) + 5, 5);  // n.Add(5) == 5
//! n.store(7, SeqCst);                         // n.Store(7)
//! assert_eq!(n.load(SeqCst), 7);              // n.Load()
//! assert!(n.compare_exchange(7, 8, SeqCst, SeqCst).is_ok()); // n.CompareAndSwap(7, 8)
//! assert_eq!(n.swap(1, SeqCst), 8);           // n.Swap(1)
//! ```

pub use std::sync::atomic::{
    fence, AtomicBool, AtomicI16, AtomicI32, AtomicI64, AtomicI8, AtomicIsize, AtomicPtr,
    AtomicU16, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
