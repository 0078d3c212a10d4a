//! Cond rules (Go's `sync/cond_test.go`: TestCondSignal, TestCondBroadcast,
//! TestCondSignalStealing).
//!
//! Not ported: TestCondCopy (copying is prevented by Rust's ownership).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_sync::{Cond, Mutex};

const DEADLINE: Duration = Duration::from_secs(20);
const WAITERS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_wakes_all() {
    tokio::time::timeout(DEADLINE, async {
        let shared = Arc::new((Mutex::new(0usize), Cond::new()));
        let woke = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..WAITERS {
            let (shared, woke) = (shared.clone(), woke.clone());
            handles.push(tokio::spawn(async move {
                let (mu, cond) = &*shared;
                let mut g = mu.lock().await;
                *g += 1; // registered as waiting
                let _relocked = cond.wait(g).await;
                woke.fetch_add(1, Ordering::SeqCst);
            }));
        }
        let (mu, cond) = &*shared;
        while *mu.lock().await < WAITERS {
            tokio::task::yield_now().await;
        }
        assert_eq!(woke.load(Ordering::SeqCst), 0);
        cond.broadcast();
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(woke.load(Ordering::SeqCst), WAITERS);
    })
    .await
    .expect("hang");
}

/// Producer/consumer with signal: no wake-up may be lost, even when the
/// signal comes between the waiter's unlock and its first poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signal_handoffs_never_lost() {
    const ITEMS: usize = 2_000;
    tokio::time::timeout(DEADLINE, async {
        let shared = Arc::new((Mutex::new(Vec::<usize>::new()), Cond::new()));
        let s = shared.clone();
        let consumer = tokio::spawn(async move {
            let (mu, cond) = &*s;
            let mut got = 0;
            let mut g = mu.lock().await;
            while got < ITEMS {
                while g.is_empty() {
                    g = cond.wait(g).await;
                }
                got += g.drain(..).count();
            }
            got
        });
        let (mu, cond) = &*shared;
        for i in 0..ITEMS {
            mu.lock().await.push(i);
            cond.signal();
            if i % 7 == 0 {
                tokio::task::yield_now().await;
            }
        }
        assert_eq!(consumer.await.unwrap(), ITEMS);
    })
    .await
    .expect("hang: lost wake-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signal_before_first_poll_is_kept() {
    let mu = Mutex::new(());
    let cond = Cond::new();
    let g = mu.lock().await;
    let fut = cond.wait(g); // ticket taken, mutex unlocked
    assert!(mu.try_lock().is_some(), "wait unlocks at once");
    cond.signal(); // before the waiter ever polled
    let _relocked = tokio::time::timeout(DEADLINE, fut)
        .await
        .expect("lost wake-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_waiter_does_not_eat_a_signal() {
    tokio::time::timeout(DEADLINE, async {
        let mu = Mutex::new(());
        let cond = Cond::new();
        let mut gone = tokio_test::task::spawn(cond.wait(mu.lock().await));
        assert!(gone.poll().is_pending());
        let mut live = tokio_test::task::spawn(cond.wait(mu.lock().await));
        assert!(live.poll().is_pending());
        drop(gone); // withdrawn before any signal
        cond.signal(); // must reach `live`
        assert!(live.is_woken());
        assert!(live.poll().is_ready());
    })
    .await
    .expect("hang");
}
