//! csp-core: the runtime under csp.
//!
//! Goroutines, Go-semantic channels ([`chan`](mod@chan)), the select engine,
//! timers as channels and the goroutine registry. Users depend on the `csp`
//! facade, which re-exports this crate; see its docs for the Go → csp table.

pub(crate) mod loom;

pub mod chan;
pub mod goroutine;
pub mod select;
pub mod waiter;

pub use chan::{
    chan, Receiver, Recv, RecvTimeoutError, Send, SendError, SendTimeoutError, Sender,
    TryRecvError, TrySendError,
};

/// Runs a doc example on a small multi-thread runtime.
#[doc(hidden)]
pub fn runtime_for_doctest<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("doctest runtime")
        .block_on(fut)
}
