//! `semaphore.Weighted` rules (after x/sync's `semaphore/semaphore_test.go`:
//! TestWeighted, TestWeightedPanic, TestWeightedTryAcquire,
//! TestWeightedAcquire, TestWeightedDoesntBlockIfTooBig,
//! TestLargeAcquireDoesntStarve, TestAllocCancelDoesntStarve), plus cancel
//! safety under random cancellation with a permit ledger.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_toolkit::context::{self, Error};
use csp_toolkit::semaphore::{ReleaseError, Weighted};
use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

#[test]
fn try_acquire_and_release_count_permits() {
    let sem = Weighted::new(2);
    assert!(sem.try_acquire(1));
    assert!(sem.try_acquire(1));
    assert!(!sem.try_acquire(1));
    sem.release(2).unwrap();
    assert!(sem.try_acquire(2));
    assert_eq!(
        sem.release(3),
        Err(ReleaseError {
            released: 3,
            held: 2
        })
    );
    sem.release(2).unwrap();
    assert!(!sem.try_acquire(3), "more than the size never fits");
}

/// A large waiter at the head is not passed by a small one (Go's rule).
#[test]
fn a_large_request_is_not_starved_by_small_ones() {
    let sem = Weighted::new(10);
    let ctx = context::background();
    assert!(sem.try_acquire(10));
    let mut large = task::spawn(sem.acquire(&ctx, 10));
    assert_pending!(large.poll());
    let mut small = task::spawn(sem.acquire(&ctx, 1));
    assert_pending!(small.poll());
    assert!(
        !sem.try_acquire(1),
        "try_acquire does not pass queued waiters"
    );
    sem.release(1).unwrap();
    assert_pending!(small.poll());
    assert!(!small.is_woken());
    sem.release(9).unwrap();
    assert!(large.is_woken());
    assert_ready_eq!(large.poll(), Ok(()));
    assert_pending!(small.poll());
    sem.release(10).unwrap();
    assert_ready_eq!(small.poll(), Ok(()));
}

#[test]
fn cancelling_the_head_lets_the_next_waiters_through() {
    let sem = Weighted::new(4);
    assert!(sem.try_acquire(2));
    let (ctx, cancel) = context::with_cancel(&context::background());
    let bg = context::background();
    let mut head = task::spawn(sem.acquire(&ctx, 4));
    assert_pending!(head.poll());
    let mut next = task::spawn(sem.acquire(&bg, 2));
    assert_pending!(next.poll());
    cancel.cancel();
    assert!(head.is_woken());
    assert_ready_eq!(head.poll(), Err(Error::Canceled));
    assert!(next.is_woken());
    assert_ready_eq!(next.poll(), Ok(()));
    assert!(!sem.try_acquire(1), "2 + 2 held");
}

#[test]
fn a_dropped_acquire_gives_back_permits_granted_to_it() {
    let sem = Weighted::new(3);
    let ctx = context::background();
    assert!(sem.try_acquire(3));
    let mut waiter = task::spawn(sem.acquire(&ctx, 3));
    assert_pending!(waiter.poll());
    sem.release(3).unwrap(); // granted to the waiter, which never looks
    drop(waiter);
    assert!(sem.try_acquire(3), "nothing leaked");
}

#[test]
fn an_oversized_request_waits_for_its_context_only() {
    let sem = Weighted::new(1);
    let (ctx, cancel) = context::with_cancel(&context::background());
    let mut big = task::spawn(sem.acquire(&ctx, 2));
    assert_pending!(big.poll());
    assert!(sem.try_acquire(1), "it does not block others");
    cancel.cancel();
    assert!(big.is_woken());
    assert_ready_eq!(big.poll(), Err(Error::Canceled));
    let mut done = task::spawn(sem.acquire(&ctx, 1));
    assert_ready!(done.poll()).unwrap_err();
}

/// Go's TestWeighted shape under random cancellation: goroutines acquire
/// random weights with random deadlines, or drop their acquire after a
/// random delay; a ledger checks the permits held never exceed the size,
/// and at the end every permit is free again.
#[csp::test(timeout_secs = 30)]
async fn no_permit_leaks_under_random_cancellation() {
    const SIZE: usize = 8;
    const WORKERS: usize = 16;
    const ROUNDS: usize = 300;
    let sem = Arc::new(Weighted::new(SIZE));
    let held = Arc::new(AtomicUsize::new(0));
    let granted = Arc::new(AtomicUsize::new(0));
    let cancelled = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for seed in 0..WORKERS {
        let (sem, held, granted, cancelled) = (
            sem.clone(),
            held.clone(),
            granted.clone(),
            cancelled.clone(),
        );
        workers.push(csp::go(async move {
            let mut rng = fastrand::Rng::with_seed(seed as u64);
            for _ in 0..ROUNDS {
                let n = rng.usize(1..=SIZE);
                let wait = Duration::from_micros(rng.u64(0..400));
                let (ctx, _cancel) = context::with_timeout(&context::background(), wait);
                let got = if rng.bool() {
                    sem.acquire(&ctx, n).await.is_ok()
                } else {
                    let bg = context::background();
                    matches!(
                        tokio::time::timeout(wait, sem.acquire(&bg, n)).await,
                        Ok(Ok(()))
                    )
                };
                if got {
                    granted.fetch_add(1, Ordering::Relaxed);
                    let now = held.fetch_add(n, Ordering::SeqCst) + n;
                    assert!(now <= SIZE, "{now} permits held of {SIZE}");
                    if rng.bool() {
                        csp::gosched().await;
                    }
                    held.fetch_sub(n, Ordering::SeqCst);
                    sem.release(n).unwrap();
                } else {
                    cancelled.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(held.load(Ordering::SeqCst), 0);
    assert!(sem.try_acquire(SIZE), "every permit is free: {sem:?}");
    assert!(granted.load(Ordering::Relaxed) > 0);
    assert!(cancelled.load(Ordering::Relaxed) > 0);
}

/// Four goroutines contending for one permit: mutual exclusion holds and
/// every acquire completes.
#[csp::test(timeout_secs = 20)]
async fn four_contenders_on_one_permit() {
    const EACH: usize = 2_000;
    let sem = Arc::new(Weighted::new(1));
    let inside = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..4 {
        let (sem, inside) = (sem.clone(), inside.clone());
        handles.push(csp::go(async move {
            let ctx = context::background();
            for i in 0..EACH {
                sem.acquire(&ctx, 1).await.unwrap();
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                if i % 7 == 0 {
                    csp::gosched().await;
                }
                inside.fetch_sub(1, Ordering::SeqCst);
                sem.release(1).unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert!(sem.try_acquire(1));
}

#[test]
fn a_static_semaphore_and_the_size_limit() {
    static POOL: Weighted = Weighted::new(2);
    assert!(POOL.try_acquire(2));
    POOL.release(2).unwrap();
    let huge = Weighted::new(usize::MAX);
    assert_eq!(huge.size(), csp_toolkit::semaphore::MAX_SIZE);
    assert!(huge.try_acquire(csp_toolkit::semaphore::MAX_SIZE));
    assert!(!huge.try_acquire(1));
    huge.release(csp_toolkit::semaphore::MAX_SIZE).unwrap();
    assert_eq!(
        huge.release(1),
        Err(ReleaseError {
            released: 1,
            held: 0
        })
    );
}
