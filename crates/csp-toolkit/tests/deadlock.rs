//! Contexts and the deadlock detector, each program in a child process (the
//! test binary re-executes itself with `CSP_TEST_CHILD=<name>`): waiting
//! only on a context nothing can cancel is Go's deadlock report and exit
//! status 2; waiting on one with a pending deadline is not.

use std::time::Duration;

use csp::select;
use csp_toolkit::context;

/// The workspace's child-process runner for end-to-end tests.
#[path = "../../../tests/common/mod.rs"]
mod common;
use common::ChildRun;

/// The child side; a no-op in the parent's own run.
#[test]
fn child() {
    let Some(name) = common::child_program() else {
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
        // main holds the semaphore's only permit and waits for a goroutine
        // queued on it: Go's `[select]` in `semaphore.Acquire`.
        "semaphore" => csp::run(async {
            static SEM: csp::semaphore::Weighted = csp::semaphore::Weighted::new(1);
            SEM.acquire(&context::background(), 1).await.unwrap();
            let (tx, rx) = csp::chan::<()>(0);
            csp::go(async move {
                SEM.acquire(&context::background(), 1).await.unwrap();
                tx.send(()).await.unwrap();
            });
            rx.recv().await;
        }),
        other => panic!("unknown child {other}"),
    }
}

fn run_child(name: &str) -> ChildRun {
    common::spawn_child("child", name)
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
    assert!(
        run.stderr.contains(common::DEADLOCK_REPORT),
        "{}",
        run.stderr
    );
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
    assert!(
        !run.stderr.contains(common::DEADLOCK_REPORT),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("REPORT err=Some(DeadlineExceeded)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_goroutine_queued_on_a_semaphore_nobody_releases_is_a_deadlock() {
    let run = run_child("semaphore");
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert_eq!(
        headers(&run.stderr),
        ["goroutine 1 [chan receive]:", "goroutine 2 [select]:"],
        "{}",
        run.stderr
    );
}
