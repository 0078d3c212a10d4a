//! The channel lock: [`RawLock`], the lock of one channel's state, whose
//! acquire and release are separate calls so the select engine can hold the
//! locks of several channels at once (Go's `sellock`).
//!
//! # Invariants
//! - It protects exactly one channel's `State` (in an `UnsafeCell` beside it,
//!   `chan::core`): nothing of the state is read or written without it, but
//!   the lock-free view (`chan::snapshot`), which is published under it.
//! - Whoever locks unlocks: a `Chan::guard` (one channel) or the select
//!   engine's pass-2 guard (several, released on unwind too), never another
//!   thread.
//! - Several locks are held together only by the select engine, always in
//!   increasing channel-id order; every other path holds at most one.
//!
//! # Locking
//! Nobody is woken, no user code runs and no waker is dropped while it is held:
//! the wakers a critical section collects are woken after the unlock.

#[cfg(all(test, loom))]
use crate::loom::{Arc, UnsafeCell};
use crate::loom::{AtomicBool, Ordering};

/// A lock whose acquire and release are separate calls, so the select engine
/// can hold the locks of several channels at once (Go's `sellock`), in
/// channel-key order. The data it protects lives in an [`UnsafeCell`] next to it.
///
/// Outside loom it is a spin lock (loom models a lock with its own mutex and
/// condition variable: a spin lock explodes its search): every critical
/// section it guards is a few queue operations that never block, allocate
/// only rarely and run no user code. Release is a plain store (a
/// read-modify-write release stalls on a contended cache line). A waiter
/// re-checks a few times within about 7 pauses, then backs off a randomized
/// 128 to 1,024 pauses, so the holder runs a batch on a line that stays in its
/// core, and after a while yields to the OS scheduler so a preempted holder
/// gets to run. The one handle on its side of a channel backs off 16 to 128
/// pauses instead ([`RawLock::lock_urgent`]): every operation on the other
/// side waits on it. The measurements behind these numbers, and why a lock
/// and not a lock-free ring: `docs/performance.md`, "The channel lock".
pub(crate) struct RawLock {
    #[cfg(not(loom))]
    spin: SpinLock,
    #[cfg(loom)]
    held: loom::sync::Mutex<bool>,
    #[cfg(loom)]
    released: loom::sync::Condvar,
}

impl RawLock {
    pub(crate) fn new() -> Self {
        #[cfg(not(loom))]
        return Self {
            spin: SpinLock::new(),
        };
        #[cfg(loom)]
        return Self {
            held: loom::sync::Mutex::new(false),
            released: loom::sync::Condvar::new(),
        };
    }

    /// Blocks until the lock is acquired.
    #[inline]
    pub(crate) fn lock(&self) {
        #[cfg(not(loom))]
        self.spin.lock();
        #[cfg(loom)]
        {
            let mut held = self.held.lock().unwrap();
            while *held {
                held = self.released.wait(held).unwrap();
            }
            *held = true;
        }
    }

    /// As [`RawLock::lock`], for the waiter every operation on the other
    /// side of the channel waits on (the one receiver of an MPSC channel):
    /// backs off 16 to 128 pauses per round instead of 128 to 1,024, so
    /// losing one race does not stall the whole flow for microseconds.
    #[inline]
    pub(crate) fn lock_urgent(&self) {
        #[cfg(not(loom))]
        self.spin.lock_with(URGENT_PAUSES);
        #[cfg(loom)]
        self.lock();
    }

    /// Acquires the lock if it is free or freed within a few re-checks
    /// (the quick tries of [`RawLock`], no backoff); `false` otherwise.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        #[cfg(not(loom))]
        return self.spin.try_lock();
        #[cfg(loom)]
        {
            let mut held = self.held.lock().unwrap();
            if *held {
                return false;
            }
            *held = true;
            true
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// The calling thread acquired the lock with [`RawLock::lock`] or
    /// [`RawLock::try_lock`] and has not
    /// released it since.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        #[cfg(not(loom))]
        self.spin.unlock();
        #[cfg(loom)]
        {
            *self.held.lock().unwrap() = false;
            self.released.notify_one();
        }
    }
}

/// Pauses per backoff round, drawn at random (see [`RawLock`]).
const PAUSES: std::ops::Range<u32> = 128..1024;
/// The same for [`RawLock::lock_urgent`].
#[cfg(not(loom))]
const URGENT_PAUSES: std::ops::Range<u32> = 16..128;

