//! Go's `context` package: cancellation, deadlines and request-scoped values
//! flowing down a call tree.
//!
//! | Go | csp |
//! |---|---|
//! | `context.Background()`, `context.TODO()` | [`background`]`()`, [`todo()`] |
//! | `ctx, cancel := context.WithCancel(p); defer cancel()` | `let (ctx, _cancel) = `[`with_cancel`]`(&p);` (cancels when dropped) |
//! | `context.WithTimeout`, `context.WithDeadline` | [`with_timeout`], [`with_deadline`] (and `*_cause`) |
//! | `context.WithCancelCause`, `context.Cause(ctx)` | [`with_cancel_cause`], [`cause`] |
//! | `context.WithValue(p, key, v)`, `ctx.Value(key)` | [`with_value::<K>`](with_value)`(&p, v)`, [`ctx.value::<K>()`](Context::value) (typed keys: [`Key`]) |
//! | `context.WithoutCancel(p)` | [`without_cancel`] |
//! | `context.AfterFunc(ctx, f)` | [`after_func`] → [`AfterFunc`] (`stop`) |
//! | `<-ctx.Done()`, `case <-ctx.Done():` | [`ctx.cancelled()`](Context::cancelled)`.await`, `recv(ctx.done()) -> _ =>` in `select!` |
//! | `ctx.Err()`, `ctx.Deadline()` | [`ctx.err()`](Context::err) → `Option<`[`Error`]`>`, [`ctx.deadline()`](Context::deadline) |
//!
//! A [`Context`] is a cheap handle (one `Arc`); clone it into goroutines.
//! Each cancelable context is one node of a cancellation tree (see `tree.rs`):
//! cancelling a parent cancels its subtree in time proportional to the
//! subtree, with no goroutine per context; a context with its own deadline
//! has one Tokio timer, and a child whose deadline is not earlier than its
//! parent's has none.
//!
//! # Deadlock detection
//! [`Context::done`] is a csp channel, so a goroutine waiting on it is
//! blocked in `chan receive` (or `select`) as in Go: waiting on a context that
//! nothing can cancel is a deadlock. A pending deadline is a live Tokio timer
//! task, which keeps the detector from reporting.
//!
//! # Invariants
//! - A context's `cancel` node is its own (cancelable kinds) or the nearest
//!   cancelable ancestor's (values); `None` when nothing can cancel it
//!   ([`background`], [`without_cancel`]).
//! - `deadline` is the effective deadline: the earliest of the ancestors'
//!   up to the nearest [`without_cancel`].
//!
//! # Locking
//! Only the tree nodes lock (see `tree.rs`); a [`Context`] is immutable.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;

use csp_core::Receiver;

use crate::sync::Arc as NodeArc;
use std::sync::Arc;

mod after_func;
mod cancel;
mod deadline;
mod error;
#[cfg(all(test, loom))]
mod loom_context;
mod tree;

pub use after_func::{after_func, AfterFunc};
pub use cancel::{with_cancel, with_cancel_cause, CancelCauseFunc, CancelFunc};
pub use deadline::{with_deadline, with_deadline_cause, with_timeout, with_timeout_cause};
pub use error::Error;
pub use tree::Cause;

use tree::CancelNode;

/// A typed key for [`with_value`] and [`Context::value`] (Go's unexported
/// key types, `type ctxKey struct{}`): keys are told apart by their Rust type,
/// and a lookup returns the key's own value type, so call sites do no
/// downcasts.
///
/// # Examples
/// ```
/// use csp_toolkit::context::{self, Key};
///
/// struct RequestId;
/// impl Key for RequestId {
///     type Value = u64;
/// }
///
/// let ctx = context::with_value::<RequestId>(&context::background(), 42);
/// assert_eq!(ctx.value::<RequestId>(), Some(&42));
/// ```
pub trait Key: 'static {
    /// The type of the value stored under this key.
    type Value: Send + Sync + 'static;
}

/// Carries a deadline, a cancellation signal and request-scoped values down
/// a call tree: Go's `context.Context`.
///
/// Build one from [`background`] with [`with_cancel`], [`with_timeout`],
/// [`with_value`] and friends; `clone` is cheap. `Context::default()` is
/// [`background`].
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// assert_eq!(ctx.err(), None);
/// cancel.cancel();
/// assert_eq!(ctx.err(), Some(context::Error::Canceled));
/// ```
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

struct Node {
    kind: Kind,
    parent: Option<Context>,
    cancel: Option<NodeArc<CancelNode>>,
    deadline: Option<Instant>,
}

