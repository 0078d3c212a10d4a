//! Driving a channel future to completion on a plain OS thread (the
//! `*_blocking` methods), so threads outside the runtime can talk to
//! goroutines.
//!
//! # Invariants
//! - Never runs on a runtime worker: that would stall every goroutine on the
//!   worker (and deadlock a 1-worker runtime), so it panics with a message that
//!   names the async method to use instead, as Tokio's `blocking_recv` does
//!   (inside a goroutine csp's own message; inside a plain Tokio task Tokio's).
//! - A plain thread (outside every runtime) that gets here registers as an
//!   external waker for the deadlock detector until it exits, and is not
//!   counted while parked here on a csp primitive (`goroutine::deadlock`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::goroutine::{deadlock, park};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `fut` to completion on this thread. `what` names the blocking method
/// for the panic message.
#[track_caller]
pub fn block_on<F: Future>(what: &str, fut: F) -> F::Output {
    if crate::goroutine::in_goroutine_poll() {
        panic!(
            "csp: `{what}` called from inside a goroutine; it would block a runtime worker. \
             Use the async method (`.await`) there, or call it from a plain thread or inside \
             `csp::blocking(..)`"
        );
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        // Inside a runtime's context (a `spawn_blocking` thread, or a plain task,
        // where Tokio itself panics with the same advice): let Tokio drive it.
        return handle.block_on(fut);
    }
    // A plain thread: from now on it may wake goroutines (deadlock rule).
    deadlock::register_plain_thread();
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        park::clear_record();
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        // Parked in a csp primitive: only a goroutine (or another thread)
        // can wake it, so it is no waker itself meanwhile.
        let _asleep = park::take_record().map(|_| deadlock::thread_asleep());
        thread::park();
    }
}
