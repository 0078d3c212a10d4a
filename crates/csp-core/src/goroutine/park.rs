//! How a csp primitive tells the goroutine registry why the current goroutine
//! is about to wait.
//!
//! A primitive that returns `Poll::Pending` because only another goroutine can
//! wake it calls [`record_park`] just before returning. The goroutine wrapper
//! (see `goroutine::spawn`) clears the record before each poll of its future
//! and reads it afterwards: a `Pending` poll with a record means "parked in
//! csp, reason R, at location L" (what a dump shows; the deadlock detector
//! also asks the goroutine's waker whether anything outside csp holds it,
//! see `goroutine::deadlock`); a `Pending` poll without one means "waiting
//! on something csp cannot see" (a timer, I/O, a foreign future) and counts as
//! running.
//!
//! # Invariants
//! - The record is per thread and only meaningful between the wrapper's
//!   `begin_poll` and `end_poll`; outside a goroutine it is written and never
//!   read, which costs one thread-local store.
//! - The last primitive to park in a poll wins: in a `select` the engine records
//!   `select`, not the reason of each case.

use std::cell::Cell;
use std::panic::Location;

/// Why a goroutine is blocked, in the words Go's goroutine dump uses.
///
/// Mirrors the wait reasons of Go's runtime (`waitReasonChanSend`, ...), as
/// printed in `goroutine 7 [chan send]:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitReason {
    /// Parked in a channel send (`ch <- v`).
    ChanSend,
    /// Parked in a channel receive (`<-ch`).
    ChanReceive,
    /// Parked in a `select` with at least one enabled case.
    Select,
    /// Parked in a `select {}` with no (enabled) cases: blocks forever.
    SelectNoCases,
    /// Parked in `sync.WaitGroup.Wait`.
    WaitGroupWait,
    /// Parked in `sync.Mutex.Lock`.
    MutexLock,
    /// Parked in `sync.RWMutex.RLock`.
    RwMutexRLock,
    /// Parked in `sync.RWMutex.Lock`.
    RwMutexLock,
    /// Parked in `sync.Cond.Wait`.
    CondWait,
    /// Parked waiting for another caller's `sync.Once.Do` to finish.
    OnceWait,
}

impl WaitReason {
    /// The text Go prints between the brackets of a goroutine dump header.
    pub const fn as_str(self) -> &'static str {
        match self {
            WaitReason::ChanSend => "chan send",
            WaitReason::ChanReceive => "chan receive",
            WaitReason::Select => "select",
            WaitReason::SelectNoCases => "select (no cases)",
            WaitReason::WaitGroupWait => "sync.WaitGroup.Wait",
            WaitReason::MutexLock => "sync.Mutex.Lock",
            WaitReason::RwMutexRLock => "sync.RWMutex.RLock",
            WaitReason::RwMutexLock => "sync.RWMutex.Lock",
            WaitReason::CondWait => "sync.Cond.Wait",
            WaitReason::OnceWait => "sync.Once.Do",
        }
    }
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A park as recorded during one poll: the reason and the blocking call's location.
pub type ParkRecord = (WaitReason, &'static Location<'static>);

thread_local! {
    static PARKED: Cell<Option<ParkRecord>> = const { Cell::new(None) };
    static POLLING: Cell<bool> = const { Cell::new(false) };
}

/// Records that the primitive being polled is about to return `Pending` and
/// that only another goroutine can wake it.
///
/// Call it from csp primitives (channels, select, csp-sync) only; `at` is the
/// location of the user's blocking call (captured with `#[track_caller]`).
#[inline]
pub fn record_park(reason: WaitReason, at: &'static Location<'static>) {
    PARKED.with(|p| p.set(Some((reason, at))));
}

/// Clears the record; the goroutine wrapper calls this before polling.
#[inline]
pub fn begin_poll() {
    PARKED.with(|p| p.set(None));
    POLLING.with(|p| p.set(true));
}

/// Takes the record left by the poll that just returned.
#[inline]
pub fn end_poll() -> Option<ParkRecord> {
    POLLING.with(|p| p.set(false));
    PARKED.with(|p| p.take())
}

/// One goroutine poll's mark on its thread: [`begin_poll`] when made,
/// [`end_poll`] through [`PollMark::end`]. A poll that unwinds (a panic the
/// runtime does not catch, which Tokio turns into a `JoinError`) drops the
/// mark, which clears it, so the thread does not stay "inside a goroutine".
pub(crate) struct PollMark(());

impl PollMark {
    #[inline]
    pub(crate) fn begin() -> PollMark {
        begin_poll();
        PollMark(())
    }

    /// Ends the poll and takes its park record.
    #[inline]
    pub(crate) fn end(self) -> Option<ParkRecord> {
        std::mem::forget(self);
        end_poll()
    }
}

impl Drop for PollMark {
    fn drop(&mut self) {
        end_poll();
    }
}

/// Whether this thread is polling a goroutine right now (blocking here would
/// stall a runtime worker).
#[inline]
pub fn in_goroutine_poll() -> bool {
    POLLING.with(|p| p.get())
}

/// Clears the record outside a goroutine (a plain thread's `*_blocking` call).
#[inline]
pub(crate) fn clear_record() {
    PARKED.with(|p| p.set(None));
}

/// Takes the record outside a goroutine, leaving `POLLING` alone.
#[inline]
pub(crate) fn take_record() -> Option<ParkRecord> {
    PARKED.with(|p| p.take())
}
