//! Deadlock detection: Go's `fatal error: all goroutines are asleep - deadlock!`
//! on csp's own [`Runtime`](crate::Runtime).
//!
//! # What "blocked" means
//! A goroutine is blocked when nothing but another goroutine can wake it:
//! - its last poll returned `Pending` after a csp primitive called
//!   `record_park` (channel send/receive, select, `select {}`, csp-sync's
//!   WaitGroup/Mutex/...): that gives the wait reason Go prints; and
//! - it is not *awake* (`goroutine::waker`): not being polled, no wake
//!   pending, and **no clone of its waker alive outside csp's own wait
//!   queues**. Every goroutine is polled with a csp waker; csp's queues take
//!   their clones through `queue_clone`, anything else (a Tokio timer, the I/O
//!   driver, `tokio::sync`, a `futures` channel, another runtime's task, a
//!   plain thread) takes a counted one. So `tokio::time::timeout(d, rx.recv())`
//!   or a `tokio::select!` over a receive and a socket is awake while its
//!   timer or socket holds the waker, and blocked again once only the channel
//!   wait remains.
//!
//! A foreign clone that is never woken nor dropped (a stale waker in some
//! structure) keeps the goroutine awake: a missed report, never a false one.
//!
//! # The rule
//! A csp runtime is deadlocked when, for a whole confirmation window
//! ([`CONFIRM`], 100 ms), all of the following hold and nothing changes:
//! 1. a `run`/`block_on` call is in progress on it (once main returns, blocked
//!    goroutines are leaks, not a deadlock: Go exits there too);
//! 2. every live goroutine, main included, is blocked (above);
//! 3. every worker thread is parked (Tokio's `on_thread_park`), and no worker
//!    unparked during the window, so no woken goroutine is waiting to be
//!    polled;
//! 4. the runtime has no Tokio task that is not a goroutine (`tokio::spawn`
//!    tasks are invisible to the registry, so they count as possible wakers);
//! 5. no external waker exists anywhere in the process (see below).
//!
//! "Nothing changes" means: the registry generation (bumped by every spawn,
//! exit and wait-reason change), the external-waker generation and the
//! workers' unpark count read the same at both ends of the window, and both
//! readings find no goroutine awake.
//!
//! # Plain threads and other runtimes
//! A plain thread that calls csp's `*_blocking` methods parks with its own
//! waker, and wakes goroutines through the wakers csp's queues hold, which do
//! not count. So plain threads are counted as possible wakers themselves:
//! - a plain OS thread (outside every Tokio runtime) counts from its first
//!   `*_blocking` call until it exits (a thread-local registration), except
//!   while it is itself parked inside a `*_blocking` call on a csp primitive,
//!   or driving a runtime's main goroutine (`Runtime::run`/`block_on`). A
//!   thread of a runtime's blocking pool is not registered: each
//!   `blocking(..)` closure holds an [`ExternalWaker`] for its whole run.
//! - csp timers (`after`, `tick`, `sleep`, `Timer`) hold an [`ExternalWaker`]
//!   while they may fire.
//!
//! The one case a user must mark: a plain thread (or a goroutine of *another*
//! csp runtime: each runtime sees only its own goroutines) that will feed
//! this runtime's channels before its first `*_blocking` call (it sleeps
//! first, or only uses `try_send`/`try_recv`) holds no waker csp can see.
//! Give it an [`ExternalWaker`] ([`external_waker()`]), created before it
//! starts and moved into it.
//!
//! # When it looks
//! The worker that parks last, while every goroutine has parked in csp,
//! kicks the watchdog; otherwise the watchdog looks every [`POLL`] (200 ms).
//! A deadlock is reported [`CONFIRM`] after the first look that sees it:
//! about 0.1 s after the last goroutine parks, 0.3 s at worst.
//!
//! # Invariants
//! - The channel hot path is untouched: an operation that completes without
//!   parking adds no atomic. A park stores a queue clone of the waker (one
//!   reference count, as Tokio's own clone); a goroutine's poll and wake add
//!   nothing but a pointer comparison (a `block_on` main's add a store
//!   each: `polling`, `notified`). The wrapper adds one atomic
//!   add per wait-reason *change* (not per poll) and two per spawn and per
//!   exit; workers add two atomic adds per park/unpark. Reading "every
//!   goroutine awake or not" is O(n), done by the watchdog only when every
//!   goroutine has parked in csp.
//! - A runtime reports at most once; the watchdog thread then exits. It also
//!   exits when the runtime is dropped ([`Detector::shutdown`]).
//!
//! # Locking
//! - `Detector::kick` protects the "look now" flag; held only to set, read or
//!   wait on it, never while reading the registry or reporting.