impl Drop for Node {
    /// Unlinks a chain of ancestors iteratively: dropping the last handle
    /// of a very deep context chain must not recurse once per level.
    fn drop(&mut self) {
        let mut parent = self.parent.take();
        while let Some(ctx) = parent {
            match Arc::try_unwrap(ctx.node) {
                Ok(mut node) => parent = node.parent.take(),
                Err(_) => break,
            }
        }
    }
}

enum Kind {
    Background,
    Todo,
    Cancel,
    Deadline,
    Value {
        key: TypeId,
        name: &'static str,
        value: Box<dyn Any + Send + Sync>,
    },
    WithoutCancel,
}

impl Context {
    fn from_node(node: Node) -> Self {
        Self {
            node: Arc::new(node),
        }
    }

    /// A child node of `self` of the given kind.
    fn child(
        &self,
        kind: Kind,
        cancel: Option<NodeArc<CancelNode>>,
        deadline: Option<Instant>,
    ) -> Self {
        Self::from_node(Node {
            kind,
            parent: Some(self.clone()),
            cancel,
            deadline,
        })
    }

    fn cancel_node(&self) -> Option<&NodeArc<CancelNode>> {
        self.node.cancel.as_ref()
    }

    /// Whether anything can ever cancel this context.
    pub(crate) fn can_cancel(&self) -> bool {
        self.node.cancel.is_some()
    }

    /// `None` while the context is live, else why it ended: Go's `ctx.Err()`.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::context;
    /// assert_eq!(context::background().err(), None);
    /// ```
    pub fn err(&self) -> Option<Error> {
        self.cancel_node().and_then(|n| n.err())
    }

    /// When the context is cancelled on its own, if ever: Go's
    /// `ctx.Deadline()`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use csp_toolkit::context;
    ///
    /// # csp_core::runtime_for_doctest(async {
    /// assert_eq!(context::background().deadline(), None);
    /// let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_secs(5));
    /// assert!(ctx.deadline().is_some());
    /// # });
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    /// A receiver that yields `None` (closed) once the context is cancelled:
    /// Go's `ctx.Done()`, for a `select!` receive case. The channel is made
    /// on the first call and shared by later ones; a context that can never
    /// be cancelled ([`background`]) returns a channel that never closes (Go's
    /// nil channel).
    ///
    /// # Examples
    /// ```
    /// use csp_core::chan;
    /// use csp::select;
    /// use csp_toolkit::context;
    ///
    /// # csp_core::runtime_for_doctest(async {
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// let (_tx, work) = chan::<u32>(0);
    /// drop(cancel);
    /// let got = select! {
    ///     recv(work) -> v => v,
    ///     recv(ctx.done()) -> _ => None,
    /// };
    /// assert_eq!(got, None);
    /// assert!(ctx.err().is_some());
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// The receiver carries no values; dropping a receive on it loses nothing.
    pub fn done(&self) -> Receiver<()> {
        match self.cancel_node() {
            Some(node) => node.done(),
            None => never_channel(),
        }
    }

    /// Completes once the context is cancelled (`<-ctx.Done()` as a future);
    /// never, for a context nothing can cancel.
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
    ///
    /// # Cancel safety
    /// Cancel safe: dropping it changes nothing.
    pub fn cancelled(&self) -> impl Future<Output = ()> + Send + 'static {
        let done = self.done();
        async move { while done.recv().await.is_some() {} }
    }

    /// The value stored under key `K` by the nearest [`with_value`] ancestor:
    /// Go's `ctx.Value(key)`, typed.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::context::{self, Key};
    ///
    /// struct User;
    /// impl Key for User {
    ///     type Value = String;
    /// }
    /// let ctx = context::with_value::<User>(&context::background(), "gopher".into());
    /// let (ctx, _cancel) = context::with_cancel(&ctx);
    /// assert_eq!(ctx.value::<User>().map(String::as_str), Some("gopher"));
    /// ```
    pub fn value<K: Key>(&self) -> Option<&K::Value> {
        let want = TypeId::of::<K>();
        let mut ctx = self;
        loop {
            if let Kind::Value { key, value, .. } = &ctx.node.kind {
                if *key == want {
                    return value.downcast_ref::<K::Value>();
                }
            }
            ctx = ctx.node.parent.as_ref()?;
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        background()
    }
}

