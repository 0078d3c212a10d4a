//! Contexts and the deadlock detector, each program in a child process (the
//! test binary re-executes itself with `CSP_TOOLKIT_CHILD=<name>`): waiting
//! only on a context nothing can cancel is Go's deadlock report and exit
//! status 2; waiting on one with a pending deadline is not.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use csp::select;
use csp_toolkit::context;

const CHILD_ENV: &str = "CSP_TOOLKIT_CHILD";
/// A child still running after this long has hung: kill it, fail.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);
const FATAL: &str = "fatal error: all goroutines are asleep - deadlock!";

/// The child side; a no-op in the parent's own run.
#[test]
fn child() {
    let Ok(name) = std::env::var(CHILD_ENV) else {
        return;
    };
    match name.as_str() {
        // main holds the only cancel function and waits on the context.
        "own_cancel" => csp::run(async {
            let (ctx, _cancel) = context::with_cancel(&context::background());
            let worker = csp::go({
                let ctx = ctx.clone();
                async move {
                    let (_tx, work) = csp::chan::<u32>(0);
                    select! {
                        recv(work) -> _ => {},
                        recv(ctx.done()) -> _ => {},
                    }
                }
            });
            ctx.cancelled().await;
            drop(worker);
        }),
        // Go's `<-context.Background().Done()`: a nil channel.
        "background" => csp::run(async {
            context::background().cancelled().await;
        }),
        // A pending deadline is a live timer: no report, then it fires.
        "deadline" => csp::run(async {
            let (ctx, _cancel) =
                context::with_timeout(&context::background(), Duration::from_millis(300));
            let waiter = csp::go({
                let ctx = ctx.clone();
                async move { ctx.cancelled().await }
            });
            ctx.cancelled().await;
            waiter.await.unwrap();
            println!("REPORT err={:?}", ctx.err());
        }),
        other => panic!("unknown child {other}"),
    }
}

struct ChildRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_child(name: &str) -> ChildRun {
    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .env("GOMAXPROCS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child {name} still running after {CHILD_TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    ChildRun {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn headers(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|l| l.starts_with("goroutine "))
        .collect()
}

#[test]
fn waiting_on_a_context_only_its_waiter_can_cancel_is_a_deadlock() {
    let run = run_child("own_cancel");
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains(FATAL), "{}", run.stderr);
    assert_eq!(
        headers(&run.stderr),
        ["goroutine 1 [chan receive]:", "goroutine 2 [select]:"],
        "{}",
        run.stderr
    );
}

#[test]
fn waiting_on_background_done_is_a_deadlock() {
    let run = run_child("background");
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert_eq!(
        headers(&run.stderr),
        ["goroutine 1 [chan receive]:"],
        "{}",
        run.stderr
    );
}

#[test]
fn a_pending_deadline_is_not_a_deadlock() {
    let run = run_child("deadline");
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains(FATAL), "{}", run.stderr);
    assert!(
        run.stdout.contains("REPORT err=Some(DeadlineExceeded)"),
        "{}",
        run.stdout
    );
}
