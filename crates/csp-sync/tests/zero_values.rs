//! Go's package-level zero values: `static` csp-sync types (`const fn
//! new`), and Go 1.21's `sync.OnceFunc` / `sync.OnceValue` shapes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use csp_sync::{Cond, Mutex, OnceFunc, OnceValue, RwMutex, WaitGroup};

const DEADLINE: Duration = Duration::from_secs(20);
const GOROUTINES: usize = 64;

static MU: Mutex<u64> = Mutex::new(0);
static RW: RwMutex<u64> = RwMutex::new(0);
static COND: Cond = Cond::new();
static WG: WaitGroup = WaitGroup::new();

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn static_sync_types_work_as_gos_package_level_vars() {
    runtime().block_on(async {
        tokio::time::timeout(DEADLINE, async {
            for _ in 0..GOROUTINES {
                WG.add(1);
                csp_core::go(async {
                    *MU.lock().await += 1;
                    *RW.write().await += 1;
                    WG.done();
                });
            }
            WG.wait().await;
            assert_eq!(*MU.lock().await, GOROUTINES as u64);
            assert_eq!(*RW.read().await, GOROUTINES as u64);
            // A clone of the static wait group shares its counter.
            let wg = WG.clone();
            wg.add(1);
            assert_eq!(WG.count(), 1);
            WG.done();
            assert_eq!(wg.count(), 0);

            let waiter = csp_core::go(async {
                let mut ready = MU.lock().await;
                while *ready != 0 {
                    ready = COND.wait(ready).await;
                }
            });
            tokio::time::sleep(Duration::from_millis(10)).await;
            *MU.lock().await = 0;
            COND.broadcast();
            waiter.await.unwrap();
        })
        .await
        .expect("timed out");
    });
}

#[test]
fn a_fresh_wait_group_clone_shares_the_counter() {
    let wg = WaitGroup::new();
    let clone = wg.clone();
    clone.add(2);
    assert_eq!(wg.count(), 2);
    wg.add(-2);
    assert_eq!(clone.count(), 0);
}

static CALLS: AtomicUsize = AtomicUsize::new(0);
fn count_call() -> usize {
    CALLS.fetch_add(1, Ordering::SeqCst) + 1
}
static FIRST: OnceValue<usize> = OnceValue::new(count_call);

#[test]
fn once_value_runs_once_across_threads() {
    let threads: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| *FIRST.get()))
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 1);
    }
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
}

#[test]
fn once_func_runs_once_and_a_panic_repeats() {
    let runs = AtomicUsize::new(0);
    let f = OnceFunc::new(|| {
        runs.fetch_add(1, Ordering::SeqCst);
    });
    f.call();
    f.call();
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    let bad = OnceValue::new(|| -> u32 { panic!("init failed") });
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *bad.get()));
    assert_eq!(
        first.unwrap_err().downcast_ref::<&str>(),
        Some(&"init failed")
    );
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *bad.get()));
    assert!(again.is_err(), "every later call panics too");
}
