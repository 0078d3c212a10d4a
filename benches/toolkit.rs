//! csp-toolkit against Go and Tokio: context cancel, the cancellation of a
//! 10,000-context tree, errgroup with 10,000 goroutines, and semaphore
//! acquire/release uncontended and with 4 contenders. Go twin:
//! `benches/go/toolkit/toolkit_test.go`, the same workloads with `context`
//! and x/sync's `errgroup` and `semaphore`.
//!
//! Run: `cargo bench --bench toolkit`, and for Go (Debian's
//! `golang-golang-x-sync-dev`, GOPATH mode) `cd benches/go/toolkit &&
//! GO111MODULE=off GOPATH=/usr/share/gocode GOMAXPROCS=2 go test -bench .`.
#![allow(missing_docs)] // `criterion_group!` generates an undocumented `pub fn`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

use csp::context::{self, Context};
use csp::errgroup::Group;
use csp::semaphore::Weighted;

mod common;
use common::{config, runtime};

/// Children of the tree's root; each has `GRANDCHILDREN` children.
const CHILDREN: usize = 100;
const GRANDCHILDREN: usize = 99;
const GOROUTINES: usize = 10_000;
const CONTENDERS: usize = 4;
const ACQUIRES_PER_CONTENDER: usize = 1_000;

fn with_cancel_and_cancel(c: &mut Criterion) {
    let mut g = c.benchmark_group("context_with_cancel_cancel");
    let (parent, _keep) = context::with_cancel(&context::background());
    g.bench_function("csp::context", |b| {
        b.iter(|| {
            let (ctx, cancel) = context::with_cancel(&parent);
            cancel.cancel();
            ctx
        })
    });
    g.finish();
}

/// Builds root → 100 children → 99 grandchildren each (10,000
/// descendants), with every descendant's done channel made.
type Tree = (
    context::CancelFunc,
    Vec<context::CancelFunc>,
    Vec<Context>,
    Vec<csp::Receiver<()>>,
);

fn tree() -> Tree {
    let (root, cancel) = context::with_cancel(&context::background());
    let mut keep = Vec::with_capacity(CHILDREN * (GRANDCHILDREN + 1));
    let mut dones = Vec::with_capacity(keep.capacity());
    let mut guards = Vec::new();
    for _ in 0..CHILDREN {
        let (child, g) = context::with_cancel(&root);
        guards.push(g);
        dones.push(child.done());
        for _ in 0..GRANDCHILDREN {
            let (grandchild, g) = context::with_cancel(&child);
            guards.push(g);
            dones.push(grandchild.done());
            keep.push(grandchild);
        }
        keep.push(child);
    }
    (cancel, guards, keep, dones)
}

fn cancel_tree(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("context_cancel_tree_10k");
    g.bench_function("csp::context", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (cancel, guards, keep, dones) = tree();
                let start = Instant::now();
                cancel.cancel();
                for done in &dones {
                    assert_eq!(done.recv().await, None);
                }
                total += start.elapsed();
                drop((guards, keep, dones)); // already cancelled: untimed no-ops
            }
            total
        })
    });
    g.finish();
}

fn errgroup_10k(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("errgroup_10k");
    g.bench_function("csp::errgroup", |b| {
        b.to_async(&rt).iter(|| async {
            let g = Group::<String>::new();
            for _ in 0..GOROUTINES {
                g.go(async { Ok(()) }).await;
            }
            g.wait().await.unwrap();
        })
    });
    g.bench_function("tokio JoinSet", |b| {
        b.to_async(&rt).iter(|| async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..GOROUTINES {
                set.spawn(async { Ok::<(), String>(()) });
            }
            while let Some(r) = set.join_next().await {
                r.unwrap().unwrap();
            }
        })
    });
    g.finish();
}

fn semaphore_uncontended(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("semaphore_uncontended");
    let sem = Weighted::new(1);
    let ctx = context::background();
    g.bench_function("csp::semaphore", |b| {
        b.to_async(&rt).iter(|| async {
            sem.acquire(&ctx, 1).await.unwrap();
            sem.release(1).unwrap();
        })
    });
    let tokio_sem = tokio::sync::Semaphore::new(1);
    g.bench_function("tokio::sync::Semaphore", |b| {
        b.to_async(&rt)
            .iter(|| async { drop(tokio_sem.acquire().await.unwrap()) })
    });
    g.finish();
}

fn semaphore_contended(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("semaphore_contended_4x1000");
    g.bench_function("csp::semaphore", |b| {
        b.to_async(&rt).iter(|| async {
            let sem = Arc::new(Weighted::new(1));
            let mut handles = Vec::with_capacity(CONTENDERS);
            for _ in 0..CONTENDERS {
                let sem = sem.clone();
                handles.push(csp::go(async move {
                    let ctx = context::background();
                    for _ in 0..ACQUIRES_PER_CONTENDER {
                        sem.acquire(&ctx, 1).await.unwrap();
                        sem.release(1).unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
        })
    });
    g.bench_function("tokio::sync::Semaphore", |b| {
        b.to_async(&rt).iter(|| async {
            let sem = Arc::new(tokio::sync::Semaphore::new(1));
            let mut handles = Vec::with_capacity(CONTENDERS);
            for _ in 0..CONTENDERS {
                let sem = sem.clone();
                handles.push(tokio::spawn(async move {
                    for _ in 0..ACQUIRES_PER_CONTENDER {
                        drop(sem.acquire().await.unwrap());
                    }
                }));
            }
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
    targets = with_cancel_and_cancel, cancel_tree, errgroup_10k, semaphore_uncontended,
        semaphore_contended
}
criterion_main!(benches);