impl fmt::Debug for Context {
    /// Go's `String()`: the chain of constructors, as in
    /// `context.Background.WithCancel.WithValue(RequestId)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = &self.node.parent {
            write!(f, "{parent:?}.")?;
        }
        match &self.node.kind {
            Kind::Background => f.write_str("context.Background"),
            Kind::Todo => f.write_str("context.TODO"),
            Kind::Cancel => f.write_str("WithCancel"),
            Kind::Deadline => f.write_str("WithDeadline"),
            Kind::Value { name, .. } => write!(f, "WithValue({name})"),
            Kind::WithoutCancel => f.write_str("WithoutCancel"),
        }
    }
}

/// The root of every context tree: never cancelled, no deadline, no values
/// (Go's `context.Background()`).
///
/// # Examples
/// ```
/// let ctx = csp_toolkit::context::background();
/// assert_eq!(ctx.err(), None);
/// assert_eq!(format!("{ctx:?}"), "context.Background");
/// ```
pub fn background() -> Context {
    static BACKGROUND: OnceLock<Context> = OnceLock::new();
    BACKGROUND.get_or_init(|| root(Kind::Background)).clone()
}

/// As [`background`], marking code where the right context is not decided
/// yet (Go's `context.TODO()`).
///
/// # Examples
/// ```
/// let ctx = csp_toolkit::context::todo();
/// assert_eq!(format!("{ctx:?}"), "context.TODO");
/// ```
pub fn todo() -> Context {
    static TODO: OnceLock<Context> = OnceLock::new();
    TODO.get_or_init(|| root(Kind::Todo)).clone()
}

fn root(kind: Kind) -> Context {
    Context::from_node(Node {
        kind,
        parent: None,
        cancel: None,
        deadline: None,
    })
}

/// A child of `parent` that carries `value` under key `K`: Go's
/// `context.WithValue`. Lookups walk up the chain, as in Go, so keep values
/// for request-scoped data, not optional parameters.
///
/// # Examples
/// ```
/// use csp_toolkit::context::{self, Key};
///
/// struct Trace;
/// impl Key for Trace {
///     type Value = &'static str;
/// }
/// let ctx = context::with_value::<Trace>(&context::background(), "abc");
/// let ctx = context::with_value::<Trace>(&ctx, "def"); // shadows
/// assert_eq!(ctx.value::<Trace>(), Some(&"def"));
/// ```
pub fn with_value<K: Key>(parent: &Context, value: K::Value) -> Context {
    let name = std::any::type_name::<K>();
    let name = name.rsplit("::").next().unwrap_or(name);
    parent.child(
        Kind::Value {
            key: TypeId::of::<K>(),
            name,
            value: Box::new(value),
        },
        parent.node.cancel.clone(),
        parent.node.deadline,
    )
}

/// A child of `parent` that keeps its values but is never cancelled and has
/// no deadline: Go's `context.WithoutCancel` (for work that must outlive the
/// request, such as an audit log write).
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// let detached = context::without_cancel(&ctx);
/// cancel.cancel();
/// assert!(ctx.err().is_some());
/// assert_eq!(detached.err(), None);
/// ```
pub fn without_cancel(parent: &Context) -> Context {
    parent.child(Kind::WithoutCancel, None, None)
}

/// Why `ctx` was cancelled: the cause given to a [`CancelCauseFunc`] (or a
/// `*_cause` deadline), else the context's [`Error`]; `None` while it is live.
/// Go's `context.Cause`.
///
/// # Examples
/// ```
/// use csp_toolkit::context;
///
/// let (ctx, cancel) = context::with_cancel_cause(&context::background());
/// assert!(context::cause(&ctx).is_none());
/// cancel.cancel("backend down");
/// assert_eq!(ctx.err(), Some(context::Error::Canceled));
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "backend down");
/// ```
pub fn cause(ctx: &Context) -> Option<Cause> {
    ctx.cancel_node().and_then(|n| n.cause())
}

/// The done channel of a context nothing can cancel: its sender lives in a
/// static and is never closed.
fn never_channel() -> Receiver<()> {
    static NEVER: OnceLock<(csp_core::Sender<()>, Receiver<()>)> = OnceLock::new();
    NEVER.get_or_init(|| csp_core::chan(0)).1.clone()
}

/// One closed channel shared by the done of every context cancelled before
/// its first `done()`.
fn closed_channel() -> Receiver<()> {
    static CLOSED: OnceLock<Receiver<()>> = OnceLock::new();
    CLOSED
        .get_or_init(|| {
            let (tx, rx) = csp_core::chan(0);
            tx.close();
            rx
        })
        .clone()
}
