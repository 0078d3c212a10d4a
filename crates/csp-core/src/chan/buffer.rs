//! A channel's buffer: a FIFO ring whose capacity is a bound, not a
//! reservation. Go allocates `make(chan T, n)`'s whole buffer up front; csp
//! allocates a small part of it and grows with what is actually buffered, so
//! any capacity up to `usize::MAX` works (as "practically unbounded") and a
//! drained channel gives its memory back.
//!
//! # Invariants
//! - `ring.len() <= bound`, except for values pushed to the front by
//!   [`Buffer::push_front`] (a dropped receive future giving its value back).
//! - The ring's allocation starts at `keep` slots (`min(bound, max(4 slots,
//!   4 KiB))`) and grows only when a value arrives and every slot is taken,
//!   by doubling (`VecDeque`'s growth): it never holds more than twice the
//!   most values it has buffered since it last shrank.
//! - When a pop empties the ring and its allocation exceeds `4 * keep`
//!   slots, it shrinks back to `keep`: a drained channel holds at most
//!   `max(16 slots, 16 KiB)` whatever its past bursts. A channel that cycles
//!   between empty and full within `4 * keep` never reallocates; one whose
//!   cycles go further pays one shrink and the regrowth per cycle, amortized
//!   O(1) per value.
//! - Zero-sized values take no memory: `keep` is `usize::MAX`, nothing is
//!   ever allocated or freed.
//!
//! # Locking
//! Lives in [`super::state::State`], under the channel lock. Growing and
//! shrinking call the allocator there but never run a `T`'s `Drop` (a shrink
//! happens only when the ring is empty).

use std::collections::VecDeque;

/// The allocation a new buffer starts with, in bytes (at least
/// [`KEEP_MIN_SLOTS`] slots, at most its bound).
const KEEP_BYTES: usize = 4096;
/// The fewest slots a buffer of a bound at least this large starts with.
const KEEP_MIN_SLOTS: usize = 4;
/// An emptied buffer holding more than this many times its starting
/// allocation shrinks back to it.
const SHRINK_FACTOR: usize = 4;

/// A FIFO of at most `bound` values (see the module docs).
pub(crate) struct Buffer<T> {
    ring: VecDeque<T>,
    bound: usize,
    /// Slots allocated up front and kept through every shrink.
    keep: usize,
    /// An emptied ring with more slots than this shrinks to `keep`.
    shrink_above: usize,
}

impl<T> Buffer<T> {
    /// An empty buffer for at most `bound` values.
    pub(crate) fn new(bound: usize) -> Self {
        let keep = keep_slots(bound, std::mem::size_of::<T>());
        Buffer {
            // A zero-sized `T` never allocates, whatever `keep` says.
            ring: VecDeque::with_capacity(if keep == usize::MAX { 0 } else { keep }),
            bound,
            keep,
            shrink_above: keep.saturating_mul(SHRINK_FACTOR),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Drops every buffered value and gives back what the ring grew beyond
    /// its starting allocation.
    pub(crate) fn clear(&mut self) {
        self.ring.clear();
        if self.ring.capacity() > self.shrink_above {
            self.release();
        }
    }

    /// Whether another value fits under the bound.
    #[inline]
    pub(crate) fn has_room(&self) -> bool {
        self.ring.len() < self.bound
    }

    /// Appends `value`. The caller checked [`has_room`](Self::has_room), or
    /// refills the slot a pop just freed (which may stay past the bound
    /// while values given back by [`push_front`](Self::push_front) remain).
    #[inline]
    pub(crate) fn push_back(&mut self, value: T) {
        self.ring.push_back(value);
    }

    /// Puts `value` back at the head, even past the bound (a value a dropped
    /// receive future had been handed must not be lost).
    pub(crate) fn push_front(&mut self, value: T) {
        self.ring.push_front(value);
    }

    /// Takes the oldest value; an emptied ring gives back what it grew
    /// beyond its starting allocation, if that is more than
    /// [`SHRINK_FACTOR`] times it.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let value = self.ring.pop_front()?;
        // Emptiness first: the length is at hand after the pop, so a pop
        // that leaves values behind costs one test.
        if self.ring.is_empty() && self.ring.capacity() > self.shrink_above {
            self.release();
        }
        Some(value)
    }

    /// Shrinks an empty ring back to its starting allocation.
    #[cold]
    fn release(&mut self) {
        self.ring.shrink_to(self.keep);
    }

    /// Slots currently allocated (tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn allocated(&self) -> usize {
        self.ring.capacity()
    }
}

