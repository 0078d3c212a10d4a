//! The waker every goroutine is polled with, and what its live clones tell
//! the deadlock detector.
//!
//! The goroutine wrapper (`spawn`) polls the user's future with a waker of its
//! own ([`lend`]), whose data is the goroutine's registry entry and which
//! forwards every wake to the waker of the task that polls the goroutine
//! (Tokio's). Its clones come in two kinds:
//! - **foreign** clones: what `cx.waker().clone()` makes anywhere (a Tokio
//!   timer, the I/O driver, `tokio::sync`, a `futures` channel, a plain
//!   thread). Each live one is counted in [`WakeState`]: while any exists,
//!   something outside csp may wake the goroutine, so it is not blocked.
//! - **queue** clones: what csp's own wait queues keep (channels, select,
//!   csp-sync), taken with [`queue_clone`]. They are not counted: a goroutine
//!   whose only wakers sit in csp queues can be woken only by another
//!   goroutine, which the detector sees. For a goroutine that is a Tokio task
//!   the queue clone *is* the task's own waker (no forwarding, the same cost
//!   as before goroutines had wakers of their own); for a `block_on` main it
//!   forwards, so its wakes can be seen (`WakeState::notify`).
//!
//! A goroutine is *awake* for the detector while a foreign clone of its waker
//! is alive, and (for a `block_on` main, polled off the workers) while it is
//! being polled or a wake has arrived that its next poll has not consumed.
//! Only a goroutine that is not awake and whose last poll parked in a csp
//! primitive is blocked.
//!
//! # Invariants
//! - `foreign` equals the number of live foreign clones. A foreign clone is
//!   made only from the waker the wrapper lends to a poll or from another
//!   foreign clone, so the count rises from zero only during a poll.
//! - A wake sets `notified` before a foreign clone it consumes is uncounted
//!   (release), so a reader that sees the count drop (acquire) also sees the
//!   wake. The wrapper clears `notified` at the start of each poll, before
//!   polling the future (sequentially consistent: the clear cannot pass the
//!   poll's reads): a wake that races the poll is never lost.
//! - csp primitives wake through [`wake`], never `Waker::wake` directly: while
//!   a main goroutine is polled, wakes made on its thread (by csp primitives
//!   or through foreign clones) are held back ([`MainPoll`]) and delivered
//!   when the poll returns `Pending`; if it returns `Ready` (or unwinds)
//!   they are dropped: main's locals, dropped at the end of its body, cannot
//!   wake a goroutine after the program ended.
//!
//! # Locking
//! `TaskWaker::changed` holds the task waker only if a later poll brought a
//! different one than the first (never for a Tokio task); held to clone or
//! replace it, never while waking.

use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::PoisonError;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::entry_ref::EntryRef;
use super::registry::Registry;
use crate::loom::{AtomicBool, AtomicPtr, AtomicU32, Ordering};

/// What the deadlock detector reads of one goroutine's waker.
///
/// `notified` and `polling` are kept only for a goroutine polled off the
/// runtime's workers (a `block_on` main): for a Tokio task, being polled or
/// woken-and-queued keeps a worker busy, which the detector sees already, so
/// its polls and wakes pay for neither.
#[derive(Debug)]
pub(crate) struct WakeState {
    /// Live foreign clones of the goroutine's waker (four bytes: a count
    /// past `u32::MAX` would need that many wakers alive at once, each a
    /// heap block or more).
    foreign: AtomicU32,
    /// Polled on a thread that is not a worker of its runtime.
    off_task: bool,
    /// A wake arrived since the last poll began (`off_task` only).
    notified: AtomicBool,
    /// The goroutine's future is being polled (`off_task` only).
    polling: AtomicBool,
}

impl WakeState {
    pub(crate) fn new(off_task: bool) -> Self {
        WakeState {
            foreign: AtomicU32::new(0),
            off_task,
            notified: AtomicBool::new(false),
            polling: AtomicBool::new(false),
        }
    }

    /// The wrapper, before polling the future.
    #[inline]
    pub(crate) fn begin_poll(&self) {
        if self.off_task {
            self.polling.store(true, Ordering::SeqCst);
            self.notified.store(false, Ordering::SeqCst);
        }
    }

