//! The timer engine behind [`Timer`](super::Timer), [`Ticker`](super::Ticker),
//! [`after`](super::after) and [`tick`](super::tick): Go 1.23's timer
//! channels. A timer channel is an unbuffered csp channel whose state holds a
//! [`Clock`] (its [`TimedSource`]): a receive finds a value when the deadline
//! has passed, checked when it looks, so an expired timer is ready at once
//! and a select among ready cases picks it with its fair share. Tokio's timer
//! is involved only while a receiver is parked on the channel.
//!
//! # Invariants
//! - `armed_for` is the deadline a live Tokio registration (`sleep`) or an
//!   in-flight fire task stands for; `pending` (a count that vetoes the
//!   deadlock report) is held exactly while `armed_for` is set.
//! - `fire`'s Tokio registration keeps the channel alive (the waker holds
//!   it), so the channel breaks that cycle when it closes: it drops its
//!   source (`State::close`). A timer channel closes only when its last
//!   receiver goes (a handle-less sender count keeps it open otherwise, as
//!   Go never closes a timer channel).
//! - A deadline change (`stop`, `reset`, a one-shot value taken, a tick
//!   taken) happens under the channel lock, and a value is made only when
//!   taken: no stale value can be received after `stop` or `reset` returns.
//!
//! # Locking
//! Every `Clock` method runs under its channel's lock (it lives in the
//! channel state). See [`crate::chan::timed`] for the Tokio timer's lock and
//! the one task spawned under the channel lock.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::time::Instant as TokioInstant;

use super::{deadline_after, PendingTimer, FAR};
use crate::chan::core::Chan;
use crate::chan::timed::TimedSource;
use crate::chan::Receiver;
use crate::loom::Arc;

/// The deadline-driven value source of one timer or ticker channel.
pub(super) struct Clock {
    deadline: Option<TokioInstant>,
    /// `Some` for a ticker.
    period: Option<Duration>,
    /// The waker registered with Tokio's timer: it fires the channel.
    fire: Waker,
    /// The runtime whose timer this channel uses (the creator's).
    handle: Handle,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    armed_for: Option<TokioInstant>,
    pending: Option<PendingTimer>,
    /// When the last `stop` or `reset` ran (else the start), and whether a
    /// value was made since: what [`TimedSource::is_current`] checks.
    changed_at: TokioInstant,
    made: bool,
}

/// Makes a timer channel: first value due `first` from now, then every
/// `period` if given (both saturated, see [`super::FAR`]). `what` names the
/// public function for the panic message.
///
/// Panics outside a Tokio runtime (the channel uses the current runtime's
/// timer).
#[track_caller]
pub(super) fn start(what: &str, first: Duration, period: Option<Duration>) -> Receiver<Instant> {
    let handle = super::current_handle(what);
    let (tx, rx) = crate::chan::chan::<Instant>(0);
    // A sender count without a handle: the channel never closes for lack of
    // senders (Go never closes a timer channel).
    tx.chan.add_sender();
    let fire = Waker::from(StdArc::new(Fire {
        chan: tx.chan.clone(),
        handle: handle.clone(),
    }));
    drop(tx);
    let now = TokioInstant::now();
    let clock = Clock {
        deadline: Some(deadline_after(now, first)),
        period: period.map(|p| p.min(FAR)),
        fire,
        handle,
        sleep: None,
        armed_for: None,
        pending: None,
        changed_at: now,
        made: false,
    };
    rx.chan.lock().timer = Some(Box::new(clock));
    rx
}

/// Go's `Stop` on the timer channel `chan`: see [`TimedSource::stop`]. A
/// value a dropped receive gave back was not received: it is discarded, and
/// this call stopped the timer.
pub(super) fn stop(chan: &Chan<Instant>) -> bool {
    let mut state = chan.lock();
    let unread = state.discard_given_back();
    state.timer.as_mut().is_some_and(|t| t.stop()) || unread
}

