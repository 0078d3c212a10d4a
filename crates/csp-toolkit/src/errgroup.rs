//! Go's `golang.org/x/sync/errgroup`: run a group of goroutines, collect the
//! first error, cancel the rest.
//!
//! # Invariants
//! - `active` counts goroutines started and not finished; the wait group
//!   counts 1 exactly while `active` is non-zero (the goroutine that moves
//!   `active` from 0 adds 1, the one that brings it back to 0 calls `done`).
//!   A goroutine's limit permit is released before it leaves `active`, so
//!   after `wait` no permit is held and the limit may be changed.
//! - `err` is written once, by the first goroutine to fail; a panic payload
//!   likewise. The derived context is cancelled at the first error or panic
//!   and when `wait` returns.
//!
//! # Locking
//! `err`, `panic` and `limit` are independent short critical sections; no
//! user code runs under them.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use csp_sync::WaitGroup;
use parking_lot::Mutex;

use crate::context::{self, CancelCauseFunc, Context};
use crate::semaphore::Weighted;

/// A group of goroutines working on subtasks of one task: Go's
/// `errgroup.Group`. Clones share the group.
///
/// `E` is the error type of the subtasks (Go's `error`).
///
/// # Examples
/// ```
/// use csp_toolkit::errgroup::Group;
///
/// # csp_core::runtime_for_doctest(async {
/// let g = Group::<String>::new();
/// for i in 0..3 {
///     g.go(async move { if i == 1 { Err(format!("task {i} failed")) } else { Ok(()) } })
///         .await;
/// }
/// assert_eq!(g.wait().await, Err("task 1 failed".to_string()));
/// # });
/// ```
pub struct Group<E = Box<dyn StdError + Send + Sync>> {
    inner: Arc<Inner<E>>,
}

struct Inner<E> {
    /// Goroutines started and not finished.
    active: AtomicUsize,
    /// Counts 1 while `active` is non-zero: `wait` parks on it, as a
    /// `sync.WaitGroup.Wait` the deadlock detector understands, without
    /// every goroutine taking its lock.
    wg: WaitGroup,
    /// Whether `limit` is `Some` (read without the lock by `go`).
    limited: AtomicBool,
    err: Mutex<Option<E>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// The derived context's cancel function and how to describe an error
    /// as its cause (with [`Group::with_context`] only).
    cancel: Option<Canceller<E>>,
    limit: Mutex<Option<Arc<Weighted>>>,
}

/// The derived context's cancel function, and how an error becomes its cause.
type Canceller<E> = (CancelCauseFunc, fn(&E) -> String);

/// Returned by [`Group::set_limit`] while goroutines of the group are
/// active (Go panics: `errgroup: modify limit while N goroutines in the
/// group are still active`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitError {
    /// How many goroutines were active.
    pub active: usize,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "errgroup: modify limit while {} goroutines in the group are still active",
            self.active
        )
    }
}

impl std::error::Error for LimitError {}

