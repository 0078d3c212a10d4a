//! The shared channel object: the lock, the state it protects, and the
//! handle counts. [`Sender`](super::Sender) and [`Receiver`](super::Receiver)
//! each hold an `Arc<Chan<T>>`.
//!
//! # Invariants
//! - `state` is accessed only while `lock` is held: through a [`Locked`]
//!   guard for single-channel operations, or through [`Chan::state_locked`]
//!   by the select engine after it took the lock with [`Chan::raw_lock`].
//! - `senders` and `receivers` count live handles; the drop of the last
//!   sender, or of the last receiver, closes the channel.
//! - `snapshot` holds the [`Snapshot`] of `state` as of the end of the last
//!   critical section: every unlock ([`Locked`]'s drop, [`Chan::raw_unlock`])
//!   publishes it while still holding the lock.
//! - `cap` never changes; it is read without the lock.
//!
//! # Locking
//! The lock is held for one short critical section per operation. Nobody is
//! woken, and no user code (`Drop` of a `T` included) runs, while it is held:
//! values to drop and hooks to wake are carried out of the critical section.

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use super::lock::RawLock;
use super::snapshot::Snapshot;
use super::state::State;
use crate::loom::{unmodeled, AtomicUsize, MutPtr, Ordering, UnsafeCell};

pub(crate) struct Chan<T> {
    /// See [`Chan::key`].
    id: usize,
    lock: RawLock,
    /// The lock-free view of `state` (see the invariants), published at
    /// every unlock. Field order is the compiler's: placing the hot fields
    /// by hand on one cache line measured no faster (docs/performance.md).
    snapshot: AtomicUsize,
    cap: usize,
    state: UnsafeCell<State<T>>,
    pub(crate) senders: AtomicUsize,
    pub(crate) receivers: AtomicUsize,
}

