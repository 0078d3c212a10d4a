//! `with_deadline` and `with_timeout`: one Tokio timer per effective
//! deadline.
//!
//! A child whose deadline is not earlier than its parent's gets no timer (it
//! is cancelled with the parent, Go's shortcut); a deadline already past
//! gives a context born with [`Error::DeadlineExceeded`]. The timer is a
//! task on the current Tokio runtime (csp's or a plain one) that holds only
//! a weak reference to its node and is aborted when the node is cancelled
//! first, so a cancelled context leaves no timer behind. Outside any runtime
//! the timer runs on one shared fallback runtime thread.
//!
//! # Invariants
//! - A live node with its own deadline has exactly one timer task; a
//!   cancelled node has none.

use std::error::Error as StdError;
#[cfg(not(loom))]
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::cancel::{attach, with_cancel, CancelFunc};
use super::tree::{CancelNode, Cause};
use super::{Context, Error, Kind};
use crate::sync::Arc;

/// A child of `parent` cancelled with [`Error::DeadlineExceeded`] at
/// `deadline` (or earlier, with its parent), and its cancel guard: Go's
/// `context.WithDeadline`.
///
/// The timer runs on the current Tokio runtime, whose time driver must be
/// enabled (it is on csp's runtime).
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// use csp_toolkit::context;
///
/// # csp_core::runtime_for_doctest(async {
/// let at = Instant::now() + Duration::from_millis(10);
/// let (ctx, _cancel) = context::with_deadline(&context::background(), at);
/// assert_eq!(ctx.deadline(), Some(at));
/// ctx.cancelled().await;
/// assert_eq!(ctx.err(), Some(context::Error::DeadlineExceeded));
/// # });
/// ```
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    with_deadline_inner(parent, deadline, None)
}

/// As [`with_deadline`], `timeout` from now: Go's `context.WithTimeout`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use csp_toolkit::context;
///
/// # csp_core::runtime_for_doctest(async {
/// let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(5));
/// ctx.cancelled().await;
/// assert_eq!(ctx.err(), Some(context::Error::DeadlineExceeded));
/// # });
/// ```
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, deadline_after(timeout))
}

/// As [`with_deadline`], recording `cause` for [`cause`](super::cause) when
/// the deadline passes: Go's `context.WithDeadlineCause`.
///
/// # Examples
/// ```
/// use std::time::Instant;
/// use csp_toolkit::context;
///
/// let (ctx, _cancel) =
///     context::with_deadline_cause(&context::background(), Instant::now(), "too slow");
/// assert_eq!(ctx.err(), Some(context::Error::DeadlineExceeded));
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "too slow");
/// ```
pub fn with_deadline_cause(
    parent: &Context,
    deadline: Instant,
    cause: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
) -> (Context, CancelFunc) {
    let cause: Box<dyn StdError + Send + Sync> = cause.into();
    with_deadline_inner(parent, deadline, Some(cause.into()))
}

/// As [`with_timeout`], with a cause: Go's `context.WithTimeoutCause`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use csp_toolkit::context;
///
/// # csp_core::runtime_for_doctest(async {
/// let (ctx, _cancel) = context::with_timeout_cause(
///     &context::background(),
///     Duration::from_millis(1),
///     "backend timed out",
/// );
/// ctx.cancelled().await;
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "backend timed out");
/// # });
/// ```
pub fn with_timeout_cause(
    parent: &Context,
    timeout: Duration,
    cause: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
) -> (Context, CancelFunc) {
    with_deadline_cause(parent, deadline_after(timeout), cause)
}

/// `timeout` from now on Tokio's clock (which tests may pause), saturated
/// at about 30 years as csp's timers and Tokio's `sleep` are: an `Instant`
/// that far out exists on every platform Tokio supports (100 years
/// overflows on some).
fn deadline_after(timeout: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    tokio::time::Instant::now().into_std() + timeout.min(FAR)
}

fn with_deadline_inner(
    parent: &Context,
    deadline: Instant,
    cause: Option<Cause>,
) -> (Context, CancelFunc) {
    if parent.node.deadline.is_some_and(|d| d <= deadline) {
        return with_cancel(parent);
    }
    let node = attach(parent);
    let ctx = parent.child(Kind::Deadline, Some(node.clone()), Some(deadline));
    if tokio::time::Instant::now().into_std() >= deadline {
        node.cancel(Error::DeadlineExceeded, cause);
    } else if node.err().is_none() {
        start_timer(&node, deadline, cause);
    }
    (ctx, CancelFunc::new(node))
}

#[cfg(not(loom))]
fn start_timer(node: &Arc<CancelNode>, deadline: Instant, cause: Option<Cause>) {
    let weak = Arc::downgrade(node);
    let timer = async move {
        tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
        if let Some(node) = weak.upgrade() {
            node.cancel(Error::DeadlineExceeded, cause);
        }
    };
    let task = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn(timer),
        Err(_) => fallback_runtime().spawn(timer),
    };
    node.set_timer(task.abort_handle());
}

#[cfg(loom)]
fn start_timer(_: &Arc<CancelNode>, _: Instant, _: Option<Cause>) {
    unreachable!("the loom models use no deadlines")
}

/// The runtime that runs deadline timers for contexts made outside any
/// Tokio runtime: one thread, started on first use.
#[cfg(not(loom))]
fn fallback_runtime() -> &'static tokio::runtime::Handle {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("csp-context-timers".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .expect("csp-toolkit: cannot build the context timer runtime");
                let _ = tx.send(rt.handle().clone());
                rt.block_on(std::future::pending::<()>());
            })
            .expect("csp-toolkit: cannot start the context timer thread");
        rx.recv()
            .expect("csp-toolkit: the context timer thread died")
    })
}
