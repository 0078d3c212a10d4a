//! Driving a channel future to completion on a plain OS thread (the
//! `*_blocking` methods), so threads outside the runtime can talk to
//! goroutines.
//!
//! # Invariants
//! - Never runs on a runtime worker: that would stall every goroutine on the
//!   worker (and deadlock a 1-worker runtime), so it panics with a message that
//!   names the async method to use instead, as Tokio's `blocking_recv` does.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

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
pub(crate) fn block_on<F: Future>(what: &str, fut: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() && tokio::task::try_id().is_some() {
        panic!(
            "csp: `{what}` called from inside a goroutine or async task; it would block a \
             runtime worker. Use the async method (`.await`) there, or call it from a plain \
             thread or inside `csp::blocking(..)`"
        );
    }
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
