//! csp-core: the runtime under csp.
//!
//! Goroutines ([`go`]), Go-semantic channels ([`chan()`]), the select engine
//! ([`select`]), timers as channels and the goroutine registry. Users depend on
//! the `csp` facade, which re-exports this crate; see its docs for the Go → csp
//! table.

pub(crate) mod budget;
pub(crate) mod loom;

/// The mutex of csp's loom switch (`parking_lot`'s, or loom's under
/// `--cfg loom`), for csp-sync's and csp-toolkit's own switches. Not public API.
#[doc(hidden)]
pub use loom::PlainMutex;
pub(crate) mod plain_thread;

pub mod chan;
pub mod goroutine;
pub mod runtime;
pub mod select;
pub mod time;
#[doc(hidden)] // the waiting machinery csp-sync and csp-toolkit build on; not for users
pub mod waiter;

pub use chan::{
    chan, Receiver, Recv, RecvTimeoutError, Send, SendError, SendSink, SendTimeoutError, Sender,
    TryRecvError, TrySendError,
};
pub use goroutine::{
    dump, external_waker, go, goroutines, num_goroutine, ExternalWaker, GoroutineInfo,
    GoroutineState, JoinError, JoinHandle, WaitReason,
};
pub use runtime::{
    blocking, gomaxprocs, gosched, num_cpu, run, PanicPolicy, Runtime, RuntimeError,
};

/// Drives a csp future to completion on a plain OS thread (the `*_blocking`
/// methods of channels and csp-sync); panics inside a goroutine. Shared with
/// csp-sync; not public API.
#[doc(hidden)]
pub use plain_thread::block_on as block_on_plain_thread;

/// Runs a doc example (or a unit test) on a small multi-thread runtime.
#[doc(hidden)]
pub fn runtime_for_doctest<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("doctest runtime")
        .block_on(fut)
}
