//! A weighted semaphore: Go's `golang.org/x/sync/semaphore.Weighted`.
//!
//! Waiters queue in FIFO order and are granted strictly in that order: a
//! large request at the head is not bypassed by smaller ones behind it, so it
//! cannot starve (Go's rule). An acquire also watches its context's done
//! channel, and a cancelled or dropped acquire gives back anything it was
//! granted.
//!
//! The free permits and a "someone is queued" bit share one atomic word, so
//! an acquire or release that finds nobody queued is one compare-and-swap
//! with no lock; the queue's lock is taken only to wait, or to release
//! while someone waits. The model is in `loom_semaphore.rs`.
//!
//! # Invariants
//! - `state` is `(free << 1) | QUEUED`; `free <= size`. Permits held by
//!   callers, plus permits granted to queued waiters not yet observed, plus
//!   `free`, is `size`.
//! - `QUEUED` is set exactly when `queue` is non-empty; both change only
//!   under the queue's lock. The lock-free paths act only on a word whose
//!   `QUEUED` bit is clear, by compare-and-swap, so while it is set the word
//!   changes only under the lock: nobody passes a queued waiter.
//! - A waiter leaves `queue` exactly once: granted (its `granted` flag set
//!   after its permits were taken from `free`, under the lock) or withdrawn
//!   by its own future (cancelled or dropped).
//! - Whenever the head of `queue` fits in `free`, it has been granted: every
//!   change that frees permits or removes the head goes through
//!   `add_and_grant`.
//!
//! # Locking
//! `queue`'s lock guards the queue and every change of `state` made while
//! `QUEUED` is set; wakers are collected under it and woken after it is
//! released.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use csp_core::goroutine::{queue_clone, queue_waker_matches, record_park, WaitReason};

use futures_core::Stream;

use crate::context::{self, Context};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};

