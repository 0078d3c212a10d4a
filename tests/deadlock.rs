//! Deadlock detection end to end (issue 6): Go's
//! `fatal error: all goroutines are asleep - deadlock!`.
//!
//! - Programs that deadlock on purpose (the `examples/deadlock*.rs` files,
//!   compiled into this binary with `#[path]` so they are always fresh, with
//!   no nested `cargo` call) each run in a child process: this test binary
//!   re-executes itself with `CSP_TEST_CHILD=<name>` and runs only the
//!   `child` test, which then runs that program's `main`. The parent checks
//!   the message, the wait reasons, the locations and exit status 2, and
//!   kills a child that hangs (`support::child`; a failure).
//! - Programs that must NOT report run in-process under `#[csp::test]`, where
//!   a report would fail the test; a `#[csp::test]` that deadlocks must fail
//!   with the dump (`#[should_panic]`).

use std::time::{Duration, Instant};

use common::ChildRun;

use csp::prelude::*;
use csp::select::{select, RecvCase, SelectCase};

mod common;

#[path = "../examples/deadlock.rs"]
mod ex_deadlock;
#[path = "../examples/deadlock_buffered.rs"]
mod ex_deadlock_buffered;
#[path = "../examples/deadlock_fib.rs"]
mod ex_deadlock_fib;
#[path = "../examples/deadlock_pair.rs"]
mod ex_deadlock_pair;
#[path = "../examples/deadlock_select.rs"]
mod ex_deadlock_select;
#[path = "../examples/deadlock_waitgroup.rs"]
mod ex_deadlock_waitgroup;

/// How long the "no report" programs wait on something outside the goroutines.
const OUTSIDE_DELAY: Duration = Duration::from_millis(200);
/// The stress test's goroutine count and duration.
const PING_PONG_GOROUTINES: usize = 64;
const PING_PONG_FOR: Duration = Duration::from_secs(2);

/// The child side: runs the program named by [`common::CHILD_ENV`]; a no-op in the
/// parent's own run (the variable is unset there).
#[test]
fn child() {
    let Some(name) = common::child_program() else {
        return;
    };
    match name.as_str() {
        "deadlock" => ex_deadlock::main(),
        "deadlock_buffered" => ex_deadlock_buffered::main(),
        "deadlock_fib" => ex_deadlock_fib::main(),
        "deadlock_select" => ex_deadlock_select::main(),
        "deadlock_pair" => ex_deadlock_pair::main(),
        "deadlock_waitgroup" => ex_deadlock_waitgroup::main(),
        "block_on" => Runtime::new().unwrap().block_on(async {
            let (tx, _rx) = csp::chan::<i32>(0);
            tx.send(1).await.unwrap();
        }),
        #[cfg(unix)]
        "sigquit" => sigquit_child(),
        other => panic!("unknown child program {other}"),
    }
    std::process::exit(0);
}

fn run_child(name: &str) -> ChildRun {
    common::spawn_child("child", name)
}

#[test]
fn unbuffered_send_in_main() {
    common::expect_deadlock("deadlock", "deadlock.rs:", &["goroutine 1 [chan send]:"]);
}

#[test]
fn buffered_channel_full() {
    common::expect_deadlock(
        "deadlock_buffered",
        "deadlock_buffered.rs:",
        &["goroutine 1 [chan send]:"],
    );
}

#[test]
fn range_over_a_channel_never_closed() {
    let run = common::expect_deadlock(
        "deadlock_fib",
        "deadlock_fib.rs:",
        &["goroutine 1 [chan receive]:"],
    );
    // The harness prints `test child ... ` without a newline before the first.
    let printed: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.rsplit(' ').next())
        .filter(|w| w.parse::<u64>().is_ok())
        .collect();
    assert_eq!(
        printed,
        ["0", "1", "1", "2", "3", "5", "8", "13", "21", "34"]
    );
}

#[test]
fn select_with_no_cases() {
    common::expect_deadlock(
        "deadlock_select",
        "deadlock_select.rs:",
        &["goroutine 1 [select (no cases)]:"],
    );
}

