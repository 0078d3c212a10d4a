//! Mutex fairness under real threads: a goroutine that wants the lock is
//! not starved by plain threads that keep re-taking it (Go's starvation
//! mode). Its own test binary: its two spinning threads busy both cores of a
//! small CI machine while it runs, which would disturb the timing-based
//! tests beside it (`mutex.rs`'s arrival-order test).
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use csp_sync::Mutex;

/// Go's `TestMutexFairness`, made harsher: two plain threads pass the lock
/// between them, one holding it 1 ms (busy) while the other spins on
/// `try_lock`, so it is free only for the nanoseconds between an unlock and
/// the next try. Woken at each unlock, a goroutine that wants the lock
/// needs microseconds to run and mostly finds it taken again; starvation
/// mode hands it the lock once it has waited 1 ms (and no `try_lock` may
/// take it meanwhile), so each of its locks comes within about two holds.
/// Fails on a lost wake or a hand-off that does not come. Without
/// starvation mode the waiter still wins by luck now and then (when the OS
/// deschedules the spinner, the releaser's wake gives it a window), so
/// `a_starving_waiter_switches_to_hand_off` pins the mode itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_under_constant_barging_gets_the_lock_within_a_bound() {
    const LOCKS: usize = 10;
    const HOLD: Duration = Duration::from_millis(1);
    /// Far above the ~2 ms a hand-off takes; starving, the waiter would
    /// need luck (a spinner descheduled at an unlock).
    const BOUND: Duration = Duration::from_millis(250);
    let mu = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(AtomicBool::new(false));
    let bargers: Vec<_> = (0..2)
        .map(|_| {
            let (mu, stop) = (mu.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut holds = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(_held) = mu.try_lock() {
                        // On the CPU while holding, as the spinner is: the
                        // waiter cannot slip in while either is descheduled.
                        let held = Instant::now();
                        while held.elapsed() < HOLD {
                            std::hint::spin_loop();
                        }
                        holds += 1;
                    }
                    std::hint::spin_loop();
                }
                holds
            })
        })
        .collect();
    while !mu.is_locked() {
        tokio::task::yield_now().await; // the bargers are barging
    }
    let mut slowest = Duration::ZERO;
    for _ in 0..LOCKS {
        let start = Instant::now();
        let locked = tokio::time::timeout(BOUND, mu.lock()).await;
        slowest = slowest.max(start.elapsed());
        let Ok(mut n) = locked else {
            stop.store(true, Ordering::Relaxed);
            panic!("starved: no lock within {BOUND:?} under barging");
        };
        *n += 1;
        drop(n);
        tokio::time::sleep(HOLD).await; // Go's test sleeps between locks
    }
    stop.store(true, Ordering::Relaxed);
    let holds = tokio::task::spawn_blocking(move || {
        bargers
            .into_iter()
            .map(|b| b.join().unwrap())
            .sum::<usize>()
    })
    .await
    .unwrap();
    assert_eq!(*mu.lock().await, LOCKS);
    assert!(holds >= LOCKS, "the bargers kept barging ({holds} holds)");
    eprintln!("slowest lock under barging: {slowest:?}, {holds} barger holds");
}