/// The `state` bit saying the queue is non-empty.
const QUEUED: usize = 1;
/// The largest size a semaphore can have (the word keeps a bit for
/// `QUEUED`).
pub const MAX_SIZE: usize = usize::MAX >> 1;

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
    state: AtomicUsize,
    queue: Mutex<VecDeque<Waiter>>,
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
    /// `semaphore.NewWeighted(n)`. A size above [`MAX_SIZE`] is
    /// [`MAX_SIZE`]. `const`, so it can be a `static`.
    ///
    /// # Examples
    /// ```
    /// static POOL: csp_toolkit::semaphore::Weighted = csp_toolkit::semaphore::Weighted::new(1);
    /// assert!(POOL.try_acquire(1));
    /// POOL.release(1).unwrap();
    /// ```
    #[cfg(not(loom))]
    pub const fn new(size: usize) -> Self {
        let size = if size > MAX_SIZE { MAX_SIZE } else { size };
        Self {
            size,
            state: AtomicUsize::new(size << 1),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// As the `const` constructor, under loom (whose atomics are not
    /// `const`).
    #[cfg(loom)]
    pub fn new(size: usize) -> Self {
        let size = size.min(MAX_SIZE);
        Self {
            size,
            state: AtomicUsize::new(size << 1),
            queue: Mutex::new(VecDeque::new()),
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
    #[track_caller]
    pub fn acquire<'a>(&'a self, ctx: &'a Context, n: usize) -> Acquire<'a> {
        Acquire {
            sem: self,
            ctx,
            n,
            phase: Phase::Start,
            done: None,
            at: Location::caller(),
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
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & QUEUED != 0 || (s >> 1) < n {
                return false;
            }
            match self.state.compare_exchange_weak(
                s,
                s - (n << 1),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
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
        let mut s = self.state.load(Ordering::Acquire);
        while s & QUEUED == 0 {
            let free = s >> 1;
            if n > self.size - free {
                return Err(self.over_release(n, free));
            }
            match self.state.compare_exchange_weak(
                s,
                s + (n << 1),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => s = now,
            }
        }
        let wake = {
            let mut queue = self.queue.lock();
            self.add_and_grant(&mut queue, n)?
        };
        wake_all(wake);
        Ok(())
    }

    fn over_release(&self, n: usize, free: usize) -> ReleaseError {
        ReleaseError {
            released: n,
            held: self.size - free,
        }
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

    /// Adds `n` released permits to `free` and grants the head of the
    /// queue while it fits, keeping `QUEUED` in step with the queue: the
    /// wakers to wake. The caller holds the queue's lock.
    fn add_and_grant(
        &self,
        queue: &mut VecDeque<Waiter>,
        n: usize,
    ) -> Result<Vec<Waker>, ReleaseError> {
        let mut s = self.state.load(Ordering::Acquire);
        let granted = loop {
            let free = s >> 1;
            if n > self.size - free {
                return Err(self.over_release(n, free));
            }
            let mut avail = free + n;
            let mut granted = 0;
            for waiter in queue.iter() {
                if waiter.n > avail {
                    break; // the head waits for room; nobody passes it
                }
                avail -= waiter.n;
                granted += 1;
            }
            let queued = usize::from(granted < queue.len());
            // While `QUEUED` is clear, a lock-free path may have moved the
            // word: the exchange fails and the grant is recomputed.
            match self.state.compare_exchange(
                s,
                (avail << 1) | queued,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break granted,
                Err(now) => s = now,
            }
        };
        Ok(queue
            .drain(..granted)
            .map(|waiter| {
                waiter.slot.granted.store(true, Ordering::Release);
                waiter.waker
            })
            .collect())
    }

    /// Takes a queued waiter out (cancelled or dropped): whether it had been
    /// granted, and the wakers of waiters this lets through. Permits granted
    /// to it are given back unless `keep` is set.
    fn withdraw(&self, slot: &Arc<Slot>, n: usize, keep: bool) -> (bool, Vec<Waker>) {
        let mut queue = self.queue.lock();
        if slot.granted.load(Ordering::Acquire) {
            if keep {
                return (true, Vec::new());
            }
            let wake = self.add_and_grant(&mut queue, n).unwrap_or_default();
            return (true, wake);
        }
        let Some(at) = queue.iter().position(|w| Arc::ptr_eq(&w.slot, slot)) else {
            return (false, Vec::new());
        };
        queue.remove(at);
        // Removing the head may let the next ones through, or empty the queue.
        let wake = if at == 0 {
            self.add_and_grant(&mut queue, 0).unwrap_or_default()
        } else {
            Vec::new()
        };
        (false, wake)
    }

    /// Pass 1 of an acquire: [`try_acquire`](Self::try_acquire), retried
    /// after a few short pauses while nobody is queued. A holder on another
    /// worker usually releases within them (the permits guard short critical
    /// sections), and a retry is far cheaper than parking and being woken.
    fn try_acquire_spinning(&self, n: usize) -> bool {
        /// Rounds of 1, 2, 4 ... pauses.
        const ROUNDS: u32 = 6;
        for round in 0..ROUNDS {
            if self.try_acquire(n) {
                return true;
            }
            if self.state.load(Ordering::Relaxed) & QUEUED != 0 {
                return false; // waiters go first
            }
            for _ in 0..1u32 << round {
                #[cfg(not(loom))]
                std::hint::spin_loop();
                #[cfg(loom)]
                loom::thread::yield_now();
            }
        }
        self.try_acquire(n)
    }

    /// Pass 2 of an acquire that did not get its permits lock-free: takes
    /// them if they are free and nobody is queued, else queues a waiter.
    fn take_or_queue(&self, n: usize, waker: &Waker) -> Option<Arc<Slot>> {
        let mut queue = self.queue.lock();
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            let (next, take) = if s & QUEUED != 0 {
                break; // queued behind the others; the word is stable under the lock
            } else if (s >> 1) >= n {
                (s - (n << 1), true)
            } else {
                (s | QUEUED, false)
            };
            match self
                .state
                .compare_exchange(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if take => return None,
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        let slot = Arc::new(Slot {
            granted: AtomicBool::new(false),
        });
        queue.push_back(Waiter {
            n,
            slot: slot.clone(),
            waker: queue_clone(waker),
        });
        Some(slot)
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        csp_core::goroutine::wake(waker);
    }
}

impl fmt::Debug for Weighted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiters = self.queue.lock().len();
        let free = self.state.load(Ordering::Acquire) >> 1;
        f.debug_struct("Weighted")
            .field("size", &self.size)
            .field("held", &(self.size - free))
            .field("waiters", &waiters)
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
    /// The caller's line, for goroutine dumps (Go shows `[select]` there).
    at: &'static Location<'static>,
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
                    if this.sem.try_acquire_spinning(this.n) {
                        this.phase = Phase::Finished;
                        return Poll::Ready(Ok(()));
                    }
                    match this.sem.take_or_queue(this.n, cx.waker()) {
                        None => {
                            this.phase = Phase::Finished;
                            return Poll::Ready(Ok(()));
                        }
                        Some(slot) => this.phase = Phase::Queued(slot),
                    }
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
                    let mut queue = this.sem.queue.lock();
                    if slot.granted.load(Ordering::Acquire) {
                        drop(queue);
                        this.phase = Phase::Finished;
                        return Poll::Ready(Ok(()));
                    }
                    if let Some(w) = queue.iter_mut().find(|w| Arc::ptr_eq(&w.slot, slot)) {
                        if !queue_waker_matches(&w.waker, cx.waker()) {
                            w.waker = queue_clone(cx.waker());
                        }
                    }
                    drop(queue);
                    record_park(WaitReason::Select, this.at);
                    return Poll::Pending;
                }
                Phase::Oversized => {
                    return match poll_ctx(this.ctx, &mut this.done, cx) {
                        Poll::Ready(err) => {
                            this.phase = Phase::Finished;
                            Poll::Ready(Err(err))
                        }
                        Poll::Pending => {
                            record_park(WaitReason::Select, this.at);
                            Poll::Pending
                        }
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