#[test]
fn two_goroutines_waiting_for_each_other() {
    common::expect_deadlock(
        "deadlock_pair",
        "deadlock_pair.rs:",
        &[
            "goroutine 1 [chan receive]:",
            "goroutine 2 [chan receive]:",
            "goroutine 3 [chan receive]:",
        ],
    );
}

#[test]
fn waitgroup_with_a_missing_done() {
    common::expect_deadlock(
        "deadlock_waitgroup",
        "deadlock_waitgroup.rs:",
        &["goroutine 1 [sync.WaitGroup.Wait]:"],
    );
}

#[test]
fn block_on_main_deadlocks_too() {
    common::expect_deadlock("block_on", "deadlock.rs:", &["goroutine 1 [chan send]:"]);
}

/// Child: a service with `dump_on_sigquit` prints the dump and keeps running.
#[cfg(unix)]
fn sigquit_child() {
    let rt = Runtime::builder().dump_on_sigquit(true).build().unwrap();
    rt.run(async {
        let (tx, rx) = csp::chan::<()>(0);
        go(async move { rx.recv().await });
        while !csp::goroutines()
            .iter()
            .any(|g| g.id == 2 && g.wait_reason().is_some())
        {
            gosched().await;
        }
        let pid = std::process::id().to_string();
        // The shell's `kill` builtin: present wherever `sh` is.
        let signal = format!("kill -QUIT {pid}");
        let killed = blocking(move || {
            std::process::Command::new("sh")
                .args(["-c", &signal])
                .status()
        })
        .await;
        assert!(killed.unwrap().success());
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(()).await.unwrap();
        println!("still running");
    });
}

