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
    use super::WaitQueue;
    use crate::waiter::{Hook, HookPtr};

    /// Against a `VecDeque` doing the same: order, emptiness and removal
    /// from every position agree.
    #[test]
    fn behaves_as_a_fifo() {
        let hooks: Vec<Hook<u8>> = (0..6).map(|_| Hook::plain()).collect();
        let ptr = |i: usize| HookPtr::new(&hooks[i]);
        let index = |p: HookPtr<u8>| (0..6).find(|&i| p.is(&hooks[i])).unwrap();
        // Each step: push i, pop, or remove i, checked against the model.
        let script: &[(char, usize)] = &[
            ('+', 0),
            ('-', 0),
            ('+', 1),
            ('+', 2),
            ('+', 3),
            ('x', 1),
            ('-', 0),
            ('+', 4),
            ('x', 4),
            ('+', 5),
            ('x', 0),
            ('-', 0),
            ('-', 0),
            ('+', 0),
            ('x', 0),
        ];
        let mut q = WaitQueue::new();
        let mut model = std::collections::VecDeque::new();
        for &(op, i) in script {
            match op {
                '+' => {
                    q.push_back(ptr(i));
                    model.push_back(i);
                }
                '-' => assert_eq!(q.pop_front().map(index), model.pop_front()),
                _ => {
                    let at = model.iter().position(|&m| m == i);
                    assert_eq!(q.remove(&hooks[i]), at.is_some());
                    if let Some(at) = at {
                        model.remove(at);
                    }
                }
            }
            assert_eq!(q.is_empty(), model.is_empty());
            assert_eq!(
                q.iter().map(index).collect::<Vec<_>>(),
                Vec::from(model.clone())
            );
        }
        q.push_back(ptr(1));
        q.push_back(ptr(2));
        assert_eq!(q.drain().map(index).collect::<Vec<_>>(), [1, 2]);
        assert!(q.is_empty() && q.pop_front().is_none());
    }
}
