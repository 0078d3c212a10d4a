//! [`Once`]: Go's `sync.Once`, an action performed exactly once even under
//! concurrent callers, the others waiting until it has completed.
//!
//! # Invariants
//! - `phase` goes `Incomplete → Running → Done`, and `Running → Incomplete`
//!   only when the running call's future is dropped before finishing
//!   (cancellation, which Go does not have). `Done` is final.
//! - Exactly one caller sees `Incomplete` and moves it to `Running`: that
//!   caller runs the action; every other caller parks in `waiters` while the
//!   phase is `Running`.
//! - Leaving `Running` drains `waiters`, selecting and waking every token;
//!   woken callers look at the phase again (return on `Done`, compete to run
//!   on `Incomplete`).
//! - A panic in the action counts as done, as in Go: the action is not run
//!   again and the waiters return.
//!
//! # Locking
//! `state` is a short `parking_lot` critical section; the action never runs
//! under it, and tokens are woken after it is released.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use csp_core::goroutine::WaitReason;
use csp_core::waiter::Token;

use crate::waitlist::{release_all, ListWait, WaitList};
use parking_lot::Mutex as PlainMutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Incomplete,
    Running,
    Done,
}

#[derive(Debug)]
pub(crate) struct State {
    phase: Phase,
    waiters: Vec<Arc<Token>>,
}

/// Performs an action exactly once: Go's `sync.Once`.
///
/// Go's `once.Do(f)` is `once.call_once(|| async { ... }).await`. The first
/// caller runs the action; callers that arrive while it runs wait until it has
/// finished (so they all observe its effects), and later callers return at
/// once.
///
/// # Panics in the action
/// As in Go, if the action panics, the `Once` counts as done: the panic
/// propagates to the caller that ran it, the waiting callers return, and the
/// action is never run again.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// let once = csp_sync::Once::new();
/// let mut runs = 0;
/// for _ in 0..3 {
///     once.call_once(|| async { runs += 1 }).await;
/// }
/// assert_eq!(runs, 1);
/// assert!(once.is_completed());
/// # });
/// ```
pub struct Once {
    state: PlainMutex<State>,
}

enum Enter {
    Run,
    Wait,
    Done,
}

impl Once {
    /// A new `Once` whose action has not run (Go's zero `sync.Once`).
    pub const fn new() -> Self {
        Self {
            state: PlainMutex::new(State {
                phase: Phase::Incomplete,
                waiters: Vec::new(),
            }),
        }
    }

    /// Whether the action has completed (or panicked).
    pub fn is_completed(&self) -> bool {
        self.state.lock().phase == Phase::Done
    }

    /// Runs `f().await` if no call has run it yet: Go's `once.Do(f)`.
    ///
    /// If another caller is running the action, waits until it finishes; a
    /// goroutine parked here is reported as blocked in `sync.Once.Do`.
    ///
    /// # Panics
    /// Propagates a panic of the action to the caller that ran it; the `Once`
    /// then counts as done (Go's rule).
    ///
    /// # Cancel safety
    /// A waiting caller's future may be dropped freely. If the future of the
    /// caller *running* the action is dropped before the action finishes, the
    /// action is abandoned and the `Once` goes back to not done: the next
    /// caller (a waiting one, woken for this) runs the action from the start.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// static INIT: csp_sync::Once = csp_sync::Once::new();
    /// let runs = Arc::new(AtomicUsize::new(0));
    /// let mut handles = Vec::new();
    /// for _ in 0..4 {
    ///     let runs = runs.clone();
    ///     handles.push(tokio::spawn(async move {
    ///         INIT.call_once(|| async { runs.fetch_add(1, Ordering::SeqCst); }).await;
    ///         assert_eq!(runs.load(Ordering::SeqCst), 1); // everyone sees the effect
    ///     }));
    /// }
    /// for h in handles {
    ///     h.await.unwrap();
    /// }
    /// # });
    /// ```
    #[track_caller]
    pub fn call_once<'a, F, Fut>(&'a self, f: F) -> impl Future<Output = ()> + 'a
    where
        F: FnOnce() -> Fut + 'a,
        Fut: Future<Output = ()> + 'a,
    {
        let at = Location::caller();
        async move {
            let mut f = Some(f);
            loop {
                match self.enter() {
                    Enter::Done => return,
                    Enter::Run => {
                        let running = Running { once: self };
                        let action = f.take().expect("a caller runs the action at most once");
                        action().await;
                        running.finish(Phase::Done);
                        return;
                    }
                    Enter::Wait => ListWait::new(self, at).await,
                }
            }
        }
    }

    fn enter(&self) -> Enter {
        let mut state = self.state.lock();
        match state.phase {
            Phase::Done => Enter::Done,
            Phase::Running => Enter::Wait,
            Phase::Incomplete => {
                state.phase = Phase::Running;
                Enter::Run
            }
        }
    }
}

impl Default for Once {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_completed())
            .finish()
    }
}

/// Held by the caller running the action; leaves `Running` however the run
/// ends (finished, panicked, or cancelled).
struct Running<'a> {
    once: &'a Once,
}

impl Running<'_> {
    fn finish(self, phase: Phase) {
        let once = self.once;
        std::mem::forget(self);
        once.leave_running(phase);
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        // Unwinding from the action: done, as in Go. Otherwise the future was
        // dropped mid-action: let another caller run it.
        let phase = if std::thread::panicking() {
            Phase::Done
        } else {
            Phase::Incomplete
        };
        self.once.leave_running(phase);
    }
}

impl Once {
    /// Leaves `Running` for `phase` and releases every waiter.
    fn leave_running(&self, phase: Phase) {
        let waiters = {
            let mut state = self.state.lock();
            state.phase = phase;
            std::mem::take(&mut state.waiters)
        };
        release_all(waiters);
    }
}

/// Callers wait until the phase leaves `Running`.
impl WaitList for Once {
    type State = State;
    const REASON: WaitReason = WaitReason::OnceWait;

    fn mutex(&self) -> &PlainMutex<State> {
        &self.state
    }

    fn must_wait<'s>(&self, state: &'s mut State) -> Option<&'s mut Vec<Arc<Token>>> {
        (state.phase == Phase::Running).then_some(&mut state.waiters)
    }

    fn list<'s>(&self, state: &'s mut State) -> &'s mut Vec<Arc<Token>> {
        &mut state.waiters
    }
}