impl<E: Send + 'static> Group<E> {
    /// An empty group with no context and no limit: Go's zero
    /// `errgroup.Group`.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let g = csp_toolkit::errgroup::Group::<std::io::Error>::new();
    /// assert!(g.wait().await.is_ok());
    /// # });
    /// ```
    pub fn new() -> Self {
        Self::build(None)
    }

    fn build(cancel: Option<Canceller<E>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                active: AtomicUsize::new(0),
                wg: WaitGroup::new(),
                limited: AtomicBool::new(false),
                err: Mutex::new(None),
                panic: Mutex::new(None),
                cancel,
                limit: Mutex::new(None),
            }),
        }
    }

    /// A group and a context derived from `parent` that is cancelled when a
    /// goroutine of the group first fails (its cause is the error's text) or
    /// when [`wait`](Self::wait) returns: Go's `errgroup.WithContext`.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::{context, errgroup::Group};
    ///
    /// # csp_core::runtime_for_doctest(async {
    /// let (g, ctx) = Group::<String>::with_context(&context::background());
    /// g.go(async { Err("boom".to_string()) }).await;
    /// g.go({
    ///     let ctx = ctx.clone();
    ///     async move {
    ///         ctx.cancelled().await; // stopped by the other's failure
    ///         Ok(())
    ///     }
    /// })
    /// .await;
    /// assert_eq!(g.wait().await, Err("boom".to_string()));
    /// assert_eq!(context::cause(&ctx).unwrap().to_string(), "boom");
    /// # });
    /// ```
    pub fn with_context(parent: &Context) -> (Self, Context)
    where
        E: fmt::Display,
    {
        let (ctx, cancel) = context::with_cancel_cause(parent);
        let describe: fn(&E) -> String = |e| e.to_string();
        (Self::build(Some((cancel, describe))), ctx)
    }

    /// Runs `task` in a new goroutine, waiting first until the group is under
    /// its limit (Go's `g.Go(f)`, which blocks the caller the same way). The
    /// first error returned by a task of the group is kept for
    /// [`wait`](Self::wait) and cancels the derived context.
    ///
    /// # Cancel safety
    /// Dropping the future before it completes starts nothing.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use csp_toolkit::errgroup::Group;
    ///
    /// # csp_core::runtime_for_doctest(async {
    /// let g = Group::<String>::new();
    /// let hits = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..10 {
    ///     let hits = hits.clone();
    ///     g.go(async move {
    ///         hits.fetch_add(1, Ordering::Relaxed);
    ///         Ok(())
    ///     })
    ///     .await;
    /// }
    /// g.wait().await.unwrap();
    /// assert_eq!(hits.load(Ordering::Relaxed), 10);
    /// # });
    /// ```
    pub async fn go<F>(&self, task: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let limit = self.inner.limit();
        if let Some(sem) = &limit {
            let background = context::background();
            if sem.acquire(&background, 1).await.is_err() {
                return; // background is never cancelled
            }
        }
        self.spawn(task, limit);
    }

    /// Runs `task` in a new goroutine only if the group is under its limit
    /// now: whether it started. Go's `g.TryGo(f)`.
    ///
    /// # Examples
    /// ```
    /// use csp_toolkit::errgroup::Group;
    ///
    /// # csp_core::runtime_for_doctest(async {
    /// let g = Group::<String>::new();
    /// g.set_limit(Some(1)).unwrap();
    /// let (tx, rx) = csp_core::chan::<()>(0);
    /// assert!(g.try_go(async move {
    ///     let _ = rx.recv().await;
    ///     Ok(())
    /// }));
    /// assert!(!g.try_go(async { Ok(()) })); // the first one still runs
    /// drop(tx);
    /// g.wait().await.unwrap();
    /// # });
    /// ```
    pub fn try_go<F>(&self, task: F) -> bool
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let limit = self.inner.limit();
        if let Some(sem) = &limit {
            if !sem.try_acquire(1) {
                return false;
            }
        }
        self.spawn(task, limit);
        true
    }

    /// Limits the group to `limit` active goroutines (`None`: no limit); Go's
    /// `g.SetLimit(n)` (where a negative `n` is `None`).
    ///
    /// # Errors
    /// [`LimitError`] (and no change) while goroutines of the group are
    /// active.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let g = csp_toolkit::errgroup::Group::<String>::new();
    /// g.set_limit(Some(2)).unwrap();
    /// g.set_limit(None).unwrap();
    /// # });
    /// ```
    pub fn set_limit(&self, limit: Option<usize>) -> Result<(), LimitError> {
        let mut slot = self.inner.limit.lock();
        let active = self.inner.active.load(Ordering::Acquire);
        if active != 0 {
            return Err(LimitError { active });
        }
        *slot = limit.map(|n| Arc::new(Weighted::new(n)));
        self.inner.limited.store(slot.is_some(), Ordering::Release);
        Ok(())
    }

    /// Waits for every goroutine of the group, cancels the derived context,
    /// and returns the first error: Go's `g.Wait()`. The error is handed out
    /// once; a later `wait` returns `Ok` unless another goroutine fails.
    ///
    /// # Panics
    /// Re-raises the panic of the first goroutine of the group that panicked
    /// (the others still ran to the end).
    ///
    /// # Cancel safety
    /// Cancel safe: the error stays in the group until a `wait` completes.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let g = csp_toolkit::errgroup::Group::<String>::new();
    /// g.go(async { Ok(()) }).await;
    /// assert_eq!(g.wait().await, Ok(()));
    /// # });
    /// ```
    pub async fn wait(&self) -> Result<(), E> {
        self.inner.wg.wait().await;
        if let Some((cancel, _)) = &self.inner.cancel {
            drop_cancel(cancel);
        }
        if let Some(payload) = self.inner.panic.lock().take() {
            resume_unwind(payload);
        }
        match self.inner.err.lock().take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn spawn<F>(&self, task: F, limit: Option<Arc<Weighted>>)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let inner = self.inner.clone();
        if inner.active.fetch_add(1, Ordering::AcqRel) == 0 {
            inner.wg.add(1);
        }
        drop(csp_core::go(async move {
            match (CatchUnwind {
                fut: Box::pin(task),
            })
            .await
            {
                Ok(Ok(())) => {}
                Ok(Err(err)) => inner.fail(err),
                Err(payload) => inner.panicked(payload),
            }
            if let Some(sem) = limit {
                let _ = sem.release(1);
            }
            if inner.active.fetch_sub(1, Ordering::AcqRel) == 1 {
                inner.wg.done();
            }
        }));
    }
}

/// Cancels the derived context with Go's default cause.
fn drop_cancel(cancel: &CancelCauseFunc) {
    cancel.cancel(context::Error::Canceled);
}

impl<E> Inner<E> {
    /// The limit's semaphore, if the group has a limit.
    fn limit(&self) -> Option<Arc<Weighted>> {
        if self.limited.load(Ordering::Acquire) {
            self.limit.lock().clone()
        } else {
            None
        }
    }

    fn fail(&self, err: E) {
        let mut slot = self.err.lock();
        if slot.is_some() {
            return;
        }
        let cause = self
            .cancel
            .as_ref()
            .map(|(cancel, describe)| (cancel, describe(&err)));
        *slot = Some(err);
        drop(slot);
        if let Some((cancel, cause)) = cause {
            cancel.cancel(cause);
        }
    }

    fn panicked(&self, payload: Box<dyn Any + Send>) {
        let mut slot = self.panic.lock();
        if slot.is_none() {
            *slot = Some(payload);
        }
        drop(slot);
        if let Some((cancel, _)) = &self.cancel {
            cancel.cancel("errgroup: a goroutine panicked");
        }
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for Group<E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("active", &self.inner.active.load(Ordering::Relaxed))
            .field("failed", &self.inner.err.lock().is_some())
            .finish()
    }
}

/// Runs a future, turning a panic in its `poll` into an `Err` with the
/// payload.
struct CatchUnwind<F> {
    fut: F,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: `fut` is structurally pinned: it is never moved out of
        // `CatchUnwind`, which has no `Drop` impl and is not `Unpin` unless
        // `F` is.
        let fut = unsafe { self.map_unchecked_mut(|this| &mut this.fut) };
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}
