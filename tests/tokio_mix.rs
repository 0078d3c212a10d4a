//! csp inside real Tokio programs: the deadlock detector never reports a
//! program that something outside csp can still wake (a Tokio timer, a
//! socket, `tokio::sync`, a `futures` channel, a plain thread holding a
//! waker), still reports one that nothing can wake, and a program ends
//! quietly when main returns (issue 15).
//!
//! Every program runs in a child process of this test binary (a report, or
//! a panic printed by a goroutine, must fail the test instead of killing the
//! harness): the binary re-executes itself with `CSP_TEST_CHILD=<name>` and
//! runs only its `child` test (`common::spawn_child`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use csp::prelude::*;
use csp::{goroutines, WaitReason};

mod common;

use common::{spawn_child, ChildRun};

/// How long the outside world (timer, thread, socket) takes to wake a program:
/// longer than the detector's confirmation window (100 ms) plus its first look.
const OUTSIDE: Duration = Duration::from_millis(400);
/// Runs of the main-returns programs; each must exit 0 with an empty stderr.
const MAIN_RETURN_RUNS: usize = 50;
/// Runtimes the soak test builds, one after another, in one process.
const SOAK_RUNTIMES: usize = 200;
/// The soak test's chain of goroutines in each runtime.
const SOAK_CHAIN: usize = 1_000;
/// CPU-hogging threads beside the soak test's runtimes (2 cores here).
const SOAK_HOGS: usize = 2;
/// Every this many rounds, main first waits this long in a Tokio timeout on a
/// channel nobody sends on, while the whole chain sits parked in csp: only
/// the timer can wake the program.
const SOAK_IDLE_EVERY: u64 = 4;
const SOAK_IDLE: Duration = Duration::from_millis(150);

/// The child side: runs the program named by [`common::CHILD_ENV`]; a no-op in the
/// parent's own run.
#[test]
fn child() {
    let Some(name) = common::child_program() else {
        return;
    };
    match name.as_str() {
        "timeout" => csp::run(timeout_around_recv()),
        "select_sleep" => csp::run(select_recv_or_sleep()),
        "select_accept" => csp::run(select_recv_or_accept()),
        "oneshot" => csp::run(select_recv_or_oneshot()),
        "notify" => csp::run(goroutine_loops_on_notify()),
        "thread_waker" => csp::run(thread_holds_a_waker()),
        "after_timeout" => csp::run(channel_wait_after_the_timeout_fired()),
        "after_exits" => csp::run(channel_wait_after_mixed_goroutines_exited()),
        "main_returns" => csp::run(main_returns_with_parked_senders()),
        "main_returns_block_on" => {
            let rt = Runtime::new().unwrap();
            rt.block_on(main_returns_with_parked_senders());
            drop(rt);
            println!("runtime dropped");
        }
        "withdrawn_first" => csp::run(async {
            tokio::time::timeout(
                Duration::from_secs(20),
                a_withdrawn_first_waiter_loses_nothing(),
            )
            .await
            .expect("the case finishes");
            println!("every value once");
        }),
        "panic_in_select" => csp::run(async {
            let err = goroutine_panicking_in_tokio_select().await;
            println!("survived: {err}");
        }),
        "soak" => soak(),
        other => panic!("unknown child program {other}"),
    }
    std::process::exit(0);
}

/// Runs `name`, which must end normally: exit 0, no report, `expect` printed.
fn expect_clean(name: &str, expect: &str) -> ChildRun {
    let run = spawn_child("child", name);
    assert!(
        !run.stderr.contains(common::DEADLOCK_REPORT),
        "{name}: false deadlock report:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(0),
        "{name}: exit status; stderr:\n{}",
        run.stderr
    );
    assert!(
        run.stdout.contains(expect),
        "{name}: expected {expect:?} in stdout:\n{}",
        run.stdout
    );
    run
}

async fn timeout_around_recv() {
    let (_tx, rx) = csp::chan::<u32>(0);
    let out = tokio::time::timeout(OUTSIDE, rx.recv()).await;
    assert!(out.is_err(), "nothing was sent");
    println!("timed out");
}

#[test]
fn tokio_timeout_around_a_channel_receive_is_not_a_deadlock() {
    expect_clean("timeout", "timed out");
}

