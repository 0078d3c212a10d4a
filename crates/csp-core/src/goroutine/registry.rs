//! The registry of live goroutines: who exists, where each was spawned, and
//! what each is waiting for.
//!
//! Each csp [`Runtime`](crate::Runtime) owns one [`Registry`]; goroutines
//! spawned on a Tokio runtime csp did not build share one process-wide
//! "foreign" registry. `num_goroutine()`, `goroutines()`, goroutine dumps and
//! the deadlock detector all read from here.
//!
//! # Invariants
//! - An entry is listed exactly while its goroutine is live: it is inserted
//!   before the goroutine is first polled and unlisted when its future
//!   returns `Ready`, panics, or is dropped (abort, runtime shutdown),
//!   whichever comes first; unlisting is idempotent (see `EntryGuard`).
//!   Only listed entries are counted, dumped or asked whether they are awake.
//! - An unlisted entry is retired, not removed: its table slot keeps it
//!   until the spawning thread reuses the slot (so a finished goroutine's
//!   entry and Tokio task are usually freed on the thread that allocated
//!   them; see `table`), a batch of retired entries is reclaimed, or the
//!   registry is closed. An entry holds its registry: [`Registry::close`]
//!   (the runtime's drop) ends that cycle; the process-wide foreign registry
//!   is never closed (nor freed).
//! - Ids are unique within a registry and never reused. Id 1 is the main
//!   goroutine (the future given to `csp::run`, `Runtime::run` or the first
//!   `Runtime::block_on`), as in Go; spawned goroutines count up from 2 in
//!   the order one thread spawns them (each thread takes ids in blocks, so
//!   goroutines spawned on different workers interleave blocks). An entry is
//!   main's exactly when its id is 1.
//! - An entry's state is `Waiting` only if its last poll returned `Pending`
//!   after a csp primitive called `park::record_park`; otherwise `Running`.
//!   `Waiting` is what a dump shows; whether the goroutine is really blocked
//!   also depends on its waker's clones (`Entry::wake`, see `waker`): a
//!   goroutine awaiting a channel inside `tokio::time::timeout` shows
//!   `[chan receive]` but is awake. `since` is stamped lazily, as Go stamps
//!   `waitsince`: by the first snapshot (dump, detector) that sees the wait,
//!   so a park costs no clock read.
//! - The run epoch moves on when a main goroutine completes or the runtime is
//!   dropped; goroutines spawned in an earlier epoch are never polled again.
//! - The panic policy is the runtime's, fixed when the registry is made
//!   (`Propagate` for the foreign registry); it sits with the epoch on a
//!   line that only the end of a run writes, since every poll reads both.
//! - `live` equals the number of listed entries in `table`, and the low half of
//!   `word` the number of them whose state is `Waiting`; both are updated in
//!   the same critical section as the change they count (`word` under the
//!   entry's `state` lock), so the deadlock detector reads "every live
//!   goroutine waits" in O(1). The high half of `word` is a generation bumped
//!   by every register, unregister and state change: two equal readings mean
//!   nothing changed in between (barring 2^32 changes).
//!
//! # Locking
//! - `Registry::table` (see `table`) is locked only to insert, retire or
//!   copy out entries (O(1) per spawn and exit, amortized; O(n) for a
//!   snapshot), never while polling a future or waking a task; an exit
//!   takes its shard's retired list, not the lock a spawn inserts under.
//! - `Entry::state` protects one goroutine's state; the goroutine's wrapper
//!   takes it only when the state changes. The two locks are never held
//!   together: a snapshot copies the entries out of `table`, releases it, then
//!   reads each `state`.

use std::cell::Cell;
use std::panic::Location;
use std::sync::PoisonError;
use std::time::Instant;