    /// The wrapper, after polling the future.
    #[inline]
    pub(crate) fn end_poll(&self) {
        if self.off_task {
            self.polling.store(false, Ordering::SeqCst);
        }
    }

    /// A foreign clone was made.
    #[inline]
    pub(crate) fn foreign_cloned(&self) {
        self.foreign.fetch_add(1, Ordering::Relaxed);
    }

    /// A foreign clone was dropped or consumed by a wake.
    #[inline]
    pub(crate) fn foreign_dropped(&self) {
        self.foreign.fetch_sub(1, Ordering::Release);
    }

    /// Whether the goroutine is polled off the runtime's workers.
    #[inline]
    pub(crate) fn off_task(&self) -> bool {
        self.off_task
    }

    /// A wake arrived (through any clone).
    #[inline]
    pub(crate) fn notify(&self) {
        if self.off_task {
            self.notified.store(true, Ordering::SeqCst);
        }
    }

    /// Whether something may still run or wake the goroutine without another
    /// goroutine's help: a foreign clone of its waker alive, or (off a
    /// worker) being polled or woken and not yet polled.
    pub(crate) fn awake(&self) -> bool {
        self.foreign.load(Ordering::SeqCst) != 0
            || (self.off_task
                && (self.notified.load(Ordering::SeqCst) || self.polling.load(Ordering::SeqCst)))
    }
}

/// The waker of the task that polls a goroutine: Tokio's task waker, or the
/// `block_on` thread's.
///
/// `first` is written once, by the first poll, before any clone of the
/// goroutine's waker exists (clones are made only during polls), and never
/// again: whoever holds a clone reads it without synchronization of its own
/// (the clone reached that thread through some synchronization after the
/// write). A later poll whose waker would not wake the same task stores it in
/// `changed` instead, allocated then (never, for a Tokio task): a pointer
/// that the wrapper sets once (release) and that stays valid until the
/// `TaskWaker` drops (a one-word `OnceLock<Box<_>>`).
#[derive(Debug)]
pub(crate) struct TaskWaker {
    first: UnsafeCell<Option<Waker>>,
    changed: AtomicPtr<ChangedWaker>,
}

/// The task waker after it changed (see [`TaskWaker`]).
type ChangedWaker = std::sync::Mutex<Option<Waker>>;

// SAFETY: `first` is written only before the waker it belongs to can be
// reached from another thread (see above), and `Waker` is `Send + Sync`;
// `changed` points to a `Sync` value that lives as long as `self`.
unsafe impl Sync for TaskWaker {}

impl Default for TaskWaker {
    fn default() -> Self {
        TaskWaker {
            first: UnsafeCell::new(None),
            changed: AtomicPtr::new(std::ptr::null_mut()),
        }
    }
}

impl Drop for TaskWaker {
    fn drop(&mut self) {
        let changed = self.changed.load(Ordering::Acquire);
        if !changed.is_null() {
            // SAFETY: a non-null `changed` came from `Box::into_raw` in
            // `changed_or_init`, is freed only here, and `&mut self` means no
            // reader holds it.
            drop(unsafe { Box::from_raw(changed) });
        }
    }
}

impl TaskWaker {
    /// Records the waker of the poll that is starting: a pointer comparison
    /// on every poll but the first, for a Tokio task.
    ///
    /// # Safety
    /// Called only by the goroutine's wrapper, at the start of a poll (so
    /// never concurrently with itself).
    #[inline]
    pub(crate) unsafe fn update(&self, waker: &Waker) {
        // SAFETY: a shared read; the one write below happens while nobody
        // else can read (see the type's doc).
        match unsafe { &*self.first.get() } {
            // SAFETY: only the wrapper writes `first`, at the first poll,
            // before any clone of the goroutine's waker exists.
            None => unsafe { *self.first.get() = Some(waker.clone()) },
            Some(first) if first.will_wake(waker) && self.changed().is_none() => {}
            Some(_) => self.update_slow(waker),
        }
    }

