//! csp: Go's concurrency model for async Rust — goroutines, channels, select
//! and `sync.WaitGroup` — on Tokio, with Go semantics.
//!
//! # Getting started
//!
//! `#[csp::main]` runs `async fn main` as the main goroutine; [`go`] starts
//! goroutines; when `main` returns the program ends, as in Go.
//!
//! ```
//! use csp::prelude::*;
//!
//! #[csp::main]
//! async fn main() {
//!     let worker = go(async {
//!         for _ in 0..3 {
//!             gosched().await; // let other goroutines run
//!         }
//!         "done"
//!     });
//!     println!("gomaxprocs={} goroutines={}", gomaxprocs(), num_goroutine());
//!     assert_eq!(worker.await.unwrap(), "done");
//! }
//! ```
//!
//! Without attributes, [`run`] does the same: `csp::run(async { ... })`.
//! Tests use `#[csp::test]`, which adds a timeout (60 s by default) so a hang
//! fails the test.
//!
//! # Go → csp
//!
//! | Go | csp |
//! |---|---|
//! | `func main()` | `#[csp::main] async fn main()`, or [`run`]`(async { .. })` |
//! | `func TestX(t *testing.T)` | `#[csp::test] async fn x()` (`timeout_secs = N`) |
//! | `go f(x)` | [`go`]`(f(x))`; the [`JoinHandle`] may be dropped or awaited |
//! | `runtime.Gosched()` | [`gosched`]`().await` |
//! | a blocking syscall | [`blocking`]`(\|\| ..).await` |
//! | `make(chan T)`, `make(chan T, n)` | [`chan`](chan())`::<T>(0)`, `chan::<T>(n)` → `(`[`Sender<T>`]`, `[`Receiver<T>`]`)`, both `Clone` |
//! | `ch <- v` | [`tx.send(v)`](Sender::send)`.await` → `Result<(), `[`SendError<T>`]`>` (the value comes back on a closed channel) |
//! | `v := <-ch`, `v, ok := <-ch` | [`rx.recv()`](Receiver::recv)`.await` → `Option<T>` (`None`: closed and drained) |
//! | `for v := range ch` | `while let Some(v) = rx.recv().await { .. }`, or the [`Receiver`] as a `Stream` |
//! | `close(ch)` | [`tx.close()`](Sender::close); also when every `Sender` (or every `Receiver`) is dropped |
//! | `len(ch)`, `cap(ch)` | [`tx.len()`](Sender::len), [`tx.capacity()`](Sender::capacity) (on either half) |
//! | `select { case v, ok := <-rx: .. case tx <- v: .. }` | [`select!`]` { recv(&rx) -> v => .., send(&tx, v) -> res => .. }` |
//! | a send case's value when another case wins | `send_from(&tx, &mut slot)` in [`select!`]: the value goes back into `slot` |
//! | `select { .. default: .. }` | `select! { .., default => .. }`; for one case, [`tx.try_send(v)`](Sender::try_send), [`rx.try_recv()`](Receiver::try_recv) |
//! | `select {}` | `select! {}` |
//! | nil channel (its case never fires) | an `Option` of a channel in `select!`: `None` never fires |
//! | `time.After(d)`, `time.Tick(d)` | [`after`]`(d)`, [`tick`]`(d)`: receivers, as in `recv(after(d)) => ..` |
//! | `time.Sleep(d)` | [`sleep`]`(d).await` |
//! | `time.NewTimer(d)`, `time.NewTicker(d)` | [`Timer::new`]`(d)`, [`Ticker::new`]`(d)` (`stop`, `reset`, `receiver()`) |
//! | `time.AfterFunc(d, f)` | [`after_func`]`(d, f)` ([`stop`](AfterFunc::stop), [`reset`](AfterFunc::reset)) |
//! | `sync.WaitGroup` | [`WaitGroup`] (`add`, `done`, `wait().await`; [`wg.go(f)`](WaitGroup::go) is `Add(1)` + `go` + `defer Done()`) |
//! | `sync.Mutex` | [`Mutex<T>`] owns the data: `*m.lock().await += 1` (unlocks when the guard drops) |
//! | `sync.RWMutex`, `sync.Cond` | [`RwMutex<T>`] (`read().await`, `write().await`), [`Cond`] (`wait`, `signal`, `broadcast`) |
//! | `sync.Once` | [`Once`] ([`once.call_once(\|\| async { .. })`](Once::call_once)`.await`) |
//! | `sync/atomic` | [`csp::atomic`](atomic) (std's atomics, with Go's names mapped) |
//! | `runtime.GOMAXPROCS(0)`, `runtime.NumGoroutine()` | [`gomaxprocs`]`()`, [`num_goroutine`]`()` |
//! | `runtime.NumCPU()` | [`num_cpu`]`()` |
//! | `GOMAXPROCS=n` | the same variable, or `Runtime::builder().gomaxprocs(n)` |
//! | goroutine dump | [`goroutines`]`()` (id, state, wait reason, locations), [`dump`]`()` (Go's text) |
//! | `kill -QUIT` dump | `Runtime::builder().dump_on_sigquit(true)` (feature `signal`; does not exit) |
//! | `fatal error: all goroutines are asleep - deadlock!` | the same report and exit status 2, on csp's [`Runtime`] (see below) |
//!
//! The README's porting guide lists the five differences a Go programmer
//! meets first: `Option` instead of `v, ok`; errors carrying the value back
//! instead of panics on send-after-close; dropping every [`Sender`] closes
//! the channel; `.await` marks every blocking point; and no preemption of
//! CPU-bound loops without [`gosched`]`().await`. The examples in `examples/`
//! are Go programs ported one by one.
//!
//! # Runtime, GOMAXPROCS and panics
//!
//! A csp [`Runtime`] is a Tokio multi-thread runtime with GOMAXPROCS worker
//! threads: the `GOMAXPROCS` environment variable when set, else the number of
//! cores; an invalid value is an error naming the variable and the value.
//! A goroutine panic crashes the program with Go's report and exit status 2;
//! `Runtime::builder().on_goroutine_panic(PanicPolicy::Propagate)` surfaces it
//! through the [`JoinHandle`] instead.
//!
//! # Deadlock detection
//!
//! As in Go, when every goroutine, main included, is blocked in a csp
//! primitive (channel send or receive, `select`, `select {}`, csp-sync's
//! WaitGroup, Mutex, ...) and nothing outside can wake one, the program
//! prints `fatal error: all goroutines are asleep - deadlock!` and a dump:
//!
//! ```text
//! fatal error: all goroutines are asleep - deadlock!
//!
//! goroutine 1 [chan send]:
//!     blocked at src/main.rs:5:8
//!     created at src/main.rs:3:1
//! ```
//!
//! then exits with status 2 (it is also a `tracing` error event). Under
//! `#[csp::test]` the test fails with that report instead. The dump shows
//! the wait duration only from one minute on (`[chan receive, 3 minutes]`),
//! as Go does. The rule, which never reports a program that can still move:
//! - A goroutine awaiting a timer, I/O, [`blocking`]`(..)` or any non-csp
//!   future is running, not blocked. A live `tokio::spawn` task, or a
//!   `blocking` closure still running, may wake one: no report meanwhile.
//! - The report comes only after the same state has held, with every worker
//!   idle, for 100 ms (so about 0.1-0.3 s after the last goroutine blocks),
//!   and only while main runs.
//! - Plain OS threads: a thread outside the runtime that has called a
//!   `*_blocking` channel method may wake goroutines until it exits (except
//!   while it is itself parked in one). A thread that sleeps before its first
//!   such call, or only uses `try_send`, must hold an [`ExternalWaker`]
//!   ([`external_waker`]`()`), created before it starts and moved into it;
//!   so must goroutines of another csp `Runtime` that feed this one's
//!   channels (each runtime sees only its own goroutines).
//! - `Runtime::builder().deadlock_detection(false)` turns it off.
//!
//! [`go`] also works inside a Tokio runtime csp did not build (for example
//! under `#[tokio::main]`), so an existing service can adopt csp piece by
//! piece; GOMAXPROCS, the crash-on-panic policy and deadlock detection need
//! csp's own runtime.