/// The spin lock behind [`RawLock`] outside loom (see its docs). Under loom
/// it is modelled on its own (`loom_model::spin_lock_excludes`), with a yield to
/// loom's scheduler in place of the pauses.
#[cfg_attr(loom, allow(dead_code))] // under loom, only its own model uses it
pub(crate) struct SpinLock {
    held: AtomicBool,
}

#[cfg_attr(loom, allow(dead_code))]
impl SpinLock {
    pub(crate) fn new() -> Self {
        Self {
            held: AtomicBool::new(false),
        }
    }

    /// Blocks until the lock is acquired.
    #[inline]
    pub(crate) fn lock(&self) {
        self.lock_with(PAUSES);
    }

    /// Blocks until the lock is acquired, backing off a number of pauses
    /// drawn from `pauses` per round.
    #[inline]
    pub(crate) fn lock_with(&self, pauses: std::ops::Range<u32>) {
        if self
            .held
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended(pauses);
        }
    }

    /// Acquires the lock if it is free or freed within the quick re-checks.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        self.held
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            || self.quick_tries()
    }

    /// Re-checks after 1, 2, 4 ... pauses (see [`RawLock`]); whether one
    /// of them took the lock.
    #[cold]
    #[inline(never)]
    fn quick_tries(&self) -> bool {
        /// How many re-checks.
        const QUICK_TRIES: u32 = 3;
        for i in 0..QUICK_TRIES {
            for _ in 0..1u32 << i {
                #[cfg(not(loom))]
                std::hint::spin_loop();
                #[cfg(loom)]
                loom::thread::yield_now();
            }
            if self.try_lock_after_test() {
                return true;
            }
        }
        false
    }

    /// The slow path of [`SpinLock::lock`]: the quick re-checks, then
    /// randomized pauses, then yields.
    #[cold]
    #[inline(never)]
    #[cfg_attr(loom, allow(unused_variables))]
    fn lock_contended(&self, pauses: std::ops::Range<u32>) {
        /// Rounds of pauses (about 50 µs in all at [`PAUSES`]) before the
        /// holder is assumed preempted and the OS asked to run it.
        #[cfg(not(loom))]
        const SPIN_ROUNDS: u32 = 8;
        #[cfg(not(loom))]
        if self.quick_tries() {
            return;
        }
        #[cfg(not(loom))]
        let mut rounds = 0u32;
        loop {
            #[cfg(loom)]
            loom::thread::yield_now();
            #[cfg(not(loom))]
            {
                for _ in 0..fastrand::u32(pauses.clone()) {
                    std::hint::spin_loop();
                }
                rounds = rounds.saturating_add(1);
                if rounds > SPIN_ROUNDS {
                    std::thread::yield_now();
                }
            }
            if self.try_lock_after_test() {
                return;
            }
        }
    }

    /// Test before test-and-set: a failed exchange would steal the line.
    #[inline]
    fn try_lock_after_test(&self) -> bool {
        !self.held.load(Ordering::Relaxed)
            && self
                .held
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Releases the lock: a plain release store.
    #[inline]
    pub(crate) fn unlock(&self) {
        self.held.store(false, Ordering::Release);
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use super::{Arc, SpinLock, UnsafeCell};

    /// Two threads increment a counter under the spin lock: no lost update,
    /// and loom's cell tracking sees no overlapping access.
    #[test]
    fn spin_lock_excludes() {
        loom::model(|| {
            struct Shared {
                lock: SpinLock,
                count: UnsafeCell<u32>,
            }
            // SAFETY: `count` is only touched under `lock`.
            unsafe impl Sync for Shared {}
            let shared = Arc::new(Shared {
                lock: SpinLock::new(),
                count: UnsafeCell::new(0),
            });
            let other = shared.clone();
            let t = loom::thread::spawn(move || {
                other.lock.lock();
                // SAFETY: the lock is held.
                unsafe { *other.count.get_mut().deref() += 1 };
                other.lock.unlock();
            });
            shared.lock.lock();
            // SAFETY: the lock is held.
            unsafe { *shared.count.get_mut().deref() += 1 };
            shared.lock.unlock();
            t.join().unwrap();
            shared.lock.lock();
            // SAFETY: the lock is held.
            assert_eq!(unsafe { *shared.count.get_mut().deref() }, 2);
            shared.lock.unlock();
        });
    }
}
