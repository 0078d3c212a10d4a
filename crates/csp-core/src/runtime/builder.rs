//! [`Builder`]: configures and starts a csp [`Runtime`].
//!
//! # Invariants
//! - `build` resolves GOMAXPROCS once (builder value, else `GOMAXPROCS`, else
//!   the core count), validates it, and starts exactly that many Tokio worker
//!   threads; every thread of the runtime carries the runtime's context.

use super::context::{Context, PanicMode, PanicPolicy};
use super::{gomaxprocs, Runtime, RuntimeError};
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
#[derive(Debug, Default)]
pub struct Builder {
    gomaxprocs: Option<usize>,
    policy: PanicPolicy,
    report: Option<Reporter>,
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
        let ctx = Arc::new(Context {
            registry: Arc::new(Registry::new()),
            gomaxprocs: n,
            panic,
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
        }
        let rt = tokio.build().map_err(RuntimeError::Build)?;
        Ok(Runtime { rt: Some(rt), ctx })
    }
}