pub use csp_core::time::{after, after_func, sleep, tick, AfterFunc, Ticker, Timer};
pub use csp_core::{
    blocking, chan, dump, external_waker, go, gomaxprocs, goroutines, gosched, num_cpu,
    num_goroutine, run, ExternalWaker, GoroutineInfo, GoroutineState, JoinError, JoinHandle,
    PanicPolicy, Receiver, Recv, RecvTimeoutError, Runtime, RuntimeError, Send, SendError,
    SendSink, SendTimeoutError, Sender, TryRecvError, TrySendError, WaitReason,
};
pub use csp_macros::{main, test};

/// The future of [`Receiver::next`] (a receive through the `Stream` view).
pub use csp_core::chan::Next as RecvNext;

/// The runtime's settings: Go's `GOMAXPROCS`, the panic policy, the builder.
pub mod runtime {
    pub use csp_core::runtime::{
        Builder, PanicPolicy, RuntimeError, GOMAXPROCS_ENV, MAX_GOMAXPROCS,
    };
}

/// Go's `time` package, the parts that meet concurrency: timer channels and
/// `Sleep` (also re-exported at the crate root).
pub mod time {
    pub use csp_core::time::{after, after_func, sleep, tick, AfterFunc, Sleep, Ticker, Timer};
}

/// The dynamic `select` under the `select!` macro, for a case list built at
/// run time (Go's `reflect.Select`).
pub mod select {
    pub use csp_core::select::{
        select, try_select, IntoRecvCase, IntoSendCase, RecvCase, Select, SelectCase, SendCase,
    };
}

/// Runs a doc example on a small multi-thread runtime.
#[doc(hidden)]
pub use csp_core::runtime_for_doctest;
pub use csp_sync::{
    atomic, Cond, Mutex, MutexGuard, Once, OnceFunc, OnceValue, RwMutex, RwMutexReadGuard,
    RwMutexWriteGuard, WaitGroup,
};
pub use csp_toolkit::{context, errgroup, semaphore, singleflight};

/// The names most programs need: `use csp::prelude::*;`.
pub mod prelude {
    pub use crate::select;
    pub use crate::{after, sleep, tick, Cond, Mutex, Once, RwMutex, Ticker, Timer, WaitGroup};
    pub use csp_core::{
        blocking, chan, go, gomaxprocs, gosched, num_cpu, num_goroutine, run, JoinHandle, Receiver,
        Runtime, Sender,
    };
}

mod select_macro;

/// Compiles and runs the README's example as a doctest, so it cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Paths the macros expand to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use csp_core::runtime::{run_main, run_test, with_output, TestConfig};
    pub use csp_core::select::{
        select, try_select, IntoRecvCase, IntoSendCase, RecvCase, Select, SelectCase, SendCase,
    };
    pub use csp_macros::select_in;
}
