//! csp-sync: Go's `sync` package for csp.
//!
//! | Go | csp-sync |
//! |---|---|
//! | `sync.WaitGroup` (`Add`, `Done`, `Wait`, `Go`) | [`WaitGroup`] (`add`, `done`, `wait().await`, `go`) |
//! | `sync.Mutex` (`Lock`, `Unlock`, `TryLock`) | [`Mutex<T>`] (`lock().await` → guard, drop the guard, `try_lock`) |
//! | `sync.RWMutex` (`RLock`, `RUnlock`, `Lock`, `Unlock`) | [`RwMutex<T>`] (`read().await`, `write().await`, guards) |
//! | `sync.Once` (`Do`) | [`Once`] (`call_once(f).await`) |
//! | `sync.OnceFunc(f)`, `sync.OnceValue(f)` (Go 1.21) | [`OnceFunc`] (`call`), [`OnceValue`] (`get`); `static`-friendly |
//! | package-level `var mu sync.Mutex` | `static MU: Mutex<T> = Mutex::new(v);` (`new` is `const` for [`Mutex`], [`RwMutex`], [`Cond`], [`WaitGroup`]) |
//! | `sync.Cond` (`Wait`, `Signal`, `Broadcast`) | [`Cond`] (`wait(guard).await`, `signal`, `broadcast`) |
//! | `sync/atomic` | [`atomic`] (std's atomics and a mapping table) |
//!
//! Every waiting path parks through csp-core's selection
//! [`Token`](csp_core::waiter::Token) and records a Go wait reason
//! (`sync.Mutex.Lock`, `sync.WaitGroup.Wait`, ...) with the caller's
//! location, so the goroutine registry and the deadlock detector see a
//! goroutine blocked here exactly as Go's runtime would.
//!
//! Layout: one concept per file; `raw.rs` is the reader/writer engine shared
//! by [`Mutex`] and [`RwMutex`] (Go's normal and starvation modes), `guard.rs`
//! defines their futures and guards once, `waitlist.rs` is the one wait
//! future of [`WaitGroup`] and [`Once`], and `loom.rs` is the switch that lets
//! `loom_raw.rs` model-check the engine.

pub mod atomic;
mod cond;
mod guard;
mod loom;
#[cfg(all(test, loom))]
mod loom_raw;
mod mutex;
mod once;
mod once_value;
mod raw;
mod rwmutex;
mod waitgroup;
mod waitlist;

pub use cond::{Cond, CondWait};
pub use mutex::{Lock, Mutex, MutexGuard};
pub use once::Once;
pub use once_value::{OnceFunc, OnceValue};
pub use rwmutex::{Read, RwMutex, RwMutexReadGuard, RwMutexWriteGuard, Write};
pub use waitgroup::{Wait, WaitGroup};