use super::entry_ref::EntryRef;
use super::park::{ParkRecord, WaitReason};
use super::table::{Listed, Slot, Table};
use super::waker::{TaskWaker, WakeState};
use crate::loom::unmodeled::{AtomicU64 as AtomicU64Unmodeled, Ordering as OrderingUnmodeled};
use crate::loom::{Arc, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::runtime::context::{self, PanicMode};

/// What a goroutine is doing, as in the `[...]` of a Go goroutine dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoroutineState {
    /// Running, runnable, or waiting on something only the outside world can
    /// complete (a timer, I/O, a non-csp future). Go: `[running]`/`[runnable]`.
    Running,
    /// Parked in a csp primitive that only another goroutine can complete.
    /// Go: `[chan receive]`, `[select]`, `[sync.WaitGroup.Wait]`, ...
    Waiting {
        /// Why it waits.
        reason: WaitReason,
        /// When it started waiting.
        since: Instant,
        /// The user's blocking call (e.g. the `rx.recv().await` line).
        at: &'static Location<'static>,
    },
}

/// A snapshot of one live goroutine, as returned by [`goroutines()`].
///
/// The data behind a Go goroutine dump (`goroutine 7 [chan receive, 2 minutes]:`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct GoroutineInfo {
    /// The goroutine id: 1 is main, spawned goroutines count up from 2.
    pub id: u64,
    /// Where `go(...)` (or `csp::run`/`block_on` for main) was called.
    pub spawned_at: &'static Location<'static>,
    /// Whether this is the main goroutine.
    pub is_main: bool,
    /// What it is doing at the time of the snapshot.
    pub state: GoroutineState,
}

impl GoroutineInfo {
    /// The wait reason, if the goroutine is parked in a csp primitive.
    pub fn wait_reason(&self) -> Option<WaitReason> {
        match self.state {
            GoroutineState::Waiting { reason, .. } => Some(reason),
            GoroutineState::Running => None,
        }
    }

    /// When it started waiting, if it is parked in a csp primitive.
    pub fn waiting_since(&self) -> Option<Instant> {
        match self.state {
            GoroutineState::Waiting { since, .. } => Some(since),
            GoroutineState::Running => None,
        }
    }

    /// The location of the blocking call, if it is parked in a csp primitive.
    pub fn blocked_at(&self) -> Option<&'static Location<'static>> {
        match self.state {
            GoroutineState::Waiting { at, .. } => Some(at),
            GoroutineState::Running => None,
        }
    }
}

/// One live goroutine, shared by the registry table, the goroutine's wrapper
/// and every clone of its waker (through an [`EntryRef`], the waker's data
/// pointer).
///
/// Everything a goroutine keeps beyond its future lives here, not in the
/// wrapper, so that wrapping a future adds little to Tokio's task cell (see
/// `spawn`'s module docs).
///
/// At most 96 bytes (a unit test holds it): with its count, one 104-byte
/// heap block, which glibc serves from the pieces its `memalign` cuts off
/// when it places Tokio's 128-byte-aligned task cells, so the entry adds
/// next to no resident memory (measured in `docs/performance.md`, "A
/// goroutine's memory, round 4": a block of 112 bytes or more no longer
/// fits them); a field more would cost a block of its own.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) spawned_at: &'static Location<'static>,
    /// The registry the entry is listed in.
    pub(crate) registry: Arc<Registry>,
    /// Where the entry sits in the registry's table (`Slot::packed`);
    /// `NOT_LISTED` once unregistered. Only the goroutine's `EntryGuard`
    /// writes it.
    slot: AtomicU32,
    /// The low half of the run epoch the goroutine was spawned in (see
    /// [`Registry::epoch_tag`]); frozen once the registry's moves on.
    pub(crate) epoch: u32,
    state: Mutex<Parked>,
    /// What the goroutine's waker clones say (see `waker`).
    pub(crate) wake: WakeState,
    /// Where the goroutine's waker forwards wakes.
    pub(crate) task: TaskWaker,
}

/// `Entry::slot` of an entry no longer in the table (never a packed slot).
const NOT_LISTED: u32 = u32::MAX;

impl Listed for EntryRef {
    /// Whether the goroutine is live: its guard unlists it (under the
    /// entry's `slot`) before retiring its table slot.
    fn is_listed(&self) -> bool {
        self.slot.load(Ordering::Relaxed) != NOT_LISTED
    }
}

impl Entry {
    /// Whether this is the main goroutine (id 1).
    pub(crate) fn is_main(&self) -> bool {
        self.id == 1
    }

