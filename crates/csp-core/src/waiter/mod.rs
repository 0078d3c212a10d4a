//! The waiter: one parked operation (or one parked `select`) and its
//! selection token, shared by channels, the select engine and csp-sync.
//!
//! This is Go's `sudog` plus `g.selectDone`. A [`Token`] belongs to one
//! waiting future; a [`Hook`] is that future's entry in one channel queue,
//! naming the case it stands for and carrying the slot through which a value
//! moves. A plain send or receive is a select with one case: one hook with
//! its token embedded, living inside the operation's own (pinned) future, so
//! parking allocates nothing. A select with n cases has one shared token,
//! inside its pinned future, and n hooks, one inside each of its pinned
//! cases: no allocation either. Channel queues hold `HookPtr`s: raw pointers
//! whose validity is the owner's promise (lifetime protocol below).
//!
//! # Invariants
//! - A token moves at most once out of `WAITING`: to `SELECTED(case)` (a peer
//!   committed that case, or closed its channel) or to `ABORTED` (its owner
//!   withdrew). Whoever wins that move is the only party that completes an
//!   operation with the token, so exactly one case commits.
//! - Slot protocol (what makes the `UnsafeCell` sound):
//!   1. A peer touches a hook's slot only while holding the lock of the
//!      channel whose queue holds the hook, and only during the critical
//!      section in which it popped the hook from that queue.
//!   2. A peer changes the slot *before* it selects the token and, if the
//!      selection fails, restores the slot before releasing the lock.
//!   3. The owner touches the slot only before publishing the hook, after
//!      observing `SELECTED(hook.case)` (acquire), or after taking the hook's
//!      channel lock and finding the hook no longer queued (or removing it).
//! - Meaning of the slot after selection: a receive hook holding `Some(v)`
//!   got `v`; holding `None` it was selected by `close`. A send hook holding
//!   `None` had its value taken; still holding `Some(v)` it was selected by
//!   `close` and gives `v` back to the sender.
//! - Waker protocol of a plain hook (its token is embedded; every selection of
//!   it happens under its one channel's lock, so the waker needs no lock):
//!   1. the owner arms it while the hook is unpublished;
//!   2. the owner replaces it only under the channel lock, after seeing the
//!      token still waiting under that lock (so no peer has selected it);
//!   3. the peer that selects the token takes the waker in the same critical
//!      section, *before* its release store of `SELECTED`, and wakes it after
//!      releasing the lock.
//! - Lifetime protocol (what makes a queued `HookPtr` sound): the owner
//!   neither moves nor frees a hook while it is queued, nor afterwards until
//!   the last peer access to it is over, which the owner learns by
//!   1. observing its plain hook `SELECTED` (acquire): the peer's release
//!      store is its last touch of the hook (waker rule 3);
//!   2. taking the hook's channel lock after the hook left the queue: every
//!      peer access happens inside the critical section that popped it;
//!   3. for a select's chosen hook, `SelectToken::settle`: after selecting a
//!      select's token the peer touches only the token, until it clears the
//!      token's `BUSY` flag.
//!
//! # Locking
//! A select's token hands its waker over lock-free (`select_token`); a
//! csp-sync [`Token`]'s waker sits behind its own small mutex. Nobody calls
//! `wake` on a waker while holding a channel lock, but for one exception:
//! the demand watch of a watched channel (`chan::demand`) wakes its watcher
//! from the critical section of the park it reports.
//!
//! # Why three tokens and two kinds of queue
//! One selection rule ("the first to move the state out of `WAITING` wins")
//! in three shapes, each for a waiter the others would slow down:
//! - `OwnToken`, embedded in the hook of a plain send or receive: it is only
//!   ever selected under its one channel's lock, so its waker needs no
//!   synchronization of its own and parking costs one store. This is the hot
//!   path of every channel operation that waits.
//! - [`SelectToken`], shared by the hooks of one `select`: peers on different
//!   channels race to select it, so the waker is handed over lock-free
//!   through two flag bits of the state word.
//! - [`Token`], csp-sync's: shared in an `Arc` and queued in the primitive's
//!   own list (`Vec`/`VecDeque` of `Arc<Token>` under the primitive's lock,
//!   not a channel's hook queue), because csp-sync wakes waiters without
//!   selecting them (`Cond::broadcast`, a waiter re-checking a lock) and a
//!   waiter dropped while queued must stay valid until the list lets go.
//! Channels and `select` queue `Hook`s (raw pointers into pinned futures,
//! under the lifetime protocol above); csp-sync queues `Arc<Token>`s.
//!
//! # Vocabulary
//! - *publish* a hook: link it into a channel queue (a parked operation).
//! - *park record*: what a csp primitive tells the goroutine wrapper when it
//!   returns `Pending` (`goroutine::park`): the wait reason of a dump.
//! - a *parked thread*: a plain OS thread in a `*_blocking` call
//!   (`plain_thread`); an *idle worker*: a Tokio worker in its park hook
//!   (`goroutine::deadlock`).
//! - *the view*: a channel's lock-free snapshot (`chan::snapshot`).

