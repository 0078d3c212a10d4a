//! Once rules (Go's `sync/once_test.go`: TestOnce, TestOncePanic).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_sync::Once;

const DEADLINE: Duration = Duration::from_secs(20);
const CALLERS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_once_under_64_callers_and_all_see_it() {
    tokio::time::timeout(DEADLINE, async {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..CALLERS {
            let (once, runs) = (once.clone(), runs.clone());
            handles.push(tokio::spawn(async move {
                once.call_once(|| async {
                    tokio::time::sleep(Duration::from_millis(20)).await; // others pile up
                    runs.fetch_add(1, Ordering::SeqCst);
                })
                .await;
                runs.load(Ordering::SeqCst) // the effect is visible to every caller
            }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap(), 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(once.is_completed());
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_counts_as_done() {
    tokio::time::timeout(DEADLINE, async {
        let once = Arc::new(Once::new());
        let o = once.clone();
        let first = tokio::spawn(async move {
            o.call_once(|| async { panic!("init failed") }).await;
        });
        assert!(first.await.is_err(), "the panic reaches the caller");
        assert!(once.is_completed());
        let mut ran = false;
        once.call_once(|| async { ran = true }).await;
        assert!(!ran, "Go: a panicking Do still counts as done");
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_runner_lets_a_waiter_run_it() {
    tokio::time::timeout(DEADLINE, async {
        let once = Once::new();
        let mut runner = tokio_test::task::spawn(once.call_once(std::future::pending));
        assert!(runner.poll().is_pending());
        let mut waiter = tokio_test::task::spawn(once.call_once(|| async {}));
        assert!(waiter.poll().is_pending());
        drop(runner);
        assert!(waiter.is_woken());
        assert!(waiter.poll().is_ready());
        assert!(once.is_completed());
    })
    .await
    .expect("hang");
}
