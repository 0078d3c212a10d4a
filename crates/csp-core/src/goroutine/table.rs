//! The table of live goroutines: a sharded slab, so a spawn or an exit is one
//! uncontended lock and a vector push or store, with no hashing and no rehash.
//!
//! # Invariants
//! - A value lives in exactly one slot of one shard, from `insert` until the
//!   `remove` of the [`Slot`] that `insert` returned; a freed slot index is
//!   reused by a later insert into the same shard.
//! - Each thread inserts into one shard of its own (assigned round-robin on
//!   its first insert), so threads spawning at once rarely share a lock;
//!   removal goes to the value's shard, wherever it happens.
//!
//! # Locking
//! Each shard's mutex protects its slots and free list; it is held only to
//! insert, remove or visit values, never while polling a future or waking a
//! task, and never together with another shard's.

use std::cell::Cell;
use std::sync::PoisonError;

use crate::loom::unmodeled::{AtomicUsize, Ordering};
use crate::loom::Mutex;

/// How many locks the table is split into (a power of two).
const SHARDS: usize = 16;

/// Where a value sits in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    shard: u32,
    index: u32,
}

/// The bits of a packed [`Slot`] that hold its shard.
const SHARD_BITS: u32 = SHARDS.trailing_zeros();

/// The slots a shard can hold: a packed slot keeps its index in the bits
/// above the shard's.
const SLOTS_PER_SHARD: usize = 1 << (u32::BITS - SHARD_BITS);

impl Slot {
    /// The slot as one 32-bit word (for an atomic field of a goroutine's
    /// entry, which pairs it with another 4-byte field): the shard in the
    /// low bits, the index above. Never `u32::MAX` (the last slot of the
    /// last shard is never handed out).
    pub(crate) fn packed(self) -> u32 {
        self.index << SHARD_BITS | self.shard
    }

    /// The slot [`Slot::packed`] made `word` from.
    pub(crate) fn unpack(word: u32) -> Slot {
        Slot {
            shard: word & (SHARDS as u32 - 1),
            index: word >> SHARD_BITS,
        }
    }
}

/// A sharded slab of values.
#[derive(Debug)]
pub(crate) struct Table<T> {
    shards: [Padded<Mutex<Shard<T>>>; SHARDS],
}

/// Keeps each shard's lock on a cache line of its own.
#[derive(Debug)]
#[repr(align(128))]
struct Padded<T>(T);

#[derive(Debug)]
struct Shard<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

thread_local! {
    /// This thread's shard, `usize::MAX` until its first insert.
    static HOME: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The shard of the current thread.
fn home() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    HOME.try_with(|home| {
        if home.get() == usize::MAX {
            home.set(NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS);
        }
        home.get()
    })
    .unwrap_or(0)
}

impl<T> Table<T> {
    pub(crate) fn new() -> Self {
        Table {
            shards: std::array::from_fn(|_| {
                Padded(Mutex::new(Shard {
                    slots: Vec::new(),
                    free: Vec::new(),
                }))
            }),
        }
    }

    /// Stores `value` in the current thread's shard.
    pub(crate) fn insert(&self, value: T) -> Slot {
        let shard = home();
        let mut s = self.lock(shard);
        let index = match s.free.pop() {
            Some(index) => {
                s.slots[index as usize] = Some(value);
                index
            }
            None => {
                assert!(
                    s.slots.len() < SLOTS_PER_SHARD - 1,
                    "csp: more than {} goroutines live on one spawning thread's shard \
                     of the goroutine table",
                    SLOTS_PER_SHARD - 2
                );
                s.slots.push(Some(value));
                (s.slots.len() - 1) as u32
            }
        };
        Slot {
            shard: shard as u32,
            index,
        }
    }

    /// Takes the value out of `slot` (which `insert` returned and no earlier
    /// `remove` took).
    pub(crate) fn remove(&self, slot: Slot) -> Option<T> {
        let mut s = self.lock(slot.shard as usize);
        let value = s.slots.get_mut(slot.index as usize).and_then(Option::take);
        if value.is_some() {
            s.free.push(slot.index);
        }
        value
    }

    /// The number of values.
    pub(crate) fn len(&self) -> usize {
        (0..SHARDS)
            .map(|i| {
                let s = self.lock(i);
                s.slots.len() - s.free.len()
            })
            .sum()
    }

    /// Whether `f` holds for any value (each shard locked in turn).
    pub(crate) fn any(&self, mut f: impl FnMut(&T) -> bool) -> bool {
        (0..SHARDS).any(|i| self.lock(i).slots.iter().flatten().any(&mut f))
    }

    /// Every value, cloned out shard by shard.
    pub(crate) fn cloned(&self) -> Vec<T>
    where
        T: Clone,
    {
        (0..SHARDS)
            .flat_map(|i| {
                self.lock(i)
                    .slots
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn lock(&self, shard: usize) -> impl std::ops::DerefMut<Target = Shard<T>> + '_ {
        self.shards[shard]
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Slot, Table, SHARDS, SLOTS_PER_SHARD};

    #[test]
    fn a_packed_slot_round_trips_and_is_never_the_unlisted_word() {
        let last = (SLOTS_PER_SHARD - 2) as u32;
        for shard in 0..SHARDS as u32 {
            for index in [0, 1, 12_345, last] {
                let slot = Slot { shard, index };
                assert_eq!(Slot::unpack(slot.packed()), slot);
                assert_ne!(slot.packed(), u32::MAX);
            }
        }
    }

    #[test]
    fn insert_remove_reuses_slots_and_counts() {
        let table = Table::new();
        let a = table.insert("a");
        let b = table.insert("b");
        assert_eq!(table.len(), 2);
        assert_eq!(table.remove(a), Some("a"));
        assert_eq!(table.remove(a), None, "a slot is taken once");
        let c = table.insert("c");
        assert_eq!(c, a, "the freed slot is reused");
        let mut all = table.cloned();
        all.sort_unstable();
        assert_eq!(all, ["b", "c"]);
        assert!(table.any(|v| *v == "b"));
        assert!(!table.any(|v| *v == "a"));
        assert_eq!(table.remove(b), Some("b"));
        assert_eq!(table.len(), 1);
    }
}
