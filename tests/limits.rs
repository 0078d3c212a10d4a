//! Hostile input and resource limits (issue 21): every public entry point
//! answers a bad input with a typed error, a Go-worded panic, or defined
//! behaviour, never a panic from inside std, Tokio or the allocator, and
//! never an abort. Each test here is a row (or rows) of `docs/limits.md`.
//!
//! Programs whose behaviour is an exit, a process-wide count or resident
//! memory run in a child process: this binary re-executes itself with
//! `CSP_TEST_CHILD=<name>` and runs only the `child` test (`common`).

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use csp::prelude::*;
use csp::runtime::PanicPolicy;
use csp::select::{select, RecvCase, SelectCase};
use csp::{after_func, TrySendError};

mod common;

/// Values sent through each practically unbounded channel.
const MANY: usize = 10_000;
/// The burst whose memory must come back: 1 Mi values of 64 bytes (64 MiB).
const BURST: usize = 1 << 20;
/// How long the far timers are watched not firing.
const WATCH: Duration = Duration::from_millis(30);

/// The child side: runs the program named by [`common::CHILD_ENV`]; a no-op
/// in the parent's own run.
#[test]
fn child() {
    let Ok(name) = std::env::var(common::CHILD_ENV) else {
        return;
    };
    match name.as_str() {
        "burst" => burst_then_drain(),
        "panic_payload" => csp::run(async {
            go(async { std::panic::panic_any(42_u32) });
            std::future::pending::<()>().await
        }),
        "drop_in_own_goroutine" => drop_runtime_inside_its_own_goroutine(),
        "plain_tokio_count" => count_on_plain_tokio(),
        "env_values" => odd_gomaxprocs_values(),
        "main_bad_env" => {
            std::env::set_var(csp::runtime::GOMAXPROCS_ENV, "zero");
            bad_env::main();
        }
        other => panic!("unknown child program {other}"),
    }
}

mod bad_env {
    /// A `#[csp::main]` program, run with `GOMAXPROCS=zero`.
    #[csp::main]
    pub async fn main() {
        unreachable!("the runtime cannot start");
    }
}

/// Runs `fut` as main on a 2-worker runtime whose goroutine panics surface
/// in their handles.
fn propagating<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = Runtime::builder()
        .gomaxprocs(2)
        .on_goroutine_panic(PanicPolicy::Propagate)
        .build()
        .unwrap();
    rt.run(fut)
}

/// The message of a panic payload (`&str` or `String`).
fn message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "<not a string>".into(), |s| (*s).to_string()),
    }
}

/// The message `f` panics with (it must panic).
fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => message(payload),
    }
}

/// The message the goroutine running `fut` panics with (it must panic).
async fn goroutine_panic<F: Future + Send + 'static>(fut: F) -> String
where
    F::Output: Send + 'static,
{
    match go(fut).await {
        Ok(_) => panic!("expected the goroutine to panic"),
        Err(e) => message(e.try_into_panic().expect("a panic, not a cancellation")),
    }
}

// ---- channels ----------------------------------------------------------

#[csp::test(timeout_secs = 30)]
async fn capacity_up_to_usize_max_is_a_bound_not_a_reservation() {
    async fn fill_and_drain<T>(cap: usize, make: fn(usize) -> T)
    where
        T: Send + PartialEq + std::fmt::Debug + 'static,
    {
        let (tx, rx) = chan::<T>(cap);
        assert_eq!((tx.capacity(), rx.capacity()), (cap, cap));
        for i in 0..MANY {
            tx.send(make(i)).await.unwrap();
        }
        assert_eq!(rx.len(), MANY);
        assert!(!tx.is_full());
        for i in 0..MANY {
            assert_eq!(rx.recv().await, Some(make(i)));
        }
        assert!(rx.is_empty());
    }
    fill_and_drain::<[u8; 64]>(1 << 40, |i| [i as u8; 64]).await;
    fill_and_drain::<u64>(usize::MAX, |i| i as u64).await;
    fill_and_drain::<()>(usize::MAX, |_| ()).await;
}