    /// The changed task waker, once a poll brought one.
    #[inline]
    fn changed(&self) -> Option<&ChangedWaker> {
        let changed = self.changed.load(Ordering::Acquire);
        // SAFETY: non-null only once `update_slow` stored a `Box`'s pointer
        // (release, read with acquire here), which stays valid until `self`
        // drops.
        (!changed.is_null()).then(|| unsafe { &*changed })
    }

    /// Only the wrapper calls it (through `update`), so `changed` is set at
    /// most once, without a race.
    #[cold]
    fn update_slow(&self, waker: &Waker) {
        let changed = match self.changed() {
            Some(changed) => changed,
            None => {
                let fresh = Box::into_raw(Box::<ChangedWaker>::default());
                self.changed.store(fresh, Ordering::Release);
                // SAFETY: just allocated; valid until `self` drops.
                unsafe { &*fresh }
            }
        };
        let mut changed = changed.lock().unwrap_or_else(PoisonError::into_inner);
        match &*changed {
            Some(old) if old.will_wake(waker) => {}
            _ => *changed = Some(waker.clone()),
        }
    }

    /// A clone of the task's waker, if it never changed (see the type's doc).
    fn clone_first(&self) -> Option<Waker> {
        if self.changed().is_some() {
            return None;
        }
        // SAFETY: read after the first poll wrote it for good (we are called
        // with a goroutine waker in hand, which exists only after that).
        unsafe { &*self.first.get() }.clone()
    }

    /// Whether `waker` is the task's waker.
    fn is_first(&self, waker: &Waker) -> bool {
        // SAFETY: as in `clone_first`.
        self.changed().is_none()
            && unsafe { &*self.first.get() }
                .as_ref()
                .is_some_and(|first| first.will_wake(waker))
    }

    fn wake(&self) {
        if let Some(changed) = self.changed() {
            let waker = changed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(waker) = waker {
                waker.wake();
            }
            return;
        }
        // SAFETY: a wake comes through a clone, made after `first` was
        // written for good (see the type's doc).
        if let Some(first) = unsafe { &*self.first.get() } {
            first.wake_by_ref();
        }
    }
}

/// Delivers a wake to the goroutine whose entry is `entry`, or holds it back
/// while this thread polls a main goroutine.
fn wake_entry(entry: &EntryRef) {
    entry.wake.notify();
    let held = held_wakes();
    if held.is_null() {
        entry.task.wake();
    } else {
        let data = EntryRef::into_raw(entry.clone());
        // SAFETY: the reference just taken is owned by the new waker; `held`
        // is this thread's buffer of held-back wakes (see `held_wakes`).
        unsafe { (*held).push(Waker::from_raw(RawWaker::new(data, &QUEUE))) };
    }
}

/// Wakes `waker`, or holds the wake back while this thread polls a main
/// goroutine (see the module invariants). Every wake made by a csp primitive
/// goes through here.
#[doc(hidden)]
#[inline]
pub fn wake(waker: Waker) {
    let held = held_wakes();
    if held.is_null() {
        waker.wake();
    } else {
        // SAFETY: `held` is this thread's buffer of held-back wakes.
        unsafe { (*held).push(waker) };
    }
}

thread_local! {
    /// The held-back wakes of the main goroutine being polled on this
    /// thread, if any (see [`MainPoll`]); null otherwise.
    static HELD: Cell<*mut Vec<Waker>> = const { Cell::new(std::ptr::null_mut()) };
}

/// This thread's buffer of held-back wakes, or null. Non-null only while a
/// [`MainPoll`] on this thread lends its buffer and does not touch it, so
/// pushing through the pointer is exclusive access (no wake runs user code
/// that could reach it otherwise: held-back wakes are only pushed).
#[inline]
fn held_wakes() -> *mut Vec<Waker> {
    HELD.try_with(Cell::get).unwrap_or(std::ptr::null_mut())
}

/// Holds back the wakes made on this thread while a main goroutine is
/// polled; see the module invariants. Dropped after [`MainPoll::pending`] it
/// delivers them; dropped otherwise (main returned, or unwound) it ends the
/// run epoch and drops them.
pub(crate) struct MainPoll<'a> {
    held: *mut Vec<Waker>,
    registry: &'a Registry,
    completed: bool,
    _buffer: PhantomData<&'a mut Vec<Waker>>,
}

