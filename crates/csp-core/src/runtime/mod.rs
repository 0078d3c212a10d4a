//! The csp runtime: a Tokio multi-thread runtime with GOMAXPROCS workers,
//! Go's exit semantics and a goroutine registry.
//!
//! - `builder`: [`Builder`] (GOMAXPROCS, panic policy).
//! - `gomaxprocs`: [`gomaxprocs()`], [`num_cpu()`], the `GOMAXPROCS` variable.
//! - `context`: which csp runtime the current thread belongs to; [`PanicPolicy`].
//! - `gosched`, `blocking`: [`gosched()`], [`blocking()`].
//! - `testing`: the `#[csp::test]` runner.
//! - `signal` (feature `signal`): the goroutine dump on `SIGQUIT`.
//! - `error`: [`RuntimeError`].
//!
//! # Invariants
//! - A [`Runtime`] has exactly GOMAXPROCS worker threads for its whole life.
//! - While `run`/`block_on` is in progress, Go's deadlock detection is armed
//!   (unless turned off in the builder): see `goroutine::deadlock`.
//! - When a main goroutine (`run`, `block_on`) returns, or the [`Runtime`] is
//!   dropped, every goroutine spawned so far is frozen: never polled again
//!   (Go: the program ends when `main` returns). Dropping a runtime never
//!   waits for goroutines; they are dropped unpolled, and a goroutine busy in
//!   synchronous code at that moment is abandoned on its thread.

mod blocking;
mod builder;
pub(crate) mod context;
mod error;
mod gomaxprocs;
mod gosched;
#[cfg(all(feature = "signal", unix))]
mod signal;
mod testing;

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};

pub use blocking::blocking;
pub use builder::Builder;
pub use context::PanicPolicy;
pub use error::RuntimeError;
pub use gomaxprocs::{gomaxprocs, num_cpu, GOMAXPROCS_ENV, MAX_GOMAXPROCS};
pub use gosched::gosched;
#[doc(hidden)]
pub use testing::{run_main, run_test, with_output, TestConfig};

use crate::goroutine::registry::Role;
use crate::goroutine::spawn::{spawn_on, Goroutine};
use crate::loom::Arc;
use context::Context;

/// A csp runtime: GOMAXPROCS worker threads running goroutines.
///
/// Go has one implicit runtime per program; csp makes it a value so a program
/// (or a test) can build one. Most programs never see it: [`run`] and
/// `#[csp::main]` build one, run `main` on it and drop it.
///
/// # Examples
///
/// ```
/// use csp_core::{go, Runtime};
///
/// let rt = Runtime::builder().gomaxprocs(2).build().unwrap();
/// let out = rt.run(async { go(async { 21 * 2 }).await.unwrap() });
/// assert_eq!(out, 42);
/// ```
#[derive(Debug)]
pub struct Runtime {
    /// Always `Some` until `Drop` takes it for `shutdown_background`.
    rt: Option<tokio::runtime::Runtime>,
    ctx: Arc<Context>,
}

impl Runtime {
    /// Builds a runtime with the defaults: GOMAXPROCS from the `GOMAXPROCS`
    /// environment variable, else [`num_cpu()`]; Go's crash-on-panic policy.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::InvalidEnv`] if `GOMAXPROCS` is set to anything but a
    /// whole number from 1 to [`MAX_GOMAXPROCS`] (Go ignores such values; csp
    /// refuses them). [`RuntimeError::Build`] if Tokio cannot start.
    pub fn new() -> Result<Runtime, RuntimeError> {
        Builder::new().build()
    }

    /// A [`Builder`] to set GOMAXPROCS or the panic policy.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// This runtime's GOMAXPROCS (its worker-thread count).
    pub fn gomaxprocs(&self) -> usize {
        self.ctx.gomaxprocs
    }

    /// Runs `fut` as the main goroutine (id 1 the first time) on the worker
    /// threads and returns its output, without waiting for other goroutines.
    ///
    /// Go's `main`: it runs on the same GOMAXPROCS threads as every other
    /// goroutine, so on a 1-worker runtime main and the goroutines share one
    /// thread. When it returns, the goroutines spawned so far are never
    /// polled again (a goroutine in the middle of a poll on another worker
    /// finishes that poll: csp cannot preempt it), and wakes made by main's
    /// last poll, such as channels closing as its locals drop, reach none of
    /// them.
    ///
    /// # Panics
    ///
    /// If `fut` panics: with [`PanicPolicy::Exit`], Go's report for goroutine
    /// 1 is printed and the process exits with status 2; with
    /// [`PanicPolicy::Propagate`] the panic resumes in the caller.
    ///
    /// If called from inside a goroutine (of any runtime, this one included),
    /// where blocking would stall a worker: csp's message says to await the
    /// future there, or to call `run` from a plain thread or inside
    /// [`blocking`](crate::blocking()). From a plain Tokio task, Tokio's
    /// "Cannot start a runtime from within a runtime".
    #[track_caller]
    pub fn run<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let at = Location::caller();
        refuse_inside_goroutine("Runtime::run", at);
        let rt = self.tokio();
        let _ctx = context::enter(self.ctx.clone());
        let _armed = self.ctx.detector.as_ref().map(|d| d.arm(false));
        let main = spawn_on(rt.handle(), fut, at, Role::Main, self.ctx.registry.clone());
        match rt.block_on(main.inner) {
            Ok(out) => out,
            Err(e) => match e.try_into_panic() {
                Ok(payload) => resume_unwind(payload),
                Err(e) => panic!("csp: the main goroutine was cancelled: {e}"),
            },
        }
    }

    /// Runs `fut` on the current thread until it completes, like Tokio's
    /// `Runtime::block_on`; goroutines it starts run on the worker threads.
    ///
    /// `fut` is registered as a goroutine (the main goroutine, id 1, the first
    /// time) but, unlike [`Runtime::run`], runs on the calling thread, so it
    /// need not be `Send`. Its panics resume in the caller whatever the
    /// [`PanicPolicy`]. When it returns, goroutines spawned so far stop as
    /// after [`Runtime::run`]; a later `block_on` starts afresh.
    ///
    /// # Panics
    ///
    /// If `fut` panics (the panic resumes here). If called from inside a
    /// goroutine, `block_on`'s own future included (re-entered): csp's
    /// message, as for [`Runtime::run`].
    #[track_caller]
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let at = Location::caller();
        refuse_inside_goroutine("Runtime::block_on", at);
        let _ctx = context::enter(self.ctx.clone());
        let main = Goroutine::new(fut, self.ctx.registry.clone(), at, Role::BlockOn);
        let _armed = self.ctx.detector.as_ref().map(|d| d.arm(true));
        match catch_unwind(AssertUnwindSafe(|| self.tokio().block_on(main))) {
            Ok(out) => out,
            Err(payload) => {
                // The panic left `fut`'s poll without closing it: this thread
                // is no longer polling a goroutine (so a later `*_blocking`
                // call or `block_on` here is not refused).
                let _ = crate::goroutine::end_poll();
                resume_unwind(payload)
            }
        }
    }

    /// This runtime's goroutine dump, in Go's format; see [`dump()`](crate::dump()).
    ///
    /// Callable from any thread, e.g. a service's debug endpoint or a signal
    /// handler thread.
    pub fn dump(&self) -> String {
        crate::goroutine::dump::format_dump(
            &self.ctx.registry.snapshot(),
            std::time::Instant::now(),
        )
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        self.rt
            .as_ref()
            .expect("invariant: the Tokio runtime is present until drop")
    }
}