#[test]
fn closing_twice_and_sending_on_closed_are_values_not_panics() {
    let (tx, rx) = chan::<String>(1);
    tx.try_send("kept".into()).unwrap();
    assert!(rx.close(), "the first close closes");
    assert!(
        !tx.close() && !rx.close(),
        "later ones report it was closed"
    );
    assert!(matches!(tx.try_send("late".into()), Err(TrySendError::Closed(v)) if v == "late"));
    let back = futures::executor::block_on(tx.send("again".into())).unwrap_err();
    assert_eq!(back.0, "again", "the value comes back");
    assert_eq!(
        rx.try_recv().as_deref(),
        Ok("kept"),
        "buffered values drain"
    );
    assert_eq!(rx.try_recv(), Err(csp::TryRecvError::Closed));
}

#[test]
fn a_sink_sent_to_before_it_is_ready_names_the_contract() {
    use futures::{Sink, SinkExt};
    let (tx, rx) = chan::<u8>(0); // nobody receives yet: the first send waits
    let mut sink = tx.into_sink();
    let mut cx = std::task::Context::from_waker(futures::task::noop_waker_ref());
    assert!(sink.poll_ready_unpin(&mut cx).is_ready());
    std::pin::Pin::new(&mut sink).start_send(1).unwrap();
    assert!(
        sink.poll_flush_unpin(&mut cx).is_pending(),
        "parked on the rendezvous"
    );
    let msg = panic_message(|| std::pin::Pin::new(&mut sink).start_send(2));
    assert_eq!(
        msg,
        "SendSink::start_send called before poll_ready finished the previous send"
    );
    drop(rx);
}

#[test]
fn try_send_is_full_exactly_at_the_bound() {
    // 1000 u64 values: past the 512 slots allocated up front, so it grows.
    for cap in [1, 16, 1000] {
        let (tx, rx) = chan::<u64>(cap);
        for i in 0..cap as u64 {
            tx.try_send(i).unwrap();
        }
        assert_eq!(rx.len(), cap);
        assert!(rx.is_full());
        assert!(matches!(tx.try_send(7), Err(TrySendError::Full(7))));
        assert_eq!(rx.try_recv(), Ok(0));
        tx.try_send(cap as u64).unwrap();
        assert!(matches!(tx.try_send(8), Err(TrySendError::Full(8))));
        for i in 1..=cap as u64 {
            assert_eq!(rx.try_recv(), Ok(i));
        }
        assert!(rx.is_empty());
    }
}

/// The child: resident memory rises by a burst of `BURST` values and falls
/// back once they are received. Prints `REPORT before= peak= after=` in KiB.
fn burst_then_drain() {
    let (tx, rx) = chan::<[u8; 64]>(usize::MAX);
    let before = resident_kib();
    for i in 0..BURST {
        tx.try_send([i as u8; 64]).unwrap();
    }
    let peak = resident_kib();
    for i in 0..BURST {
        assert_eq!(rx.try_recv().map(|v| v[0]), Ok(i as u8));
    }
    let after = resident_kib();
    println!("REPORT before={before} peak={peak} after={after}");
}

/// This process's resident set in KiB (Linux `/proc/self/statm`).
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

#[cfg(target_os = "linux")]
#[test]
fn a_drained_burst_gives_its_memory_back() {
    let run = common::spawn_child("child", "burst");
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let field = |key: &str| -> u64 {
        let line = run.stdout.lines().find(|l| l.contains("REPORT ")).unwrap();
        let kv = line
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key))
            .unwrap();
        kv.parse().unwrap()
    };
    let (before, peak, after) = (field("before="), field("peak="), field("after="));
    let burst_kib = (BURST * 64 / 1024) as u64;
    assert!(
        peak >= before + burst_kib / 2,
        "the burst is resident: {before} -> {peak} KiB"
    );
    assert!(
        after < before + burst_kib / 8,
        "drained, it went back: {before} -> {peak} -> {after} KiB"
    );
}

// ---- time --------------------------------------------------------------

