//! What a process still owes the server before it may end: the values its
//! send bridges took from completed local sends and have not yet seen stored
//! (capacity 0: confirmed), and the closes its local senders made that the
//! bridges have not yet carried out. When the last [`Remote`](crate::Remote)
//! handle is dropped (in a program, as `main` returns), [`drain_before_exit`]
//! waits for both, so a program that sends, closes and returns loses
//! nothing, as a `BufWriter` flushes when dropped.
//!
//! # Invariants
//! - A send bridge counts a value as *held* before it tries to take it from
//!   the local channel and stops counting it only once the server stored it
//!   (capacity 0: the receiving process confirmed it, or the bridge stored
//!   it), or it was reported ([`BridgeError`](crate::BridgeError)). So a
//!   completed local send's value is always counted until it is safe.
//! - A close is owed while the local channel is closed and the bridge has
//!   not finished closing the remote channel.
//! - Main's last poll holds back the wakes made on its thread (csp's waker
//!   rules): the close of a local channel made there never reaches its
//!   bridge. [`drain_before_exit`] therefore *nudges* every bridge it waits
//!   for from another thread, which is not held back.
//!
//! # Locking
//! [`Outboxes`] is a small mutex over the list of live bridges' outboxes,
//! held only to add, remove or copy the list (never while waiting).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// One send bridge's debts (see the module docs).
pub(crate) struct Outbox {
    name: String,
    held: AtomicUsize,
    closed_remotely: AtomicBool,
    /// Whether the local channel is closed.
    local_closed: Box<dyn Fn() -> bool + Send + Sync>,
    /// Wakes the bridge to look at its local channel again.
    pub(crate) nudge: Notify,
}

impl Outbox {
    /// The outbox of the send bridge of channel `name`, whose local channel
    /// `local_closed` reports on.
    pub(crate) fn new(name: &str, local_closed: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        Outbox {
            name: name.to_owned(),
            held: AtomicUsize::new(0),
            closed_remotely: AtomicBool::new(false),
            local_closed: Box::new(local_closed),
            nudge: Notify::new(),
        }
    }

    /// The bridge is about to take a value: it is held from now on.
    pub(crate) fn hold(&self) {
        self.held.fetch_add(1, Ordering::SeqCst);
    }

    /// A held value is safe (stored, confirmed or reported), or was not
    /// taken after all.
    pub(crate) fn release(&self) {
        self.held.fetch_sub(1, Ordering::SeqCst);
    }

    /// The bridge finished closing the remote channel.
    pub(crate) fn closed_remotely(&self) {
        self.closed_remotely.store(true, Ordering::SeqCst);
    }

    /// Values held now.
    fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Whether the bridge owes nothing: no value held, no close pending.
    fn is_clear(&self) -> bool {
        self.held() == 0 && (self.closed_remotely.load(Ordering::SeqCst) || !(self.local_closed)())
    }
}

/// The outboxes of one connection's live send bridges.
#[derive(Default)]
pub(crate) struct Outboxes(parking_lot::Mutex<Vec<Arc<Outbox>>>);

impl Outboxes {
    /// Adds a new bridge's outbox.
    pub(crate) fn add(&self, outbox: Arc<Outbox>) {
        self.0.lock().push(outbox);
    }

    /// Removes an ended bridge's outbox.
    pub(crate) fn remove(&self, outbox: &Arc<Outbox>) {
        self.0.lock().retain(|o| !Arc::ptr_eq(o, outbox));
    }

    fn owing(&self) -> Vec<Arc<Outbox>> {
        self.0
            .lock()
            .iter()
            .filter(|o| !o.is_clear())
            .cloned()
            .collect()
    }
}

/// Blocks the calling thread until every send bridge of the connection owes
/// nothing, for at most `limit`; logs what is still owed past it. Returns at
/// once when nothing is owed (the usual case).
///
/// Where the bridges may run meanwhile: on a plain thread, or on a
/// multi-thread runtime (a worker hands its other tasks over for the wait,
/// `tokio::task::block_in_place`). On a current-thread runtime the bridges
/// would wait for this very thread: nothing is waited for, and a debt is
/// logged as a warning.
pub(crate) fn drain_before_exit(outboxes: &Outboxes, limit: Duration) {
    if outboxes.owing().is_empty() {
        return;
    }
    let wait = || wait_until_clear(outboxes, limit);
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => wait(),
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
        Ok(_) => {
            for o in outboxes.owing() {
                tracing::warn!(
                    "remote channel {:?}: the last Remote handle was dropped on a current-thread \
                     runtime with {} value(s) or a close on the way; call Remote::flush before \
                     exiting",
                    o.name,
                    o.held()
                );
            }
        }
    }
}

fn wait_until_clear(outboxes: &Outboxes, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut nudged = false;
    loop {
        let owing = outboxes.owing();
        if owing.is_empty() {
            return;
        }
        if !nudged {
            // From another thread: a wake made on main's thread during its
            // last poll would be held back and dropped.
            std::thread::scope(|s| {
                s.spawn(|| owing.iter().for_each(|o| o.nudge.notify_one()));
            });
            nudged = true;
        }
        if Instant::now() >= deadline {
            for o in owing {
                tracing::error!(
                    "remote channel {:?}: {} value(s) or a close not confirmed by the server \
                     {limit:?} after the last Remote handle was dropped; they may be lost",
                    o.name,
                    o.held()
                );
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
