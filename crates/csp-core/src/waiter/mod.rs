//! The waiter: one parked operation (or one parked `select`) and its
//! selection token, shared by channels, the select engine and csp-sync.
//!
//! This is Go's `sudog` plus `g.selectDone`. A [`Token`] belongs to one
//! waiting future; a [`Hook`] is that future's entry in one channel queue,
//! naming the case it stands for and carrying the slot through which a value
//! moves. A plain send or receive is a select with one case: one token, one
//! hook. A select with n cases has one token and n hooks.
//!
//! # Invariants
//! - A token moves at most once out of `WAITING`: to `SELECTED(case)` (a peer
//!   committed that case, or closed its channel) or to `ABORTED` (its owner
//!   withdrew). Whoever wins that compare-and-swap is the only party that
//!   completes an operation with the token, so exactly one case commits.
//! - Slot protocol (what makes the `UnsafeCell` sound):
//!   1. A peer touches a hook's slot only while holding the lock of the
//!      channel whose queue holds the hook, and only during the critical
//!      section in which it popped the hook from that queue.
//!   2. A peer changes the slot *before* its compare-and-swap on the token and,
//!      if the swap fails, restores the slot before releasing the lock.
//!   3. The owner touches the slot only before publishing the hook, after
//!      observing `SELECTED(hook.case)` (acquire), or after taking the hook's
//!      channel lock and finding the hook no longer queued (or removing it).
//! - Meaning of the slot after selection: a receive hook holding `Some(v)`
//!   got `v`; holding `None` it was selected by `close`. A send hook holding
//!   `None` had its value taken; still holding `Some(v)` it was selected by
//!   `close` and gives `v` back to the sender.
//!
//! - Waker protocol of a plain hook (its token is embedded; every selection of
//!   it happens under its one channel's lock, so the waker needs no lock):
//!   1. the owner arms it while the hook is unpublished;
//!   2. the owner replaces it only under the channel lock, after seeing the
//!      token still waiting under that lock (so no peer has selected it);
//!   3. the peer whose swap selected the token takes it in the same critical
//!      section, and wakes it after releasing the lock.
//!
//! # Locking
//! A shared [`Token`]'s waker (select, csp-sync) sits behind its own small
//! mutex: the owner replaces it when it is polled with a new waker, a peer
//! takes it to wake the owner. Nobody calls `wake` on a waker while holding a
//! channel lock.

use std::task::Waker;

mod cache;

pub(crate) use cache::HookCache;

use crate::loom::{Arc, AtomicUsize, MutPtr, Ordering, PlainMutex, UnsafeCell};

const WAITING: usize = 0;
const ABORTED: usize = 1;
const SELECTED_BASE: usize = 2;

/// The selection token of one waiting future (Go's `selectDone` flag).
#[derive(Debug)]
pub struct Token {
    state: AtomicUsize,
    waker: PlainMutex<Option<Waker>>,
}

impl Token {
    /// A fresh token in the waiting state that will wake `waker`.
    pub fn new(waker: &Waker) -> Self {
        Self {
            state: AtomicUsize::new(WAITING),
            waker: PlainMutex::new(Some(waker.clone())),
        }
    }