#[csp::test(timeout_secs = 30)]
async fn far_durations_saturate_and_never_fire() {
    let never = Duration::MAX;
    let timer = Timer::new(never);
    let ticker = Ticker::new(never);
    let (far_after, far_tick) = (after(never), tick(never));
    // Every far timer parked on (so registered with Tokio's timer) loses to a short one.
    let mut cases = [
        std::pin::pin!(RecvCase::new(&timer.c)),
        std::pin::pin!(RecvCase::new(&ticker.c)),
        std::pin::pin!(RecvCase::new(&far_after)),
        std::pin::pin!(RecvCase::new(&far_tick)),
        std::pin::pin!(RecvCase::new(after(WATCH))),
    ];
    let mut cases: Vec<std::pin::Pin<&mut dyn SelectCase>> =
        cases.iter_mut().map(|c| c.as_mut() as _).collect();
    assert_eq!(select(&mut cases).await, 4);
    drop(cases);
    assert!(tokio::time::timeout(WATCH, csp::sleep(never))
        .await
        .is_err());
    // Reset to far, and back.
    assert!(timer.reset(never), "still pending");
    assert!(timer.stop());
    assert!(!timer.reset(Duration::from_millis(1)));
    assert!(timer.c.recv().await.is_some());
    ticker.reset(never);
    assert!(ticker.c.recv_timeout(WATCH).await.is_err());
    ticker.reset(Duration::from_millis(1));
    assert!(ticker.c.recv().await.is_some());
    let call = after_func(never, || unreachable!("a far call never comes"));
    assert!(call.reset(never), "still scheduled");
    assert!(call.stop());
    // The `*_timeout` operations: a far timeout is no timeout at all.
    let (tx, rx) = chan::<u32>(0);
    let sender = go(async move { tx.send_timeout(1, never).await.is_ok() });
    assert_eq!(rx.recv_timeout(never).await, Ok(1));
    assert!(sender.await.unwrap());
}

#[test]
fn time_functions_outside_a_runtime_name_csp() {
    let d = Duration::from_millis(1);
    let outside = |what: &str, msg: String| {
        assert!(
            msg.starts_with(&format!("csp: `{what}` used outside a runtime")),
            "{what}: {msg}"
        );
    };
    outside("time::after", panic_message(|| after(d)));
    outside("time::tick", panic_message(|| tick(d)));
    outside("Timer::new", panic_message(|| Timer::new(d)));
    outside("Ticker::new", panic_message(|| Ticker::new(d)));
    outside("time::sleep", panic_message(|| csp::sleep(d)));
    outside("time::after_func", panic_message(|| after_func(d, || {})));
    let (tx, rx) = chan::<u8>(1);
    let send = panic_message(|| futures::executor::block_on(tx.send_timeout(1, d)));
    outside("Sender::send_timeout", send);
    let recv = panic_message(|| futures::executor::block_on(rx.recv_timeout(d)));
    outside("Receiver::recv_timeout", recv);
}

#[test]
fn zero_ticker_periods_panic_with_gos_messages() {
    let go_says = "non-positive interval for NewTicker";
    assert_eq!(panic_message(|| tick(Duration::ZERO)), go_says);
    assert_eq!(panic_message(|| Ticker::new(Duration::ZERO)), go_says);
    let reset = csp::run(async {
        let ticker = Ticker::new(Duration::from_secs(1));
        panic_message(move || ticker.reset(Duration::ZERO))
    });
    assert_eq!(reset, "non-positive interval for Ticker.Reset");
}

#[test]
fn timers_without_tokios_time_driver_get_tokios_message() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let msgs = rt.block_on(async {
        let sleep = panic_message(|| csp::sleep(Duration::from_millis(1)));
        // A receive and a select that park on a timer: the panic leaves
        // neither channel holding a hook of the unwound future.
        let timer = after(Duration::from_secs(60));
        let parked = panic_message(|| futures::executor::block_on(timer.recv()));
        let (tx, rx) = chan::<u8>(0);
        let selecting = panic_message(|| {
            futures::executor::block_on(async {
                select! {
                    recv(&rx) -> v => v,
                    recv(&timer) => None,
                }
            })
        });
        assert!(timer.try_recv().is_err() && rx.try_recv().is_err());
        assert!(
            matches!(tx.try_send(1), Err(TrySendError::Full(1))),
            "no receiver left parked"
        );
        assert!(rx.close());
        drop(timer); // closing walks the receive queue: nothing stale in it
        [sleep, parked, selecting]
    });
    for msg in msgs {
        assert!(msg.contains("timers are disabled"), "{msg}");
    }
}

