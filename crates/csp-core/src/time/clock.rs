//! The timer engine behind [`Timer`](super::Timer), [`Ticker`](super::Ticker),
//! [`after`](super::after) and [`tick`](super::tick): a control block shared
//! by the handle and one timer task that sleeps until the deadline and
//! delivers `Instant::now()` into a capacity-1 channel.
//!
//! # Invariants
//! - `running` is true exactly while a timer task for this block is alive
//!   (set before spawning, cleared by the task under the lock as it exits,
//!   or by its guard if the runtime drops it unfinished); at most one task
//!   per block.
//! - The task delivers only if, under the lock, the deadline it slept for is
//!   still the current one; so `stop`/`reset` (which change the deadline
//!   under the lock) are never followed by a stale delivery of the old
//!   deadline.
//! - The channel has one sender count that no handle owns, so it never
//!   closes for lack of senders (Go's timer channels are never closed).
//! - After a delivery the deadline becomes `None` (one-shot) or the next
//!   multiple of the period after now (periodic; missed ticks are skipped).
//!
//! # Locking
//! `state` is held for short sections; a delivery (`try_send`, which takes the
//! channel lock and wakes the receiver) happens under it. Handles change the
//! deadline under it and then call `notify_one`, whose stored permit the
//! task consumes even if it was not waiting yet.

use std::future::poll_fn;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant as TokioInstant;

use super::PendingTimer;
use crate::chan::{Receiver, Sender};

#[derive(Debug)]
struct State {
    deadline: Option<TokioInstant>,
    period: Option<Duration>,
    running: bool,
}

/// The control block of one timer or ticker.
#[derive(Debug)]
pub(super) struct Clock {
    state: Mutex<State>,
    notify: Notify,
}

impl Clock {
    /// Starts a timer (`period == None`) or ticker delivering into a new
    /// capacity-1 channel. The first delivery is `first` from now.
    ///
    /// Panics outside a Tokio runtime (it spawns the timer task).
    #[track_caller]
    pub(super) fn start(
        first: Duration,
        period: Option<Duration>,
    ) -> (Arc<Clock>, Sender<Instant>, Receiver<Instant>) {
        let (tx, rx) = crate::chan::chan(1);
        // A permanent phantom sender (a count without a handle): Go never
        // closes a timer channel, so the end of the timer task must not
        // close it either. Dropping every receiver still closes it (that is
        // how the task learns it is abandoned) and frees it as usual.
        tx.chan.add_sender();
        let clock = Arc::new(Clock {
            state: Mutex::new(State {
                deadline: Some(TokioInstant::now() + first),
                period,
                running: true,
            }),
            notify: Notify::new(),
        });
        spawn_task(clock.clone(), tx.clone());
        (clock, tx, rx)
    }

    /// Stops future deliveries and drains an undelivered value from `rx`.
    /// Returns whether this stopped an active timer (a pending deadline, or a
    /// delivered value nobody had received yet).
    pub(super) fn stop(&self, rx: &Receiver<Instant>) -> bool {
        let mut state = self.state.lock();
        let active = state.deadline.take().is_some();
        let drained = rx.try_recv().is_ok();
        drop(state);
        self.notify.notify_one();
        active || drained
    }

    /// Re-arms: next delivery `d` from now, then every `period` if given
    /// (tickers pass their new period; timers `None`). Drains an undelivered
    /// value. Returns what [`Clock::stop`] would have.
    #[track_caller]
    pub(super) fn reset(
        self: &Arc<Self>,
        d: Duration,
        period: Option<Duration>,
        tx: &Sender<Instant>,
        rx: &Receiver<Instant>,
    ) -> bool {
        let mut state = self.state.lock();
        let active = state.deadline.is_some();
        let drained = rx.try_recv().is_ok();
        state.deadline = Some(TokioInstant::now() + d);
        state.period = period;
        let respawn = !state.running;
        state.running = true;
        drop(state);
        if respawn {
            spawn_task(self.clone(), tx.clone());
        } else {
            self.notify.notify_one();
        }
        active || drained
    }
}

#[track_caller]
fn spawn_task(clock: Arc<Clock>, tx: Sender<Instant>) {
    let guard = TaskGuard {
        clock: clock.clone(),
        exited: false,
        _pending: PendingTimer::new(),
    };
    // Timer tasks are runtime machinery, not goroutines (Go's timers are not
    // goroutines either): plain Tokio tasks, invisible to the registry.
    drop(tokio::spawn(run(clock, tx, guard)));
}

/// Owned by the timer task; its drop takes the task's pending-timer count
/// away. If the task is dropped unfinished (its runtime shut down), the drop
/// also marks the block as having no task, so a later `reset` spawns one.
struct TaskGuard {
    clock: Arc<Clock>,
    /// Set by [`exit`], under the lock, when the task leaves on its own; then
    /// `running` is already false and a `reset` may have set it again for a
    /// new task, which the drop must not undo.
    exited: bool,
    _pending: PendingTimer,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if !self.exited {
            self.clock.state.lock().running = false;
        }
    }
}

/// The task leaves on its own; the caller holds the lock.
fn exit(state: &mut State, guard: &mut TaskGuard) {
    state.deadline = None;
    state.running = false;
    guard.exited = true;
}

/// The timer task: sleep until the deadline, deliver, repeat while periodic.
async fn run(clock: Arc<Clock>, tx: Sender<Instant>, mut guard: TaskGuard) {
    let chan = tx.chan.clone();
    loop {
        let deadline = {
            let mut state = clock.state.lock();
            match state.deadline {
                Some(d) => d,
                None => return exit(&mut state, &mut guard),
            }
        };
        let notified = clock.notify.notified();
        tokio::select! {
            biased;
            () = poll_fn(|cx| chan.poll_closed(cx)) => {
                return exit(&mut clock.state.lock(), &mut guard);
            }
            () = notified => continue,
            () = tokio::time::sleep_until(deadline) => {}
        }
        let mut state = clock.state.lock();
        if state.deadline != Some(deadline) {
            continue; // stopped or reset meanwhile
        }
        let now = TokioInstant::now();
        if tx.try_send(now.into_std()).is_err_and(|e| e.is_closed()) {
            return exit(&mut state, &mut guard);
        }
        // Full: the reader has not taken the last tick; drop this one (Go).
        state.deadline = state.period.map(|p| next_tick(deadline, p, now));
    }
}

/// The first multiple of `period` after `deadline` that is later than `now`.
fn next_tick(deadline: TokioInstant, period: Duration, now: TokioInstant) -> TokioInstant {
    let next = deadline + period;
    if next > now {
        return next;
    }
    let behind = (now - deadline).as_nanos() % period.as_nanos();
    now + (period - Duration::from_nanos(behind as u64))
}