/// Go's `Reset`: next value due `d` from now (then every `period` if given);
/// returns whether a deadline was set before.
pub(super) fn reset(chan: &Chan<Instant>, d: Duration, period: Option<Duration>) -> bool {
    let mut state = chan.lock();
    let parked = !state.recvq.is_empty();
    let unread = state.discard_given_back();
    let Some(timer) = state.timer.as_mut() else {
        return false; // closed: every receiver is gone
    };
    let was = timer.reset(
        deadline_after(TokioInstant::now(), d),
        period.map(|p| p.min(FAR)),
    ) || unread;
    if parked {
        timer.arm();
    }
    was
}

impl TimedSource<Instant> for Clock {
    fn pending(&self) -> bool {
        self.deadline.is_some()
    }

    fn take_due(&mut self, now: TokioInstant) -> Option<Instant> {
        match self.deadline {
            Some(deadline) if now >= deadline => {
                self.deadline = self.period.map(|p| next_tick(deadline, p, now));
                self.made = true;
                Some(now.into_std())
            }
            _ => None,
        }
    }

    fn untake(&mut self, deadline: Option<TokioInstant>) {
        self.deadline = deadline;
    }

    fn deadline(&self) -> Option<TokioInstant> {
        self.deadline
    }

    fn arm(&mut self) {
        let Some(deadline) = self.deadline else {
            return self.disarm();
        };
        if self.armed_for == Some(deadline) {
            return;
        }
        // First, as it may panic (a runtime without its time driver): the
        // clock then stays disarmed.
        let mut sleep = {
            let _runtime = self.handle.enter();
            Box::pin(tokio::time::sleep_until(deadline))
        };
        self.pending.get_or_insert_with(PendingTimer::new);
        self.armed_for = Some(deadline);
        let mut cx = Context::from_waker(&self.fire);
        // Unconstrained: registering must not spend (or be refused by) the
        // cooperative budget of whichever task is parking.
        let mut poll = tokio::task::unconstrained(sleep.as_mut());
        if Pin::new(&mut poll).poll(&mut cx).is_ready() {
            // Already due: fire from a task (see the module's locking notes).
            self.sleep = None;
            self.fire.wake_by_ref();
        } else {
            self.sleep = Some(sleep);
        }
    }

    fn disarm(&mut self) {
        self.sleep = None;
        self.armed_for = None;
        self.pending = None;
    }

    fn stop(&mut self) -> bool {
        let was = self.deadline.take().is_some();
        self.disarm();
        self.changed();
        was
    }

    fn reset(&mut self, deadline: TokioInstant, period: Option<Duration>) -> bool {
        let was = self.deadline.is_some();
        self.deadline = Some(deadline);
        self.period = period;
        self.changed();
        was
    }

    /// Made since the last `stop` or `reset`: a value carries the time it
    /// was made, so one from before the change is older than `changed_at`;
    /// `made` covers a clock that stands still (Tokio's paused time), where
    /// a value and a change can share an instant.
    fn is_current(&self, value: &Instant) -> bool {
        self.made && TokioInstant::from_std(*value) >= self.changed_at
    }
}

impl Clock {
    /// A `stop` or `reset`: values made before now are stale.
    fn changed(&mut self) {
        self.changed_at = TokioInstant::now();
        self.made = false;
    }
}

/// The waker Tokio's timer calls: it fires the channel from a fresh task,
/// so the channel lock is never taken inside Tokio's timer code (nor under
/// a channel lock, where a registration may wake it at once).
struct Fire {
    chan: Arc<Chan<Instant>>,
    handle: Handle,
}

impl Wake for Fire {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        let chan = self.chan.clone();
        // A runtime that is shutting down drops the task: nothing to fire.
        drop(self.handle.spawn(async move {
            let woken = chan.lock().fire_timer();
            if let Some(waker) = woken {
                crate::goroutine::waker::wake(waker);
            }
        }));
    }
}

/// The first multiple of `period` after `deadline` that is later than `now`
/// (`period` is at most [`FAR`], so nothing here overflows).
fn next_tick(deadline: TokioInstant, period: Duration, now: TokioInstant) -> TokioInstant {
    let next = deadline_after(deadline, period);
    if next > now {
        return next;
    }
    let behind = (now - deadline).as_nanos() % period.as_nanos();
    deadline_after(now, period - Duration::from_nanos(behind as u64))
}
