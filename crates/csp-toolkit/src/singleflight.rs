//! Go's `golang.org/x/sync/singleflight`: duplicate calls for one key share
//! one in-flight execution and its result.
//!
//! The first caller for a key (the leader) runs its future inline; later
//! callers wait on the call's done channel (a csp channel, so the deadlock
//! detector sees them as `chan receive`). If the leader's future is dropped
//! before it finishes, the call is abandoned: its waiters wake, find no
//! result and start over, one of them becoming the new leader, so no caller
//! waits forever on a call nobody runs.
//!
//! # Invariants
//! - `calls` maps a key to its in-flight call only; the leader removes the
//!   entry (if it is still its own: [`Group::forget`] may have replaced it)
//!   before closing the call's channel.
//! - A call's `result` is set at most once, before its channel closes.
//!
//! # Locking
//! `calls` is held only to look up, insert or remove an entry; the leader's
//! future runs with no lock held.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use csp_core::{Receiver, Sender};
use parking_lot::Mutex;

/// Suppresses duplicate work per key: Go's `singleflight.Group`.
///
/// # Examples
/// ```
/// use csp_toolkit::singleflight::Group;
///
/// # csp_core::runtime_for_doctest(async {
/// let group = Group::<&str, u64>::new();
/// let (release, gate) = csp_core::chan::<()>(0);
/// let slow = group.do_call("config", async {
///     let _ = gate.recv().await; // a slow backend
///     7
/// });
/// let duplicate = group.do_call("config", async { unreachable!("runs once") });
/// let (a, b, ()) = tokio::join!(slow, duplicate, async {
///     csp_core::gosched().await; // both calls are in flight now
///     drop(release);
/// });
/// assert_eq!((a, b), ((7, true), (7, true)));
/// # });
/// ```
pub struct Group<K, V> {
    calls: Mutex<HashMap<K, Arc<Call<V>>>>,
}

struct Call<V> {
    result: OnceLock<V>,
    shared: AtomicBool,
    done: (Sender<()>, Receiver<()>),
}

impl<K, V> Group<K, V>
where
    K: Hash + Eq + Clone,
    V: Clone,
{
    /// An empty group: Go's zero `singleflight.Group`.
    ///
    /// # Examples
    /// ```
    /// let group = csp_toolkit::singleflight::Group::<String, u32>::new();
    /// assert!(!group.in_flight("k"));
    /// ```
    pub fn new() -> Self {
        Self {
            calls: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` for `key` unless a call for `key` is already in flight, in
    /// which case waits for that call and returns a clone of its result:
    /// Go's `g.Do(key, fn)`. The flag is Go's `shared`: whether the result
    /// went to more than one caller.
    ///
    /// # Cancel safety
    /// A dropped waiter changes nothing. A dropped leader abandons the call:
    /// its waiters start over (one of them runs its own `f`). A panic in the
    /// leader's `f` unwinds the leader only; its waiters likewise start over.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// let group = csp_toolkit::singleflight::Group::new();
    /// assert_eq!(group.do_call("a", async { 1 }).await, (1, false));
    /// assert_eq!(group.do_call("a", async { 2 }).await, (2, false)); // not in flight any more
    /// # });
    /// ```
    pub async fn do_call<F>(&self, key: K, f: F) -> (V, bool)
    where
        F: Future<Output = V>,
    {
        let mut f = Some(f);
        loop {
            let (call, leader) = {
                let mut calls = self.calls.lock();
                match calls.get(&key) {
                    Some(call) => {
                        call.shared.store(true, Ordering::Relaxed);
                        (call.clone(), false)
                    }
                    None => {
                        let call = Arc::new(Call {
                            result: OnceLock::new(),
                            shared: AtomicBool::new(false),
                            done: csp_core::chan(0),
                        });
                        calls.insert(key.clone(), call.clone());
                        (call, true)
                    }
                }
            };
            if leader {
                let guard = Leader {
                    group: self,
                    key: &key,
                    call: &call,
                };
                let value = f.take().expect("a caller leads at most once").await;
                let _ = call.result.set(value.clone());
                drop(guard);
                return (value, call.shared.load(Ordering::Relaxed));
            }
            let done = call.done.1.clone();
            while done.recv().await.is_some() {}
            if let Some(value) = call.result.get() {
                return (value.clone(), true);
            }
            // The leader was dropped: start over.
        }
    }

    /// Makes the next [`do_call`](Self::do_call) for `key` run its own
    /// function instead of waiting for the one in flight: Go's
    /// `g.Forget(key)`. Callers already waiting still get that call's result.
    ///
    /// # Examples
    /// ```
    /// let group = csp_toolkit::singleflight::Group::<&str, u32>::new();
    /// group.forget("nothing in flight");
    /// ```
    pub fn forget<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.calls.lock().remove(key);
    }

    /// Whether a call for `key` is in flight now (a snapshot; Go has no
    /// equivalent).
    ///
    /// # Examples
    /// ```
    /// let group = csp_toolkit::singleflight::Group::<&str, u32>::new();
    /// assert!(!group.in_flight("k"));
    /// ```
    pub fn in_flight<Q>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.calls.lock().contains_key(key)
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Default for Group<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> fmt::Debug for Group<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("in_flight", &self.calls.lock().len())
            .finish()
    }
}

/// The leader's end of a call: takes the call out of the map and closes its
/// channel, whether the leader finished or was dropped.
struct Leader<'a, K: Hash + Eq, V> {
    group: &'a Group<K, V>,
    key: &'a K,
    call: &'a Arc<Call<V>>,
}

impl<K: Hash + Eq, V> Drop for Leader<'_, K, V> {
    fn drop(&mut self) {
        {
            let mut calls = self.group.calls.lock();
            if calls
                .get(self.key)
                .is_some_and(|c| Arc::ptr_eq(c, self.call))
            {
                calls.remove(self.key);
            }
        }
        self.call.done.0.close();
    }
}