#[csp::test(timeout_secs = 18446744073709551615)]
async fn test_timeout_of_u64_max_seconds_is_accepted() {
    assert_eq!(go(async { 7 }).await.unwrap(), 7);
}

#[csp::test(gomaxprocs = 1000000)]
#[should_panic(
    expected = "csp::test: invalid gomaxprocs(1000000): expected a whole number from 1 to 1024"
)]
async fn test_gomaxprocs_out_of_range_fails_naming_it() {}

/// The child: what `Runtime::new` says to odd `GOMAXPROCS` values, one
/// `REPORT` line each.
fn odd_gomaxprocs_values() {
    #[cfg(unix)]
    let not_utf8 = {
        use std::os::unix::ffi::OsStringExt;
        std::ffi::OsString::from_vec(vec![b'2', 0xff])
    };
    #[cfg(not(unix))]
    let not_utf8 = std::ffi::OsString::from("2\u{fffd}");
    let values = [
        not_utf8,
        "99999999999999999999999".into(),
        " 2".into(),
        "+2".into(),
    ];
    for value in values {
        std::env::set_var(csp::runtime::GOMAXPROCS_ENV, &value);
        let said = match Runtime::new() {
            Ok(rt) => format!("ok {}", rt.gomaxprocs()),
            Err(e) => e.to_string(),
        };
        println!("REPORT {said}");
    }
}

#[test]
fn odd_gomaxprocs_values_are_errors_quoting_them() {
    let run = common::spawn_child("child", "env_values");
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let said: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split_once("REPORT ").map(|(_, r)| r))
        .collect();
    assert_eq!(
        said,
        [
            "invalid GOMAXPROCS=\"2\u{fffd}\": expected a whole number of at least 1",
            "invalid GOMAXPROCS=\"99999999999999999999999\": expected a whole number of at most 1024",
            "invalid GOMAXPROCS=\" 2\": expected a whole number of at least 1",
            "invalid GOMAXPROCS=\"+2\": expected a whole number of at least 1",
        ]
    );
}

#[test]
fn csp_main_with_an_invalid_gomaxprocs_exits_2() {
    let run = common::spawn_child("child", "main_bad_env");
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("csp: invalid GOMAXPROCS=\"zero\": expected a whole number"),
        "{}",
        run.stderr
    );
}

// ---- runtimes inside runtimes -------------------------------------------

#[csp::test(timeout_secs = 30)]
async fn a_runtime_built_used_and_dropped_inside_a_goroutine_works() {
    let inner = Runtime::builder().gomaxprocs(1).build().unwrap();
    let inner = Arc::new(inner);
    let (a, b) = (inner.clone(), inner.clone());
    // Blocking on it belongs off the workers, as any blocking call.
    let out = blocking(move || a.block_on(async { go(async { 6 }).await.unwrap() * 7 })).await;
    assert_eq!(out, 42);
    assert_eq!(blocking(move || b.run(async { num_goroutine() })).await, 1);
    drop(inner); // the last handle, dropped on a worker of the outer runtime
    assert_eq!(go(async { 1 }).await.unwrap(), 1);
}

#[test]
fn run_or_block_on_inside_a_goroutine_is_refused_with_csps_message() {
    let refused = |what: &str, msg: &str| {
        assert!(
            msg.starts_with(&format!("csp: `{what}` called from inside a goroutine")),
            "{what}: {msg}"
        );
        assert!(msg.contains("csp::blocking"), "{msg}");
    };
    let (run, block_on, csp_run) = propagating(async {
        let rt = Arc::new(Runtime::builder().gomaxprocs(1).build().unwrap());
        let r = rt.clone();
        let run = goroutine_panic(async move { r.run(async {}) }).await;
        let block_on = goroutine_panic(async move { rt.block_on(async {}) }).await;
        let csp_run = goroutine_panic(async { csp::run(async {}) }).await;
        (run, block_on, csp_run)
    });
    refused("Runtime::run", &run);
    refused("Runtime::block_on", &block_on);
    refused("csp::run", &csp_run);
    // `block_on` re-entered from its own future.
    let rt = Runtime::builder().gomaxprocs(1).build().unwrap();
    let reentered = panic_message(|| rt.block_on(async { rt.block_on(async {}) }));
    refused("Runtime::block_on", &reentered);
    assert_eq!(rt.block_on(async { 5 }), 5, "the runtime still works");
}