    /// Commits `case` on behalf of a peer. Returns `false` if the token already
    /// left the waiting state (another case won, or the owner withdrew).
    #[inline]
    pub fn try_select(&self, case: usize) -> bool {
        self.state
            .compare_exchange(
                WAITING,
                SELECTED_BASE + case,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Withdraws the owner. `Ok(())` if nobody had selected the token;
    /// `Err(case)` if a peer had already committed `case` (which the owner must
    /// then honour).
    #[inline]
    pub fn try_abort(&self) -> Result<(), usize> {
        match self
            .state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(ABORTED) => Ok(()),
            Err(selected) => Err(selected - SELECTED_BASE),
        }
    }

    /// The committed case, if any (acquire: the slot writes of the committing
    /// peer are visible afterwards).
    #[inline]
    pub fn selected(&self) -> Option<usize> {
        match self.state.load(Ordering::Acquire) {
            WAITING | ABORTED => None,
            s => Some(s - SELECTED_BASE),
        }
    }

    /// Whether the token is still waiting, i.e. a peer may still select it.
    #[inline]
    pub fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// The owner's check on re-poll: returns the committed case, or stores
    /// `waker` (if it differs from the stored one) and returns `None`.
    ///
    /// The state is checked again after the waker is stored, so a peer that
    /// selects concurrently either sees the new waker or is seen here.
    #[inline]
    pub fn poll_selected(&self, waker: &Waker) -> Option<usize> {
        if let Some(case) = self.selected() {
            return Some(case);
        }
        {
            let mut stored = self.waker.lock();
            match &*stored {
                Some(old) if old.will_wake(waker) => {}
                _ => *stored = Some(waker.clone()),
            }
        }
        self.selected()
    }

    /// Takes the stored waker (the peer that selected the token wakes it).
    #[inline]
    pub(crate) fn take_waker(&self) -> Option<Waker> {
        self.waker.lock().take()
    }

    /// Wakes the owner. Call only after every channel lock is released.
    #[inline]
    pub fn wake(&self) {
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The token of a plain operation, embedded in its only hook. Every
/// selection of it happens under its channel's lock, so its waker needs no
/// lock of its own (see "waker protocol" in the module header).
#[derive(Debug)]
struct OwnToken {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

/// Where a hook finds its token: its own (plain operations, one allocation)
/// or shared with the other cases of a select.
#[derive(Debug)]
enum TokenRef {
    Own(OwnToken),
    Shared(Arc<Token>),
}

/// One waiting operation's entry in one channel queue (Go's `sudog`).
#[derive(Debug)]
pub struct Hook<T> {
    token: TokenRef,
    case: usize,
    slot: UnsafeCell<Option<T>>,
}

// SAFETY: the slot and a plain hook's waker are reached only under the slot
// and waker protocols of this module, which give one party at a time exclusive
// access, ordered by the channel lock or by the token's acquire/release swap;
// so a hook only moves `T` values (and wakers) between threads and never
// shares a `&T`: `T: Send` suffices.
unsafe impl<T: Send> Sync for Hook<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Hook<T> {}

impl<T> Hook<T> {
    /// A hook for a plain send or receive: case 0 of its own token, not yet
    /// armed with a waker (see [`Hook::arm`]).
    pub(crate) fn single(slot: Option<T>) -> Arc<Self> {
        Arc::new(Self {
            token: TokenRef::Own(OwnToken {
                state: AtomicUsize::new(WAITING),
                waker: UnsafeCell::new(None),
            }),
            case: 0,
            slot: UnsafeCell::new(slot),
        })
    }

    /// A hook for case `case` of a select whose token is `token`.
    pub(crate) fn for_case(token: Arc<Token>, case: usize, slot: Option<T>) -> Arc<Self> {
        Arc::new(Self {
            token: TokenRef::Shared(token),
            case,
            slot: UnsafeCell::new(slot),
        })
    }

    #[inline]
    fn state(&self) -> &AtomicUsize {
        match &self.token {
            TokenRef::Own(own) => &own.state,
            TokenRef::Shared(token) => &token.state,
        }
    }

    /// Arms a plain hook (fresh, or reset by [`HookCache`]) to wake `waker`.
    ///
    /// # Safety
    /// The hook is not published: the caller has exclusive access (waker rule 1).
    #[inline]
    pub(crate) unsafe fn arm(&self, waker: &Waker) {
        if let TokenRef::Own(own) = &self.token {
            let ptr = own.waker.get_mut();
            // SAFETY: exclusive access is the caller's precondition.
            let stored = unsafe { ptr.deref() };
            match stored {
                Some(old) if old.will_wake(waker) => {}
                _ => *stored = Some(waker.clone()),
            }
        }
    }

    /// The owner of a parked plain hook, polled again while it still waits,
    /// replaces the waker if it changed.
    ///
    /// # Safety
    /// The caller holds the lock of the channel whose queue holds the hook and
    /// observed the token still waiting under that lock (waker rule 2).
    #[inline]
    pub(crate) unsafe fn rearm_locked(&self, waker: &Waker) {
        // SAFETY: under the lock and still waiting, no peer touches the waker.
        unsafe { self.arm(waker) }
    }

    /// Takes the waker to wake the owner, after a successful
    /// [`try_select`](Self::try_select) (or a close) of this hook.
    ///
    /// # Safety
    /// The caller holds the channel lock and is the party whose swap selected
    /// this hook's token, in the same critical section (waker rule 3).
    #[inline]
    pub(crate) unsafe fn take_waker(&self) -> Option<Waker> {
        match &self.token {
            TokenRef::Own(own) => {
                let ptr = own.waker.get_mut();
                // SAFETY: rule 3: the selecting peer, under the lock; the owner
                // no longer touches the waker once its token left WAITING.
                unsafe { ptr.deref() }.take()
            }
            TokenRef::Shared(token) => token.take_waker(),
        }
    }

    /// Resets a uniquely owned, completed plain hook for reuse: waiting token,
    /// no waker, empty slot. Returns `false` (and changes nothing) for a
    /// select hook or a slot that still holds a value.
    pub(crate) fn reset(&mut self) -> bool {
        // SAFETY: `&mut self` proves exclusive access to the slot.
        if unsafe { self.slot() }.is_some() {
            return false;
        }
        let TokenRef::Own(own) = &self.token else {
            return false;
        };
        own.state.store(WAITING, Ordering::Relaxed);
        // Release a waker left behind (a withdrawn or closed operation), so a
        // cached hook keeps no task alive.
        let ptr = own.waker.get_mut();
        // SAFETY: `&mut self` proves exclusive access.
        drop(unsafe { ptr.deref() }.take());
        true
    }

    /// Selects this hook's case (compare-and-swap `WAITING → SELECTED(case)`).
    /// Returns `false` if the token already left the waiting state.
    #[inline]
    pub(crate) fn try_select(&self) -> bool {
        self.state()
            .compare_exchange(
                WAITING,
                SELECTED_BASE + self.case,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Whether the token left the waiting state for this hook's case
    /// (acquire: the selecting peer's slot writes are visible afterwards).
    #[inline]
    pub(crate) fn is_selected(&self) -> bool {
        self.state().load(Ordering::Acquire) == SELECTED_BASE + self.case
    }

    /// Whether the token still waits (a peer may still select it).
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        self.state().load(Ordering::Acquire) == WAITING
    }

    /// Access to the slot.
    ///
    /// # Safety
    /// The caller follows the slot protocol of this module (rule 1 for peers,
    /// rule 3 for the owner), so no one else accesses the slot meanwhile.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slot(&self) -> SlotRef<'_, T> {
        SlotRef {
            ptr: self.slot.get_mut(),
            _hook: std::marker::PhantomData,
        }
    }
}

/// Exclusive access to a hook's slot, obtained under the slot protocol.
pub(crate) struct SlotRef<'a, T> {
    ptr: MutPtr<Option<T>>,
    _hook: std::marker::PhantomData<&'a Hook<T>>,
}

impl<T> SlotRef<'_, T> {
    /// Whether the slot holds a value.
    #[inline]
    fn is_some(&mut self) -> bool {
        // SAFETY: as in `take`.
        unsafe { self.ptr.deref() }.is_some()
    }

    /// Takes the slot's value.
    #[inline]
    pub fn take(&mut self) -> Option<T> {
        // SAFETY: `Hook::slot`'s caller proved exclusive access for the
        // lifetime of this `SlotRef`.
        unsafe { self.ptr.deref() }.take()
    }

    /// Stores `value` in the slot, returning what was there.
    #[inline]
    pub fn put(&mut self, value: T) -> Option<T> {
        // SAFETY: as in `take`.
        unsafe { self.ptr.deref() }.replace(value)
    }
}
