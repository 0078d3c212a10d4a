//! A channel's wait queue of parked hooks (Go's `waitq`): FIFO, its head
//! kept inline.
//!
//! Most queues hold nothing or one hook (a sieve's filter, a worker waiting
//! on its job channel), so the head lives in the channel itself and only a
//! second parked hook reaches the heap. A hand-off then touches the
//! channel's own lines and the hook, not a separate buffer the other side
//! wrote last.
//!
//! # Invariants
//! - `rest` holds hooks oldest first; `head`, when it holds one, is older
//!   than every hook in `rest`: a hook goes to `head` only when the whole
//!   queue is empty, and a pop takes `head` first. Under a crowd (many
//!   parked senders of an MPSC channel) `head` stays empty and the queue is
//!   just `rest`, so nothing is shuffled between the two.
//!
//! # Locking
//! Lives in the channel's `State`: every method runs under the channel lock.

use std::collections::VecDeque;

use crate::waiter::{Hook, HookPtr};

/// The parked hooks of one side of a channel, oldest first.
pub(crate) struct WaitQueue<T> {
    head: Option<HookPtr<T>>,
    rest: VecDeque<HookPtr<T>>,
}

impl<T> WaitQueue<T> {
    pub(crate) const fn new() -> Self {
        Self {
            head: None,
            rest: VecDeque::new(),
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none() && self.rest.is_empty()
    }

    /// Queues `hook` last.
    #[inline]
    pub(crate) fn push_back(&mut self, hook: HookPtr<T>) {
        if self.is_empty() {
            self.head = Some(hook);
        } else {
            self.rest.push_back(hook);
        }
    }

    /// Takes the oldest hook.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<HookPtr<T>> {
        self.head.take().or_else(|| self.rest.pop_front())
    }

    /// Takes every hook, oldest first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = HookPtr<T>> + '_ {
        self.head.take().into_iter().chain(self.rest.drain(..))
    }

    /// Every hook, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = HookPtr<T>> + '_ {
        self.head.iter().chain(self.rest.iter()).copied()
    }

    /// Removes `hook`; returns whether it was queued. Searches from the
    /// back: an owner withdrawing usually parked last.
    pub(crate) fn remove(&mut self, hook: &Hook<T>) -> bool {
        if let Some(i) = self.rest.iter().rposition(|h| h.is(hook)) {
            self.rest.remove(i);
            return true;
        }
        if self.head.is_some_and(|h| h.is(hook)) {
            self.head = None;
            return true;
        }
        false
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::WaitQueue;
    use crate::waiter::{Hook, HookPtr};

    /// One step on a queue of hooks `0..HOOKS`.
    #[derive(Clone, Debug)]
    enum Step {
        /// Park hook `i` (skipped if it is already queued: a hook waits in
        /// one place at a time).
        Push(usize),
        Pop,
        /// Withdraw hook `i`, queued or not.
        Remove(usize),
        Drain,
    }

    const HOOKS: usize = 6;

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..HOOKS).prop_map(Step::Push),
            3 => Just(Step::Pop),
            2 => (0..HOOKS).prop_map(Step::Remove),
            1 => Just(Step::Drain),
        ]
    }

    proptest! {
        /// Against a `VecDeque` doing the same: order, emptiness, removal
        /// from every position and draining agree after every step.
        #[test]
        fn behaves_as_a_fifo(steps in prop::collection::vec(step(), 1..80)) {
            let hooks: Vec<Hook<u8>> = (0..HOOKS).map(|_| Hook::plain()).collect();
            let index = |p: HookPtr<u8>| (0..HOOKS).find(|&i| p.is(&hooks[i])).unwrap();
            let mut q = WaitQueue::new();
            let mut model = VecDeque::new();
            for step in steps {
                match step {
                    Step::Push(i) if !model.contains(&i) => {
                        q.push_back(HookPtr::new(&hooks[i]));
                        model.push_back(i);
                    }
                    Step::Push(_) => {}
                    Step::Pop => prop_assert_eq!(q.pop_front().map(index), model.pop_front()),
                    Step::Remove(i) => {
                        let at = model.iter().position(|&m| m == i);
                        prop_assert_eq!(q.remove(&hooks[i]), at.is_some());
                        if let Some(at) = at {
                            model.remove(at);
                        }
                    }
                    Step::Drain => {
                        let drained: Vec<usize> = q.drain().map(index).collect();
                        prop_assert_eq!(drained, Vec::from(std::mem::take(&mut model)));
                    }
                }
                prop_assert_eq!(q.is_empty(), model.is_empty());
                let now: Vec<usize> = q.iter().map(index).collect();
                prop_assert_eq!(now, Vec::from(model.clone()));
            }
        }
    }
}