#[cfg(unix)]
#[test]
fn sigquit_prints_the_dump_without_exiting() {
    let run = run_child("sigquit");
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    assert!(run.stdout.contains("still running"), "{}", run.stdout);
    assert!(
        run.stderr.contains("SIGQUIT: goroutine dump\n\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("goroutine 2 [chan receive]:\n\tblocked at "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("fatal error"), "{}", run.stderr);
}

// ---- Programs that must not report ----

#[csp::test(timeout_secs = 20)]
async fn goroutine_sleeping_then_sending_is_no_deadlock() {
    let (tx, rx) = csp::chan::<i32>(0);
    go(async move {
        tokio::time::sleep(OUTSIDE_DELAY).await;
        tx.send(1).await.unwrap();
    });
    assert_eq!(rx.recv().await, Some(1));
}

/// Go's `select { case <-time.After(d): }`: main waits in a select on a
/// channel a timer goroutine feeds.
#[csp::test(timeout_secs = 20)]
async fn main_waiting_on_a_timer_channel_is_no_deadlock() {
    let (tx, rx) = csp::chan::<Instant>(1);
    go(async move {
        tokio::time::sleep(OUTSIDE_DELAY).await;
        tx.send(Instant::now()).await.unwrap();
    });
    let mut fired = std::pin::pin!(RecvCase::new(&rx));
    let cases: &mut [std::pin::Pin<&mut dyn SelectCase>] = &mut [fired.as_mut()];
    assert_eq!(select(cases).await, 0);
    assert!(fired.take_output().is_some());
}

/// Go's `<-time.After(d)` in main, and a select whose only case is a timer.
#[csp::test(timeout_secs = 20)]
async fn main_waiting_on_after_is_no_deadlock() {
    let start = Instant::now();
    assert!(after(OUTSIDE_DELAY).recv().await.is_some());
    let never = csp::chan::<()>(0);
    let fired = csp::select! {
        recv(&never.1) => false,
        recv(after(OUTSIDE_DELAY)) => true,
    };
    assert!(fired);
    assert!(start.elapsed() >= 2 * OUTSIDE_DELAY);
    drop(never);
}

#[csp::test(timeout_secs = 20)]
async fn goroutine_in_blocking_is_no_deadlock() {
    let (tx, rx) = csp::chan::<i32>(0);
    go(async move {
        blocking(move || {
            std::thread::sleep(OUTSIDE_DELAY);
            tx.send_blocking(1).unwrap();
        })
        .await
    });
    assert_eq!(rx.recv().await, Some(1));
}

/// A `blocking(..)` closure whose future was dropped still runs, and may send.
#[csp::test(timeout_secs = 20)]
async fn detached_blocking_closure_is_no_deadlock() {
    let (tx, rx) = csp::chan::<i32>(0);
    go(async move {
        drop(blocking(move || {
            std::thread::sleep(OUTSIDE_DELAY);
            tx.send_blocking(1).unwrap();
        }));
    });
    assert_eq!(rx.recv().await, Some(1));
}

/// A `tokio::spawn` task is invisible to the registry, so it counts as a
/// possible waker.
#[csp::test(timeout_secs = 20)]
async fn tokio_task_feeding_a_channel_is_no_deadlock() {
    let (tx, rx) = csp::chan::<i32>(0);
    tokio::spawn(async move {
        tokio::time::sleep(OUTSIDE_DELAY).await;
        tx.send(1).await.unwrap();
    });
    assert_eq!(rx.recv().await, Some(1));
}

/// A plain thread that sleeps before its first `*_blocking` call is
/// invisible to the detector: it holds an `ExternalWaker` taken before main parks.
#[csp::test(timeout_secs = 20)]
async fn plain_thread_with_an_external_waker_is_no_deadlock() {
    let (tx, rx) = csp::chan::<i32>(0);
    let waker = csp::external_waker();
    let thread = std::thread::spawn(move || {
        let _waker = waker;
        std::thread::sleep(OUTSIDE_DELAY);
        tx.send_blocking(1).unwrap();
    });
    assert_eq!(rx.recv().await, Some(1));
    blocking(move || thread.join().unwrap()).await;
}

/// A plain thread counts as a waker from its first `*_blocking` call on.
#[csp::test(timeout_secs = 20)]
async fn plain_thread_after_its_first_blocking_call_is_no_deadlock() {
    let (tx, rx) = csp::chan::<i32>(0);
    let thread = std::thread::spawn(move || {
        tx.send_blocking(1).unwrap();
        std::thread::sleep(OUTSIDE_DELAY);
        tx.send_blocking(2).unwrap();
    });
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    blocking(move || thread.join().unwrap()).await;
}

/// 64 goroutines ping-pong over unbuffered channels on 2 workers: the
/// registry often shows every goroutine waiting for an instant (a wake in
/// flight), which must never be reported.
#[csp::test(timeout_secs = 30, gomaxprocs = 2)]
async fn ping_pong_under_load_is_no_deadlock() {
    let deadline = Instant::now() + PING_PONG_FOR;
    let (done_tx, done_rx) = csp::chan::<u64>(0);
    for _ in 0..PING_PONG_GOROUTINES / 2 {
        let (ping_tx, ping_rx) = csp::chan::<u64>(0);
        let (pong_tx, pong_rx) = csp::chan::<u64>(0);
        let done = done_tx.clone();
        go(async move {
            let mut n = 0;
            while Instant::now() < deadline {
                ping_tx.send(n).await.unwrap();
                n = pong_rx.recv().await.unwrap();
            }
            drop(ping_tx);
            done.send(n).await.unwrap();
        });
        let done = done_tx.clone();
        go(async move {
            let mut n = 0;
            while let Some(v) = ping_rx.recv().await {
                n = v + 1;
                pong_tx.send(n).await.unwrap();
            }
            done.send(n).await.unwrap();
        });
    }
    let mut total = 0;
    for _ in 0..PING_PONG_GOROUTINES {
        total += done_rx.recv().await.unwrap();
    }
    assert!(total > 0);
}

// ---- A deadlocked #[csp::test] fails with the dump ----

#[csp::test(timeout_secs = 20)]
#[should_panic(expected = "all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan send]:")]
async fn deadlocked_test_fails_with_the_dump() {
    let (tx, _rx) = csp::chan::<i32>(0);
    tx.send(1).await.unwrap();
}

/// A plain thread parked in `recv_blocking` cannot wake anyone.
#[csp::test(timeout_secs = 20)]
#[should_panic(expected = "goroutine 1 [chan receive]:")]
async fn plain_thread_parked_in_recv_blocking_is_no_waker() {
    let (_tx, rx) = csp::chan::<i32>(0);
    let (_tx2, rx2) = csp::chan::<i32>(0);
    std::thread::spawn(move || rx2.recv_blocking());
    rx.recv().await;
}
