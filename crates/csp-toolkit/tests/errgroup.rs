//! `errgroup.Group` rules (after x/sync's `errgroup/errgroup_test.go`:
//! TestZeroGroup, TestWithContext, TestTryGo, TestGoLimit, and the panic
//! propagation of TestPanic), plus scale.
//!
//! Not ported: the `ExampleGroup_*` pipelines (see `examples/errgroup.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use csp_toolkit::context::{self, Error};
use csp_toolkit::errgroup::{Group, LimitError};

const GOROUTINES: usize = 10_000;

#[csp::test(timeout_secs = 10)]
async fn the_first_error_wins() {
    let g = Group::<String>::new();
    for (i, delay) in [(0, 60u64), (1, 5), (2, 120)] {
        g.go(async move {
            csp::sleep(Duration::from_millis(delay)).await;
            Err(format!("task {i}"))
        })
        .await;
    }
    g.go(async { Ok(()) }).await;
    assert_eq!(g.wait().await, Err("task 1".to_string()));
    assert_eq!(g.wait().await, Ok(()), "the error is handed out once");
}

#[csp::test(timeout_secs = 10)]
async fn with_context_cancels_on_first_error_and_after_wait() {
    let parent = context::background();
    let (g, ctx) = Group::<String>::with_context(&parent);
    let saw_cancel = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let (ctx, saw) = (ctx.clone(), saw_cancel.clone());
        g.go(async move {
            ctx.cancelled().await;
            saw.fetch_add(1, Ordering::SeqCst);
            Err("cancelled".to_string())
        })
        .await;
    }
    g.go(async { Err("backend failed".to_string()) }).await;
    assert_eq!(g.wait().await, Err("backend failed".to_string()));
    assert_eq!(saw_cancel.load(Ordering::SeqCst), 3);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(context::cause(&ctx).unwrap().to_string(), "backend failed");

    let (g, ctx) = Group::<String>::with_context(&parent);
    g.go(async { Ok(()) }).await;
    assert_eq!(g.wait().await, Ok(()));
    assert_eq!(ctx.err(), Some(Error::Canceled), "wait cancels the context");
    assert_eq!(parent.err(), None);
}

#[csp::test(timeout_secs = 20)]
async fn set_limit_bounds_the_active_goroutines() {
    const LIMIT: usize = 3;
    let g = Group::<String>::new();
    g.set_limit(Some(LIMIT)).unwrap();
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        let (active, peak) = (active.clone(), peak.clone());
        g.go(async move {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            csp::sleep(Duration::from_millis(1)).await;
            active.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })
        .await;
    }
    g.wait().await.unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), LIMIT);
    g.set_limit(None).unwrap();
}

#[csp::test(timeout_secs = 10)]
async fn try_go_refuses_at_the_limit() {
    let g = Group::<String>::new();
    g.set_limit(Some(2)).unwrap();
    let (release, gate) = csp::chan::<()>(0);
    for _ in 0..2 {
        let gate = gate.clone();
        assert!(g.try_go(async move {
            let _ = gate.recv().await;
            Ok(())
        }));
    }
    assert!(!g.try_go(async { Err("never runs".to_string()) }));
    assert_eq!(g.set_limit(Some(5)), Err(LimitError { active: 2 }));
    drop(release);
    assert_eq!(g.wait().await, Ok(()));
    assert!(g.try_go(async { Ok(()) }));
    g.wait().await.unwrap();
}

#[csp::test(timeout_secs = 10)]
async fn a_goroutine_panic_is_reraised_from_wait() {
    let (g, ctx) = Group::<String>::with_context(&context::background());
    let finished = Arc::new(AtomicUsize::new(0));
    g.go(async { panic!("boom in a goroutine") }).await;
    for _ in 0..4 {
        let (ctx, finished) = (ctx.clone(), finished.clone());
        g.go(async move {
            ctx.cancelled().await;
            finished.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .await;
    }
    let payload = std::panic::AssertUnwindSafe(g.wait())
        .catch_unwind()
        .await
        .expect_err("wait re-raises the panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in a goroutine"));
    assert_eq!(
        finished.load(Ordering::SeqCst),
        4,
        "the others ran to the end"
    );
}

#[csp::test(timeout_secs = 30)]
async fn ten_thousand_goroutines() {
    let g = Group::<String>::new();
    let sum = Arc::new(AtomicUsize::new(0));
    for i in 0..GOROUTINES {
        let sum = sum.clone();
        g.go(async move {
            sum.fetch_add(i, Ordering::Relaxed);
            Ok(())
        })
        .await;
    }
    g.wait().await.unwrap();
    assert_eq!(
        sum.load(Ordering::Relaxed),
        GOROUTINES * (GOROUTINES - 1) / 2
    );
}

/// The group on a plain Tokio runtime, its goroutines using Tokio timers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_a_plain_tokio_runtime() {
    tokio::time::timeout(Duration::from_secs(20), plain_tokio_group())
        .await
        .expect("the group finishes");
}

async fn plain_tokio_group() {
    let (g, ctx) = Group::<String>::with_context(&context::background());
    g.go(async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Err("tokio timer".to_string())
    })
    .await;
    g.go(async move {
        tokio::select! {
            () = ctx.cancelled() => Ok(()),
            () = tokio::time::sleep(Duration::from_secs(60)) => Err("not cancelled".to_string()),
        }
    })
    .await;
    assert_eq!(g.wait().await, Err("tokio timer".to_string()));
}