use std::marker::PhantomPinned;
use std::ptr::NonNull;
use std::task::Waker;

use crate::goroutine::waker::{queue_clone, store_queue_waker};
use crate::loom::{AtomicUsize, MutPtr, Ordering, PlainMutex, UnsafeCell};

mod select_token;

#[doc(hidden)] // named by the sealed `SelectCase` protocol; not for users
pub use select_token::SelectToken;

const WAITING: usize = 0;
const ABORTED: usize = 1;
const SELECTED_BASE: usize = 2;

/// The selection token of one waiting future (Go's `selectDone` flag), as
/// csp-sync's primitives use it: shared in an `Arc`, its waker behind a
/// small mutex so a waker can wake it without selecting it (`Cond`). The
/// select engine uses the lock-free [`SelectToken`] instead.
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
            waker: PlainMutex::new(Some(queue_clone(waker))),
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
        store_queue_waker(&mut self.waker.lock(), waker);
        self.selected()
    }

    /// Wakes the owner. Call only after every channel lock is released.
    #[inline]
    pub fn wake(&self) {
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            crate::goroutine::waker::wake(waker);
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

impl OwnToken {
    /// Stores `waker` unless the stored one would wake the same task.
    ///
    /// # Safety
    /// The caller has exclusive access to the waker (waker rules 1 and 2).
    #[inline]
    unsafe fn store_waker(&self, waker: &Waker) {
        let ptr = self.waker.get_mut();
        // SAFETY: forwarded precondition.
        store_queue_waker(unsafe { ptr.deref() }, waker);
    }
}

/// Where a hook finds its token: its own (plain operations) or shared with
/// the other cases of a select, which keeps it in place for as long as its
/// hooks may be reached (lifetime protocol).
#[derive(Debug)]
enum TokenRef {
    Own(OwnToken),
    Shared(NonNull<SelectToken>),
}

/// A peer's selection found the token already out of `WAITING` (its select
/// committed another case, or withdrew): the hook was stale.
#[derive(Debug)]
pub(crate) struct Stale;

/// One waiting operation's entry in one channel queue (Go's `sudog`).
///
/// `!Unpin`: a published hook must not move (lifetime protocol).
#[derive(Debug)]
pub struct Hook<T> {
    token: TokenRef,
    case: usize,
    slot: UnsafeCell<Option<T>>,
    _pinned: PhantomPinned,
}

// SAFETY: the slot and a plain hook's waker are reached only under the slot
// and waker protocols of this module, which give one party at a time exclusive
// access, ordered by the channel lock or by the token's acquire/release
// transitions; so a hook only moves `T` values (and wakers) between threads
// and never shares a `&T`: `T: Send` suffices.
unsafe impl<T: Send> Sync for Hook<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Hook<T> {}

impl<T> Hook<T> {
    /// A hook for a plain send or receive: case 0 of its own token, not yet
    /// armed with a waker (see [`Hook::arm`]).
    pub(crate) fn plain() -> Self {
        Self {
            token: TokenRef::Own(OwnToken {
                state: AtomicUsize::new(WAITING),
                waker: UnsafeCell::new(None),
            }),
            case: 0,
            slot: UnsafeCell::new(None),
            _pinned: PhantomPinned,
        }
    }

    /// A hook for case `case` of a select whose token is `token`. The
    /// select keeps `token` alive and in place while the hook may be reached.
    pub(crate) fn for_case(token: &SelectToken, case: usize, slot: Option<T>) -> Self {
        Self {
            token: TokenRef::Shared(NonNull::from(token)),
            case,
            slot: UnsafeCell::new(slot),
            _pinned: PhantomPinned,
        }
    }

    /// The shared token of a select hook.
    #[inline]
    fn shared(token: &NonNull<SelectToken>) -> &SelectToken {
        // SAFETY: the select that owns the token keeps it alive and in place
        // while any of its hooks may be reached (`SelectCase::register_locked`).
        unsafe { token.as_ref() }
    }

    /// Arms a plain hook to wake `waker` (keeping the stored waker if it
    /// would wake the same task), and makes its token wait again if an
    /// earlier operation completed with it.
    ///
    /// # Safety
    /// The hook is not published and no peer access to it is in progress
    /// (lifetime protocol): the caller has exclusive access (waker rule 1).
    #[inline]
    pub(crate) unsafe fn arm(&self, waker: &Waker) {
        if let TokenRef::Own(own) = &self.token {
            own.state.store(WAITING, Ordering::Relaxed);
            // SAFETY: exclusive access is the caller's precondition.
            unsafe { own.store_waker(waker) };
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
        if let TokenRef::Own(own) = &self.token {
            // SAFETY: under the lock and still waiting, no peer touches the waker.
            unsafe { own.store_waker(waker) };
        }
    }

    /// A peer selects this hook's case (or a close selects it with the
    /// "closed" outcome). On success returns the owner's waker, to wake after
    /// unlocking; after this call the peer must not touch the hook again.
    ///
    /// # Safety
    /// The caller holds the lock of the channel whose queue held the hook and
    /// popped it in this critical section (waker rule 3, slot rule 2).
    #[inline]
    pub(crate) unsafe fn select_locked(&self) -> Result<Option<Waker>, Stale> {
        match &self.token {
            TokenRef::Own(own) => {
                // A queued plain hook always waits: only peers holding this
                // channel's lock select it, and it leaves the queue when they do.
                debug_assert_eq!(own.state.load(Ordering::Relaxed), WAITING);
                let ptr = own.waker.get_mut();
                // SAFETY: waker rule 3: the selecting peer, under the lock,
                // before the release store that hands the hook back.
                let waker = unsafe { ptr.deref() }.take();
                // Under loom the pointer tracks the access until it is gone.
                #[allow(clippy::drop_non_drop)]
                drop(ptr);
                own.state
                    .store(SELECTED_BASE + self.case, Ordering::Release);
                Ok(waker)
            }
            TokenRef::Shared(token) => Self::shared(token).select_taking_waker(self.case),
        }
    }

    /// Whether the token left the waiting state for this hook's case
    /// (acquire: the selecting peer's slot writes are visible afterwards).
    #[inline]
    pub(crate) fn is_selected(&self) -> bool {
        match &self.token {
            TokenRef::Own(own) => own.state.load(Ordering::Acquire) == SELECTED_BASE + self.case,
            TokenRef::Shared(token) => Self::shared(token).selected() == Some(self.case),
        }
    }

    /// Whether the token still waits (a peer may still select it).
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        match &self.token {
            TokenRef::Own(own) => own.state.load(Ordering::Acquire) == WAITING,
            TokenRef::Shared(token) => Self::shared(token).is_waiting(),
        }
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

impl<T> Drop for Hook<T> {
    #[inline]
    fn drop(&mut self) {
        // Explicit accesses (not just the automatic drop), so that under loom a
        // peer access not ordered before the owner's drop is reported.
        if let TokenRef::Own(own) = &self.token {
            let ptr = own.waker.get_mut();
            // SAFETY: `&mut self`: nobody else can reach the hook any more.
            drop(unsafe { ptr.deref() }.take());
        }
        let ptr = self.slot.get_mut();
        // SAFETY: as above.
        drop(unsafe { ptr.deref() }.take());
    }
}

/// A channel queue's pointer to a published [`Hook`]. Valid while the
/// lifetime protocol's owner promise holds: for every dereference made by a
/// peer under the channel lock in the critical section that finds it queued.
pub(crate) struct HookPtr<T>(NonNull<Hook<T>>);

impl<T> HookPtr<T> {
    /// The pointer to publish for `hook`.
    #[inline]
    pub(crate) fn new(hook: &Hook<T>) -> Self {
        Self(NonNull::from(hook))
    }

    /// The hook.
    ///
    /// # Safety
    /// The caller holds the lock of the channel whose queue holds (or, in this
    /// critical section, held) this pointer: the owner keeps the hook alive
    /// and in place meanwhile (lifetime protocol).
    #[inline]
    pub(crate) unsafe fn get<'a>(self) -> &'a Hook<T> {
        // SAFETY: forwarded precondition.
        unsafe { self.0.as_ref() }
    }

    /// Whether this points at `hook`.
    #[inline]
    pub(crate) fn is(self, hook: &Hook<T>) -> bool {
        std::ptr::eq(self.0.as_ptr(), hook)
    }
}

impl<T> Clone for HookPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for HookPtr<T> {}

/// Exclusive access to a hook's slot, obtained under the slot protocol.
pub(crate) struct SlotRef<'a, T> {
    ptr: MutPtr<Option<T>>,
    _hook: std::marker::PhantomData<&'a Hook<T>>,
}

impl<T> SlotRef<'_, T> {
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
