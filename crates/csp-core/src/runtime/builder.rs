//! [`Builder`]: configures and starts a csp [`Runtime`].
//!
//! # Invariants
//! - `build` resolves GOMAXPROCS once (builder value, else `GOMAXPROCS`, else
//!   the core count), validates it, and starts exactly that many Tokio worker
//!   threads; every thread of the runtime carries the runtime's context.
//! - With deadlock detection on (the default), the workers' park hooks feed
//!   the runtime's `Detector` and its watchdog thread runs until the runtime
//!   drops (see `goroutine::deadlock`).

use super::context::{Context, PanicMode, PanicPolicy};
use super::{gomaxprocs, Runtime, RuntimeError};
use crate::goroutine::deadlock::Detector;
use crate::goroutine::registry::Registry;
use crate::loom::Arc;

/// Configures a csp [`Runtime`]: GOMAXPROCS and the goroutine panic policy.
///
/// # Examples
///
/// ```
/// use csp_core::runtime::{PanicPolicy, Runtime};
///
/// let rt = Runtime::builder()
///     .gomaxprocs(2)
///     .on_goroutine_panic(PanicPolicy::Propagate)
///     .build()
///     .unwrap();
/// assert_eq!(rt.gomaxprocs(), 2);
/// ```
#[derive(Debug)]
pub struct Builder {
    gomaxprocs: Option<usize>,
    policy: PanicPolicy,
    report: Option<Reporter>,
    detect_deadlocks: bool,
    #[cfg(feature = "signal")]
    dump_on_sigquit: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            gomaxprocs: None,
            policy: PanicPolicy::default(),
            report: None,
            detect_deadlocks: true,
            #[cfg(feature = "signal")]
            dump_on_sigquit: false,
        }
    }
}

/// The `#[csp::test]` runner's sink for goroutine panic reports.
pub(crate) struct Reporter(pub(crate) std::sync::Arc<dyn Fn(String) + Send + Sync>);

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

impl Builder {
    /// A builder with the defaults: GOMAXPROCS from the environment or the
    /// core count, and Go's crash-on-panic policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets GOMAXPROCS, the number of worker threads running goroutines,
    /// overriding the `GOMAXPROCS` environment variable.
    ///
    /// Mirrors Go's `runtime.GOMAXPROCS(n)`, except that it is fixed for the
    /// runtime's life. Must be in `1..=`[`MAX_GOMAXPROCS`](super::MAX_GOMAXPROCS);
    /// [`build`](Self::build) reports other values.
    pub fn gomaxprocs(mut self, n: usize) -> Self {
        self.gomaxprocs = Some(n);
        self
    }

    /// Chooses what happens when a goroutine panics: Go's crash (the default,
    /// [`PanicPolicy::Exit`]) or Tokio's "surface it in the handle"
    /// ([`PanicPolicy::Propagate`]).
    pub fn on_goroutine_panic(mut self, policy: PanicPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Turns Go's deadlock detection on (the default) or off.
    ///
    /// Mirrors Go's `fatal error: all goroutines are asleep - deadlock!`:
    /// while main runs, if every goroutine is parked in a csp primitive
    /// (channel, select, csp-sync) with nothing outside able to wake one,
    /// csp prints that line and a goroutine dump (see [`dump()`](crate::dump()))
    /// to stderr, emits it as a `tracing` error event, and exits with status 2;
    /// under `#[csp::test]` the test fails with the report instead. The
    /// exact rule, and how plain threads and timers count as possible wakers,
    /// is in [`ExternalWaker`](crate::ExternalWaker)'s docs and the crate docs.
    /// Turn it off for a program whose goroutines are woken by means csp
    /// cannot see.
    pub fn deadlock_detection(mut self, on: bool) -> Self {
        self.detect_deadlocks = on;
        self
    }

    /// Prints a goroutine dump (see [`dump()`](crate::dump())) to stderr each
    /// time the process receives `SIGQUIT` (Ctrl-\\), without exiting.
    ///
    /// Go prints the same dump on `SIGQUIT`, then exits; a csp service keeps
    /// running. Off by default; needs the `signal` feature. A no-op on
    /// platforms without `SIGQUIT`.
    #[cfg(feature = "signal")]
    pub fn dump_on_sigquit(mut self, on: bool) -> Self {
        self.dump_on_sigquit = on;
        self
    }

    /// Sends goroutine panic reports to `report` instead of exiting (test runner).
    pub(crate) fn report_panics_to(
        mut self,
        report: std::sync::Arc<dyn Fn(String) + Send + Sync>,
    ) -> Self {
        self.report = Some(Reporter(report));
        self
    }

    /// Starts the runtime's worker threads.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::InvalidGomaxprocs`] for a builder value out of range;
    /// [`RuntimeError::InvalidEnv`] when no builder value is given and
    /// `GOMAXPROCS` is set to something other than a whole number in range;
    /// [`RuntimeError::Build`] if Tokio cannot start.
    pub fn build(self) -> Result<Runtime, RuntimeError> {
        let n = match self.gomaxprocs {
            Some(n) => gomaxprocs::check(n)?,
            None => gomaxprocs::from_env()?.unwrap_or_else(gomaxprocs::num_cpu),
        };
        let panic = match (self.report, self.policy) {
            (Some(Reporter(report)), _) => PanicMode::Report(report),
            (None, PanicPolicy::Exit) => PanicMode::Exit,
            (None, PanicPolicy::Propagate) => PanicMode::Propagate,
        };
        let registry = Arc::new(Registry::new(panic));
        let detector = (self.detect_deadlocks && !cfg!(loom))
            .then(|| std::sync::Arc::new(Detector::new(registry.clone(), n)));
        let ctx = Arc::new(Context {
            registry,
            gomaxprocs: n,
            detector: detector.clone(),
        });
        let mut tokio = tokio::runtime::Builder::new_multi_thread();
        tokio
            .worker_threads(n)
            .thread_name("csp-worker")
            .enable_all();
        // Tokio has no thread hooks under `--cfg loom`; loom models never
        // build a csp Runtime, so its threads need no context there.
        #[cfg(not(loom))]
        {
            let start_ctx = ctx.clone();
            tokio
                .on_thread_start(move || super::context::set(Some(start_ctx.clone())))
                .on_thread_stop(|| super::context::set(None));
            if let Some(detector) = &detector {
                let (park, unpark) = (detector.clone(), detector.clone());
                tokio
                    .on_thread_park(move || park.on_park())
                    .on_thread_unpark(move || unpark.on_unpark());
            }
        }
        let rt = tokio.build().map_err(RuntimeError::Build)?;
        #[cfg(all(feature = "signal", unix))]
        if self.dump_on_sigquit {
            super::signal::dump_on_sigquit(&rt, &ctx).map_err(RuntimeError::Build)?;
        }
        #[cfg(not(loom))]
        if let Some(detector) = &detector {
            detector
                .start(ctx.clone(), rt.handle().clone())
                .map_err(RuntimeError::Build)?;
        }
        Ok(Runtime { rt: Some(rt), ctx })
    }
}