async fn select_recv_or_sleep() {
    let (_tx, rx) = csp::chan::<u32>(0);
    tokio::select! {
        v = rx.recv() => panic!("nothing was sent, got {v:?}"),
        _ = tokio::time::sleep(OUTSIDE) => println!("slept"),
    }
}

#[test]
fn tokio_select_with_a_sleep_is_not_a_deadlock() {
    expect_clean("select_sleep", "slept");
}

async fn select_recv_or_accept() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(OUTSIDE);
        let _conn = std::net::TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    });
    let (_tx, rx) = csp::chan::<u32>(0);
    tokio::select! {
        v = rx.recv() => panic!("nothing was sent, got {v:?}"),
        c = listener.accept() => {
            c.unwrap();
            println!("accepted");
        }
    }
}

#[test]
fn tokio_select_with_a_socket_accept_is_not_a_deadlock() {
    expect_clean("select_accept", "accepted");
}

async fn select_recv_or_oneshot() {
    let (once_tx, once_rx) = futures::channel::oneshot::channel::<u32>();
    std::thread::spawn(move || {
        std::thread::sleep(OUTSIDE);
        once_tx.send(7).unwrap();
    });
    let (_tx, rx) = csp::chan::<u32>(0);
    tokio::select! {
        v = rx.recv() => panic!("nothing was sent, got {v:?}"),
        v = once_rx => println!("oneshot {}", v.unwrap()),
    }
}

#[test]
fn futures_oneshot_completed_by_a_plain_thread_is_not_a_deadlock() {
    expect_clean("oneshot", "oneshot 7");
}

/// Main waits on a csp channel only; the goroutine that will send on it
/// waits for a `tokio::sync::Notify` that a plain thread notifies.
async fn goroutine_loops_on_notify() {
    const NOTIFICATIONS: usize = 3;
    let notify = Arc::new(tokio::sync::Notify::new());
    let (done_tx, done_rx) = csp::chan::<usize>(0);
    let (_stop_tx, stop_rx) = csp::chan::<()>(0);
    let waiting = notify.clone();
    go(async move {
        let mut seen = 0;
        while seen < NOTIFICATIONS {
            tokio::select! {
                _ = waiting.notified() => seen += 1,
                _ = stop_rx.recv() => unreachable!("never sent"),
            }
        }
        done_tx.send(seen).await.unwrap();
    });
    std::thread::spawn(move || {
        for _ in 0..NOTIFICATIONS {
            std::thread::sleep(OUTSIDE / 2);
            notify.notify_one();
        }
    });
    println!("notified {}", done_rx.recv().await.unwrap());
}

#[test]
fn tokio_notify_from_a_plain_thread_is_not_a_deadlock() {
    expect_clean("notify", "notified 3");
}

/// A future that hands a clone of its waker to a plain thread, which wakes
/// it after [`OUTSIDE`].
struct ThreadWakes {
    started: bool,
    done: Arc<AtomicBool>,
}

impl Future for ThreadWakes {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if !self.started {
            self.started = true;
            let (waker, done) = (cx.waker().clone(), self.done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(OUTSIDE);
                done.store(true, Ordering::Release);
                waker.wake();
            });
        }
        Poll::Pending
    }
}

async fn thread_holds_a_waker() {
    let (_tx, rx) = csp::chan::<u32>(0);
    let woken = ThreadWakes {
        started: false,
        done: Arc::new(AtomicBool::new(false)),
    };
    tokio::select! {
        v = rx.recv() => panic!("nothing was sent, got {v:?}"),
        _ = woken => println!("woken by the thread"),
    }
}

#[test]
fn a_plain_thread_holding_a_cloned_waker_is_not_a_deadlock() {
    expect_clean("thread_waker", "woken by the thread");
}

/// A mixed wait that ends (the timeout fires), then a channel wait nothing
/// can end: a real deadlock, reported after the timer fired.
async fn channel_wait_after_the_timeout_fired() {
    let (_tx, rx) = csp::chan::<u32>(0);
    let out = tokio::time::timeout(OUTSIDE, rx.recv()).await;
    assert!(out.is_err());
    println!("timer fired");
    rx.recv().await;
    unreachable!("nothing sends");
}

#[test]
fn a_channel_wait_after_a_fired_timeout_is_still_reported() {
    let run = common::expect_deadlock(
        "after_timeout",
        "tokio_mix.rs:",
        &["goroutine 1 [chan receive]:"],
    );
    assert!(
        run.stdout.contains("timer fired"),
        "reported before the timer fired"
    );
    assert!(run.elapsed >= OUTSIDE);
}