/// The child: a runtime whose last handle a goroutine of its own drops,
/// in a poll that began before main returned.
fn drop_runtime_inside_its_own_goroutine() {
    let rt = Arc::new(Runtime::builder().gomaxprocs(2).build().unwrap());
    let (tx, rx) = chan::<Arc<Runtime>>(1);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let main = {
        let rt = rt.clone();
        std::thread::spawn(move || {
            rt.block_on(async move {
                // Buffered: the goroutine's send never parks, so the poll
                // that acknowledges is the one that goes on to drop.
                let (ack_tx, ack_rx) = chan::<()>(1);
                go(async move {
                    let own: Arc<Runtime> = rx.recv().await.unwrap();
                    ack_tx.send(()).await.unwrap();
                    // Main returns meanwhile, and its thread lets go of the
                    // runtime: this poll runs on and drops the last handle.
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while Arc::strong_count(&own) > 1 && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    let last = Arc::strong_count(&own) == 1;
                    drop(own);
                    done_tx.send(last).unwrap();
                });
                ack_rx.recv().await.unwrap();
            })
        })
    };
    tx.send_blocking(rt).unwrap();
    main.join().unwrap();
    let last = done_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    println!("REPORT dropped_last={last}");
}

#[test]
fn a_runtime_dropped_inside_its_own_goroutine_stops_quietly() {
    let run = common::spawn_child("child", "drop_in_own_goroutine");
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("REPORT dropped_last=true"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn blocking_calls_inside_a_goroutine_are_refused_with_csps_message() {
    let msgs = propagating(async {
        let (tx, rx) = chan::<u8>(1);
        let wg = WaitGroup::new();
        vec![
            goroutine_panic(async move { tx.send_blocking(1) }).await,
            goroutine_panic(async move { rx.recv_blocking() }).await,
            goroutine_panic(async move { wg.wait_blocking() }).await,
        ]
    });
    for (what, msg) in ["send_blocking", "recv_blocking", "WaitGroup::wait_blocking"]
        .iter()
        .zip(msgs)
    {
        assert!(
            msg.starts_with(&format!("csp: `{what}` called from inside a goroutine")),
            "{what}: {msg}"
        );
    }
}

#[test]
fn blocking_calls_inside_a_plain_tokio_task_get_tokios_message() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let msgs = rt.block_on(async {
        let run = tokio::spawn(async { Runtime::new().unwrap().run(async {}) });
        let (tx, _rx) = chan::<u8>(1);
        let send = tokio::spawn(async move { tx.send_blocking(1) });
        let mut msgs = Vec::new();
        for task in [run.await.map(|_| ()), send.await.map(|_| ())] {
            msgs.push(message(task.unwrap_err().into_panic()));
        }
        msgs
    });
    for msg in msgs {
        assert!(
            msg.contains("Cannot start a runtime from within a runtime"),
            "{msg}"
        );
    }
}

// ---- goroutines -----------------------------------------------------------

#[test]
fn blocking_outside_a_runtime_names_csp_run() {
    let msg = panic_message(|| blocking(|| 1));
    assert!(
        msg.starts_with("csp::blocking called outside a runtime"),
        "{msg}"
    );
    assert!(msg.contains("csp::run"), "{msg}");
}

#[test]
fn a_goroutine_panicking_with_a_non_string_payload_exits_like_go() {
    let run = common::spawn_child("child", "panic_payload");
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("panic: Box<dyn Any>\n\ngoroutine 2 [running]:"),
        "{}",
        run.stderr
    );
    // Under `Propagate` the payload itself comes back.
    let payload = propagating(async {
        let e = go(async { std::panic::panic_any(42_u32) })
            .await
            .unwrap_err();
        e.try_into_panic().unwrap()
    });
    assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
}