// SAFETY: `state` is only reached under `lock` (module invariant), so sharing a
// `Chan<T>` between threads moves `T` values between threads but never shares a
// `&T`: `T: Send` suffices, as for `std::sync::Mutex<T>`.
unsafe impl<T: Send> Sync for Chan<T> {}
// SAFETY: as above; owning a `Chan<T>` owns `T` values.
unsafe impl<T: Send> Send for Chan<T> {}

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Self {
        // A process-wide counter on purpose (not a loom object): ids only need
        // to be unique and ordered the same way in every loom iteration.
        static NEXT_ID: unmodeled::AtomicUsize = unmodeled::AtomicUsize::new(1);
        let state = State::new(cap);
        Self {
            id: NEXT_ID.fetch_add(1, unmodeled::Ordering::Relaxed),
            lock: RawLock::new(),
            snapshot: AtomicUsize::new(state.snapshot().bits()),
            cap,
            state: UnsafeCell::new(state),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    /// Locks the channel for one operation.
    #[inline]
    pub(crate) fn lock(&self) -> Locked<'_, T> {
        self.lock.lock();
        self.guard()
    }

    /// The guard of the lock this thread just took.
    #[inline]
    fn guard(&self) -> Locked<'_, T> {
        Locked {
            chan: self,
            state: ManuallyDrop::new(self.state.get_mut()),
        }
    }

    /// Locks the channel for a send (`sending`) or a receive: with the
    /// urgent backoff ([`RawLock::lock_urgent`]) if this is the only handle
    /// on its side, whom every operation on the other side waits on (the
    /// receiver of an MPSC channel, the sender of a fan-out).
    #[inline]
    pub(crate) fn lock_for(&self, sending: bool) -> Locked<'_, T> {
        let handles = if sending {
            &self.senders
        } else {
            &self.receivers
        };
        if handles.load(Ordering::Relaxed) == 1 {
            self.lock.lock_urgent();
        } else {
            self.lock.lock();
        }
        self.guard()
    }

    /// Locks the channel if the lock is free or freed within a few quick
    /// re-checks; `None` if it stays held (the caller may do something else
    /// first instead of backing off).
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<Locked<'_, T>> {
        if !self.lock.try_lock() {
            return None;
        }
        Some(self.guard())
    }

    /// Takes the lock without a guard (select engine, several channels at once).
    #[inline]
    pub(crate) fn raw_lock(&self) {
        self.lock.lock();
    }

    /// Releases a lock taken with [`Chan::raw_lock`].
    ///
    /// # Safety
    /// The caller took this channel's lock with `raw_lock` and has not
    /// released it; no reference from [`Chan::state_locked`] outlives this call.
    #[inline]
    pub(crate) unsafe fn raw_unlock(&self) {
        // The pointer (under loom, the tracked access) ends with the block,
        // before the unlock.
        {
            let state = self.state.get_mut();
            // SAFETY: the caller holds the lock and no other reference to the
            // state is live (forwarded precondition).
            self.publish(unsafe { state.deref() });
        }
        // SAFETY: forwarded precondition.
        unsafe { self.lock.unlock() }
    }

    /// Publishes `state`'s view; called under the lock, just before unlocking.
    #[inline]
    fn publish(&self, state: &State<T>) {
        self.snapshot
            .store(state.snapshot().bits(), Ordering::Release);
    }

    /// The state as of the last unlock, read without the lock (see
    /// [`Snapshot`] for what may be concluded from it).
    #[inline]
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot::from_bits(self.snapshot.load(Ordering::Acquire))
    }

    /// The buffer size: Go's `cap(ch)`.
    #[inline]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The state, under a lock taken with [`Chan::raw_lock`].
    ///
    /// # Safety
    /// The caller holds this channel's lock, and no other reference to the
    /// state is live while the returned one is used.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn state_locked(&self) -> StatePtr<T> {
        StatePtr(self.state.get_mut())
    }

    /// The key that orders channels for multi-lock acquisition (and
    /// identifies one in a select): unique per channel, in creation order.
    /// Not the address: loom replays need the same order in every run.
    #[inline]
    pub(crate) fn key(&self) -> usize {
        self.id
    }

    /// Adds a sender handle.
    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a receiver handle.
    pub(crate) fn add_receiver(&self) {
        self.receivers.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops a sender handle; returns whether it was the last one.
    pub(crate) fn drop_sender(&self) -> bool {
        self.senders.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Drops a receiver handle; returns whether it was the last one.
    pub(crate) fn drop_receiver(&self) -> bool {
        self.receivers.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Closes the channel and wakes every parked sender and receiver.
    /// Returns whether this call closed it.
    pub(crate) fn close(&self) -> bool {
        let (woken, timer) = {
            let mut state = self.lock();
            // A timer's source goes with the close; dropped after unlocking
            // (its Tokio registration holds a handle to this channel).
            (state.close(), state.timer.take())
        };
        drop(timer);
        match woken {
            None => false,
            Some(hooks) => {
                for waker in hooks {
                    crate::goroutine::waker::wake(waker);
                }
                true
            }
        }
    }
}

/// A pointer to the state of a channel whose lock the select engine holds.
pub(crate) struct StatePtr<T>(MutPtr<State<T>>);

impl<T> StatePtr<T> {
    /// # Safety
    /// See [`Chan::state_locked`].
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get(&self) -> &mut State<T> {
        // SAFETY: forwarded precondition of `Chan::state_locked`.
        unsafe { self.0.deref() }
    }
}

/// The channel lock, held for one operation.
///
/// The pointer is dropped before the lock is released: under loom a `MutPtr`
/// marks the cell as being written until it is dropped, so it must not outlive
/// the critical section.
pub(crate) struct Locked<'a, T> {
    chan: &'a Chan<T>,
    /// Dropped (ending loom's tracked access) before the lock is released.
    state: ManuallyDrop<MutPtr<State<T>>>,
}

impl<T> Deref for Locked<'_, T> {
    type Target = State<T>;
    #[inline]
    fn deref(&self) -> &State<T> {
        // SAFETY: the guard holds the lock, so this is the only access.
        unsafe { MutPtr::deref(&self.state) }
    }
}

impl<T> DerefMut for Locked<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut State<T> {
        // SAFETY: the guard holds the lock, so this is the only access.
        unsafe { MutPtr::deref(&self.state) }
    }
}

impl<T> Drop for Locked<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.chan.publish(self);
        // SAFETY: `state` is not used again: this is the guard's drop.
        unsafe { ManuallyDrop::drop(&mut self.state) };
        // SAFETY: this guard took the lock in `Chan::lock` and releases it once.
        unsafe { self.chan.lock.unlock() }
    }
}