/// Goroutines that each waited on a Tokio timer and a Tokio socket beside a
/// csp channel, then exited, one of them leaving a clone of its waker with
/// a plain thread that keeps it; then main waits on a channel nothing can
/// send to. The exited goroutines' registry entries stay in the table for
/// their spawning thread to reuse: they must not count as awake (the
/// deadlock would go unreported) nor appear in the dump.
async fn channel_wait_after_mixed_goroutines_exited() {
    const EXITED: u32 = 64;
    let listener = std::sync::Arc::new(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    let (tx, rx) = csp::chan::<u32>(0);
    for i in 0..EXITED {
        let (tx, listener) = (tx.clone(), listener.clone());
        go(async move {
            let (_never_tx, never) = csp::chan::<u32>(0);
            tokio::select! {
                _ = listener.accept() => unreachable!("nobody connects"),
                _ = never.recv() => unreachable!("nothing sends"),
                _ = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
            tx.send(i).await.unwrap();
        });
    }
    go(async {
        let waker = std::future::poll_fn(|cx| std::task::Poll::Ready(cx.waker().clone())).await;
        std::thread::spawn(move || {
            let _kept = waker;
            loop {
                std::thread::park();
            }
        });
    });
    let mut sum = 0;
    for _ in 0..EXITED {
        sum += rx.recv().await.unwrap();
    }
    assert_eq!(sum, (0..EXITED).sum::<u32>());
    while csp::num_goroutine() > 1 {
        csp::gosched().await;
    }
    println!("all exited");
    rx.recv().await;
    unreachable!("nothing sends");
}

#[test]
fn a_deadlock_after_mixed_goroutines_exited_is_reported_with_main_alone() {
    // Main alone in the dump: no exited goroutine is listed.
    let run = common::expect_deadlock(
        "after_exits",
        "tokio_mix.rs:",
        &["goroutine 1 [chan receive]:"],
    );
    assert!(run.stdout.contains("all exited"), "{}", run.stdout);
}

/// Goroutines parked sending to channels main owns when main returns: in
/// Go they never run again. Here main's receivers are dropped as main
/// returns, which closes the channels; a goroutine that observed it would
/// panic on its `unwrap` (printing, and exiting 2). Main's last receive also
/// takes a value from a parked sender, waking it as main returns.
async fn main_returns_with_parked_senders() {
    const SENDERS: u32 = 8;
    let (tx, rx) = csp::chan::<u32>(0);
    for i in 0..SENDERS {
        let tx = tx.clone();
        go(async move {
            loop {
                tx.send(i).await.unwrap();
            }
        });
    }
    let (buffered_tx, _buffered_rx) = csp::chan::<u32>(1);
    go(async move {
        loop {
            buffered_tx
                .send(1)
                .await
                .expect("main's buffered receiver is alive");
        }
    });
    drop(tx);
    // Wait until every goroutine is parked on its send.
    while goroutines()
        .iter()
        .filter(|g| g.wait_reason() == Some(WaitReason::ChanSend))
        .count()
        < SENDERS as usize + 1
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    rx.recv().await.unwrap();
    println!("main returns");
}

#[test]
fn main_returning_stops_every_goroutine_quietly() {
    for name in ["main_returns", "main_returns_block_on"] {
        for run in 0..MAIN_RETURN_RUNS {
            let out = spawn_child("child", name);
            assert_eq!(
                (out.code, out.stderr.as_str()),
                (Some(0), ""),
                "{name}, run {run}: exit status and stderr"
            );
            assert!(out.stdout.contains("main returns"), "{}", out.stdout);
        }
    }
}

/// Many short runtimes in one process, on more workers than cores and beside
/// busy threads, each running a goroutine chain whose stages wait on channels
/// inside Tokio timeouts and selects: never a report.
fn soak() {
    let stop = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..SOAK_HOGS)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    let completed = Arc::new(AtomicUsize::new(0));
    for round in 0..SOAK_RUNTIMES {
        let rt = Runtime::builder().gomaxprocs(4).build().unwrap();
        let sum = rt.run(soak_round(round as u64));
        assert_eq!(sum, round as u64 + SOAK_CHAIN as u64);
        completed.fetch_add(1, Ordering::Relaxed);
    }
    stop.store(true, Ordering::Relaxed);
    for hog in hogs {
        hog.join().unwrap();
    }
    println!("soak ok: {} runtimes", completed.load(Ordering::Relaxed));
}

async fn soak_round(seed: u64) -> u64 {
    let (first_tx, mut prev) = csp::chan::<u64>(0);
    for stage in 0..SOAK_CHAIN {
        let (tx, rx) = csp::chan::<u64>(if stage % 3 == 0 { 1 } else { 0 });
        let input = prev;
        go(async move {
            let v = if stage % 2 == 0 {
                tokio::time::timeout(Duration::from_secs(20), input.recv())
                    .await
                    .expect("the chain moves")
                    .unwrap()
            } else {
                tokio::select! {
                    v = input.recv() => v.unwrap(),
                    _ = tokio::time::sleep(Duration::from_secs(20)) => panic!("the chain stalled"),
                }
            };
            if stage % 97 == 0 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            tx.send(v + 1).await.unwrap();
        });
        prev = rx;
    }
    first_tx.send(seed).await.unwrap();
    if seed % SOAK_IDLE_EVERY == 0 {
        let (_never_tx, never) = csp::chan::<u64>(0);
        let idle = tokio::time::timeout(SOAK_IDLE, never.recv()).await;
        assert!(idle.is_err(), "nothing sends on it");
    }
    tokio::time::timeout(Duration::from_secs(20), prev.recv())
        .await
        .expect("the chain delivers")
        .unwrap()
}

#[test]
fn soak_many_short_runtimes_under_cpu_load_never_report() {
    let run = expect_clean("soak", "soak ok");
    assert!(
        run.stdout
            .contains(&format!("soak ok: {SOAK_RUNTIMES} runtimes")),
        "{}",
        run.stdout
    );
}

/// The same mixes on plain Tokio runtimes csp did not build (a service that
/// adopts csp piece by piece): goroutines whose waits combine csp channels
/// with Tokio timers, I/O and `tokio::sync`, each waking the other side.
async fn mixes_on_a_plain_tokio_runtime() {
    // A ping-pong of goroutines, each receive inside a Tokio timeout.
    let (ping_tx, ping_rx) = csp::chan::<u32>(0);
    let (pong_tx, pong_rx) = csp::chan::<u32>(0);
    let echo = go(async move {
        while let Ok(Some(v)) = tokio::time::timeout(OUTSIDE, ping_rx.recv()).await {
            pong_tx.send(v + 1).await.unwrap();
        }
    });
    for v in 0..100 {
        ping_tx.send(v).await.unwrap();
        assert_eq!(pong_rx.recv().await, Some(v + 1));
    }
    drop(ping_tx);
    echo.await.unwrap();

    // A goroutine in `tokio::select!` over a csp receive (through `next`), a
    // `tokio::sync::Notify` and a socket, woken by each in turn.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let notify = Arc::new(tokio::sync::Notify::new());
    let (tx, mut rx) = csp::chan::<u32>(0);
    let (seen_tx, seen_rx) = csp::chan::<&'static str>(3);
    let notified = notify.clone();
    let watcher = go(async move {
        let mut left = 3;
        while left > 0 {
            let what = tokio::select! {
                v = rx.next() => { assert_eq!(v, Some(7)); "channel" }
                () = notified.notified() => "notify",
                c = listener.accept() => { c.unwrap(); "socket" }
            };
            seen_tx.send(what).await.unwrap();
            left -= 1;
        }
    });
    tx.send(7).await.unwrap();
    assert_eq!(seen_rx.recv().await, Some("channel"));
    notify.notify_one();
    assert_eq!(seen_rx.recv().await, Some("notify"));
    let _conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert_eq!(seen_rx.recv().await, Some("socket"));
    watcher.await.unwrap();

    // A csp timer channel and a Tokio sleep in one `tokio::select!`.
    let timer = csp::after(Duration::from_millis(5));
    tokio::select! {
        _ = timer.recv() => {}
        () = tokio::time::sleep(OUTSIDE) => panic!("the csp timer never fired"),
    }
}

/// A channel keeps its first waiter apart from the ones queued behind it
/// (`chan/queue.rs`). The first receiver is withdrawn by a Tokio timeout
/// while a second waits behind it, then a third parks: each value goes to
/// the oldest receiver still waiting, none is lost, and the withdrawn
/// receive gets nothing.
async fn a_withdrawn_first_waiter_loses_nothing() {
    let (tx, rx) = csp::chan::<u32>(0);
    let (got_tx, got_rx) = csp::chan::<(&'static str, u32)>(3);
    // The first receiver parks, then its Tokio timeout withdraws it.
    let first = {
        let rx = rx.clone();
        go(async move { tokio::time::timeout(Duration::from_millis(100), rx.recv()).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = {
        let (rx, got_tx) = (rx.clone(), got_tx.clone());
        go(async move {
            got_tx
                .send(("second", rx.recv().await.unwrap()))
                .await
                .unwrap()
        })
    };
    assert!(
        first.await.unwrap().is_err(),
        "the first receive timed out empty"
    );
    let third = go(async move {
        got_tx
            .send(("third", rx.recv().await.unwrap()))
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    let mut got = vec![got_rx.recv().await.unwrap(), got_rx.recv().await.unwrap()];
    got.sort_unstable();
    assert_eq!(got, [("second", 1), ("third", 2)]);
    second.await.unwrap();
    third.await.unwrap();
}

#[test]
fn a_withdrawn_first_waiter_loses_nothing_on_csp_runtime() {
    expect_clean("withdrawn_first", "every value once");
}

#[test]
fn a_withdrawn_first_waiter_loses_nothing_on_plain_tokio_runtimes() {
    for rt in [plain_multi_thread(), plain_current_thread()] {
        finish_on(&rt, a_withdrawn_first_waiter_loses_nothing());
    }
}

/// A goroutine whose `tokio::select!` (beside a Tokio socket accept and a
/// Tokio sleep) takes its csp receive arm and panics there: the error its
/// handle returns, once the runtime's policy lets the panic surface.
async fn goroutine_panicking_in_tokio_select() -> csp::JoinError {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = csp::chan::<u32>(0);
    let handle = go(async move {
        tokio::select! {
            _ = listener.accept() => unreachable!("nobody connects"),
            _ = tokio::time::sleep(Duration::from_secs(30)) => unreachable!("the send comes first"),
            v = rx.recv() => panic!("boom inside tokio::select! after {v:?}"),
        }
    });
    let id = handle.id();
    tx.send(7).await.unwrap();
    let err = handle.await.unwrap_err();
    assert!(err.is_panic(), "{err}");
    assert_eq!(err.id(), id);
    assert!(
        goroutines().iter().all(|g| g.id != id),
        "the panicked goroutine is unregistered"
    );
    err
}

#[test]
fn a_goroutine_panicking_in_tokio_select_crashes_like_go_on_csp_runtime() {
    let run = spawn_child("child", "panic_in_select");
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("panic: boom inside tokio::select! after Some(7)\n\ngoroutine "),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("survived"), "{}", run.stdout);
}

#[test]
fn a_goroutine_panicking_in_tokio_select_surfaces_through_its_handle() {
    let propagate = Runtime::builder()
        .gomaxprocs(2)
        .on_goroutine_panic(csp::PanicPolicy::Propagate)
        .build()
        .unwrap();
    propagate.run(async {
        tokio::time::timeout(
            Duration::from_secs(20),
            goroutine_panicking_in_tokio_select(),
        )
        .await
        .expect("the case finishes");
    });
    for rt in [plain_multi_thread(), plain_current_thread()] {
        finish_on(&rt, goroutine_panicking_in_tokio_select());
    }
}

/// A plain Tokio multi-thread runtime, as `#[tokio::main]` builds it (2 workers).
fn plain_multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A plain Tokio current-thread runtime, as `#[tokio::test]` builds it.
fn plain_current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `case` on `rt` to its end, within 20 s.
fn finish_on<F: std::future::Future>(rt: &tokio::runtime::Runtime, case: F) -> F::Output {
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), case)
            .await
            .expect("the case finishes within 20 s")
    })
}

#[test]
fn mixes_work_on_a_plain_multi_thread_tokio_runtime() {
    finish_on(&plain_multi_thread(), mixes_on_a_plain_tokio_runtime());
}

#[test]
fn mixes_work_on_a_plain_current_thread_tokio_runtime() {
    finish_on(&plain_current_thread(), mixes_on_a_plain_tokio_runtime());
}
