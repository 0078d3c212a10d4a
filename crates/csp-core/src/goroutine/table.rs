//! The table of live goroutines: a sharded slab, so a spawn or an exit is one
//! uncontended lock and a vector push or store, with no hashing and no rehash.
//!
//! A value that leaves the table (an exited goroutine's entry) is *retired*,
//! not taken out: its slot index goes on its shard's retired list and the
//! value stays in the slot, unlisted, until the shard's own thread reuses the
//! slot for a new value and drops the old one there. So the last reference to
//! a finished goroutine's entry (and through it, to its Tokio task) is
//! usually dropped on the thread that allocated both, and an exit never
//! takes the lock its spawner inserts under. With the system allocator a
//! free from another thread contends for the allocating thread's arena,
//! which costs a short-lived goroutine more than all its bookkeeping
//! (`docs/performance.md`, "A goroutine that runs to completion").
//!
//! # Invariants
//! - Every slot index of a shard is in exactly one place: in use (its slot
//!   holds a value that [`Listed::is_listed`] or is about to be: see
//!   `registry::Registry::register`), on the retired list (its slot holds the
//!   retired value), or on the free list (its slot holds a retired value not
//!   yet dropped, or nothing).
//! - Readers ([`Table::any`], [`Table::cloned`]) see only listed values; a
//!   value is unlisted by its owner before it is retired.
//! - A retired value is dropped when its slot is reused or by
//!   [`Table::close`]; a retire drops its value at once instead when the
//!   shard's list already holds [`RECLAIM_AT`] or the table is closed. A
//!   spawn moves the list onto the free list only while the free list then
//!   holds at most [`RECLAIM_AT`] retired values. So at most
//!   `2 * RECLAIM_AT` retired values wait per shard.
//! - Each thread inserts into one shard of its own (assigned round-robin on
//!   its first insert), so threads spawning at once rarely share a lock;
//!   a retire goes to the value's shard, wherever it happens.
//!
//! # Locking
//! Each shard has two mutexes, on lines of their own: `slots` (its slots and
//! free list) and `retired` (its retired list and whether the table is
//! closed). They are held only to insert, retire or visit values, never
//! while polling a future, waking a task or dropping a value; when both are
//! held, `slots` is taken first.

use std::cell::Cell;
use std::sync::PoisonError;

use crate::loom::unmodeled;
use crate::loom::{AtomicUsize, Mutex, Ordering};

/// How many shards the table is split into (a power of two; two under
/// loom, whose models visit every shard's locks).
const SHARDS: usize = if cfg!(loom) { 2 } else { 16 };

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
    shards: [Shard<T>; SHARDS],
}

/// What a [`Table`] asks of its values: whether one is still in use.
pub(crate) trait Listed {
    /// `false` once the value's owner is done with it (before it retires it).
    fn is_listed(&self) -> bool;
}

/// How many retired values a shard's list holds: past it (the shard's own
/// thread is not spawning, so not reusing slots), a retire drops its value
/// at once, one per exit rather than a batch at a time. A spawn takes the
/// list once it is half this long, even while it has free slots.
pub(crate) const RECLAIM_AT: usize = 1024;

#[derive(Debug)]
struct Shard<T> {
    slots: Padded<Mutex<Slots<T>>>,
    retired: Padded<RetiredList>,
}

/// A shard's retired list, and a hint of whether it holds any, so a spawn
/// with no free slot looks at it without taking its lock (a parked
/// goroutine never retires: its spawner never pays for the list).
#[derive(Debug)]
struct RetiredList {
    /// How many indices `list` holds, written under its lock. Read without
    /// the lock: a stale value only means a new or empty slot instead of a
    /// retired one.
    len: AtomicUsize,
    list: Mutex<Retired>,
}

/// Keeps each lock on a cache line of its own.
#[derive(Debug)]
#[repr(align(128))]
struct Padded<T>(T);

#[derive(Debug)]
struct Slots<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    /// How many slots on `free` still hold a retired value (at most
    /// [`RECLAIM_AT`]).
    retired_in_free: usize,
}

#[derive(Debug, Default)]
struct Retired {
    indices: Vec<u32>,
    /// Set by [`Table::close`]: a retire drops its value at once.
    closed: bool,
}

