//! [`after_func`]: Go's `time.AfterFunc`, a timer that runs a function in
//! its own goroutine instead of sending on a channel.
//!
//! # Invariants
//! - `armed` is `Some` exactly while a call of `f` is scheduled: set by
//!   arming (`after_func`, `reset`), taken by whoever ends the schedule
//!   first under the mutex: the timer task (which then starts `f`) or
//!   `stop`/`reset` (which then abort the task). So `stop` returns `true`
//!   exactly when it prevented a call, and each arming calls `f` at most once.
//! - A scheduled call holds a `PendingTimer` (inside `armed`), so goroutines
//!   waiting for what `f` will do are not reported as deadlocked.
//!
//! # Locking
//! One short mutex per timer; nothing is woken or aborted while it is held.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use super::PendingTimer;

/// The scheduled call of one arming.
struct Armed {
    /// Which arming this is: the timer task checks it is still current.
    generation: u64,
    task: Option<AbortHandle>,
    _pending: PendingTimer,
}

struct Shared {
    f: Box<dyn Fn() + Send + Sync>,
    handle: Handle,
    state: Mutex<State>,
}

struct State {
    generation: u64,
    armed: Option<Armed>,
}

/// A timer that calls a function when it expires: Go's `*time.Timer` made by
/// [`time.AfterFunc`](after_func).
///
/// | Go | csp |
/// |---|---|
/// | `t := time.AfterFunc(d, f)` | `let t = after_func(d, f);` |
/// | `t.Stop()` | `t.stop()` |
/// | `t.Reset(d)` | `t.reset(d)` |
///
/// Dropping the handle does not cancel the call (a Go timer runs its
/// function whether or not anyone still references it).
pub struct AfterFunc {
    shared: Arc<Shared>,
}

/// Calls `f` in its own goroutine once `d` has passed: Go's
/// `time.AfterFunc(d, f)`. Returns the handle that can [`stop`](AfterFunc::stop)
/// or [`reset`](AfterFunc::reset) the call.
///
/// `f` is `Fn`, not `FnOnce`: [`reset`](AfterFunc::reset) may schedule it
/// again after it ran, as in Go. A `d` past about 30 years (up to
/// `Duration::MAX`) saturates: the call never comes in practice.
///
/// # Panics
/// Outside a Tokio runtime (the call is scheduled on the current one).
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// use std::time::Duration;
/// let (tx, rx) = csp_core::chan::<&str>(1);
/// let _t = csp_core::time::after_func(Duration::from_millis(5), move || {
///     let _ = tx.try_send("fired");
/// });
/// assert_eq!(rx.recv().await, Some("fired"));
///
/// let never = csp_core::time::after_func(Duration::from_secs(3600), || unreachable!());
/// assert!(never.stop(), "stopped before the call: it will not happen");
/// assert!(!never.stop(), "already stopped");
/// # });
/// ```
#[track_caller]
pub fn after_func<F>(d: Duration, f: F) -> AfterFunc
where
    F: Fn() + Send + Sync + 'static,
{
    let shared = Arc::new(Shared {
        f: Box::new(f),
        handle: super::current_handle("time::after_func"),
        state: Mutex::new(State {
            generation: 0,
            armed: None,
        }),
    });
    arm(&shared, d);
    AfterFunc { shared }
}

impl AfterFunc {
    /// Prevents the call: Go's `t.Stop()`. Returns `true` if this stopped a
    /// scheduled call (it will not happen), `false` if the call had already
    /// started (it runs to completion; Go does not wait for it either) or
    /// the timer was already stopped.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::time::Duration;
    /// let t = csp_core::time::after_func(Duration::from_secs(3600), || {});
    /// assert!(t.stop());
    /// # });
    /// ```
    pub fn stop(&self) -> bool {
        let armed = self.shared.state.lock().armed.take();
        match armed {
            Some(armed) => {
                if let Some(task) = armed.task {
                    task.abort();
                }
                true
            }
            None => false,
        }
    }

    /// Schedules the call `d` from now, replacing a scheduled one: Go's
    /// `t.Reset(d)`. Returns whether a call was scheduled (and is now
    /// replaced). After the call ran, `reset` schedules it again.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let counter = calls.clone();
    /// let (tx, rx) = csp_core::chan::<()>(2);
    /// let t = csp_core::time::after_func(Duration::from_secs(3600), move || {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    ///     let _ = tx.try_send(());
    /// });
    /// assert!(t.reset(Duration::from_millis(1)), "the hour-long call was replaced");
    /// rx.recv().await;
    /// assert!(!t.reset(Duration::from_millis(1)), "it had run: nothing replaced");
    /// rx.recv().await;
    /// assert_eq!(calls.load(Ordering::SeqCst), 2);
    /// # });
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        let was = self.stop();
        arm(&self.shared, d);
        was
    }
}

/// Schedules one call of `f`, `d` from now.
fn arm(shared: &Arc<Shared>, d: Duration) {
    let generation = {
        let mut state = shared.state.lock();
        state.generation += 1;
        state.armed = Some(Armed {
            generation: state.generation,
            task: None,
            _pending: PendingTimer::new(),
        });
        state.generation
    };
    let timer = shared.clone();
    let task = shared.handle.spawn(async move {
        tokio::time::sleep(d).await;
        let mine = {
            let mut state = timer.state.lock();
            match &state.armed {
                Some(armed) if armed.generation == generation => state.armed.take(),
                _ => None,
            }
        };
        if mine.is_some() {
            let call = timer.clone();
            // Go: "AfterFunc waits for the duration to elapse and then calls
            // f in its own goroutine".
            drop(crate::go(async move { (call.f)() }));
        }
    });
    let mut state = shared.state.lock();
    match &mut state.armed {
        Some(armed) if armed.generation == generation => armed.task = Some(task.abort_handle()),
        // Already stopped or fired: the task ends (or ended) on its own.
        _ => {}
    }
}

impl std::fmt::Debug for AfterFunc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterFunc")
            .field("scheduled", &self.shared.state.lock().armed.is_some())
            .finish()
    }
}