/// The child: goroutines on a plain Tokio runtime are counted.
fn count_on_plain_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (parked, done) = rt.block_on(async {
        let (tx, rx) = chan::<u8>(0);
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                go(async move { rx.recv().await })
            })
            .collect();
        while csp::goroutines()
            .iter()
            .any(|g| matches!(g.state, csp::GoroutineState::Running))
        {
            tokio::task::yield_now().await;
        }
        let parked = num_goroutine();
        drop((tx, rx));
        for h in handles {
            h.await.unwrap();
        }
        (parked, num_goroutine())
    });
    println!("REPORT parked={parked} done={done}");
}

#[test]
fn num_goroutine_counts_goroutines_on_a_plain_tokio_runtime() {
    let run = common::spawn_child("child", "plain_tokio_count");
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("REPORT parked=3 done=0"),
        "{}",
        run.stdout
    );
}

// ---- select -----------------------------------------------------------------

#[csp::test(timeout_secs = 30)]
async fn select_with_100_cases_works_past_the_inline_16() {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..100).map(|_| chan::<u32>(1)).unzip();
    for pick in [0, 16, 73, 99] {
        txs[pick].send(pick as u32).await.unwrap();
        let (i, v) = select! {
            recv(&rxs[0]) -> v => (0, v), recv(&rxs[1]) -> v => (1, v), recv(&rxs[2]) -> v => (2, v), recv(&rxs[3]) -> v => (3, v),
            recv(&rxs[4]) -> v => (4, v), recv(&rxs[5]) -> v => (5, v), recv(&rxs[6]) -> v => (6, v), recv(&rxs[7]) -> v => (7, v),
            recv(&rxs[8]) -> v => (8, v), recv(&rxs[9]) -> v => (9, v), recv(&rxs[10]) -> v => (10, v), recv(&rxs[11]) -> v => (11, v),
            recv(&rxs[12]) -> v => (12, v), recv(&rxs[13]) -> v => (13, v), recv(&rxs[14]) -> v => (14, v), recv(&rxs[15]) -> v => (15, v),
            recv(&rxs[16]) -> v => (16, v), recv(&rxs[17]) -> v => (17, v), recv(&rxs[18]) -> v => (18, v), recv(&rxs[19]) -> v => (19, v),
            recv(&rxs[20]) -> v => (20, v), recv(&rxs[21]) -> v => (21, v), recv(&rxs[22]) -> v => (22, v), recv(&rxs[23]) -> v => (23, v),
            recv(&rxs[24]) -> v => (24, v), recv(&rxs[25]) -> v => (25, v), recv(&rxs[26]) -> v => (26, v), recv(&rxs[27]) -> v => (27, v),
            recv(&rxs[28]) -> v => (28, v), recv(&rxs[29]) -> v => (29, v), recv(&rxs[30]) -> v => (30, v), recv(&rxs[31]) -> v => (31, v),
            recv(&rxs[32]) -> v => (32, v), recv(&rxs[33]) -> v => (33, v), recv(&rxs[34]) -> v => (34, v), recv(&rxs[35]) -> v => (35, v),
            recv(&rxs[36]) -> v => (36, v), recv(&rxs[37]) -> v => (37, v), recv(&rxs[38]) -> v => (38, v), recv(&rxs[39]) -> v => (39, v),
            recv(&rxs[40]) -> v => (40, v), recv(&rxs[41]) -> v => (41, v), recv(&rxs[42]) -> v => (42, v), recv(&rxs[43]) -> v => (43, v),
            recv(&rxs[44]) -> v => (44, v), recv(&rxs[45]) -> v => (45, v), recv(&rxs[46]) -> v => (46, v), recv(&rxs[47]) -> v => (47, v),
            recv(&rxs[48]) -> v => (48, v), recv(&rxs[49]) -> v => (49, v), recv(&rxs[50]) -> v => (50, v), recv(&rxs[51]) -> v => (51, v),
            recv(&rxs[52]) -> v => (52, v), recv(&rxs[53]) -> v => (53, v), recv(&rxs[54]) -> v => (54, v), recv(&rxs[55]) -> v => (55, v),
            recv(&rxs[56]) -> v => (56, v), recv(&rxs[57]) -> v => (57, v), recv(&rxs[58]) -> v => (58, v), recv(&rxs[59]) -> v => (59, v),
            recv(&rxs[60]) -> v => (60, v), recv(&rxs[61]) -> v => (61, v), recv(&rxs[62]) -> v => (62, v), recv(&rxs[63]) -> v => (63, v),
            recv(&rxs[64]) -> v => (64, v), recv(&rxs[65]) -> v => (65, v), recv(&rxs[66]) -> v => (66, v), recv(&rxs[67]) -> v => (67, v),
            recv(&rxs[68]) -> v => (68, v), recv(&rxs[69]) -> v => (69, v), recv(&rxs[70]) -> v => (70, v), recv(&rxs[71]) -> v => (71, v),
            recv(&rxs[72]) -> v => (72, v), recv(&rxs[73]) -> v => (73, v), recv(&rxs[74]) -> v => (74, v), recv(&rxs[75]) -> v => (75, v),
            recv(&rxs[76]) -> v => (76, v), recv(&rxs[77]) -> v => (77, v), recv(&rxs[78]) -> v => (78, v), recv(&rxs[79]) -> v => (79, v),
            recv(&rxs[80]) -> v => (80, v), recv(&rxs[81]) -> v => (81, v), recv(&rxs[82]) -> v => (82, v), recv(&rxs[83]) -> v => (83, v),
            recv(&rxs[84]) -> v => (84, v), recv(&rxs[85]) -> v => (85, v), recv(&rxs[86]) -> v => (86, v), recv(&rxs[87]) -> v => (87, v),
            recv(&rxs[88]) -> v => (88, v), recv(&rxs[89]) -> v => (89, v), recv(&rxs[90]) -> v => (90, v), recv(&rxs[91]) -> v => (91, v),
            recv(&rxs[92]) -> v => (92, v), recv(&rxs[93]) -> v => (93, v), recv(&rxs[94]) -> v => (94, v), recv(&rxs[95]) -> v => (95, v),
            recv(&rxs[96]) -> v => (96, v), recv(&rxs[97]) -> v => (97, v), recv(&rxs[98]) -> v => (98, v), recv(&rxs[99]) -> v => (99, v),
        };
        assert_eq!((i, v), (pick, Some(pick as u32)));
    }
    // The dynamic form, waiting: a goroutine sends on the 58th.
    let tx = txs[58].clone();
    go(async move { tx.send(58).await.unwrap() });
    let mut cases: Vec<_> = rxs.iter().map(|rx| Box::pin(RecvCase::new(rx))).collect();
    let mut dyn_cases: Vec<std::pin::Pin<&mut dyn SelectCase>> =
        cases.iter_mut().map(|c| c.as_mut() as _).collect();
    assert_eq!(select(&mut dyn_cases).await, 58);
    drop(dyn_cases);
    assert_eq!(cases[58].as_mut().take_output(), Some(58));
}

// ---- sync -----------------------------------------------------------------

#[test]
fn waitgroup_overflow_and_underflow_panic_with_sync_messages() {
    let wg = WaitGroup::new();
    wg.add(isize::MAX);
    assert_eq!(
        panic_message(|| wg.add(isize::MAX)),
        "sync: WaitGroup counter overflow"
    );
    let wg = WaitGroup::new();
    assert_eq!(
        panic_message(|| wg.add(isize::MIN)),
        "sync: negative WaitGroup counter"
    );
}

#[test]
fn deadline_helpers_of_the_toolkit_saturate() {
    csp::run(async {
        let bg = csp::context::background();
        let (ctx, _cancel) = csp::context::with_timeout(&bg, Duration::MAX);
        let start = Instant::now();
        assert!(tokio::time::timeout(WATCH, ctx.cancelled()).await.is_err());
        assert!(start.elapsed() >= WATCH);
        assert!(ctx.err().is_none());
    });
}