thread_local! {
    /// This thread's shard, `usize::MAX` until its first insert.
    static HOME: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The shard of the current thread.
fn home() -> usize {
    static NEXT: unmodeled::AtomicUsize = unmodeled::AtomicUsize::new(0);
    HOME.try_with(|home| {
        if home.get() == usize::MAX {
            home.set(NEXT.fetch_add(1, unmodeled::Ordering::Relaxed) % SHARDS);
        }
        home.get()
    })
    .unwrap_or(0)
}

impl<T: Listed> Table<T> {
    pub(crate) fn new() -> Self {
        Table {
            shards: std::array::from_fn(|_| Shard {
                slots: Padded(Mutex::new(Slots {
                    slots: Vec::new(),
                    free: Vec::new(),
                    retired_in_free: 0,
                })),
                retired: Padded(RetiredList {
                    len: AtomicUsize::new(0),
                    list: Mutex::new(Retired::default()),
                }),
            }),
        }
    }

    /// Stores `value` in the current thread's shard, reusing a retired
    /// slot when there is one (its old value is dropped here, after the
    /// lock): the retired list is taken when no slot is free or once it is
    /// half of [`RECLAIM_AT`] long.
    pub(crate) fn insert(&self, value: T) -> Slot {
        let shard = home();
        let mut s = self.slots(shard);
        let waiting = self.retired_len(shard).load(Ordering::Relaxed);
        if waiting > 0
            && (s.free.is_empty() || waiting >= RECLAIM_AT / 2)
            && s.retired_in_free + waiting <= RECLAIM_AT
        {
            // Take every retired slot at once (one visit to the retired
            // list's line per batch), onto the end of the free list, where
            // the next spawns reuse them first. Taking them before the list
            // fills keeps exits retiring rather than dropping their own.
            let mut retired = self.retired(shard);
            // The hint was read without the lock: the bound is checked on
            // the list itself.
            if s.retired_in_free + retired.indices.len() <= RECLAIM_AT {
                s.retired_in_free += retired.indices.len();
                if s.free.is_empty() {
                    // The empty free list's buffer goes back for the next batch.
                    std::mem::swap(&mut retired.indices, &mut s.free);
                } else {
                    s.free.append(&mut retired.indices);
                }
                self.retired_len(shard).store(0, Ordering::Relaxed);
            }
        }
        let (index, old) = match s.free.pop() {
            Some(index) => {
                let old = s.slots[index as usize].replace(value);
                s.retired_in_free -= usize::from(old.is_some());
                (index, old)
            }
            None => {
                assert!(
                    s.slots.len() < SLOTS_PER_SHARD - 1,
                    "csp: more than {} goroutines live on one spawning thread's shard \
                     of the goroutine table",
                    SLOTS_PER_SHARD - 2
                );
                s.slots.push(Some(value));
                ((s.slots.len() - 1) as u32, None)
            }
        };
        drop(s);
        drop(old);
        Slot {
            shard: shard as u32,
            index,
        }
    }

    /// Retires the value in `slot` (which `insert` returned and no earlier
    /// `retire` took), already unlisted by its owner: it stays in its slot
    /// until the slot is reused, or is dropped now if the shard's list
    /// already holds [`RECLAIM_AT`] or the table is closed.
    pub(crate) fn retire(&self, slot: Slot) {
        let shard = slot.shard as usize;
        let mut retired = self.retired(shard);
        if !retired.closed && retired.indices.len() < RECLAIM_AT {
            retired.indices.push(slot.index);
            self.retired_len(shard)
                .store(retired.indices.len(), Ordering::Relaxed);
            return;
        }
        // Closed, or the shard's thread is not reusing slots: drop the value
        // now, as if there were no retired list.
        drop(retired);
        let mut s = self.slots(shard);
        let value = s.slots[slot.index as usize].take();
        s.free.push(slot.index);
        drop(s);
        drop(value);
    }

    /// The number of values in use (retired ones not counted).
    pub(crate) fn len(&self) -> usize {
        (0..SHARDS)
            .map(|i| {
                let s = self.slots(i);
                let retired = self.retired(i).indices.len();
                s.slots.len() - s.free.len() - retired
            })
            .sum()
    }

    /// Whether `f` holds for any listed value (each shard locked in turn).
    pub(crate) fn any(&self, mut f: impl FnMut(&T) -> bool) -> bool {
        (0..SHARDS).any(|i| {
            self.slots(i)
                .slots
                .iter()
                .flatten()
                .any(|v| v.is_listed() && f(v))
        })
    }

    /// Every listed value, cloned out shard by shard.
    pub(crate) fn cloned(&self) -> Vec<T>
    where
        T: Clone,
    {
        (0..SHARDS)
            .flat_map(|i| {
                self.slots(i)
                    .slots
                    .iter()
                    .flatten()
                    .filter(|v| v.is_listed())
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Drops every retired value and makes later retires drop theirs at
    /// once: the table's owner is going away, and retired values may hold
    /// it (a goroutine's entry holds its registry).
    pub(crate) fn close(&self) {
        for i in 0..SHARDS {
            let dead: Vec<T> = {
                let mut guard = self.slots(i);
                let mut retired = self.retired(i);
                retired.closed = true;
                let s = &mut *guard;
                s.free.append(&mut retired.indices);
                s.retired_in_free = 0;
                self.retired_len(i).store(0, Ordering::Relaxed);
                s.free
                    .iter()
                    .filter_map(|&index| s.slots[index as usize].take())
                    .collect()
            };
            drop(dead);
        }
    }

    /// The hint of how many indices `shard`'s retired list holds.
    fn retired_len(&self, shard: usize) -> &AtomicUsize {
        &self.shards[shard].retired.0.len
    }

    fn slots(&self, shard: usize) -> impl std::ops::DerefMut<Target = Slots<T>> + '_ {
        self.shards[shard]
            .slots
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn retired(&self, shard: usize) -> impl std::ops::DerefMut<Target = Retired> + '_ {
        self.shards[shard]
            .retired
            .0
            .list
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A table value for the tests and the loom model: listed until its owner
/// unlists it through the flag `Value::new` hands out; the inserted value
/// counts its drop, copies made by `cloned` do not.
#[cfg(test)]
mod value {
    use super::Listed;
    use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};

    #[derive(Debug)]
    pub(super) struct Value {
        pub(super) name: &'static str,
        listed: Arc<AtomicBool>,
        drops: Option<Arc<AtomicUsize>>,
    }

    impl Value {
        /// A value and the flag its owner unlists it with.
        pub(super) fn new(name: &'static str, drops: &Arc<AtomicUsize>) -> (Self, Arc<AtomicBool>) {
            let listed = Arc::new(AtomicBool::new(true));
            let value = Value {
                name,
                listed: listed.clone(),
                drops: Some(drops.clone()),
            };
            (value, listed)
        }
    }

    impl Clone for Value {
        fn clone(&self) -> Self {
            Value {
                name: self.name,
                listed: self.listed.clone(),
                drops: None,
            }
        }
    }

    impl Listed for Value {
        fn is_listed(&self) -> bool {
            self.listed.load(Ordering::Relaxed)
        }
    }

    impl Drop for Value {
        fn drop(&mut self) {
            if let Some(drops) = &self.drops {
                drops.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::value::Value;
    use super::{Slot, Table, RECLAIM_AT, SHARDS, SLOTS_PER_SHARD};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

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

    fn insert(
        table: &Table<Value>,
        name: &'static str,
        drops: &Arc<AtomicUsize>,
    ) -> (Slot, Arc<AtomicBool>) {
        let (value, listed) = Value::new(name, drops);
        (table.insert(value), listed)
    }

    /// What a goroutine's exit does: unlist, then retire.
    fn exit(table: &Table<Value>, (slot, listed): &(Slot, Arc<AtomicBool>)) {
        listed.store(false, Ordering::Relaxed);
        table.retire(*slot);
    }

    fn names(table: &Table<Value>) -> Vec<&'static str> {
        let mut names: Vec<_> = table.cloned().iter().map(|v| v.name).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn a_retired_value_is_unseen_at_once_and_dropped_when_its_slot_is_reused() {
        let drops = Arc::new(AtomicUsize::new(0));
        let table = Table::new();
        let a = insert(&table, "a", &drops);
        let _b = insert(&table, "b", &drops);
        assert_eq!(table.len(), 2);
        exit(&table, &a);
        assert_eq!(table.len(), 1);
        assert_eq!(names(&table), ["b"]);
        assert!(!table.any(|v| v.name == "a"));
        assert!(table.any(|v| v.name == "b"));
        assert_eq!(
            drops.load(Ordering::Relaxed),
            0,
            "kept for the spawning thread"
        );
        let c = insert(&table, "c", &drops);
        assert_eq!(c.0, a.0, "the retired slot is reused");
        assert_eq!(
            drops.load(Ordering::Relaxed),
            1,
            "and its value dropped then"
        );
        assert_eq!(names(&table), ["b", "c"]);
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn past_a_full_retired_list_each_retire_drops_its_own_value() {
        let drops = Arc::new(AtomicUsize::new(0));
        let table = Table::new();
        let exits: Vec<_> = (0..RECLAIM_AT + 3)
            .map(|_| insert(&table, "v", &drops))
            .collect();
        let keep = insert(&table, "keep", &drops);
        for (i, e) in exits.iter().enumerate() {
            exit(&table, e);
            let expected = (i + 1).saturating_sub(RECLAIM_AT);
            assert_eq!(
                drops.load(Ordering::Relaxed),
                expected,
                "after {} exits",
                i + 1
            );
        }
        assert_eq!(table.len(), 1);
        // Free slots or not, a spawn takes a list that long onto the end of
        // the free list and reuses a retired slot first, dropping its value.
        let again = insert(&table, "again", &drops);
        assert_ne!(again.0, keep.0);
        assert_eq!(drops.load(Ordering::Relaxed), 4);
        assert_eq!(names(&table), ["again", "keep"]);
        assert_eq!(table.len(), 2);
        drop(table);
        assert_eq!(
            drops.load(Ordering::Relaxed),
            RECLAIM_AT + 5,
            "every value once"
        );
    }

    #[test]
    fn retired_values_waiting_stay_within_two_lists() {
        let drops = Arc::new(AtomicUsize::new(0));
        let table = Table::new();
        let first: Vec<_> = (0..RECLAIM_AT)
            .map(|_| insert(&table, "v", &drops))
            .collect();
        let second: Vec<_> = (0..RECLAIM_AT)
            .map(|_| insert(&table, "w", &drops))
            .collect();
        let keep = insert(&table, "keep", &drops);
        first.iter().for_each(|e| exit(&table, e));
        // The full list goes onto the free list; a retired slot is reused.
        insert(&table, "a", &drops);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        second.iter().for_each(|e| exit(&table, e));
        assert_eq!(drops.load(Ordering::Relaxed), 1, "the list had room again");
        // Taking this full list too would leave 2 * RECLAIM_AT - 1 retired
        // values on the free list: the spawn reuses one already there.
        insert(&table, "b", &drops);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        // So the list is still full: the next exit drops its own value.
        exit(&table, &keep);
        assert_eq!(drops.load(Ordering::Relaxed), 3);
        assert_eq!(names(&table), ["a", "b"]);
        drop(table);
        assert_eq!(drops.load(Ordering::Relaxed), 2 * RECLAIM_AT + 3);
    }

    #[test]
    fn close_drops_every_retired_value_and_later_retires_drop_at_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let table = Table::new();
        let a = insert(&table, "a", &drops);
        let b = insert(&table, "b", &drops);
        let c = insert(&table, "c", &drops);
        exit(&table, &a);
        exit(&table, &b);
        // A reuse moves both retired slots to the free list; the one not
        // reused still holds its value.
        let d = insert(&table, "d", &drops);
        assert!(d.0 == a.0 || d.0 == b.0);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        table.close();
        assert_eq!(
            drops.load(Ordering::Relaxed),
            2,
            "the value left in a free slot"
        );
        exit(&table, &c);
        assert_eq!(drops.load(Ordering::Relaxed), 3, "closed: dropped at once");
        assert_eq!(names(&table), ["d"]);
        assert_eq!(table.len(), 1);
        drop(table);
        assert_eq!(drops.load(Ordering::Relaxed), 4);
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use super::value::Value;
    use super::Table;
    use crate::loom::{Arc, AtomicUsize, Ordering};

    /// A goroutine's exit (unlist, retire) on one thread while the table's
    /// owner closes it on another and the spawning thread inserts (maybe
    /// into the retired slot): the retired value is dropped exactly once
    /// and none is left once both are done.
    #[test]
    fn an_exit_racing_close_and_reuse_drops_its_value_once() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let table = Arc::new(Table::new());
            let (a, a_listed) = Value::new("a", &drops);
            let slot = table.insert(a);
            let exiting = {
                let table = table.clone();
                loom::thread::spawn(move || {
                    a_listed.store(false, Ordering::Relaxed);
                    table.retire(slot);
                })
            };
            let closing = {
                let table = table.clone();
                loom::thread::spawn(move || table.close())
            };
            let (b, _b_listed) = Value::new("b", &drops);
            table.insert(b);
            assert!(table.any(|v| v.name == "b"));
            exiting.join().unwrap();
            closing.join().unwrap();
            assert_eq!(drops.load(Ordering::Relaxed), 1, "`a` dropped, `b` listed");
            let table = Arc::try_unwrap(table).expect("the threads are done");
            drop(table);
            assert_eq!(drops.load(Ordering::Relaxed), 2);
        });
    }
}