impl<'a> MainPoll<'a> {
    /// Starts holding wakes back into `buffer` (empty; kept by the main
    /// goroutine's wrapper so its capacity is reused).
    pub(crate) fn begin(buffer: &'a mut Vec<Waker>, registry: &'a Registry) -> Self {
        let held: *mut Vec<Waker> = buffer;
        HELD.with(|d| d.set(held));
        MainPoll {
            held,
            registry,
            completed: true,
            _buffer: PhantomData,
        }
    }

    /// Main's poll returned `Pending`: deliver the held wakes on drop.
    pub(crate) fn pending(mut self) {
        self.completed = false;
    }
}

impl Drop for MainPoll<'_> {
    fn drop(&mut self) {
        let _ = HELD.try_with(|d| d.set(std::ptr::null_mut()));
        // SAFETY: the buffer is borrowed for `'a` and nobody else reaches it
        // now that the thread-local pointer is cleared.
        let held = unsafe { &mut *self.held };
        if self.completed {
            // Main returned or unwound: freeze every goroutine, then drop the
            // wakes its last poll made (no goroutine may observe its teardown).
            self.registry.end_epoch();
            held.clear();
        } else {
            for waker in held.drain(..) {
                waker.wake();
            }
        }
    }
}

/// The waker lent to one poll of the goroutine whose entry is `entry`: a
/// foreign-vtable waker that owns no reference (the wrapper's entry outlives
/// the poll), so lending it costs nothing.
pub(crate) fn lend(entry: &EntryRef) -> ManuallyDrop<Waker> {
    let data = EntryRef::as_raw(entry);
    // SAFETY: `data` points to a live `Entry` for the whole poll (the wrapper
    // holds an `EntryRef`), and the waker is never dropped (`ManuallyDrop`), so
    // the vtable's functions see a valid pointer and no reference is
    // released that was not taken: clones take their own.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &FOREIGN)) })
}

/// The clone of `waker` a csp wait queue keeps: for a goroutine's waker, one
/// that does not count as a possible outside waker (the task's own waker, for
/// a goroutine that is a Tokio task); any other waker is cloned as is.
///
/// For csp primitives (channels, select, csp-sync) only: a clone taken here
/// claims that only another goroutine (or a counted plain thread) will wake
/// it.
#[doc(hidden)]
#[inline]
pub fn queue_clone(waker: &Waker) -> Waker {
    if !is_goroutine(waker) {
        return waker.clone();
    }
    // SAFETY: a goroutine waker's data is a live `EntryRef` pointer, with a
    // reference held by `waker` for this call.
    unsafe {
        with_entry(waker.data(), |entry| {
            let task = if entry.wake.off_task() {
                None
            } else {
                entry.task.clone_first()
            };
            task.unwrap_or_else(|| {
                let data = EntryRef::into_raw(entry.clone());
                // SAFETY: the reference just taken is owned by the new waker.
                Waker::from_raw(RawWaker::new(data, &QUEUE))
            })
        })
    }
}

/// Stores in `slot` the queue clone of `waker`, unless `slot` already holds
/// a waker of the same task (as `Waker::will_wake`, seeing through a
/// goroutine's waker to its task's).
#[doc(hidden)]
#[inline]
pub fn store_queue_waker(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(old) if queue_waker_matches(old, waker) => {}
        _ => *slot = Some(queue_clone(waker)),
    }
}

/// Whether `stored` (a queue clone) wakes the same task as `waker`, the
/// waker of a poll (as `Waker::will_wake`, seeing through a goroutine's
/// waker to its task's): for queues that keep their wakers themselves.
#[doc(hidden)]
#[inline]
pub fn queue_waker_matches(stored: &Waker, waker: &Waker) -> bool {
    if stored.will_wake(waker) {
        return true;
    }
    if !is_goroutine(waker) {
        return false;
    }
    if is_goroutine(stored) {
        return stored.data() == waker.data();
    }
    // SAFETY: as in `queue_clone`.
    unsafe { with_entry(waker.data(), |entry| entry.task.is_first(stored)) }
}

