//! A lock-free view of a channel's state, for the operations that only need
//! to learn they cannot proceed: Go's `chanrecv`/`chansend` fast paths for a
//! non-blocking operation (`select` with a `default`), which return "would
//! block" without taking the channel lock.
//!
//! # Invariants
//! - The view is written only at the end of a critical section, by the thread
//!   that holds the channel lock, from the state as it stands at the unlock
//!   ([`super::core`] publishes it on every unlock path). So the sequence of
//!   views in the atomic's modification order is the sequence of states at the
//!   end of each critical section: every value a reader loads was the whole
//!   channel state at one instant, and a reader that happens after an
//!   operation (through any synchronization) loads that operation's view or a
//!   later one (read coherence).
//! - A report built from one load is therefore linearizable at the instant of
//!   the load: "empty and open", "full and open", "closed and drained" and
//!   `len` were all true together then. Go's runtime makes the same argument
//!   for its unlocked `empty(c)` / `full(c)` checks, with two loads; here it
//!   is one.
//! - Only *negative* answers are taken from the view: a fast path may say a
//!   receive or send would block, or that the channel is closed; anything that
//!   moves a value takes the lock.
//! - Writes are `Release` and reads `Acquire`: a receive that reports "closed"
//!   from the view happens after the `close` (Go's memory model: a close is
//!   synchronized before a receive that returns because the channel is closed).
//!
//! # Encoding
//! One word: the buffered count shifted left by [`LEN_SHIFT`], and three flags.
//! The count must be at most [`MAX_LEN`] (2^61 - 1 on 64-bit targets): a
//! buffer of values of 4 bytes or more cannot hold more (it would exceed
//! `isize::MAX` bytes), so [`State::snapshot`](super::state::State::snapshot)
//! saturates the count only for smaller values (zero-sized ones reach it
//! after 2^61 sends, a century at a billion a second). The flags stay exact
//! whatever the count, and so does everything decided from them.

/// The channel is closed.
const CLOSED: usize = 1;
/// A receive would block: open, nothing buffered, no sender parked.
const RECV_BLOCKS: usize = 1 << 1;
/// A send would block: open, no receiver parked, buffer full.
const SEND_BLOCKS: usize = 1 << 2;
/// Where the buffered count starts.
const LEN_SHIFT: u32 = 3;
/// The largest buffered count the view holds.
pub(crate) const MAX_LEN: usize = usize::MAX >> LEN_SHIFT;

/// One published view of a channel's state (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    /// The view of a state with these properties.
    #[inline]
    pub(crate) fn new(len: usize, closed: bool, recv_blocks: bool, send_blocks: bool) -> Self {
        debug_assert!(len <= MAX_LEN, "the caller saturates the count");
        let mut bits = len << LEN_SHIFT;
        if closed {
            bits |= CLOSED;
        }
        if recv_blocks {
            bits |= RECV_BLOCKS;
        }
        if send_blocks {
            bits |= SEND_BLOCKS;
        }
        Self(bits)
    }

    /// The word stored in the channel's atomic.
    #[inline]
    pub(crate) fn bits(self) -> usize {
        self.0
    }

    /// A view read back from the channel's atomic.
    #[inline]
    pub(crate) fn from_bits(bits: usize) -> Self {
        Self(bits)
    }

    /// Buffered values: Go's `len(ch)`.
    #[inline]
    pub(crate) fn len(self) -> usize {
        self.0 >> LEN_SHIFT
    }

    #[inline]
    pub(crate) fn is_closed(self) -> bool {
        self.0 & CLOSED != 0
    }

    /// A receive would have to wait.
    #[inline]
    pub(crate) fn recv_blocks(self) -> bool {
        self.0 & RECV_BLOCKS != 0
    }

    /// A send would have to wait.
    #[inline]
    pub(crate) fn send_blocks(self) -> bool {
        self.0 & SEND_BLOCKS != 0
    }

    /// Closed and nothing left to receive: a receive reports "closed".
    #[inline]
    pub(crate) fn is_drained(self) -> bool {
        self.is_closed() && self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::super::state::State;
    use super::{Snapshot, MAX_LEN};

    #[test]
    fn fields_round_trip() {
        for len in [0, 1, 64, usize::MAX >> 3] {
            for flags in 0..8u8 {
                let (closed, recv, send) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
                let s = Snapshot::from_bits(Snapshot::new(len, closed, recv, send).bits());
                assert_eq!(
                    (s.len(), s.is_closed(), s.recv_blocks(), s.send_blocks()),
                    (len, closed, recv, send)
                );
            }
        }
    }

    #[test]
    fn a_count_past_the_field_saturates_without_touching_the_flags() {
        use super::super::state::saturated_len;
        let s = Snapshot::new(saturated_len::<()>(usize::MAX), false, false, true);
        assert_eq!(s.len(), MAX_LEN);
        assert!(!s.is_closed() && !s.recv_blocks() && s.send_blocks());
        assert_eq!(saturated_len::<u8>(MAX_LEN + 1), MAX_LEN);
        assert_eq!(saturated_len::<u32>(MAX_LEN), MAX_LEN);
    }

    #[test]
    fn any_capacity_up_to_usize_max_reports_send_blocks_only_when_full() {
        for cap in [1usize << 40, usize::MAX] {
            let mut state = State::<[u8; 64]>::new(cap);
            assert!(!state.snapshot().send_blocks());
            assert!(matches!(
                state.offer([7; 64]),
                super::super::state::Offer::Buffered
            ));
            let view = state.snapshot();
            assert_eq!(view.len(), 1);
            assert!(!view.send_blocks() && !view.recv_blocks());
        }
    }

    #[test]
    fn a_new_channel_blocks_receives_and_unbuffered_sends() {
        let buffered = State::<u8>::new(4).snapshot();
        assert!(buffered.recv_blocks() && !buffered.send_blocks());
        let unbuffered = State::<u8>::new(0).snapshot();
        assert!(unbuffered.recv_blocks() && unbuffered.send_blocks());
        assert!(!unbuffered.is_closed() && !unbuffered.is_drained());
    }
}
