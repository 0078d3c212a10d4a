//! A one-slot cache of a spare [`Hook`], kept by each channel handle so that
//! a plain send or receive that parks reuses the previous one's allocation
//! instead of allocating anew (ping-pong parks on every message).
//!
//! # Invariants
//! - The slot holds either null or a pointer from `Arc::into_raw` of a hook
//!   that no one else references (it was unique when put), in the reset state:
//!   token waiting, no waker, empty slot, case 0 of its own token;
//!   [`Hook::arm`] sets its waker before it is published again.
//! - Only `swap` and `compare_exchange` touch the slot, so a pointer is owned
//!   by exactly one party at a time: the cache, or whoever took it.

use std::ptr;

use super::Hook;
use crate::loom::{Arc, AtomicPtr, Ordering};

pub(crate) struct HookCache<T> {
    slot: AtomicPtr<Hook<T>>,
}

impl<T> HookCache<T> {
    pub(crate) fn new() -> Self {
        Self {
            slot: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Takes the spare hook, if any.
    #[inline]
    pub(crate) fn take(&self) -> Option<Arc<Hook<T>>> {
        let p = self.slot.swap(ptr::null_mut(), Ordering::AcqRel);
        if p.is_null() {
            return None;
        }
        // SAFETY: non-null pointers in the slot come from `Arc::into_raw` in
        // `put`, and the swap made us their only owner (module invariants).
        Some(unsafe { Arc::from_raw(p) })
    }

    /// Keeps `hook` for reuse if nobody else references it and the cache is
    /// empty; otherwise drops it.
    #[inline]
    pub(crate) fn put(&self, mut hook: Arc<Hook<T>>) {
        let Some(unique) = Arc::get_mut(&mut hook) else {
            return;
        };
        if !unique.reset() {
            return;
        }
        let p = Arc::into_raw(hook).cast_mut();
        if self
            .slot
            .compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `p` came from `Arc::into_raw` just above and was not
            // published: we still own it.
            drop(unsafe { Arc::from_raw(p) });
        }
    }
}

impl<T> Drop for HookCache<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

// SAFETY: the cache owns at most one `Arc<Hook<T>>`, which is `Send + Sync`
// when `T: Send`; ownership moves between threads only through the atomic.
unsafe impl<T: Send> Send for HookCache<T> {}
// SAFETY: as above: `&HookCache` only allows atomic take/put of the owned hook.
unsafe impl<T: Send> Sync for HookCache<T> {}