fn is_goroutine(w: &Waker) -> bool {
    std::ptr::eq(w.vtable(), &FOREIGN) || std::ptr::eq(w.vtable(), &QUEUE)
}

/// Runs `f` on the entry behind a goroutine waker's data pointer, without
/// taking or releasing a reference.
///
/// # Safety
/// `data` comes from a live goroutine waker, which holds a reference for the
/// duration of the call.
unsafe fn with_entry<R>(data: *const (), f: impl FnOnce(&EntryRef) -> R) -> R {
    // SAFETY: `data` is an `EntryRef` pointer with a reference held by the
    // caller's waker; `ManuallyDrop` keeps this borrowed handle from releasing it.
    let entry = ManuallyDrop::new(unsafe { EntryRef::from_raw(data) });
    f(&entry)
}

static FOREIGN: RawWakerVTable = RawWakerVTable::new(
    foreign_clone,
    foreign_wake,
    foreign_wake_by_ref,
    foreign_drop,
);
static QUEUE: RawWakerVTable =
    RawWakerVTable::new(queue_clone_raw, queue_wake, queue_wake_by_ref, queue_drop);

unsafe fn foreign_clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a reference to the entry.
    unsafe { with_entry(data, |entry| entry.wake.foreign_cloned()) };
    // SAFETY: as above; the new reference is owned by the clone.
    unsafe { EntryRef::increment(data) };
    RawWaker::new(data, &FOREIGN)
}

unsafe fn foreign_wake(data: *const ()) {
    // SAFETY: a by-value wake consumes the waker's reference.
    let entry = unsafe { EntryRef::from_raw(data) };
    wake_entry(&entry);
    // After the wake is recorded (see the module invariants).
    entry.wake.foreign_dropped();
}

unsafe fn foreign_wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference for the call.
    unsafe { with_entry(data, wake_entry) };
}

unsafe fn foreign_drop(data: *const ()) {
    // SAFETY: dropping the waker releases its reference.
    let entry = unsafe { EntryRef::from_raw(data) };
    entry.wake.foreign_dropped();
}

unsafe fn queue_clone_raw(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a reference; the new one is the clone's.
    unsafe { EntryRef::increment(data) };
    RawWaker::new(data, &QUEUE)
}

unsafe fn queue_wake(data: *const ()) {
    // SAFETY: a by-value wake consumes the waker's reference.
    wake_entry(&unsafe { EntryRef::from_raw(data) });
}

unsafe fn queue_wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference for the call.
    unsafe { with_entry(data, wake_entry) };
}

unsafe fn queue_drop(data: *const ()) {
    // SAFETY: dropping the waker releases its reference.
    drop(unsafe { EntryRef::from_raw(data) });
}

#[cfg(all(test, loom))]
mod loom_model {
    use super::WakeState;
    use crate::loom::{Arc, AtomicBool, Ordering};
    use loom::thread;

    /// A wake racing the last park: a goroutine's poll hands a foreign clone
    /// to a timer and parks; the timer fires (consuming the clone) while the
    /// detector looks. The detector must never see the goroutine blocked
    /// after the park, since the wake has not been consumed by a new poll.
    #[test]
    fn wake_racing_the_last_park_is_never_blocked() {
        loom::model(|| {
            let state = Arc::new(WakeState::new(true));
            let handed = Arc::new(AtomicBool::new(false));
            // The goroutine's poll: clone the waker for the timer, park.
            state.begin_poll();
            state.foreign_cloned();
            let timer = {
                let (state, handed) = (state.clone(), handed.clone());
                thread::spawn(move || {
                    if handed.load(Ordering::Acquire) {
                        // Fires: a by-value wake.
                        state.notify();
                        state.foreign_dropped();
                    }
                })
            };
            handed.store(true, Ordering::Release);
            state.end_poll();
            let detector = {
                let state = state.clone();
                thread::spawn(move || assert!(state.awake(), "reported a goroutine a timer holds"))
            };
            timer.join().unwrap();
            detector.join().unwrap();
            assert!(state.awake());
        });
    }
}
