//! The token of a waiting `select`: one per parked select, shared by the
//! hooks of all its cases, living inside the select's pinned future.
//!
//! Lock-free: the selection and the hand-over of the owner's waker ride on
//! one state word, where [`Token`](super::Token) (csp-sync's) keeps its
//! waker behind a mutex.
//!
//! # Invariants
//! - `state` is `WAITING`, `ABORTED` or `SELECTED(case)`, plus two flags:
//!   `UPDATING` (only on `WAITING`: the owner is replacing its waker) and
//!   `BUSY` (only on `SELECTED`: the selecting peer is still taking the
//!   waker). It leaves `WAITING` at most once.
//! - The waker cell is accessed by the owner only while it holds `UPDATING`
//!   (or before the token is published, or after `settle`), and by a peer
//!   only while it holds `BUSY`: each flag is set by a compare-and-swap from
//!   the plain `WAITING` state, so the two never overlap.
//! - After clearing `BUSY` the peer never touches the token again; the owner
//!   frees it only after [`SelectToken::settle`] saw `BUSY` clear (lifetime
//!   rule 3 in [`crate::waiter`]).

use std::task::Waker;

use super::{Stale, ABORTED, SELECTED_BASE, WAITING};
use crate::goroutine::waker::{queue_clone, store_queue_waker};
use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

/// The owner is replacing the waker (the state is otherwise `WAITING`).
const UPDATING: usize = 1 << (usize::BITS - 1);
/// The selecting peer is taking the waker (the state is otherwise `SELECTED`).
const BUSY: usize = 1 << (usize::BITS - 2);
const FLAGS: usize = UPDATING | BUSY;

/// The selection token of one waiting `select` (Go's `selectDone` flag).
#[derive(Debug)]
pub struct SelectToken {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

impl SelectToken {
    /// A fresh token in the waiting state that will wake `waker`.
    pub(crate) fn new(waker: &Waker) -> Self {
        Self {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(Some(queue_clone(waker))),
        }
    }

    /// A peer commits `case` and takes the owner's waker (to wake after it
    /// releases its channel lock). `Err(Stale)` if the token already left the
    /// waiting state. Waits out an owner that is replacing its waker.
    #[inline]
    pub(crate) fn select_taking_waker(&self, case: usize) -> Result<Option<Waker>, Stale> {
        let selected = SELECTED_BASE + case;
        loop {
            match self.state.compare_exchange(
                WAITING,
                selected | BUSY,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(state) if state & UPDATING != 0 => spin(),
                Err(_) => return Err(Stale),
            }
        }
        let cell = self.waker.get_mut();
        // SAFETY: we hold `BUSY` (module invariants): nobody else touches the cell.
        let waker = unsafe { cell.deref() }.take();
        #[allow(clippy::drop_non_drop)] // loom: the access ends with the pointer
        drop(cell);
        // Our last touch of the token (release: the take above happens-before
        // the owner's `settle`).
        self.state.store(selected, Ordering::Release);
        Ok(waker)
    }

    /// The committed case, if any (acquire: a committing peer's slot writes
    /// are visible afterwards; call [`settle`](Self::settle) before freeing).
    #[inline]
    pub(crate) fn selected(&self) -> Option<usize> {
        decode(self.state.load(Ordering::Acquire))
    }

    /// Whether the token still waits (a peer may still select it).
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) & !FLAGS == WAITING
    }

    /// The owner's check on re-poll: the committed case, or `None` after
    /// storing `waker` (if it would not wake the same task as the stored one).
    #[inline]
    pub(crate) fn poll_selected(&self, waker: &Waker) -> Option<usize> {
        if let Some(case) = self.selected() {
            return Some(case);
        }
        if self
            .state
            .compare_exchange(WAITING, UPDATING, Ordering::Acquire, Ordering::Acquire)
            .is_err()
        {
            // Only a peer moves the state out of `WAITING` now: it selected.
            return self.selected();
        }
        let cell = self.waker.get_mut();
        // SAFETY: we hold `UPDATING` (module invariants).
        store_queue_waker(unsafe { cell.deref() }, waker);
        #[allow(clippy::drop_non_drop)] // loom: the access ends with the pointer
        drop(cell);
        // A peer that waited on `UPDATING` now selects and takes this waker.
        self.state.store(WAITING, Ordering::Release);
        None
    }

    /// Withdraws the owner. `Ok(())` if nobody had selected the token;
    /// `Err(case)` if a peer had already committed `case` (which the owner must
    /// then honour).
    #[inline]
    pub(crate) fn try_abort(&self) -> Result<(), usize> {
        match self
            .state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(state) => decode(state).map_or(Ok(()), Err),
        }
    }

    /// Returns once the peer that selected this token is done with it, so
    /// the owner may read its hooks and free the token (lifetime rule 3).
    #[inline]
    pub(crate) fn settle(&self) {
        while self.state.load(Ordering::Acquire) & BUSY != 0 {
            spin();
        }
    }
}

impl Drop for SelectToken {
    fn drop(&mut self) {
        // An explicit access, so that under loom a peer's waker access not
        // ordered before the owner's drop (a `settle` skipped) is reported.
        let cell = self.waker.get_mut();
        // SAFETY: `&mut self`: nobody else can reach the token any more.
        drop(unsafe { cell.deref() }.take());
    }
}

/// The case a state word names as committed, if any.
#[inline]
fn decode(state: usize) -> Option<usize> {
    match state & !FLAGS {
        WAITING | ABORTED => None,
        s => Some(s - SELECTED_BASE),
    }
}

/// One pause while the other party finishes a few instructions.
#[inline]
fn spin() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}
