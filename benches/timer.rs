//! Timer channels in a select, per message, against Go (`benches/go/timer`)
//! and against the same loop without a timeout. One goroutine-free loop on
//! the 2-worker runtime; the message channel always has a value ready, as in
//! a per-message timeout whose timeout never fires.
//!
//! 1. `after`: `select { recv(&rx), recv(after(1 s)) }` per message: Go's
//!    `case <-time.After(time.Second)` idiom, a new timer each time.
//! 2. `reset`: one `Timer`, `reset(1 s)` per message, `recv(&t.c)`.
//! 3. `none`: `select { recv(&rx), recv(&never) }`: the same loop without a
//!    timer (the floor).
//!
//! Throughput is per message. Run: `cargo bench --bench timer`.
#![allow(missing_docs)] // `criterion_main!` generates an undocumented `main`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod common;
use common::runtime;

/// Messages per benchmark iteration.
const MSGS: u64 = 4_000;
/// The timeout that never fires.
const TIMEOUT: Duration = Duration::from_secs(1);

async fn with_after() -> u64 {
    let (tx, rx) = csp::chan::<u64>(1);
    let mut got = 0;
    for i in 0..MSGS {
        tx.try_send(i).unwrap();
        csp::select! {
            recv(&rx) => got += 1,
            recv(csp::after(TIMEOUT)) => unreachable!("the message is ready"),
        }
    }
    got
}

async fn with_reset() -> u64 {
    let (tx, rx) = csp::chan::<u64>(1);
    let t = csp::Timer::new(TIMEOUT);
    let mut got = 0;
    for i in 0..MSGS {
        tx.try_send(i).unwrap();
        t.reset(TIMEOUT);
        csp::select! {
            recv(&rx) => got += 1,
            recv(&t.c) => unreachable!("the message is ready"),
        }
    }
    got
}

async fn without_timer() -> u64 {
    let (tx, rx) = csp::chan::<u64>(1);
    let (_never_tx, never) = csp::chan::<u64>(0);
    let mut got = 0;
    for i in 0..MSGS {
        tx.try_send(i).unwrap();
        csp::select! {
            recv(&rx) => got += 1,
            recv(&never) => unreachable!("nobody sends"),
        }
    }
    got
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("timer");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
        .throughput(Throughput::Elements(MSGS));
    macro_rules! case {
        ($name:literal, $f:ident) => {
            g.bench_function(BenchmarkId::new($name, "csp"), |b| {
                b.to_async(&rt).iter(|| async {
                    assert_eq!(tokio::spawn($f()).await.unwrap(), MSGS);
                })
            });
        };
    }
    case!("after", with_after);
    case!("reset", with_reset);
    case!("none", without_timer);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
