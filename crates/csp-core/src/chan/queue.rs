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
//! - `head` is the oldest hook; `rest` holds the others, oldest first.
//! - `head.is_none()` implies `rest.is_empty()`: the queue is empty exactly
//!   when its head is.
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
        self.head.is_none()
    }

    /// Queues `hook` last.
    #[inline]
    pub(crate) fn push_back(&mut self, hook: HookPtr<T>) {
        if self.head.is_none() {
            self.head = Some(hook);
        } else {
            self.rest.push_back(hook);
        }
    }

    /// Takes the oldest hook.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<HookPtr<T>> {
        let head = self.head.take()?;
        if !self.rest.is_empty() {
            self.head = self.rest.pop_front();
        }
        Some(head)
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
            self.head = self.rest.pop_front();
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
