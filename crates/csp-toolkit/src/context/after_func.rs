//! `after_func`: run a function once a context is done (Go's
//! `context.AfterFunc`), without a goroutine waiting for it.
//!
//! The callback sits in the context's tree node as a child; the cancel that
//! drains the node starts it in its own goroutine (on a plain thread when the
//! cancel happens outside any runtime). [`AfterFunc::stop`] takes it out
//! under the node's lock, so exactly one of "stop returns `true`" and "the
//! callback starts" happens.
//!
//! # Invariants
//! - `slot` is `Some` until the first `stop`; the slab key it names belongs
//!   to this callback until then or until the node is cancelled.

use std::fmt;

use super::tree::{AfterFn, CancelNode, Child};
use super::Context;
use crate::sync::{Arc, Mutex};

/// The handle of an [`after_func`] registration: Go's `stop func() bool`.
pub struct AfterFunc {
    node: Option<Arc<CancelNode>>,
    slot: Mutex<Option<usize>>,
}

impl AfterFunc {
    /// Stops the callback from running: `true` if this call stopped it,
    /// `false` if it has already been started (or stopped before). Go's
    /// `stop()`. A context nothing can cancel never runs it: `true` once.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::context;
    ///
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// let stop = context::after_func(&ctx, || unreachable!());
    /// assert!(stop.stop());
    /// assert!(!stop.stop());
    /// cancel.cancel();
    /// ```
    pub fn stop(&self) -> bool {
        let Some(slot) = self.slot.lock().take() else {
            return false;
        };
        match &self.node {
            Some(node) => node.unregister_func(slot),
            None => true,
        }
    }
}

impl fmt::Debug for AfterFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfterFunc").finish_non_exhaustive()
    }
}

/// Arranges for `f` to run in its own goroutine once `ctx` is done (at once,
/// if it already is): Go's `context.AfterFunc`. Dropping the returned handle
/// does not stop it.
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// # csp_core::runtime_for_doctest(async {
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// let (tx, rx) = csp_core::chan::<&str>(1);
/// let _stop = context::after_func(&ctx, move || {
///     let _ = tx.try_send("cleaned up");
/// });
/// cancel.cancel();
/// assert_eq!(rx.recv().await, Some("cleaned up"));
/// # });
/// ```
pub fn after_func(ctx: &Context, f: impl FnOnce() + Send + 'static) -> AfterFunc {
    let Some(node) = ctx.cancel_node() else {
        return AfterFunc {
            node: None,
            slot: Mutex::new(Some(0)),
        };
    };
    match CancelNode::register(node, Child::Func(Box::new(f))) {
        Ok(slot) => AfterFunc {
            node: Some(node.clone()),
            slot: Mutex::new(Some(slot)),
        },
        Err((child, _, _)) => {
            if let Child::Func(f) = child {
                start(f);
            }
            AfterFunc {
                node: None,
                slot: Mutex::new(None),
            }
        }
    }
}

/// Starts a callback in its own goroutine, or on a plain thread outside any
/// runtime.
#[cfg(not(loom))]
pub(crate) fn start(f: AfterFn) {
    if tokio::runtime::Handle::try_current().is_ok() {
        drop(csp_core::go(async move { f() }));
    } else {
        let spawned = std::thread::Builder::new()
            .name("csp-after-func".into())
            .spawn(f);
        if let Err(err) = spawned {
            eprintln!("csp-toolkit: cannot start an after_func thread: {err}");
        }
    }
}

/// Under loom the callback runs inline on the cancelling thread.
#[cfg(loom)]
pub(crate) fn start(f: AfterFn) {
    f();
}
