//! Go 1.21's `sync.OnceFunc` and `sync.OnceValue`: a function that runs at
//! most once, and a value computed at most once, both usable as `static`s
//! (Go's package-level `var config = sync.OnceValue(load)`).
//!
//! These are for quick synchronous work, as in Go: a caller that arrives
//! while the function runs waits for it on its thread. For an `async`
//! action use [`Once`](crate::Once).
//!
//! # Invariants
//! - `init` holds the function until the one call that takes it; `cell` is
//!   set after that call returns.
//!
//! # Locking
//! `init` is held only to take the function out, never while it runs.

use std::fmt;
use std::sync::OnceLock;

use parking_lot::Mutex as PlainMutex;

/// A value computed by `f` on first use and shared afterwards: Go's
/// `sync.OnceValue(f)` (and `sync.OnceValues` with a `Result`).
///
/// # Examples
/// ```
/// use csp_sync::OnceValue;
///
/// fn load() -> Vec<&'static str> {
///     vec!["gopher", "ferris"]
/// }
/// static NAMES: OnceValue<Vec<&'static str>> = OnceValue::new(load);
/// assert_eq!(NAMES.get().len(), 2);
/// assert!(std::ptr::eq(NAMES.get(), NAMES.get()));
/// ```
pub struct OnceValue<T, F = fn() -> T> {
    cell: OnceLock<T>,
    init: PlainMutex<Option<F>>,
}

impl<T, F: FnOnce() -> T> OnceValue<T, F> {
    /// A value that `f` will compute on the first [`get`](Self::get).
    ///
    /// # Examples
    /// ```
    /// let answer = csp_sync::OnceValue::new(|| 6 * 7);
    /// assert_eq!(*answer.get(), 42);
    /// ```
    pub const fn new(f: F) -> Self {
        Self {
            cell: OnceLock::new(),
            init: PlainMutex::new(Some(f)),
        }
    }

    /// The value, running the function if no call has yet; concurrent
    /// callers wait for that one call.
    ///
    /// # Panics
    /// If the function panics, that call panics with its payload and every
    /// later call panics too (Go re-panics with the same value).
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// static RUNS: AtomicUsize = AtomicUsize::new(0);
    /// let v = csp_sync::OnceValue::new(|| RUNS.fetch_add(1, Ordering::SeqCst));
    /// assert_eq!((*v.get(), *v.get()), (0, 0));
    /// assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    /// ```
    pub fn get(&self) -> &T {
        self.cell.get_or_init(|| {
            let f = self.init.lock().take();
            match f {
                Some(f) => f(),
                None => panic!("sync: the OnceValue function panicked on an earlier call"),
            }
        })
    }
}

impl<T: fmt::Debug, F> fmt::Debug for OnceValue<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceValue")
            .field("value", &self.cell.get())
            .finish()
    }
}

/// A function that runs at most once however often it is called: Go's
/// `sync.OnceFunc(f)`.
///
/// # Examples
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use csp_sync::OnceFunc;
///
/// static CALLS: AtomicUsize = AtomicUsize::new(0);
/// fn init() {
///     CALLS.fetch_add(1, Ordering::SeqCst);
/// }
/// static INIT: OnceFunc = OnceFunc::new(init);
/// INIT.call();
/// INIT.call();
/// assert_eq!(CALLS.load(Ordering::SeqCst), 1);
/// ```
pub struct OnceFunc<F = fn()> {
    inner: OnceValue<(), F>,
}

impl<F: FnOnce()> OnceFunc<F> {
    /// A function that will run on the first [`call`](Self::call).
    ///
    /// # Examples
    /// ```
    /// let f = csp_sync::OnceFunc::new(|| println!("once"));
    /// f.call();
    /// ```
    pub const fn new(f: F) -> Self {
        Self {
            inner: OnceValue::new(f),
        }
    }

    /// Runs the function if no call has yet; concurrent callers wait for it.
    ///
    /// # Panics
    /// As [`OnceValue::get`]: a panicking function makes every call panic.
    ///
    /// # Examples
    /// ```
    /// let f = csp_sync::OnceFunc::new(|| {});
    /// f.call();
    /// f.call();
    /// ```
    pub fn call(&self) {
        self.inner.get();
    }
}

impl<F> fmt::Debug for OnceFunc<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceFunc")
            .field("called", &self.inner.cell.get().is_some())
            .finish()
    }
}
