//! The cost of a yield: csp's `gosched` (Go's `runtime.Gosched`) against
//! Tokio's `yield_now`, with 1 and 4 tasks yielding in a loop on one 2-worker
//! Tokio runtime with its drivers enabled (as `#[tokio::main]` and csp's
//! runtime build it). Time per yield. Go twin: `benches/go/sched`.
//!
//! Run: `cargo bench --bench sched`, and for Go
//! `cd benches/go/sched && GOMAXPROCS=2 go test -bench . -benchtime 2s`.
#![allow(missing_docs)] // `criterion_group!` generates an undocumented `pub fn`.

use std::future::Future;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::{config, runtime};

/// `tasks` tasks make `yields` yields in all with `yield_once`; the elapsed time.
fn run<F, Fut>(rt: &tokio::runtime::Runtime, yields: u64, tasks: u64, yield_once: F) -> Duration
where
    F: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    rt.block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let mine = yields / tasks + u64::from(t < yields % tasks);
                tokio::spawn(async move {
                    for _ in 0..mine {
                        yield_once().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("yielding task");
        }
        start.elapsed()
    })
}

fn yields(c: &mut Criterion) {
    let rt = runtime();
    for tasks in [1u64, 4] {
        let mut g = c.benchmark_group(format!("yield/{tasks}-tasks"));
        g.throughput(criterion::Throughput::Elements(1));
        g.bench_function("csp::gosched", |b| {
            b.iter_custom(|n| run(&rt, n, tasks, csp::gosched))
        });
        g.bench_function("tokio::task::yield_now", |b| {
            b.iter_custom(|n| run(&rt, n, tasks, tokio::task::yield_now))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = yields
}
criterion_main!(benches);