    fn info(&self) -> GoroutineInfo {
        let state = {
            let mut parked = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            match parked.record {
                None => GoroutineState::Running,
                Some((reason, at)) => GoroutineState::Waiting {
                    reason,
                    since: {
                        if parked.since == 0 {
                            parked.since = now_nanos();
                        }
                        since_instant(parked.since)
                    },
                    at,
                },
            }
        };
        GoroutineInfo {
            id: self.id,
            spawned_at: self.spawned_at,
            is_main: self.is_main(),
            state,
        }
    }
}

/// What a goroutine is to its runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Started with `go`.
    Spawned,
    /// `run`'s main: a Tokio task like the others.
    Main,
    /// `block_on`'s future: polled on the caller's thread, off the workers.
    BlockOn,
}

/// A goroutine's state as its wrapper records it.
#[derive(Clone, Copy, Debug, Default)]
struct Parked {
    /// The park record of the last poll; `None`: running.
    record: Option<ParkRecord>,
    /// When a snapshot first saw this wait (Go's lazily stamped
    /// `waitsince`), in nanoseconds after [`time_base`]; 0: not yet.
    since: u64,
}

/// The instant goroutine wait times count from: eight bytes per entry
/// instead of an `Instant`'s sixteen.
fn time_base() -> Instant {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Now, in nanoseconds after [`time_base`], at least 1 (0 means "not
/// stamped"); saturating after ~584 years.
fn now_nanos() -> u64 {
    let base = time_base();
    u64::try_from(base.elapsed().as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The instant `nanos` after [`time_base`].
fn since_instant(nanos: u64) -> Instant {
    time_base() + std::time::Duration::from_nanos(nanos)
}

/// The live goroutines of one runtime.
#[derive(Debug)]
pub(crate) struct Registry {
    /// Every live goroutine's entry.
    table: Table<EntryRef>,
    /// This registry's serial number in the process (keys the per-thread id
    /// blocks: see [`Registry::next_id`]).
    serial: u64,
    /// The first id of the next block of ids handed to a thread; starts at 2.
    next_block: AtomicU64,
    /// Whether id 1 has been handed out.
    main_taken: AtomicBool,
    /// The number of live goroutines (entries in `table`).
    live: AtomicUsize,
    /// `generation << 32 | waiting`: see the module invariants.
    word: AtomicU64,
    /// The run epoch and the panic policy, which every goroutine poll
    /// reads, on a cache line of their own.
    hot: Padded<Hot>,
}

/// The read-mostly part of a [`Registry`].
#[derive(Debug)]
struct Hot {
    /// The current run epoch (see [`Registry::end_epoch`]).
    epoch: AtomicU64,
    /// What a goroutine's panic does (see [`Registry::catches`]).
    panic: PanicMode,
}

/// Keeps hot, read-mostly fields off the lines the registry writes.
#[derive(Debug)]
#[repr(align(128))]
struct Padded<T>(T);

/// How many ids a thread takes from the shared counter at a time.
const ID_BLOCK: u64 = 64;

thread_local! {
    /// This thread's block of ids: (registry serial, next id, end of block).
    static IDS: Cell<(u64, u64, u64)> = const { Cell::new((0, 0, 0)) };
}

/// One unit of the generation half of `Registry::word`.
const GENERATION: u64 = 1 << 32;
/// The waiting-count half of `Registry::word`.
const WAITING_MASK: u64 = GENERATION - 1;

impl Registry {
    /// An empty registry whose goroutines' panics follow `panic`.
    pub(crate) fn new(panic: PanicMode) -> Self {
        static SERIAL: AtomicU64Unmodeled = AtomicU64Unmodeled::new(1);
        Registry {
            table: Table::new(),
            serial: SERIAL.fetch_add(1, OrderingUnmodeled::Relaxed),
            next_block: AtomicU64::new(2),
            main_taken: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            word: AtomicU64::new(0),
            hot: Padded(Hot {
                epoch: AtomicU64::new(0),
                panic,
            }),
        }
    }

    /// The runtime's panic policy for its goroutines.
    pub(crate) fn panic_mode(&self) -> &PanicMode {
        &self.hot.0.panic
    }

    /// Whether the wrapper of a goroutine in `role` catches its panics
    /// (to apply the policy: Go's crash, or a test's report); otherwise
    /// they unwind into Tokio or `block_on`'s caller.
    #[inline]
    pub(crate) fn catches(&self, role: Role) -> bool {
        match (&self.hot.0.panic, role) {
            (_, Role::BlockOn) | (PanicMode::Propagate, _) => false,
            (PanicMode::Exit, _) => true,
            (PanicMode::Report(_), role) => role == Role::Spawned,
        }
    }

    /// The current run epoch: a goroutine spawned in an earlier one is
    /// frozen (never polled again).
    #[inline]
    pub(crate) fn epoch(&self) -> u64 {
        self.hot.0.epoch.load(Ordering::Acquire)
    }

    /// The low half of the current run epoch: what an entry keeps (an
    /// epoch 2^32 runs old would pass for the current one; each run is a
    /// whole `run`/`block_on`).
    #[inline]
    pub(crate) fn epoch_tag(&self) -> u32 {
        self.epoch() as u32
    }

    /// Ends the current run epoch: the main goroutine returned (or the
    /// runtime is dropped), so every goroutine spawned so far stays frozen.
    pub(crate) fn end_epoch(&self) {
        self.hot.0.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The runtime is going away: drops the entries of goroutines that
    /// exited and were left in the table for their spawning threads to
    /// recycle (each holds this registry), and makes every later exit drop
    /// its entry at once.
    pub(crate) fn close(&self) {
        self.table.close();
    }

    /// Whether any live goroutine may be run or woken by something the
    /// registry cannot see (see `waker`). O(n), for the deadlock detector.
    pub(crate) fn any_awake(&self) -> bool {
        self.table.any(|e| e.wake.awake())
    }

    /// A fresh id for a spawned goroutine: the next of this thread's block,
    /// so spawning threads do not share a counter (ids from one thread count
    /// up; ids are unique in the registry and never reused).
    fn next_id(&self) -> u64 {
        let serial = self.serial;
        IDS.try_with(|ids| {
            let (owner, next, end) = ids.get();
            if owner == serial && next < end {
                ids.set((owner, next + 1, end));
                next
            } else {
                let start = self.next_block.fetch_add(ID_BLOCK, Ordering::Relaxed);
                ids.set((serial, start + 1, start + ID_BLOCK));
                start
            }
        })
        .unwrap_or_else(|_| self.next_block.fetch_add(ID_BLOCK, Ordering::Relaxed))
    }

    /// Counts a change from `was` waiting to `is` waiting and bumps the
    /// generation: one atomic add.
    fn note_change(&self, was: bool, is: bool) {
        let delta = match (was, is) {
            (false, true) => GENERATION + 1,
            // Wrapping add of -1 to the low half: it is >= 1 here.
            (true, false) => GENERATION - 1,
            _ => GENERATION,
        };
        self.word.fetch_add(delta, Ordering::SeqCst);
    }

    /// If every live goroutine (at least one) is waiting, the current
    /// generation; else `None`. O(1), for the deadlock detector.
    pub(crate) fn all_waiting(&self) -> Option<u64> {
        let word = self.word.load(Ordering::SeqCst);
        let live = self.live.load(Ordering::SeqCst) as u64;
        (live > 0 && word & WAITING_MASK == live).then_some(word >> 32)
    }

    /// Registers a new goroutine and returns the guard that unregisters it.
    ///
    /// A main `role` asks for id 1; it gets it only the first time.
    pub(crate) fn register(
        this: Arc<Self>,
        spawned_at: &'static Location<'static>,
        role: Role,
    ) -> EntryGuard {
        let main = role != Role::Spawned;
        let is_main = main && !this.main_taken.swap(true, Ordering::Relaxed);
        let id = if is_main { 1 } else { this.next_id() };
        let epoch = this.epoch_tag();
        let entry = EntryRef::new(Entry {
            id,
            spawned_at,
            registry: this,
            slot: AtomicU32::new(NOT_LISTED),
            epoch,
            state: Mutex::new(Parked::default()),
            wake: WakeState::new(role == Role::BlockOn),
            task: TaskWaker::default(),
        });
        let registry = &entry.registry;
        let slot = registry.table.insert(entry.clone());
        entry.slot.store(slot.packed(), Ordering::Relaxed);
        registry.live.fetch_add(1, Ordering::SeqCst);
        registry.note_change(false, false);
        EntryGuard { entry }
    }

    /// The number of live goroutines, without taking the table lock.
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// The number of live goroutines.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// A snapshot of every live goroutine, sorted by id.
    pub(crate) fn snapshot(&self) -> Vec<GoroutineInfo> {
        let entries = self.table.cloned();
        let mut infos: Vec<GoroutineInfo> = entries.iter().map(|e| e.info()).collect();
        infos.sort_by_key(|i| i.id);
        infos
    }
}

/// Keeps a goroutine registered; unregisters it on [`EntryGuard::unregister`]
/// or drop, whichever comes first.
#[derive(Debug)]
pub(crate) struct EntryGuard {
    entry: EntryRef,
}

impl EntryGuard {
    pub(crate) fn entry(&self) -> &EntryRef {
        &self.entry
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.entry.registry
    }

    /// Sets the park record of the goroutine's last poll (`None`: running)
    /// and counts the change; the wrapper calls it only when it changes.
    pub(crate) fn set_state(&self, record: Option<ParkRecord>) {
        let mut current = self.lock_state();
        let was = current.record.is_some();
        *current = Parked { record, since: 0 };
        self.registry().note_change(was, record.is_some());
    }

    /// Unlists the entry now and retires its table slot (idempotent).
    pub(crate) fn unregister(&mut self) {
        let slot = self.entry.slot.swap(NOT_LISTED, Ordering::Relaxed);
        if slot != NOT_LISTED {
            let registry = self.registry();
            registry.table.retire(Slot::unpack(slot));
            registry.live.fetch_sub(1, Ordering::SeqCst);
            let mut current = self.lock_state();
            let was = current.record.take().is_some();
            registry.note_change(was, false);
        }
    }

    fn lock_state(&self) -> impl std::ops::DerefMut<Target = Parked> + '_ {
        self.entry
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for EntryGuard {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// The registry goroutines on this thread belong to: the current csp
/// runtime's, else the process-wide one for Tokio runtimes csp did not build.
pub(crate) fn current() -> Arc<Registry> {
    context::current_registry().unwrap_or_else(foreign)
}

/// The process-wide registry of goroutines on runtimes csp did not build.
fn foreign() -> Arc<Registry> {
    static FOREIGN: std::sync::OnceLock<Arc<Registry>> = std::sync::OnceLock::new();
    FOREIGN
        .get_or_init(|| Arc::new(Registry::new(PanicMode::Propagate)))
        .clone()
}

/// The number of live goroutines, including main.
///
/// Mirrors Go's `runtime.NumGoroutine()`. Inside a csp [`Runtime`](crate::Runtime)
/// it counts that runtime's goroutines (main included, from `run`/`block_on`
/// until it returns); elsewhere it counts the goroutines spawned with
/// [`go`](crate::go) on Tokio runtimes csp did not build (there is no main
/// goroutine there).
///
/// # Examples
///
/// ```
/// csp_core::run(async {
///     assert_eq!(csp_core::num_goroutine(), 1); // main
/// });
/// ```
pub fn num_goroutine() -> usize {
    current().len()
}

/// A snapshot of every live goroutine, sorted by id.
///
/// The data of Go's goroutine dump (`runtime.Stack(buf, true)`, `SIGQUIT`):
/// id, state and wait reason, since when, the blocking call and the spawn
/// location. Scope as for [`num_goroutine()`].
///
/// # Examples
///
/// ```
/// csp_core::run(async {
///     let all = csp_core::goroutines();
///     assert_eq!(all.len(), 1);
///     assert!(all[0].is_main && all[0].id == 1);
/// });
/// ```
pub fn goroutines() -> Vec<GoroutineInfo> {
    current().snapshot()
}
