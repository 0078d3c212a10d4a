//! The per-thread pointer to the csp runtime a thread belongs to.
//!
//! A csp [`Runtime`](crate::Runtime) sets it on each of its threads (workers
//! and blocking pool, via Tokio's `on_thread_start`) and on the thread that
//! calls `block_on`/`run` for the duration of the call. `go`, `gomaxprocs()`
//! and `num_goroutine()` read it to find the runtime's registry, GOMAXPROCS and
//! panic policy. On threads of a Tokio runtime csp did not build it is unset,
//! and goroutines go to the process-wide foreign registry.
//!
//! # Invariants
//! - A [`Context`] never changes after the runtime is built.
//! - [`enter`] restores the previous value when its guard drops, so nested
//!   entries (a runtime built inside another's `blocking`) unwind correctly.

use std::cell::RefCell;
use std::fmt;

use crate::goroutine::deadlock::Detector;
use crate::goroutine::registry::Registry;
use crate::loom::Arc;

/// What a csp runtime does when a goroutine panics; see [`PanicPolicy`].
pub(crate) enum PanicMode {
    /// Print Go's panic report and exit the process with status 2.
    Exit,
    /// Let Tokio catch it and surface it through the goroutine's handle.
    Propagate,
    /// Hand Go's panic report to a callback (the `#[csp::test]` runner), then
    /// propagate like [`PanicMode::Propagate`].
    Report(std::sync::Arc<dyn Fn(String) + Send + Sync>),
}

impl fmt::Debug for PanicMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PanicMode::Exit => "Exit",
            PanicMode::Propagate => "Propagate",
            PanicMode::Report(_) => "Report",
        })
    }
}

/// What a csp runtime does when a goroutine panics.
///
/// Go crashes the whole program when any goroutine panics; csp does the same
/// by default on its own runtime. Choose with
/// [`Builder::on_goroutine_panic`](crate::runtime::Builder::on_goroutine_panic).
/// On a Tokio runtime csp did not build, goroutine panics always behave like
/// [`PanicPolicy::Propagate`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PanicPolicy {
    /// Go's behaviour (the default): print
    /// `panic: <message>` / `goroutine <id> [running]:` / `spawned at <file:line:col>`
    /// to stderr and exit the process with status 2, without unwinding other
    /// goroutines. A panic in the main goroutine does the same, as in Go.
    #[default]
    Exit,
    /// Tokio's behaviour: the panic is caught, the goroutine ends, and the
    /// panic surfaces as a [`JoinError`](crate::JoinError) from its
    /// [`JoinHandle`](crate::JoinHandle) (and is lost if the handle was
    /// dropped). A panic in the main goroutine of [`Runtime::run`](crate::Runtime::run)
    /// resumes in the caller.
    Propagate,
}

/// Everything a goroutine needs to know about the csp runtime it runs on.
pub(crate) struct Context {
    /// The runtime's goroutines, and their panic policy.
    pub(crate) registry: Arc<Registry>,
    pub(crate) gomaxprocs: usize,
    /// The deadlock detector; `None` when turned off in the builder.
    pub(crate) detector: Option<std::sync::Arc<Detector>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("gomaxprocs", &self.gomaxprocs)
            .finish_non_exhaustive()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Context>>> = const { RefCell::new(None) };
}

/// The csp runtime of the current thread, if any.
pub(crate) fn current() -> Option<Arc<Context>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// The registry of the current thread's csp runtime, if any (without
/// counting a reference to the whole context).
pub(crate) fn current_registry() -> Option<Arc<Registry>> {
    CURRENT.with(|c| c.borrow().as_ref().map(|ctx| ctx.registry.clone()))
}

/// Sets the current thread's runtime for good (worker threads).
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn set(ctx: Option<Arc<Context>>) {
    CURRENT.with(|c| *c.borrow_mut() = ctx);
}

/// Sets the current thread's runtime until the guard drops.
pub(crate) fn enter(ctx: Arc<Context>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(ctx));
    EnterGuard { prev }
}

/// Restores the previous context on drop; see [`enter`].
pub(crate) struct EnterGuard {
    prev: Option<Arc<Context>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}