// Loom models never build a Runtime, so the watchdog side is unused there.
#![cfg_attr(loom, allow(dead_code))]

use std::cell::Cell;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::dump;
use super::registry::{GoroutineInfo, Registry};
use crate::loom::unmodeled::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::loom::Arc;
use crate::runtime::context::{Context, PanicMode};

/// How long a deadlock must persist, unchanged, before it is reported.
pub(crate) const CONFIRM: Duration = Duration::from_millis(100);
/// How often the watchdog looks without being kicked (a goroutine exit, an
/// external waker dropped or a thread exiting can complete a deadlock).
const POLL: Duration = Duration::from_millis(200);

/// Live external wakers: [`ExternalWaker`] guards plus counted plain threads.
static EXTERNAL: AtomicUsize = AtomicUsize::new(0);
/// Bumped on every change of [`EXTERNAL`].
static EXTERNAL_GENERATION: AtomicU64 = AtomicU64::new(0);

fn external_add() {
    EXTERNAL.fetch_add(1, Ordering::SeqCst);
    EXTERNAL_GENERATION.fetch_add(1, Ordering::SeqCst);
}

fn external_sub() {
    EXTERNAL.fetch_sub(1, Ordering::SeqCst);
    EXTERNAL_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// A guard that tells the deadlock detector that something outside the
/// goroutines may still wake one: while any is alive, no runtime reports a
/// deadlock.
///
/// Go needs no such thing: every party to a Go channel is a goroutine the
/// runtime can see. In csp a plain OS thread can hold a channel end too; the
/// detector counts a thread from its first `*_blocking` call on, but a thread
/// that sleeps first, or only uses `try_send`/`try_recv`, is invisible to it.
/// Create the guard before the thread starts and move it in, so it lives
/// exactly as long as the thread may send. csp's timers hold one per pending
/// timer. The guard is process-wide: it holds back every runtime's detector.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// csp_core::run(async {
///     let (tx, rx) = csp_core::chan::<u32>(0);
///     let waker = csp_core::external_waker();
///     std::thread::spawn(move || {
///         let _waker = waker; // held for the thread's whole life
///         std::thread::sleep(Duration::from_millis(150));
///         tx.send_blocking(7).unwrap();
///     });
///     assert_eq!(rx.recv().await, Some(7)); // not reported as a deadlock
/// });
/// ```
#[derive(Debug)]
#[must_use = "the detector is held back only while the guard is alive"]
pub struct ExternalWaker {
    _counted: (),
}

impl ExternalWaker {
    /// Counts a new external waker; see [`external_waker()`].
    pub fn new() -> Self {
        external_add();
        ExternalWaker { _counted: () }
    }
}

impl Default for ExternalWaker {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ExternalWaker {
    fn drop(&mut self) {
        external_sub();
    }
}

/// Declares a possible waker outside the goroutines (a plain thread feeding a
/// channel) until the returned guard drops; see [`ExternalWaker`].
///
/// No Go equivalent (Go sees all parties of a channel); this is what keeps
/// csp's deadlock detector free of false reports when plain threads take part.
pub fn external_waker() -> ExternalWaker {
    ExternalWaker::new()
}

/// A plain thread's registration as an external waker.
struct ThreadWaker {
    /// Registered (first `*_blocking` call seen).
    registered: Cell<bool>,
    /// Currently counted in [`EXTERNAL`] (registered and not asleep).
    counted: Cell<bool>,
}

impl Drop for ThreadWaker {
    fn drop(&mut self) {
        if self.counted.get() {
            external_sub();
        }
    }
}

thread_local! {
    static THREAD: ThreadWaker = const {
        ThreadWaker { registered: Cell::new(false), counted: Cell::new(false) }
    };
}

/// Registers this plain thread as an external waker until it exits
/// (idempotent). Called by the `*_blocking` methods outside any runtime.
pub(crate) fn register_plain_thread() {
    let _ = THREAD.try_with(|t| {
        if !t.registered.replace(true) {
            t.counted.set(true);
            external_add();
        }
    });
}

/// While alive, this thread does not count as an external waker: it is
/// parked in a csp primitive, or driving a runtime's main goroutine.
pub(crate) struct ThreadAsleep {
    resume: bool,
}

/// Stops counting this thread until the guard drops (no-op if not counted).
pub(crate) fn thread_asleep() -> ThreadAsleep {
    let resume = THREAD
        .try_with(|t| {
            let was = t.counted.replace(false);
            if was {
                external_sub();
            }
            was
        })
        .unwrap_or(false);
    ThreadAsleep { resume }
}

impl Drop for ThreadAsleep {
    fn drop(&mut self) {
        if self.resume {
            let _ = THREAD.try_with(|t| {
                t.counted.set(true);
                external_add();
            });
        }
    }
}

/// One runtime's deadlock detector: the idle-worker bookkeeping fed by
/// Tokio's park hooks, and the watchdog thread that confirms and reports.
#[derive(Debug)]
pub(crate) struct Detector {
    registry: Arc<Registry>,
    /// The runtime's worker count.
    workers: usize,
    /// Workers parked right now.
    parked: AtomicUsize,
    /// Worker unparks so far.
    unparks: AtomicU64,
    /// `run`/`block_on` calls in progress (detection is armed while > 0).
    runs: AtomicUsize,
    /// Registered goroutines that are not Tokio tasks (`block_on` mains).
    off_task_goroutines: AtomicUsize,
    /// Tokio tasks csp itself runs on the runtime (the SIGQUIT listener).
    own_tasks: AtomicUsize,
    /// Set by `shutdown`.
    stop: AtomicBool,
    /// "Look now" flag for the watchdog; see the module's `# Locking`.
    kick: Mutex<bool>,
    kicked: Condvar,
    watchdog: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What must not change during the confirmation window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reading {
    generation: u64,
    external_generation: u64,
    unparks: u64,
}

impl Detector {
    pub(crate) fn new(registry: Arc<Registry>, workers: usize) -> Self {
        Detector {
            registry,
            workers,
            parked: AtomicUsize::new(0),
            unparks: AtomicU64::new(0),
            runs: AtomicUsize::new(0),
            off_task_goroutines: AtomicUsize::new(0),
            own_tasks: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            kick: Mutex::new(false),
            kicked: Condvar::new(),
            watchdog: Mutex::new(None),
        }
    }

    /// Tokio's `on_thread_park`: a worker goes idle. The last one to go idle
    /// while every goroutine waits kicks the watchdog.
    pub(crate) fn on_park(&self) {
        let parked = self.parked.fetch_add(1, Ordering::SeqCst) + 1;
        if parked == self.workers
            && self.runs.load(Ordering::SeqCst) > 0
            && EXTERNAL.load(Ordering::SeqCst) == 0
            && self.registry.all_waiting().is_some()
        {
            *self.kick.lock().unwrap_or_else(PoisonError::into_inner) = true;
            self.kicked.notify_one();
        }
    }

    /// Tokio's `on_thread_unpark`.
    pub(crate) fn on_unpark(&self) {
        self.parked.fetch_sub(1, Ordering::SeqCst);
        self.unparks.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a Tokio task csp runs on the runtime that is not a goroutine.
    #[cfg_attr(not(all(feature = "signal", unix)), allow(dead_code))]
    pub(crate) fn add_own_task(&self) {
        self.own_tasks.fetch_add(1, Ordering::SeqCst);
    }

    /// Arms detection for the duration of a `run` (`off_task == false`) or
    /// `block_on` (`true`: main is polled on the caller's thread, not as a
    /// Tokio task). The calling thread stops counting as an external waker.
    pub(crate) fn arm(self: &std::sync::Arc<Self>, off_task: bool) -> Armed {
        if off_task {
            self.off_task_goroutines.fetch_add(1, Ordering::SeqCst);
        }
        self.runs.fetch_add(1, Ordering::SeqCst);
        Armed {
            detector: self.clone(),
            off_task,
            _asleep: thread_asleep(),
        }
    }

    /// Starts the watchdog thread of the runtime described by `ctx`.
    pub(crate) fn start(
        self: &std::sync::Arc<Self>,
        ctx: Arc<Context>,
        handle: tokio::runtime::Handle,
    ) -> std::io::Result<()> {
        let this = self.clone();
        let thread = std::thread::Builder::new()
            .name("csp-deadlock".into())
            .spawn(move || this.watch(&ctx, &handle))?;
        *self.watchdog.lock().unwrap_or_else(PoisonError::into_inner) = Some(thread);
        Ok(())
    }

    /// Stops the watchdog and waits for it (runtime drop).
    pub(crate) fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        *self.kick.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.kicked.notify_all();
        let thread = self
            .watchdog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }

    /// The watchdog: wait for a kick (or [`POLL`]), read, wait [`CONFIRM`],
    /// read again; report if both readings show the same deadlock.
    fn watch(&self, ctx: &Context, handle: &tokio::runtime::Handle) {
        loop {
            if self.sleep(POLL, true) {
                return;
            }
            let Some(first) = self.reading(handle) else {
                continue;
            };
            if self.sleep(CONFIRM, false) {
                return;
            }
            if self.reading(handle) != Some(first) {
                continue;
            }
            let infos = self.registry.snapshot();
            if infos.is_empty() || infos.iter().any(|g| g.wait_reason().is_none()) {
                continue;
            }
            report(ctx, &infos);
            return;
        }
    }

    /// Sleeps up to `timeout` (until a kick if `kickable`); true if stopped.
    fn sleep(&self, timeout: Duration, kickable: bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut kicked = self.kick.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return true;
            }
            if kickable && std::mem::take(&mut *kicked) {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            kicked = self
                .kicked
                .wait_timeout(kicked, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The state to confirm, if the rule's conditions 1-5 hold right now.
    fn reading(&self, handle: &tokio::runtime::Handle) -> Option<Reading> {
        if self.runs.load(Ordering::SeqCst) == 0
            || self.parked.load(Ordering::SeqCst) != self.workers
            || EXTERNAL.load(Ordering::SeqCst) != 0
        {
            return None;
        }
        let generation = self.registry.all_waiting()?;
        if self.registry.any_awake() {
            return None;
        }
        let tasks = self.registry.live() - self.off_task_goroutines.load(Ordering::SeqCst)
            + self.own_tasks.load(Ordering::SeqCst);
        if handle.metrics().num_alive_tasks() > tasks {
            return None;
        }
        Some(Reading {
            generation,
            external_generation: EXTERNAL_GENERATION.load(Ordering::SeqCst),
            unparks: self.unparks.load(Ordering::SeqCst),
        })
    }
}

/// Keeps detection armed during a `run`/`block_on`; see [`Detector::arm`].
pub(crate) struct Armed {
    detector: std::sync::Arc<Detector>,
    off_task: bool,
    _asleep: ThreadAsleep,
}

impl Drop for Armed {
    fn drop(&mut self) {
        self.detector.runs.fetch_sub(1, Ordering::SeqCst);
        if self.off_task {
            self.detector
                .off_task_goroutines
                .fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Reports a confirmed deadlock: a `tracing` error event, then Go's exit
/// (stderr, status 2) or, under `#[csp::test]`, a failed test.
fn report(ctx: &Context, infos: &[GoroutineInfo]) {
    let text = dump::deadlock_report(infos, Instant::now());
    tracing::error!(target: "csp::deadlock", goroutines = infos.len(), "{text}");
    match ctx.registry.panic_mode() {
        PanicMode::Report(report_to) => report_to(text),
        PanicMode::Exit | PanicMode::Propagate => {
            use std::io::Write;
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{text}");
            let _ = stderr.flush();
            std::process::exit(2)
        }
    }
}
