//! Driving a csp-sync future to completion on a plain OS thread (the
//! `*_blocking` methods, e.g. [`WaitGroup::wait_blocking`](crate::WaitGroup::wait_blocking)).
//!
//! # Invariants
//! - Never blocks a runtime worker: inside a goroutine, or inside a plain
//!   Tokio task (where `Handle::block_on` panics with Tokio's advice), it
//!   panics instead of stalling the worker.

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

/// Runs `fut` to completion on this thread; `what` names the blocking method
/// for the panic message.
#[track_caller]
pub(crate) fn block_on<F: Future>(what: &str, fut: F) -> F::Output {
    if csp_core::goroutine::in_goroutine_poll() {
        panic!(
            "csp: `{what}` called from inside a goroutine; it would block a runtime worker. \
             Use the async method (`.await`) there, or call it from a plain thread"
        );
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        // A `spawn_blocking` thread (fine) or a runtime worker (Tokio panics).
        return handle.block_on(fut);
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
