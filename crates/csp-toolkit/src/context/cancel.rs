//! `with_cancel` and `with_cancel_cause`: the cancel function as a guard that
//! cancels on drop (Go's `defer cancel()`, which `go vet` insists on).
//!
//! # Invariants
//! - A guard cancels its context exactly once in effect: an explicit
//!   `cancel` and the drop after it find the node already cancelled.

use std::error::Error as StdError;
use std::fmt;

use super::tree::{CancelNode, Child};
use super::{Context, Error, Kind};
use crate::sync::Arc;

/// Cancels its context when dropped or on [`cancel`](Self::cancel): Go's
/// `context.CancelFunc`, as a guard so `defer cancel()` cannot be forgotten.
///
/// Keep it in a named binding: `let (ctx, _cancel) = ..` holds it to the end
/// of the scope, while `let (ctx, _) = ..` drops it, cancelling `ctx` at once.
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// let root = context::background();
/// let ctx = {
///     let (ctx, _cancel) = context::with_cancel(&root);
///     assert_eq!(ctx.err(), None);
///     ctx
/// }; // `_cancel` dropped here
/// assert_eq!(ctx.err(), Some(context::Error::Canceled));
/// ```
pub struct CancelFunc {
    node: Arc<CancelNode>,
}

impl CancelFunc {
    pub(crate) fn new(node: Arc<CancelNode>) -> Self {
        Self { node }
    }

    /// Cancels the context and its subtree now; later calls do nothing.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::context;
    ///
    /// let (parent, cancel) = context::with_cancel(&context::background());
    /// let (child, _child_cancel) = context::with_cancel(&parent);
    /// cancel.cancel();
    /// cancel.cancel();
    /// assert_eq!(child.err(), Some(context::Error::Canceled));
    /// ```
    pub fn cancel(&self) {
        self.node.cancel(Error::Canceled, None);
    }
}

impl Drop for CancelFunc {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFunc")
            .field("err", &self.node.err())
            .finish()
    }
}

/// Cancels its context with a cause (Go's `context.CancelCauseFunc`);
/// dropping it cancels with [`Error::Canceled`] as the cause.
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// let (ctx, cancel) = context::with_cancel_cause(&context::background());
/// cancel.cancel(std::io::Error::other("disk full"));
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "disk full");
/// ```
pub struct CancelCauseFunc {
    node: Arc<CancelNode>,
}

impl CancelCauseFunc {
    /// Cancels the context and its subtree, recording `cause` for
    /// [`cause`](super::cause); later calls do nothing.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::context;
    ///
    /// let (ctx, cancel) = context::with_cancel_cause(&context::background());
    /// let (child, _c) = context::with_cancel(&ctx);
    /// cancel.cancel("shutting down");
    /// assert_eq!(context::cause(&child).unwrap().to_string(), "shutting down");
    /// ```
    pub fn cancel(&self, cause: impl Into<Box<dyn StdError + Send + Sync + 'static>>) {
        let cause: Box<dyn StdError + Send + Sync> = cause.into();
        self.node.cancel(Error::Canceled, Some(cause.into()));
    }
}

impl Drop for CancelCauseFunc {
    fn drop(&mut self) {
        self.node.cancel(Error::Canceled, None);
    }
}

impl fmt::Debug for CancelCauseFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelCauseFunc")
            .field("err", &self.node.err())
            .finish()
    }
}

/// A new cancelable node under `parent`'s canceller, registered (or born
/// cancelled when the parent already is).
pub(crate) fn attach(parent: &Context) -> Arc<CancelNode> {
    let up = parent.node.cancel.clone();
    let node = CancelNode::new(up.clone());
    if let Some(up) = up {
        if let Err((_, err, cause)) = CancelNode::register(&up, Child::Node(node.clone())) {
            node.cancel(err, cause);
        }
    }
    node
}

/// A child of `parent` and the guard that cancels it: Go's
/// `context.WithCancel`. Cancelling the parent cancels the child; a child of
/// a cancelled parent is born cancelled.
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// # csp_core::runtime_for_doctest(async {
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// let worker = csp_core::go({
///     let ctx = ctx.clone();
///     async move {
///         ctx.cancelled().await;
///         ctx.err()
///     }
/// });
/// cancel.cancel();
/// assert_eq!(worker.await.unwrap(), Some(context::Error::Canceled));
/// # });
/// ```
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    let node = attach(parent);
    let ctx = parent.child(Kind::Cancel, Some(node.clone()), parent.node.deadline);
    (ctx, CancelFunc::new(node))
}

/// As [`with_cancel`], with a cancel function that records a cause: Go's
/// `context.WithCancelCause`.
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// let (ctx, cancel) = context::with_cancel_cause(&context::background());
/// drop(cancel);
/// assert_eq!(ctx.err(), Some(context::Error::Canceled));
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "context canceled");
/// ```
pub fn with_cancel_cause(parent: &Context) -> (Context, CancelCauseFunc) {
    let node = attach(parent);
    let ctx = parent.child(Kind::Cancel, Some(node.clone()), parent.node.deadline);
    (ctx, CancelCauseFunc { node })
}
