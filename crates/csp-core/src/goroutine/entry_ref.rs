//! [`EntryRef`]: the counted handle on a goroutine's registry entry, shared
//! by the registry table, the goroutine's wrapper and every clone of its
//! waker (whose data pointer it is).
//!
//! It is [`Pooled<Entry>`]: `Arc<Entry>` with its allocation recycled. A
//! goroutine's entry is allocated and freed once per goroutine, and a
//! spawn-heavy program spends a good part of each spawn in the allocator
//! (see `docs/performance.md`, "Goroutine bookkeeping"); freed blocks go to
//! a small per-thread cache that the next spawn on that thread takes from.
//!
//! # Invariants
//! - `refs` counts the live handles (`Pooled`s and raw waker references);
//!   the value is dropped, and its block recycled, by whoever takes the
//!   count from 1 to 0, after an acquire fence that orders every earlier use
//!   of the value (each release decrement) before the drop (std's `Arc`
//!   protocol; `loom_model` checks it).
//! - A cached block holds no entry (it was dropped in place) and is owned by
//!   exactly one thread's cache; a block leaves the cache only to be written
//!   with a fresh entry.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::RefCell;
use std::ptr::NonNull;

use std::thread::LocalKey;

use super::registry::Entry;
use crate::loom::{fence, AtomicUsize, Ordering};

/// Blocks a thread keeps for reuse; beyond this a freed block goes back to
/// the allocator.
const CACHED_PER_THREAD: usize = 256;

/// The counted handle on a goroutine's [`Entry`]; see the module docs.
pub(crate) type EntryRef = Pooled<Entry>;

/// A type whose [`Pooled`] blocks are recycled through a per-thread cache
/// of its own.
pub(crate) trait Pool: Sized + 'static {
    /// This type's per-thread cache of emptied blocks.
    fn cache() -> &'static LocalKey<Cache<Self>>;
}

thread_local! {
    static ENTRIES: Cache<Entry> = const { Cache(RefCell::new(Vec::new())) };
}

impl Pool for Entry {
    fn cache() -> &'static LocalKey<Cache<Self>> {
        &ENTRIES
    }
}

struct Inner<T> {
    refs: AtomicUsize,
    value: T,
}

/// `Arc<T>` whose allocation is recycled through `T`'s per-thread cache.
pub(crate) struct Pooled<T: Pool> {
    ptr: NonNull<Inner<T>>,
}

// SAFETY: a `Pooled<T>` only hands out `&T`, so it is `Send` and `Sync` when
// `T` is both (as `Arc<T>`); the count is atomic.
unsafe impl<T: Pool + Send + Sync> Send for Pooled<T> {}
// SAFETY: as above.
unsafe impl<T: Pool + Send + Sync> Sync for Pooled<T> {}

/// A thread's emptied blocks; freed when the thread exits.
pub(crate) struct Cache<T>(RefCell<Vec<NonNull<Inner<T>>>>);

impl<T> Drop for Cache<T> {
    fn drop(&mut self) {
        for block in self.0.get_mut().drain(..) {
            // SAFETY: cached blocks were allocated by `allocate` with this
            // layout and hold no value.
            unsafe { dealloc(block.as_ptr().cast(), Layout::new::<Inner<T>>()) };
        }
    }
}

