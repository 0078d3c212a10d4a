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
//! # Locking
//! The waker sits behind its own small mutex: the owner replaces it when it is
//! polled with a new waker, a peer takes it to wake the owner. Peers call
//! [`Token::wake`] only after releasing every channel lock.

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

    /// Wakes the owner. Call only after every channel lock is released.
    #[inline]
    pub fn wake(&self) {
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Where a hook finds its token: its own (plain operations, one allocation)
/// or shared with the other cases of a select.
#[derive(Debug)]
enum TokenRef {
    Own(Token),
    Shared(Arc<Token>),
}

/// One waiting operation's entry in one channel queue (Go's `sudog`).
#[derive(Debug)]
pub struct Hook<T> {
    token: TokenRef,
    case: usize,
    slot: UnsafeCell<Option<T>>,
}

// SAFETY: the slot is reached only under the slot protocol of this module,
// which gives one party at a time exclusive access, ordered by the channel lock
// or by the token's acquire/release swap; so a hook only moves `T` values
// between threads and never shares a `&T`: `T: Send` suffices.
unsafe impl<T: Send> Sync for Hook<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Hook<T> {}

impl<T> Hook<T> {
    /// A hook for a plain send or receive: case 0 of its own token.
    pub fn single(slot: Option<T>, waker: &Waker) -> Arc<Self> {
        Arc::new(Self {
            token: TokenRef::Own(Token::new(waker)),
            case: 0,
            slot: UnsafeCell::new(slot),
        })
    }

    /// Arms a plain hook (fresh, or reset by [`HookCache`]) to wake `waker`,
    /// before it is published.
    #[inline]
    pub(crate) fn arm(&self, waker: &Waker) {
        let mut stored = self.token().waker.lock();
        match &*stored {
            Some(old) if old.will_wake(waker) => {}
            _ => *stored = Some(waker.clone()),
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
        let TokenRef::Own(token) = &mut self.token else {
            return false;
        };
        token.state.store(WAITING, Ordering::Relaxed);
        // Release a waker left behind (a withdrawn or closed operation), so a
        // cached hook keeps no task alive; `&mut` access needs no locking.
        *token.waker.get_mut() = None;
        true
    }

    /// A hook for case `case` of a select whose token is `token`.
    pub fn for_case(token: Arc<Token>, case: usize, slot: Option<T>) -> Arc<Self> {
        Arc::new(Self {
            token: TokenRef::Shared(token),
            case,
            slot: UnsafeCell::new(slot),
        })
    }

    /// The token this hook belongs to.
    #[inline]
    pub fn token(&self) -> &Token {
        match &self.token {
            TokenRef::Own(token) => token,
            TokenRef::Shared(token) => token,
        }
    }

    /// The case of the owner's select this hook stands for.
    #[inline]
    pub fn case(&self) -> usize {
        self.case
    }

    /// Selects this hook's case. See [`Token::try_select`].
    #[inline]
    pub fn try_select(&self) -> bool {
        self.token().try_select(self.case)
    }

    /// Whether the owner committed this hook's case.
    #[inline]
    pub fn is_selected(&self) -> bool {
        self.token().selected() == Some(self.case)
    }

    /// Access to the slot.
    ///
    /// # Safety
    /// The caller follows the slot protocol of this module (rule 1 for peers,
    /// rule 3 for the owner), so no one else accesses the slot meanwhile.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slot(&self) -> SlotRef<'_, T> {
        SlotRef {
            ptr: self.slot.get_mut(),
            _hook: std::marker::PhantomData,
        }
    }
}

/// Exclusive access to a hook's slot, obtained under the slot protocol.
pub struct SlotRef<'a, T> {
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
