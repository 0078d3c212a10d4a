//! The cancellation tree: one [`CancelNode`] per cancelable context (Go's
//! `cancelCtx`), linked to the nearest cancelable ancestor.
//!
//! A parent holds its live children (child nodes and `after_func`
//! callbacks) in a slab; cancelling a node drains its slab and cancels the
//! drained subtree with an explicit work list, so a cancel costs time
//! proportional to the subtree, needs no goroutine, and does not recurse
//! (a chain of a million contexts cannot overflow the stack).
//!
//! # Invariants
//! - `err` goes from 0 (live) to [`Error`]'s code once, under `state`'s lock,
//!   and never back; readers may load it without the lock.
//! - While `err` is 0, every child that is not yet cancelled and was
//!   registered with this node is in `children`. Once `err` is set,
//!   `children` is empty and stays empty: a registration that finds `err`
//!   set cancels the newcomer instead (a child of a cancelled parent is born
//!   cancelled).
//! - `slot` is the node's key in its parent's `children`, set under the
//!   parent's lock at registration; only the node's own top-level cancel
//!   removes it (a cancel that came from the parent finds the parent's slab
//!   already drained).
//! - `timer` is `Some` only while the node is live and has its own deadline;
//!   cancel aborts it.
//!
//! # Locking
//! `state` protects the children, the cause, the done channel and the timer.
//! Lock order: a parent's lock before its child's (registration only); a
//! cancel holds one node's lock at a time and closes the done channel,
//! aborts the timer and starts `after_func` callbacks after releasing it.
//! No user code runs under a lock.

use std::error::Error as StdError;

use csp_core::{Receiver, Sender};
use slab::Slab;

use super::Error;
use crate::sync::{Arc, AtomicU8, Mutex, Ordering};

/// Why a context was cancelled, beyond [`Error`]: Go's `context.Cause`.
pub type Cause = std::sync::Arc<dyn StdError + Send + Sync + 'static>;

/// A callback registered with `after_func`.
pub(crate) type AfterFn = Box<dyn FnOnce() + Send + 'static>;

#[cfg(not(loom))]
impl Drop for CancelNode {
    /// Releases a chain of ancestors iteratively (see `Node`'s drop).
    fn drop(&mut self) {
        let mut parent = self.parent.take();
        while let Some(node) = parent {
            match Arc::try_unwrap(node) {
                Ok(mut node) => parent = node.parent.take(),
                Err(_) => break,
            }
        }
    }
}

/// What a node's slab holds.
pub(crate) enum Child {
    /// A cancelable child context.
    Node(Arc<CancelNode>),
    /// An `after_func` callback (Go's `afterFuncCtx`).
    Func(AfterFn),
}

/// A cancelable context's shared state (Go's `cancelCtx`).
pub(crate) struct CancelNode {
    /// 0 while live, else [`Error::code`].
    err: AtomicU8,
    /// The nearest cancelable ancestor, to leave its slab on cancel.
    parent: Option<Arc<CancelNode>>,
    state: Mutex<State>,
}

struct State {
    /// Set at cancel; `None` means "the error itself" (Go's default cause).
    cause: Option<Cause>,
    /// The done channel, created on the first `done()` while live.
    done: Option<(Sender<()>, Receiver<()>)>,
    children: Slab<Child>,
    slot: Option<usize>,
    #[cfg(not(loom))]
    timer: Option<tokio::task::AbortHandle>,
}

impl CancelNode {
    /// A live node under `parent`, not yet registered with it.
    pub(crate) fn new(parent: Option<Arc<CancelNode>>) -> Arc<Self> {
        Arc::new(Self {
            err: AtomicU8::new(0),
            parent,
            state: Mutex::new(State {
                cause: None,
                done: None,
                children: Slab::new(),
                slot: None,
                #[cfg(not(loom))]
                timer: None,
            }),
        })
    }

    /// The cancellation error, `None` while live.
    #[inline]
    pub(crate) fn err(&self) -> Option<Error> {
        Error::from_code(self.err.load(Ordering::Acquire))
    }

    /// The cause: the one given to the cancel, else the error itself; `None`
    /// while live.
    pub(crate) fn cause(&self) -> Option<Cause> {
        let state = self.state.lock();
        let err = self.err()?;
        Some(
            state
                .cause
                .clone()
                .unwrap_or_else(|| std::sync::Arc::new(err)),
        )
    }

