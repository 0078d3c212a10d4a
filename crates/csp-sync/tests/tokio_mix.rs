//! csp-sync inside real Tokio programs: `Mutex::lock` raced against
//! `tokio::time::sleep` in `tokio::select!` (a lock future dropped whether it
//! was queued, woken to compete or handed the lock), with a `tokio::sync`
//! channel beside it, on csp's runtime and on a plain Tokio runtime. Nothing
//! is lost: every won lock is counted once and the lock ends free.
use std::sync::Arc;
use std::time::Duration;

use csp_sync::{Mutex, WaitGroup};

const DEADLINE: Duration = Duration::from_secs(20);
const WORKERS: usize = 4;
const ROUNDS: usize = 300;

/// Each worker tries `ROUNDS` times to lock within a short timeout, holding
/// the lock across a yield (or now and then a 1 ms sleep) when it wins;
/// returns (wins reported, count).
async fn lock_with_timeouts() -> (usize, usize) {
    let mu = Arc::new(Mutex::new(0usize));
    let wg = WaitGroup::new();
    let (wins_tx, mut wins_rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..WORKERS {
        let (mu, wins_tx) = (mu.clone(), wins_tx.clone());
        wg.go(async move {
            for round in 0..ROUNDS {
                tokio::select! {
                    mut n = mu.lock() => {
                        *n += 1;
                        if round % 20 == 0 {
                            // Held past the others' timeouts: they give up
                            // while queued, woken or handed the lock.
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        } else {
                            tokio::task::yield_now().await;
                        }
                        wins_tx.send(()).unwrap();
                    }
                    () = tokio::time::sleep(Duration::from_micros(50)) => {}
                }
            }
        });
    }
    drop(wins_tx);
    wg.wait().await;
    let mut wins = 0;
    while wins_rx.recv().await.is_some() {
        wins += 1;
    }
    let count = *mu.try_lock().expect("the lock ends free");
    (wins, count)
}

#[test]
fn lock_in_tokio_select_on_csps_runtime() {
    let rt = csp_core::Runtime::new().unwrap();
    let (wins, count) = rt.block_on(async {
        tokio::time::timeout(DEADLINE, lock_with_timeouts())
            .await
            .expect("hang")
    });
    assert_eq!(wins, count);
    assert!(count > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_in_tokio_select_on_a_plain_tokio_runtime() {
    let (wins, count) = tokio::time::timeout(DEADLINE, lock_with_timeouts())
        .await
        .expect("hang");
    assert_eq!(wins, count);
    assert!(count > 0);
}
