//! csp-sync against tokio::sync: WaitGroup fan-out (with rows that tell the
//! WaitGroup's share from the spawns'), uncontended and contended Mutex
//! lock/unlock, read-mostly RwMutex. Go twin: `benches/go/sync/sync_test.go`, the
//! same workloads with `sync.WaitGroup`, `sync.Mutex` and `sync.RWMutex`.
//!
//! The contended Mutex comes in two shapes. `mutex_contended_4x1000` spawns
//! and joins its 4 tasks from criterion's `block_on` thread, so each
//! iteration also pays a wake of the parked workers and of that thread
//! (its `_parts` group measures that floor). `mutex_contended_4x1000_in_task`
//! is the Go twin's shape: the benchmark loop itself runs in a task on the
//! runtime (Go's runs in a goroutine), on 1 and on 2 workers.
//!
//! Run: `cargo bench --bench sync`, and for Go
//! `cd benches/go/sync && GOMAXPROCS=2 go test -bench . -benchtime 2s`
//! (and `GOMAXPROCS=1` for the 1-worker rows).
#![allow(missing_docs)] // `criterion_group!` generates an undocumented `pub fn`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

mod common;
use common::{config, runtime, Countdown};

const FAN_OUT: usize = 10_000;
const CONTENDERS: usize = 4;
const LOCKS_PER_CONTENDER: usize = 1_000;

fn waitgroup_fan_out(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("fan_out_10k");
    g.bench_function("csp::WaitGroup", |b| {
        b.to_async(&rt).iter(|| async {
            let wg = csp::WaitGroup::new();
            for _ in 0..FAN_OUT {
                wg.go(async {});
            }
            wg.wait().await;
        })
    });
    g.bench_function("tokio JoinSet", |b| {
        b.to_async(&rt).iter(|| async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..FAN_OUT {
                set.spawn(async {});
            }
            while set.join_next().await.is_some() {}
        })
    });
    g.finish();
}

/// The WaitGroup's own share of the fan-out, apart from the spawns: the same
/// spawns with a bare countdown (one atomic per task and one `Notify`) in
/// place of the WaitGroup. A group of its own, so `cargo xtask bench --micro`
/// keeps comparing the real fan-out with `JoinSet` only.
fn waitgroup_fan_out_parts(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("fan_out_10k_parts");
    g.bench_function("csp::go + bare countdown", |b| {
        b.to_async(&rt).iter(|| async {
            let countdown = Countdown::new(FAN_OUT);
            for _ in 0..FAN_OUT {
                let countdown = countdown.clone();
                drop(csp::go(async move { countdown.done() }));
            }
            countdown.wait().await;
        })
    });
    g.bench_function("tokio::spawn + csp::WaitGroup", |b| {
        b.to_async(&rt).iter(|| async {
            let wg = csp::WaitGroup::new();
            for _ in 0..FAN_OUT {
                wg.add(1);
                let wg = wg.clone();
                drop(tokio::spawn(async move { wg.done() }));
            }
            wg.wait().await;
        })
    });
    g.bench_function("tokio::spawn + bare countdown", |b| {
        b.to_async(&rt).iter(|| async {
            let countdown = Countdown::new(FAN_OUT);
            for _ in 0..FAN_OUT {
                let countdown = countdown.clone();
                drop(tokio::spawn(async move { countdown.done() }));
            }
            countdown.wait().await;
        })
    });
    g.finish();
}

fn mutex_uncontended(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("mutex_uncontended");
    let csp_mu = csp::Mutex::new(0u64);
    g.bench_function("csp::Mutex", |b| {
        b.to_async(&rt).iter(|| async { *csp_mu.lock().await += 1 })
    });
    let tokio_mu = tokio::sync::Mutex::new(0u64);
    g.bench_function("tokio::sync::Mutex", |b| {
        b.to_async(&rt)
            .iter(|| async { *tokio_mu.lock().await += 1 })
    });
    g.finish();
}

