//! What a contended channel costs the *other* goroutines on its runtime.
//!
//! Throughput alone can flatter a channel whose lock puts a worker thread to
//! sleep under contention: the traffic then runs on fewer workers (less
//! cache-line traffic, more messages per second), while every unrelated task
//! queued on the sleeping worker waits. This bench measures both sides in one
//! run, per library: four producers and four consumers on one channel of
//! capacity 1 (then 64) on a 2-worker runtime, and a probe task beside them
//! that yields and records how long it takes to be polled again (Go's
//! scheduling latency). It prints messages moved per second and the probe's
//! latency percentiles.
//!
//! Run: `cargo bench --bench latency`; the Go twin is `benches/go/latency`
//! (`GOMAXPROCS=2 go run main.go`).
#![allow(missing_docs)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::runtime;

/// How long each library's traffic and probe run.
const WINDOW: Duration = Duration::from_millis(1500);
const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;

/// Spawns the traffic for one library: `$make` builds the channel, `$send`
/// and `$recv` move one value (each evaluates to `false` once the channel is
/// closed).
macro_rules! traffic {
    ($stop:expr, $moved:expr, $make:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {{
        let (tx, rx) = $make;
        let mut tasks = Vec::new();
        for _ in 0..PRODUCERS {
            let ($tx, stop) = (tx.clone(), $stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut $v = 0u64;
                while !stop.load(Ordering::Relaxed) && $send {
                    $v += 1;
                }
            }));
        }
        for _ in 0..CONSUMERS {
            let ($rx, moved) = (rx.clone(), $moved.clone());
            tasks.push(tokio::spawn(async move {
                while $recv {
                    moved.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        tasks
    }};
}

/// One library's run: returns (messages per second, sorted probe latencies).
fn run(rt: &tokio::runtime::Runtime, lib: &str, cap: usize) -> (f64, Vec<Duration>) {
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let moved = Arc::new(AtomicU64::new(0));
        let tasks = match lib {
            "csp" => traffic!(
                stop,
                moved,
                csp::chan::<u64>(cap),
                |tx, v| tx.send(v).await.is_ok(),
                |rx| rx.recv().await.is_some()
            ),
            "kanal" => traffic!(
                stop,
                moved,
                kanal::bounded_async::<u64>(cap),
                |tx, v| tx.send(v).await.is_ok(),
                |rx| rx.recv().await.is_ok()
            ),
            "flume" => traffic!(
                stop,
                moved,
                flume::bounded::<u64>(cap),
                |tx, v| tx.send_async(v).await.is_ok(),
                |rx| rx.recv_async().await.is_ok()
            ),
            "async-channel" => traffic!(
                stop,
                moved,
                async_channel::bounded::<u64>(cap),
                |tx, v| tx.send(v).await.is_ok(),
                |rx| rx.recv().await.is_ok()
            ),
            other => unreachable!("unknown library {other}"),
        };
        let start = Instant::now();
        let probe = tokio::spawn(async {
            let mut lats = Vec::new();
            let end = Instant::now() + WINDOW;
            while Instant::now() < end {
                let t = Instant::now();
                tokio::task::yield_now().await;
                lats.push(t.elapsed());
            }
            lats
        });
        let mut lats = probe.await.expect("probe");
        let rate = moved.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.abort();
            let _ = t.await;
        }
        lats.sort_unstable();
        (rate, lats)
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument (as for criterion) is ignored.
    let rt = runtime();
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "4:4, capacity", "Mmsg/s", "probe p50", "p99", "p99.9", "max"
    );
    for cap in [1, 64] {
        for lib in ["csp", "kanal", "flume", "async-channel"] {
            let (rate, lats) = run(&rt, lib, cap);
            let q = |p: f64| lats[((lats.len() - 1) as f64 * p) as usize];
            println!(
                "{:<18} {:>10.2} {:>10.1?} {:>10.1?} {:>10.1?} {:>10.1?}",
                format!("{lib}/cap{cap}"),
                rate / 1e6,
                q(0.5),
                q(0.99),
                q(0.999),
                lats[lats.len() - 1],
            );
        }
    }
}