    /// A receiver that yields `None` once the node is cancelled. The channel
    /// is created on the first call (Go's lazy `done`); a cancelled node
    /// hands out a shared closed channel.
    pub(crate) fn done(&self) -> Receiver<()> {
        if self.err().is_some() {
            return super::closed_channel();
        }
        let mut state = self.state.lock();
        if self.err().is_some() {
            return super::closed_channel();
        }
        state
            .done
            .get_or_insert_with(|| csp_core::chan(0))
            .1
            .clone()
    }

    /// Registers `child` under `parent` (Go's `propagateCancel`): its key in
    /// the slab, or the child back with the parent's error and cause when the
    /// parent is already cancelled.
    ///
    /// The key is also stored in a node child's `slot`, under both locks.
    pub(crate) fn register(
        parent: &Arc<CancelNode>,
        child: Child,
    ) -> Result<usize, (Child, Error, Option<Cause>)> {
        let mut state = parent.state.lock();
        if let Some(err) = parent.err() {
            return Err((child, err, state.cause.clone()));
        }
        let entry = state.children.vacant_entry();
        let key = entry.key();
        if let Child::Node(node) = &child {
            node.state.lock().slot = Some(key);
        }
        entry.insert(child);
        Ok(key)
    }

    /// Removes the `after_func` callback at `key` if the node is still live:
    /// whether it was removed (so it will never run).
    pub(crate) fn unregister_func(&self, key: usize) -> bool {
        let mut state = self.state.lock();
        if self.err().is_some() {
            return false;
        }
        matches!(state.children.try_remove(key), Some(Child::Func(_)))
    }

    /// Starts `timer` for this node unless it is already cancelled (then
    /// the timer is aborted at once).
    #[cfg(not(loom))]
    pub(crate) fn set_timer(&self, timer: tokio::task::AbortHandle) {
        let mut state = self.state.lock();
        if self.err().is_some() {
            drop(state);
            timer.abort();
        } else {
            state.timer = Some(timer);
        }
    }

    /// Cancels this node and its whole subtree with `err` and `cause`, and
    /// takes the node out of its parent's slab. A no-op on a cancelled node.
    pub(crate) fn cancel(&self, err: Error, cause: Option<Cause>) {
        let mut work = Vec::new();
        let Some(slot) = self.cancel_one(err, &cause, &mut work) else {
            return;
        };
        if let (Some(parent), Some(slot)) = (&self.parent, slot) {
            parent.remove_child(slot);
        }
        while let Some(child) = work.pop() {
            match child {
                Child::Node(node) => {
                    node.cancel_one(err, &cause, &mut work);
                }
                Child::Func(f) => super::after_func::start(f),
            }
        }
    }

    /// Marks this one node cancelled and moves its children to `work`:
    /// `None` if it already was, else its slot in the parent.
    fn cancel_one(
        &self,
        err: Error,
        cause: &Option<Cause>,
        work: &mut Vec<Child>,
    ) -> Option<Option<usize>> {
        let (done, slot);
        #[cfg(not(loom))]
        let timer;
        {
            let mut state = self.state.lock();
            if self.err().is_some() {
                return None;
            }
            state.cause.clone_from(cause);
            self.err.store(err.code(), Ordering::Release);
            work.extend(
                std::mem::take(&mut state.children)
                    .into_iter()
                    .map(|(_, c)| c),
            );
            done = state.done.take();
            slot = state.slot;
            #[cfg(not(loom))]
            {
                timer = state.timer.take();
            }
        }
        if let Some((tx, _rx)) = done {
            tx.close();
        }
        #[cfg(not(loom))]
        if let Some(timer) = timer {
            timer.abort();
        }
        Some(slot)
    }

    /// Drops the child at `slot` from a live node's slab.
    fn remove_child(&self, slot: usize) {
        let mut state = self.state.lock();
        if self.err().is_none() {
            state.children.try_remove(slot);
        }
    }

    /// How many children (nodes and callbacks) a live node holds.
    #[cfg(all(test, loom))]
    pub(crate) fn child_count(&self) -> usize {
        self.state.lock().children.len()
    }
}
