//! A weighted semaphore: Go's `golang.org/x/sync/semaphore.Weighted`.
//!
//! Waiters queue in FIFO order and are granted strictly in that order: a
//! large request at the head is not bypassed by smaller ones behind it, so it
//! cannot starve (Go's rule). An acquire also watches its context's done
//! channel, and a cancelled or dropped acquire gives back anything it was
//! granted.
//!
//! # Invariants
//! - `cur <= size` at all times; `cur` counts permits held by callers plus
//!   permits granted to queued waiters that have not yet observed the grant.
//! - A waiter leaves `queue` exactly once: granted (its `granted` flag set,
//!   its permits added to `cur`, under the lock) or withdrawn by its own
//!   future (cancelled or dropped).
//! - Whenever the head of `queue` could be granted, it has been: every
//!   change that frees permits or removes the head calls `grant_waiters`.
//!
//! # Locking
//! `state` guards `cur` and `queue`; wakers are collected under it and woken
//! after it is released.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use futures_core::Stream;
use parking_lot::Mutex;

use crate::context::{self, Context};

/// A semaphore of `size` weighted permits: Go's `semaphore.Weighted`.
///
/// # Examples
/// ```
/// use csp_toolkit::{context, semaphore::Weighted};
///
/// # csp_core::runtime_for_doctest(async {
/// let sem = Weighted::new(3);
/// let ctx = context::background();
/// sem.acquire(&ctx, 2).await.unwrap();
/// assert!(!sem.try_acquire(2));
/// sem.release(2).unwrap();
/// assert!(sem.try_acquire(3));
/// # });
/// ```
pub struct Weighted {
    size: usize,
    state: Mutex<State>,
}

struct State {
    cur: usize,
    queue: VecDeque<Waiter>,
}

struct Waiter {
    n: usize,
    slot: Arc<Slot>,
    waker: Waker,
}

/// What a queued acquire and the granting side share.
struct Slot {
    granted: AtomicBool,
}

/// Returned by [`Weighted::release`] when more permits are released than are
/// held (Go panics with `semaphore: released more than held`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseError {
    /// Permits the call tried to release.
    pub released: usize,
    /// Permits held at the time.
    pub held: usize,
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "semaphore: released more than held ({} released, {} held)",
            self.released, self.held
        )
    }
}

impl std::error::Error for ReleaseError {}

impl Weighted {
    /// A semaphore with `size` permits, none held: Go's
    /// `semaphore.NewWeighted(n)`.
    ///
    /// # Examples
    /// ```
    /// let sem = csp_toolkit::semaphore::Weighted::new(1);
    /// assert!(sem.try_acquire(1));
    /// ```
    pub const fn new(size: usize) -> Self {
        Self {
            size,
            state: Mutex::new(State {
                cur: 0,
                queue: VecDeque::new(),
            }),
        }
    }

    /// Acquires `n` permits, waiting in FIFO order until they are free or
    /// `ctx` is done: Go's `s.Acquire(ctx, n)`.
    ///
    /// A request for more than the semaphore's size waits only for `ctx`.
    ///
    /// # Errors
    /// The context's error if it is done first (or already done); nothing
    /// is then held.
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped acquire holds nothing afterwards (permits
    /// granted to it in the meantime are given back to the next waiters).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use csp_toolkit::{context, semaphore::Weighted};
    ///
    /// # csp_core::runtime_for_doctest(async {
    /// let sem = Weighted::new(1);
    /// sem.acquire(&context::background(), 1).await.unwrap();
    /// let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(5));
    /// assert_eq!(sem.acquire(&ctx, 1).await, Err(context::Error::DeadlineExceeded));
    /// # });
    /// ```
    pub fn acquire<'a>(&'a self, ctx: &'a Context, n: usize) -> Acquire<'a> {
        Acquire {
            sem: self,
            ctx,
            n,
            phase: Phase::Start,
            done: None,
        }
    }

    /// Acquires `n` permits if they are free now and nobody is queued:
    /// Go's `s.TryAcquire(n)`.
    ///
    /// # Examples
    /// ```
    /// let sem = csp_toolkit::semaphore::Weighted::new(2);
    /// assert!(sem.try_acquire(2));
    /// assert!(!sem.try_acquire(1));
    /// ```
    pub fn try_acquire(&self, n: usize) -> bool {
        let mut state = self.state.lock();
        if state.queue.is_empty() && self.size - state.cur >= n {
            state.cur += n;
            true
        } else {
            false
        }
    }

    /// Releases `n` permits and grants queued waiters in order: Go's
    /// `s.Release(n)`.
    ///
    /// # Errors
    /// [`ReleaseError`] (and no change) if fewer than `n` permits are held.
    ///
    /// # Examples
    /// ```
    /// let sem = csp_toolkit::semaphore::Weighted::new(2);
    /// assert!(sem.try_acquire(1));
    /// assert!(sem.release(2).is_err());
    /// sem.release(1).unwrap();
    /// ```
    pub fn release(&self, n: usize) -> Result<(), ReleaseError> {
        let wake = {
            let mut state = self.state.lock();
            if n > state.cur {
                return Err(ReleaseError {
                    released: n,
                    held: state.cur,
                });
            }
            state.cur -= n;
            self.grant_waiters(&mut state)
        };
        wake_all(wake);
        Ok(())
    }

    /// The number of permits this semaphore was created with.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(csp_toolkit::semaphore::Weighted::new(4).size(), 4);
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// Grants the head of the queue while it fits; the wakers to wake.
    fn grant_waiters(&self, state: &mut State) -> Vec<Waker> {
        let mut wake = Vec::new();
        while let Some(head) = state.queue.front() {
            if self.size - state.cur < head.n {
                break; // the head waits for room; nobody passes it
            }
            let head = state.queue.pop_front().expect("front exists");
            state.cur += head.n;
            head.slot.granted.store(true, Ordering::Release);
            wake.push(head.waker);
        }
        wake
    }

    /// Takes a queued waiter out (cancelled or dropped): whether it had been
    /// granted, and the wakers of waiters this lets through. Permits granted
    /// to it are given back unless `keep` is set.
    fn withdraw(&self, slot: &Arc<Slot>, n: usize, keep: bool) -> (bool, Vec<Waker>) {
        let mut state = self.state.lock();
        if slot.granted.load(Ordering::Acquire) {
            if keep {
                return (true, Vec::new());
            }
            state.cur -= n;
            return (true, self.grant_waiters(&mut state));
        }
        let Some(at) = state.queue.iter().position(|w| Arc::ptr_eq(&w.slot, slot)) else {
            return (false, Vec::new());
        };
        state.queue.remove(at);
        // Removing the head may let the next ones through.
        let wake = if at == 0 {
            self.grant_waiters(&mut state)
        } else {
            Vec::new()
        };
        (false, wake)
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

impl fmt::Debug for Weighted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Weighted")
            .field("size", &self.size)
            .field("held", &state.cur)
            .field("waiters", &state.queue.len())
            .finish()
    }
}

/// The future of [`Weighted::acquire`].
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    sem: &'a Weighted,
    ctx: &'a Context,
    n: usize,
    phase: Phase,
    done: Option<csp_core::Receiver<()>>,
}