/// Panics with csp's message if this thread is polling a goroutine: `what`
/// would block its worker (Tokio would panic there with its own words).
#[track_caller]
fn refuse_inside_goroutine(what: &str, at: &Location<'_>) {
    if crate::goroutine::in_goroutine_poll() {
        panic!(
            "csp: `{what}` called from inside a goroutine (at {at}); it would block a \
             runtime worker. Await the future there (or start it with `go(..)`), or call \
             `{what}` from a plain thread or inside `csp::blocking(..)`"
        );
    }
}

impl Drop for Runtime {
    /// Stops the runtime without waiting for goroutines (Go's exit semantics).
    /// Never blocks, so it may run anywhere: on a plain thread, inside a
    /// goroutine of another runtime, or inside one of its own goroutines
    /// (which then finishes its current poll and is never polled again).
    fn drop(&mut self) {
        // No goroutine runs again, even while Tokio drops them.
        self.ctx.registry.end_epoch();
        if let Some(detector) = &self.ctx.detector {
            detector.shutdown();
        }
        // Exited goroutines' entries hold the registry: drop them now, and
        // those of the goroutines Tokio drops below as they go.
        self.ctx.registry.close();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Runs `fut` as the main goroutine on a new [`Runtime`] and returns its
/// output once it completes, without waiting for other goroutines.
///
/// Mirrors a Go program's `func main()`: when main returns, the program is
/// over: goroutines still running are never polled again, nothing they would
/// see of main's teardown reaches them, and the runtime shuts down in the
/// background. This is what
/// `#[csp::main]` expands to, for code that does not use attributes.
///
/// # Panics
///
/// Panics if the runtime cannot be built, e.g. `GOMAXPROCS` is invalid (the
/// message names the variable and the value). A panic in `fut` or in any
/// goroutine prints Go's panic report and exits the process with status 2
/// (the default [`PanicPolicy::Exit`]). Called from inside a goroutine, csp's
/// message as for [`Runtime::run`].
///
/// # Examples
///
/// ```
/// use csp_core::{go, gosched, run};
///
/// let n = run(async {
///     go(async { loop { gosched().await } }); // never finishes: not waited for
///     7
/// });
/// assert_eq!(n, 7);
/// ```
#[track_caller]
pub fn run<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    refuse_inside_goroutine("csp::run", Location::caller());
    let rt = Runtime::new().unwrap_or_else(|e| panic!("csp::run: {e}"));
    rt.run(fut)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    use super::Runtime;
    use crate::loom::Arc;

    /// Exited goroutines' entries wait in the registry's table for their
    /// spawning thread to reuse, and each holds the registry: dropping the
    /// runtime must still free the registry (no cycle left behind).
    #[test]
    fn dropping_the_runtime_frees_its_registry_after_goroutines_exited() {
        let rt = Runtime::builder().gomaxprocs(2).build().expect("runtime");
        let registry = Arc::downgrade(&rt.ctx.registry);
        let exited = rt.run(async {
            tokio::time::timeout(Duration::from_secs(20), async {
                let (tx, rx) = crate::chan::<u32>(0);
                for i in 0..200 {
                    let tx = tx.clone();
                    crate::go(async move { tx.send(i).await.expect("main receives") });
                }
                let mut sum = 0;
                for _ in 0..200 {
                    sum += rx.recv().await.expect("a goroutine's value");
                }
                // Wait until they are gone from the registry, not merely done.
                while crate::num_goroutine() > 1 {
                    crate::gosched().await;
                }
                sum
            })
            .await
            .expect("the goroutines finish within 20 s")
        });
        assert_eq!(exited, (0..200).sum::<u32>());
        drop(rt);
        let deadline = Instant::now() + Duration::from_secs(20);
        while registry.strong_count() > 0 {
            assert!(
                Instant::now() < deadline,
                "the registry outlived its runtime by 20 s ({} references)",
                registry.strong_count()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