impl<T: Pool> Pooled<T> {
    /// A handle on a new value (count 1).
    pub(crate) fn new(value: T) -> Self {
        let block = T::cache()
            .try_with(|cache| cache.0.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(allocate::<T>);
        // SAFETY: `block` is an allocation of `Inner<T>`'s layout holding no
        // value (fresh, or recycled after its value was dropped).
        unsafe {
            block.as_ptr().write(Inner {
                refs: AtomicUsize::new(1),
                value,
            })
        };
        Pooled { ptr: block }
    }

    /// The pointer a waker carries, without giving up this handle.
    pub(crate) fn as_raw(this: &Self) -> *const () {
        this.ptr.as_ptr().cast_const().cast()
    }

    /// Gives up this handle for a raw pointer that owns its reference.
    pub(crate) fn into_raw(this: Self) -> *const () {
        let raw = Self::as_raw(&this);
        std::mem::forget(this);
        raw
    }

    /// Takes back the reference a raw pointer owns.
    ///
    /// # Safety
    /// `raw` came from [`EntryRef::into_raw`] (or a reference counted with
    /// [`EntryRef::increment`]) and is used once.
    pub(crate) unsafe fn from_raw(raw: *const ()) -> Self {
        Pooled {
            // SAFETY: non-null: it was an `EntryRef`'s pointer.
            ptr: unsafe { NonNull::new_unchecked(raw.cast_mut().cast()) },
        }
    }

    /// Counts one more reference owned by the raw pointer `raw`.
    ///
    /// # Safety
    /// `raw` points to a live entry (a reference to it is held for the call).
    pub(crate) unsafe fn increment(raw: *const ()) {
        let inner = raw.cast::<Inner<T>>();
        // SAFETY: live, by the caller's contract.
        unsafe { &*inner }.refs.fetch_add(1, Ordering::Relaxed);
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: this handle holds a reference, so the block holds a live
        // entry.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: Pool> std::ops::Deref for Pooled<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: Pool> Clone for Pooled<T> {
    fn clone(&self) -> Self {
        self.inner().refs.fetch_add(1, Ordering::Relaxed);
        Pooled { ptr: self.ptr }
    }
}

impl<T: Pool> Drop for Pooled<T> {
    fn drop(&mut self) {
        if self.inner().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: the count reached zero: no other handle or waker can reach
        // the value, and the fence orders their uses before this drop.
        unsafe { std::ptr::drop_in_place(self.ptr.as_ptr()) };
        recycle(self.ptr);
    }
}

impl<T: Pool + std::fmt::Debug> std::fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

fn allocate<T>() -> NonNull<Inner<T>> {
    let layout = Layout::new::<Inner<T>>();
    // SAFETY: `Inner<T>` is not zero-sized (it holds a counter).
    let raw = unsafe { alloc(layout) };
    NonNull::new(raw.cast()).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Keeps an emptied block for the next value on this thread, or frees it.
fn recycle<T: Pool>(block: NonNull<Inner<T>>) {
    let kept = T::cache()
        .try_with(|cache| {
            let mut cache = cache.0.borrow_mut();
            let room = cache.len() < CACHED_PER_THREAD;
            if room {
                cache.push(block);
            }
            room
        })
        .unwrap_or(false);
    if !kept {
        // SAFETY: allocated by `allocate::<T>` with this layout, and empty.
        unsafe { dealloc(block.as_ptr().cast(), Layout::new::<Inner<T>>()) };
    }
}

/// A pooled value that counts its drops, for the tests and the loom model.
#[cfg(test)]
mod counted {
    use super::{Cache, Pool};
    use crate::loom::{Arc, AtomicUsize, Ordering};
    use std::cell::RefCell;
    use std::thread::LocalKey;

    #[derive(Debug)]
    pub(super) struct Counted(pub(super) Arc<AtomicUsize>);

    impl Counted {
        pub(super) fn drops(&self) -> usize {
            self.0.load(Ordering::Relaxed)
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    thread_local! {
        static COUNTED: Cache<Counted> = const { Cache(RefCell::new(Vec::new())) };
    }

    impl Pool for Counted {
        fn cache() -> &'static LocalKey<Cache<Self>> {
            &COUNTED
        }
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use super::counted::Counted;
    use super::Pooled;
    use crate::loom::{Arc, AtomicUsize, Ordering};

    /// Handles dropped on two threads at once (one through a raw pointer, as
    /// a waker does): the value is dropped exactly once, after every use.
    #[test]
    fn last_release_drops_once() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let a = Pooled::new(Counted(drops.clone()));
            let raw = Pooled::into_raw(a.clone());
            let t = loom::thread::spawn(move || {
                // SAFETY: `raw` owns one reference, used once here.
                let b = unsafe { Pooled::<Counted>::from_raw(raw) };
                assert_eq!(b.drops(), 0);
                drop(b);
            });
            drop(a);
            t.join().unwrap();
            assert_eq!(drops.load(Ordering::Relaxed), 1);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::counted::Counted;
    use super::Pooled;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn values_drop_once_and_blocks_are_reused_on_the_thread() {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = Pooled::new(Counted(drops.clone()));
        let first = Pooled::as_raw(&a);
        let b = a.clone();
        drop(a);
        assert_eq!(b.drops(), 0, "a handle is still alive");
        drop(b);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        let c = Pooled::new(Counted(drops.clone()));
        assert_eq!(Pooled::as_raw(&c), first, "the freed block is reused");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || drop(c))
            })
            .collect();
        drop(c);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    }
}