enum Phase {
    Start,
    /// Queued for permits.
    Queued(Arc<Slot>),
    /// Asked for more than the size: waits for the context only.
    Oversized,
    Finished,
}

/// Polls `ctx`'s done channel (made on first use, kept in `done`): the
/// context's error once it fired.
fn poll_ctx(
    ctx: &Context,
    done: &mut Option<csp_core::Receiver<()>>,
    cx: &mut TaskContext<'_>,
) -> Poll<context::Error> {
    if let Some(err) = ctx.err() {
        return Poll::Ready(err);
    }
    if !ctx.can_cancel() {
        return Poll::Pending; // Go's nil done channel
    }
    let done = done.get_or_insert_with(|| ctx.done());
    while let Poll::Ready(Some(())) = Pin::new(&mut *done).poll_next(cx) {}
    match ctx.err() {
        Some(err) => Poll::Ready(err),
        None => Poll::Pending,
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), context::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match &this.phase {
                Phase::Start => {
                    if let Some(err) = this.ctx.err() {
                        this.phase = Phase::Finished;
                        return Poll::Ready(Err(err));
                    }
                    if this.n > this.sem.size {
                        this.phase = Phase::Oversized;
                        continue;
                    }
                    let mut state = this.sem.state.lock();
                    if state.queue.is_empty() && this.sem.size - state.cur >= this.n {
                        state.cur += this.n;
                        drop(state);
                        this.phase = Phase::Finished;
                        return Poll::Ready(Ok(()));
                    }
                    let slot = Arc::new(Slot {
                        granted: AtomicBool::new(false),
                    });
                    state.queue.push_back(Waiter {
                        n: this.n,
                        slot: slot.clone(),
                        waker: cx.waker().clone(),
                    });
                    drop(state);
                    this.phase = Phase::Queued(slot);
                }
                Phase::Queued(slot) => {
                    if slot.granted.load(Ordering::Acquire) {
                        this.phase = Phase::Finished;
                        return Poll::Ready(Ok(()));
                    }
                    if let Poll::Ready(err) = poll_ctx(this.ctx, &mut this.done, cx) {
                        let Phase::Queued(slot) =
                            std::mem::replace(&mut this.phase, Phase::Finished)
                        else {
                            unreachable!()
                        };
                        let (granted, wake) = this.sem.withdraw(&slot, this.n, true);
                        wake_all(wake);
                        // Granted in the race with the cancel: keep the permits.
                        return Poll::Ready(if granted { Ok(()) } else { Err(err) });
                    }
                    let mut state = this.sem.state.lock();
                    if slot.granted.load(Ordering::Acquire) {
                        drop(state);
                        this.phase = Phase::Finished;
                        return Poll::Ready(Ok(()));
                    }
                    if let Some(w) = state.queue.iter_mut().find(|w| Arc::ptr_eq(&w.slot, slot)) {
                        if !w.waker.will_wake(cx.waker()) {
                            w.waker = cx.waker().clone();
                        }
                    }
                    return Poll::Pending;
                }
                Phase::Oversized => {
                    return match poll_ctx(this.ctx, &mut this.done, cx) {
                        Poll::Ready(err) => {
                            this.phase = Phase::Finished;
                            Poll::Ready(Err(err))
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
                Phase::Finished => panic!("`Acquire` polled after completion"),
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Phase::Queued(slot) = std::mem::replace(&mut self.phase, Phase::Finished) {
            // Permits granted but never observed are handed on.
            let (_, wake) = self.sem.withdraw(&slot, self.n, false);
            wake_all(wake);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("n", &self.n).finish()
    }
}