/// The slots a buffer of `bound` values of `size` bytes allocates up front
/// and keeps: `min(bound, max(KEEP_MIN_SLOTS, KEEP_BYTES / size))`, or
/// `usize::MAX` for zero-sized values (which never allocate).
fn keep_slots(bound: usize, size: usize) -> usize {
    match KEEP_BYTES.checked_div(size) {
        Some(slots) => bound.min(slots.max(KEEP_MIN_SLOTS)),
        None => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `b` with `n` values, then drains it, checking FIFO order.
    fn cycle(b: &mut Buffer<u64>, n: u64) {
        for i in 0..n {
            assert!(b.has_room());
            b.push_back(i);
        }
        for i in 0..n {
            assert_eq!(b.pop_front(), Some(i));
        }
        assert_eq!(b.pop_front(), None);
    }

    #[test]
    fn a_huge_bound_allocates_only_the_starting_slots() {
        let starts = |allocated: usize, slots: usize| (slots..2 * slots).contains(&allocated);
        assert!(starts(
            Buffer::<[u8; 64]>::new(1 << 40).allocated(),
            KEEP_BYTES / 64
        ));
        assert!(starts(
            Buffer::<u64>::new(usize::MAX).allocated(),
            KEEP_BYTES / 8
        ));
        let big = Buffer::<[u8; 4096]>::new(usize::MAX);
        assert!(starts(big.allocated(), KEEP_MIN_SLOTS));
    }

    #[test]
    fn a_small_bound_is_allocated_whole_and_never_regrows() {
        let mut b = Buffer::<u64>::new(64);
        let start = b.allocated();
        assert!(start >= 64);
        cycle(&mut b, 64);
        assert_eq!(b.allocated(), start);
    }

    #[test]
    fn growth_follows_what_is_buffered() {
        let bound = 1000;
        let mut b = Buffer::<u64>::new(bound);
        for i in 0..600 {
            b.push_back(i);
        }
        let allocated = b.allocated();
        assert!(
            (600..1200).contains(&allocated),
            "at most twice the values: {allocated}"
        );
        for i in 600..bound as u64 {
            b.push_back(i);
        }
        assert!(!b.has_room());
        assert!(b.allocated() < 2 * bound);
    }

    #[test]
    fn a_drained_burst_gives_its_memory_back() {
        let mut b = Buffer::<u64>::new(usize::MAX);
        let keep = b.allocated();
        for i in 0..100_000 {
            b.push_back(i);
        }
        assert!(b.allocated() >= 100_000);
        for i in 0..99_999 {
            assert_eq!(b.pop_front(), Some(i));
        }
        assert!(b.allocated() >= 100_000, "kept while values remain");
        assert_eq!(b.pop_front(), Some(99_999));
        assert!(b.allocated() < 2 * keep, "shrunk when emptied");
    }

    #[test]
    fn cycles_within_the_retained_size_never_reallocate() {
        let mut b = Buffer::<u64>::new(usize::MAX);
        let keep = b.allocated() as u64;
        cycle(&mut b, SHRINK_FACTOR as u64 * keep);
        let kept = b.allocated();
        assert!(kept > keep as usize && kept <= SHRINK_FACTOR * keep as usize);
        for _ in 0..3 {
            cycle(&mut b, SHRINK_FACTOR as u64 * keep);
            assert_eq!(b.allocated(), kept);
        }
    }

    #[test]
    fn push_front_may_pass_the_bound() {
        let mut b = Buffer::<u64>::new(1);
        b.push_back(2);
        b.push_front(1);
        assert_eq!((b.len(), b.has_room()), (2, false));
        assert_eq!((b.pop_front(), b.pop_front()), (Some(1), Some(2)));
    }

    #[test]
    fn zero_sized_values_never_allocate() {
        let mut b = Buffer::<()>::new(usize::MAX);
        for _ in 0..10_000 {
            b.push_back(());
        }
        assert_eq!(b.len(), 10_000);
        while b.pop_front().is_some() {}
        assert_eq!(b.len(), 0);
    }
}
