//! csp-sync against tokio::sync: WaitGroup fan-out (with rows that tell the
//! WaitGroup's share from the spawns'), uncontended and contended Mutex
//! lock/unlock. Go twin: `benches/go/sync/sync_test.go`, the
//! same workloads with `sync.WaitGroup` and `sync.Mutex`.
//!
//! Run: `cargo bench --bench sync`, and for Go
//! `cd benches/go/sync && GOMAXPROCS=2 go test -bench . -benchtime 2s`.
#![allow(missing_docs)] // `criterion_group!` generates an undocumented `pub fn`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::{config, runtime};

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

/// The least a fan-out's join can cost: one atomic decrement per task and
/// one wake-up, with no registry and no deadlock reporting.
#[derive(Clone)]
struct Countdown(Arc<(AtomicUsize, tokio::sync::Notify)>);

impl Countdown {
    fn new(n: usize) -> Self {
        Self(Arc::new((AtomicUsize::new(n), tokio::sync::Notify::new())))
    }

    fn done(&self) {
        if self.0 .0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0 .1.notify_one();
        }
    }

    async fn wait(&self) {
        while self.0 .0.load(Ordering::Acquire) != 0 {
            self.0 .1.notified().await;
        }
    }
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

fn mutex_contended(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("mutex_contended_4x1000");
    g.bench_function("csp::Mutex", |b| {
        b.to_async(&rt).iter(|| async {
            let mu = Arc::new(csp::Mutex::new(0u64));
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
        })
    });
    g.bench_function("tokio::sync::Mutex", |b| {
        b.to_async(&rt).iter(|| async {
            let mu = Arc::new(tokio::sync::Mutex::new(0u64));
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
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = waitgroup_fan_out, waitgroup_fan_out_parts, mutex_uncontended, mutex_contended
}
criterion_main!(benches);