/// One contended iteration: `CONTENDERS` tasks lock `LOCKS_PER_CONTENDER`
/// times each and add 1 (Go: `mu.Lock(); n++; mu.Unlock()`), then joined.
macro_rules! contended_iteration {
    ($mutex:expr) => {
        async {
            let mu = Arc::new($mutex);
            let handles: Vec<_> = (0..CONTENDERS)
                .map(|_| {
                    let mu = mu.clone();
                    tokio::spawn(async move {
                        for _ in 0..LOCKS_PER_CONTENDER {
                            *mu.lock().await += 1;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        }
    };
}

/// The floor of a contended iteration: the same spawns and joins, each
/// task counting locally with no lock.
async fn spawn_join_no_lock() {
    let handles: Vec<_> = (0..CONTENDERS)
        .map(|_| {
            tokio::spawn(async {
                let mut n = 0u64;
                for _ in 0..LOCKS_PER_CONTENDER {
                    n = std::hint::black_box(n + 1);
                }
                n
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

fn mutex_contended(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("mutex_contended_4x1000");
    g.bench_function("csp::Mutex", |b| {
        b.to_async(&rt)
            .iter(|| contended_iteration!(csp::Mutex::new(0u64)))
    });
    g.bench_function("tokio::sync::Mutex", |b| {
        b.to_async(&rt)
            .iter(|| contended_iteration!(tokio::sync::Mutex::new(0u64)))
    });
    g.finish();
}

/// What the `block_on`-shaped contended rows spend apart from the lock: the
/// same spawns and joins with no lock (the floor), and with a blocking
/// `std::sync::Mutex` (a thread lock: a reference, not a rival). A group of
/// its own, as `fan_out_10k_parts`.
fn mutex_contended_parts(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("mutex_contended_4x1000_parts");
    g.bench_function("spawn + join, no lock", |b| {
        b.to_async(&rt).iter(spawn_join_no_lock)
    });
    g.bench_function("std::sync::Mutex", |b| {
        b.to_async(&rt).iter(|| async {
            let mu = Arc::new(std::sync::Mutex::new(0u64));
            let handles: Vec<_> = (0..CONTENDERS)
                .map(|_| {
                    let mu = mu.clone();
                    tokio::spawn(async move {
                        for _ in 0..LOCKS_PER_CONTENDER {
                            *mu.lock().unwrap() += 1;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        })
    });
    g.finish();
}

/// Runs `iters` iterations of `body` inside one task on `rt` and returns
/// their time: the benchmark loop runs on the runtime, as Go's runs in a
/// goroutine.
fn in_task<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, body: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let task = rt.spawn(async move {
        let start = Instant::now();
        for _ in 0..iters {
            body().await;
        }
        start.elapsed()
    });
    rt.block_on(task).expect("bench task")
}

/// A 1-worker runtime (GOMAXPROCS=1), built as [`runtime`] builds 2.
fn runtime_with(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The contended iteration in the Go twin's shape, on 1 and 2 workers
/// (Go: `GOMAXPROCS=1` and `2`); the floor rows are in `_in_task_parts`.
fn mutex_contended_in_task(c: &mut Criterion) {
    let mut g = c.benchmark_group("mutex_contended_4x1000_in_task");
    for workers in [1, 2] {
        let rt = runtime_with(workers);
        let id = |name| BenchmarkId::new(name, format!("{workers}w"));
        g.bench_function(id("csp::Mutex"), |b| {
            b.iter_custom(|n| in_task(&rt, n, || contended_iteration!(csp::Mutex::new(0u64))))
        });
        g.bench_function(id("tokio::sync::Mutex"), |b| {
            b.iter_custom(|n| {
                in_task(&rt, n, || {
                    contended_iteration!(tokio::sync::Mutex::new(0u64))
                })
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("mutex_contended_4x1000_in_task_parts");
    for workers in [1, 2] {
        let rt = runtime_with(workers);
        g.bench_function(
            BenchmarkId::new("spawn + join, no lock", format!("{workers}w")),
            |b| b.iter_custom(|n| in_task(&rt, n, spawn_join_no_lock)),
        );
    }
    g.finish();
}

/// One read-mostly iteration: `CONTENDERS` tasks take the lock
/// `LOCKS_PER_CONTENDER` times each, every tenth for writing (`n += 1`),
/// the rest for reading (`t += n`), then joined.
macro_rules! read_mostly_iteration {
    ($rwlock:expr) => {
        async {
            let rw = Arc::new($rwlock);
            let handles: Vec<_> = (0..CONTENDERS)
                .map(|_| {
                    let rw = rw.clone();
                    tokio::spawn(async move {
                        let mut t = 0u64;
                        for k in 0..LOCKS_PER_CONTENDER {
                            if k % 10 == 0 {
                                *rw.write().await += 1;
                            } else {
                                t += *rw.read().await;
                            }
                        }
                        std::hint::black_box(t);
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        }
    };
}

/// `RwMutex` read-mostly (Go: `BenchmarkRWMutexReadMostly4x1000`), in the
/// Go twin's shape, on 1 and 2 workers.
fn rwmutex_read_mostly_in_task(c: &mut Criterion) {
    let mut g = c.benchmark_group("rwmutex_read_mostly_4x1000_in_task");
    for workers in [1, 2] {
        let rt = runtime_with(workers);
        let id = |name| BenchmarkId::new(name, format!("{workers}w"));
        g.bench_function(id("csp::RwMutex"), |b| {
            b.iter_custom(|n| in_task(&rt, n, || read_mostly_iteration!(csp::RwMutex::new(0u64))))
        });
        g.bench_function(id("tokio::sync::RwLock"), |b| {
            b.iter_custom(|n| {
                in_task(&rt, n, || {
                    read_mostly_iteration!(tokio::sync::RwLock::new(0u64))
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = waitgroup_fan_out, waitgroup_fan_out_parts, mutex_uncontended, mutex_contended,
        mutex_contended_parts, mutex_contended_in_task, rwmutex_read_mostly_in_task
}
criterion_main!(benches);
