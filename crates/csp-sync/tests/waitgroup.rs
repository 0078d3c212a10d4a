//! WaitGroup rules (Go's `sync/waitgroup_test.go`: TestWaitGroup,
//! TestWaitGroupMisuse, plus csp-specific scale and reuse checks).
//!
//! Not ported: TestWaitGroupRace (Go's race detector), TestWaitGroupAlign.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_sync::WaitGroup;

const DEADLINE: Duration = Duration::from_secs(20);
const TASKS: usize = 10_000;
const WAITERS: usize = 16;

#[test]
fn negative_counter_panics_with_gos_message() {
    let wg = WaitGroup::new();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wg.done())).unwrap_err();
    let msg = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap();
    assert_eq!(msg, "sync: negative WaitGroup counter");
    assert_eq!(wg.count(), 0, "counter left unchanged");
    wg.add(2);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wg.add(-3))).is_err());
    assert_eq!(wg.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_tasks_joined() {
    tokio::time::timeout(DEADLINE, async {
        let wg = WaitGroup::new();
        let hits = Arc::new(AtomicUsize::new(0));
        for _ in 0..TASKS {
            wg.add(1);
            let (wg, hits) = (wg.clone(), hits.clone());
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                hits.fetch_add(1, Ordering::Relaxed);
                wg.done();
            });
        }
        wg.wait().await;
        assert_eq!(hits.load(Ordering::Relaxed), TASKS);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_joins_and_survives_panics() {
    tokio::time::timeout(DEADLINE, async {
        let wg = WaitGroup::new();
        let hits = Arc::new(AtomicUsize::new(0));
        for i in 0..100 {
            let hits = hits.clone();
            wg.go(async move {
                tokio::task::yield_now().await;
                if i % 10 == 0 {
                    panic!("goroutine {i} fails");
                }
                hits.fetch_add(1, Ordering::Relaxed);
            });
        }
        wg.wait().await; // would hang if a panicking task skipped done()
        assert_eq!(hits.load(Ordering::Relaxed), 90);
        assert_eq!(wg.count(), 0);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiple_waiters_all_released() {
    tokio::time::timeout(DEADLINE, async {
        let wg = WaitGroup::new();
        wg.add(1);
        let released = Arc::new(AtomicUsize::new(0));
        let mut waiters = Vec::new();
        for _ in 0..WAITERS {
            let (wg, released) = (wg.clone(), released.clone());
            waiters.push(tokio::spawn(async move {
                wg.wait().await;
                released.fetch_add(1, Ordering::SeqCst);
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(released.load(Ordering::SeqCst), 0, "released too early");
        wg.done();
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(released.load(Ordering::SeqCst), WAITERS);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusable_after_zero() {
    tokio::time::timeout(DEADLINE, async {
        let wg = WaitGroup::new();
        for round in 0..50 {
            let n = Arc::new(AtomicUsize::new(0));
            for _ in 0..10 {
                let n = n.clone();
                wg.go(async move {
                    n.fetch_add(1, Ordering::SeqCst);
                });
            }
            wg.wait().await;
            assert_eq!(n.load(Ordering::SeqCst), 10, "round {round}");
        }
    })
    .await
    .expect("hang");
}

#[test]
fn wait_blocking_from_plain_thread() {
    let wg = WaitGroup::new();
    let hits = Arc::new(AtomicUsize::new(0));
    for _ in 0..8 {
        wg.add(1);
        let (wg, hits) = (wg.clone(), hits.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            hits.fetch_add(1, Ordering::SeqCst);
            wg.done();
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = wg.clone();
    std::thread::spawn(move || {
        waiter.wait_blocking();
        tx.send(()).unwrap();
    });
    rx.recv_timeout(DEADLINE).expect("hang");
    assert_eq!(hits.load(Ordering::SeqCst), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_wait_is_withdrawn() {
    let wg = WaitGroup::new();
    wg.add(1);
    let mut fut = tokio_test::task::spawn(wg.wait());
    assert!(fut.poll().is_pending());
    drop(fut);
    assert!(format!("{wg:?}").contains("waiters: 0"), "{wg:?}");
    wg.done();
    tokio::time::timeout(DEADLINE, wg.wait())
        .await
        .expect("hang");
}
