//! Goroutines are cheap: start 100,000 (1,000,000 with `--million`), hold
//! them all alive at once, then join them; print time and memory per goroutine.
//!
//! ```go
//! for i := 0; i < n; i++ { wg.Add(1); go func() { defer wg.Done(); <-gate }() }
//! close(gate); wg.Wait()
//! ```
//!
//! Memory is the growth of the resident set (`VmRSS` in `/proc/self/status`)
//! while every goroutine is parked on `gate`; where that file does not exist
//! the memory lines say so. Build with `--release` for numbers worth quoting.
//! Run: `cargo run --release --example many_goroutines [-- --million]`.

use csp::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use csp::prelude::*;

/// Goroutines started by default.
pub const DEFAULT: usize = 100_000;
/// Goroutines started with `--million`.
pub const MILLION: usize = 1_000_000;

/// What one run measured.
#[derive(Debug)]
pub struct Stats {
    /// Goroutines started.
    pub n: usize,
    /// Goroutines that ran to the end (must equal `n`).
    pub joined: usize,
    /// Goroutines alive at once, main included, while all were parked.
    pub peak_goroutines: usize,
    /// Time to start all `n`.
    pub start: Duration,
    /// Time from `close(gate)` until `wg.Wait()` returned.
    pub join: Duration,
    /// Resident-set growth in bytes while all were alive, if measurable.
    pub rss_growth: Option<u64>,
}

/// The resident set size in bytes, from `VmRSS` in `/proc/self/status`;
/// `None` where that file is missing (not Linux) or unreadable.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts `n` goroutines that park on one gate channel, measures, closes
/// the gate and joins them all with a WaitGroup.
pub async fn spawn_and_join(n: usize) -> Stats {
    let rss_before = rss_bytes();
    let (gate_tx, gate) = chan::<()>(0);
    let finished = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    let started = Instant::now();
    for _ in 0..n {
        wg.add(1);
        let (wg, gate, finished) = (wg.clone(), gate.clone(), finished.clone());
        go(async move {
            gate.recv().await; // returns `None` once main closes the gate
            finished.fetch_add(1, Ordering::Relaxed);
            wg.done();
        });
    }
    let start = started.elapsed();
    drop(gate);
    let peak_goroutines = num_goroutine();
    let rss_growth = rss_before
        .zip(rss_bytes())
        .map(|(a, b)| b.saturating_sub(a));

    let released = Instant::now();
    gate_tx.close(); // close(gate): every goroutine wakes
    wg.wait().await;
    let join = released.elapsed();
    Stats {
        n,
        joined: finished.load(Ordering::Relaxed),
        peak_goroutines,
        start,
        join,
        rss_growth,
    }
}

fn per(d: Duration, n: usize) -> Duration {
    d / u32::try_from(n.max(1)).unwrap_or(u32::MAX)
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    let n = if std::env::args().any(|a| a == "--million") {
        MILLION
    } else {
        DEFAULT
    };
    let s = spawn_and_join(n).await;
    println!(
        "goroutines: {} started, {} alive at peak, {} joined",
        s.n,
        s.peak_goroutines - 1,
        s.joined
    );
    println!("start: {:?} ({:?} per goroutine)", s.start, per(s.start, n));
    println!("join:  {:?} ({:?} per goroutine)", s.join, per(s.join, n));
    match s.rss_growth {
        Some(bytes) => println!(
            "memory: {:.1} MiB resident growth ({} bytes per goroutine)",
            bytes as f64 / (1024.0 * 1024.0),
            bytes / n as u64
        ),
        None => println!("memory: unavailable (no /proc/self/status)"),
    }
}
