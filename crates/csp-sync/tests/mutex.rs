//! Mutex rules: exclusion (the Go seed program), fairness, cancel safety.
//! Inspired by Go's `sync/mutex_test.go` (TestMutex, TestMutexFairness).
//!
//! Not ported: TestMutexMisuse (unlocking an unlocked mutex cannot be
//! expressed with guards).
use std::sync::Arc;
use std::time::Duration;

use csp_sync::Mutex;

const DEADLINE: Duration = Duration::from_secs(30);
const TASKS: usize = 100;
const INCREMENTS: usize = 1_000;

/// The seed program: `mu.Lock(); v := n; runtime.Gosched(); n = v + 1; mu.Unlock()`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_over_100_tasks_is_exact() {
    tokio::time::timeout(DEADLINE, async {
        let mu = Arc::new(Mutex::new(0usize));
        let mut handles = Vec::new();
        for _ in 0..TASKS {
            let mu = mu.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..INCREMENTS {
                    let mut n = mu.lock().await;
                    let v = *n;
                    tokio::task::yield_now().await; // Go's runtime.Gosched()
                    *n = v + 1;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*mu.lock().await, TASKS * INCREMENTS);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_lock_future_passes_the_lock_on() {
    tokio::time::timeout(DEADLINE, async {
        let mu = Arc::new(Mutex::new(0));
        let held = mu.lock().await;
        // Queue a lock future, then a real waiter behind it.
        let mut cancelled = tokio_test::task::spawn(mu.lock());
        assert!(cancelled.poll().is_pending());
        let m2 = mu.clone();
        let next = tokio::spawn(async move {
            *m2.lock().await += 1;
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held); // hands the lock to `cancelled`, which is never polled again
        assert!(cancelled.is_woken());
        drop(cancelled); // must pass it on to `next`
        next.await.unwrap();
        assert_eq!(*mu.try_lock().expect("free again"), 1);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_lock_future_before_handoff_leaves_the_queue() {
    let mu = Mutex::new(());
    let held = mu.lock().await;
    let mut cancelled = tokio_test::task::spawn(mu.lock());
    assert!(cancelled.poll().is_pending());
    drop(cancelled);
    drop(held);
    assert!(mu.try_lock().is_some(), "nobody left in the queue");
}

#[test]
fn try_lock_excludes() {
    let mu = Mutex::new(5);
    let g = mu.try_lock().unwrap();
    assert!(mu.try_lock().is_none());
    assert!(mu.is_locked());
    drop(g);
    assert!(!mu.is_locked());
    assert_eq!(mu.into_inner(), 5);
}

/// FIFO: waiters get the lock in arrival order. The waiters are polled
/// here, in order, so their arrival does not depend on a loaded machine
/// starting tasks on time; each unlock must wake exactly the next one.
#[test]
fn waiters_served_in_order() {
    const WAITERS: usize = 8;
    let mu = Mutex::new(Vec::new());
    let held = mu.try_lock().unwrap();
    let mut waiters: Vec<_> = (0..WAITERS)
        .map(|i| {
            let mu = &mu;
            tokio_test::task::spawn(async move { mu.lock().await.push(i) })
        })
        .collect();
    for w in &mut waiters {
        assert!(w.poll().is_pending(), "queued behind the holder");
    }
    drop(held);
    for i in 0..WAITERS {
        assert!(waiters[i].is_woken(), "waiter {i} is next");
        assert!(
            waiters[i + 1..].iter().all(|w| !w.is_woken()),
            "one wake per unlock"
        );
        assert!(waiters[i].poll().is_ready(), "waiter {i} gets the lock");
    }
    assert_eq!(*mu.try_lock().unwrap(), (0..WAITERS).collect::<Vec<_>>());
}

/// Go's normal mode: an unlock wakes the head waiter, but a running
/// acquirer may take the free lock first (barging); the woken waiter then
/// queues again at the front and gets the lock at the next unlock.
#[test]
fn a_running_acquirer_may_barge_past_a_woken_waiter() {
    let mu = Mutex::new(Vec::new());
    let held = mu.try_lock().unwrap();
    let mut waiter = tokio_test::task::spawn(async { mu.lock().await.push("waiter") });
    assert!(waiter.poll().is_pending());
    drop(held); // wakes the waiter, does not hand it the lock
    assert!(waiter.is_woken());
    let mut barger = mu
        .try_lock()
        .expect("normal mode lets a running acquirer barge");
    barger.push("barger");
    assert!(
        waiter.poll().is_pending(),
        "lost to the barger: queued again"
    );
    drop(barger);
    assert!(waiter.is_woken());
    assert!(waiter.poll().is_ready());
    assert_eq!(*mu.try_lock().unwrap(), ["barger", "waiter"]);
}

/// Go's starvation mode: a waiter that lost after waiting more than 1 ms
/// switches the mutex to hand-off: the next unlock gives it the lock
/// directly and nobody may barge meanwhile.
#[test]
fn a_starving_waiter_switches_to_hand_off() {
    let mu = Mutex::new(Vec::new());
    let held = mu.try_lock().unwrap();
    let mut waiter = tokio_test::task::spawn(async { mu.lock().await.push("waiter") });
    assert!(waiter.poll().is_pending());
    std::thread::sleep(Duration::from_millis(5)); // longer than Go's 1 ms threshold
    drop(held);
    let mut barger = mu
        .try_lock()
        .expect("still normal mode: the barger wins once");
    barger.push("barger");
    assert!(waiter.poll().is_pending(), "lost after 5 ms: hand-off mode");
    drop(barger); // hands the lock to the waiter
    assert!(mu.try_lock().is_none(), "hand-off: nobody barges");
    assert!(waiter.is_woken());
    assert!(waiter.poll().is_ready());
    assert_eq!(*mu.try_lock().expect("free again"), ["barger", "waiter"]);
}
