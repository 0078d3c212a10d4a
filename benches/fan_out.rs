//! Goroutines that run to completion at once, against `tokio::spawn` of the
//! same future: fan-outs of [`FAN_OUT`] goroutines, each of which counts
//! down and returns, spawned from a task (on csp's runtime, from the main
//! goroutine) and joined by the cheapest possible join (`common::Countdown`:
//! one atomic per goroutine, one wake-up).
//!
//! `csp::go` and `tokio::spawn` alternate iteration by iteration in one
//! process, so both see the same machine: on a noisy VM the criterion rows
//! of `benches/sync.rs` (`fan_out_10k_parts`) drift too much between rows to
//! give a ratio. Each iteration is measured twice: wall time, and the CPU
//! time of the whole process (both workers, allocator and kernel time
//! included), which a busy host disturbs far less than the wall clock. This
//! is the cost of a goroutine's registry entry when it is registered and
//! removed at once (`benches/goroutines.rs` measures parked goroutines:
//! spawn time, resident bytes, teardown). The system allocator, uncounted:
//! where blocks are freed is part of what is measured.
//!
//! Run: `cargo bench --bench fan_out` (`CSP_FAN_OUT_ITERS`, default 200
//! iterations of each kind per runtime). Prints ns per goroutine, medians
//! and quartiles, and the ratio of the medians.
#![allow(missing_docs)]

use std::time::Instant;

mod common;
use common::{process_cpu_ns, runtime, Countdown};

/// Goroutines per fan-out.
const FAN_OUT: usize = 10_000;

/// What one fan-out cost per goroutine: wall ns and process CPU ns.
#[derive(Clone, Copy)]
struct Cost {
    wall: f64,
    cpu: f64,
}

/// One fan-out spawned with `csp::go` (`with_csp`) or `tokio::spawn`, run
/// to its join.
async fn fan_out(with_csp: bool) -> Cost {
    let countdown = Countdown::new(FAN_OUT);
    let cpu = process_cpu_ns();
    let start = Instant::now();
    for _ in 0..FAN_OUT {
        let countdown = countdown.clone();
        let body = async move { countdown.done() };
        if with_csp {
            drop(csp::go(body));
        } else {
            drop(tokio::spawn(body));
        }
    }
    countdown.wait().await;
    let wall = start.elapsed().as_nanos() as f64;
    let cpu = (process_cpu_ns() - cpu) as f64;
    Cost {
        wall: wall / FAN_OUT as f64,
        cpu: cpu / FAN_OUT as f64,
    }
}

/// `iters` fan-outs of each kind, alternating: ns per goroutine of every
/// iteration, `csp::go`'s and `tokio::spawn`'s.
async fn alternate(iters: usize) -> (Vec<Cost>, Vec<Cost>) {
    let (mut with_csp, mut with_tokio) = (Vec::new(), Vec::new());
    for _ in 0..iters {
        with_csp.push(fan_out(true).await);
        with_tokio.push(fan_out(false).await);
    }
    (with_csp, with_tokio)
}

/// Median, first and third quartile.
fn quartiles(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: usize| xs[(xs.len() - 1) * q / 4];
    (at(2), at(1), at(3))
}

fn main() {
    // `cargo bench` passes `--bench`; this bench takes no arguments.
    let iters = std::env::var("CSP_FAN_OUT_ITERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(200)
        .max(1);
    let on_csp = csp::Runtime::builder()
        .gomaxprocs(2)
        .build()
        .expect("csp runtime")
        .run(alternate(iters));
    let on_tokio = runtime()
        .block_on(async move { tokio::spawn(alternate(iters)).await.expect("fan-out task") });
    println!(
        "{FAN_OUT} goroutines that run to completion at once, spawned from a task and joined; \
         {iters} iterations of each, alternating"
    );
    println!(
        "| runtime (2 workers) | measure | csp::go ns (p25-p75) | tokio::spawn ns (p25-p75) | csp / tokio |"
    );
    println!("|---|---|---:|---:|---:|");
    for (runtime, (with_csp, with_tokio)) in [("csp's", on_csp), ("plain Tokio", on_tokio)] {
        for (measure, of) in [
            ("wall", (|c: &Cost| c.wall) as fn(&Cost) -> f64),
            ("process CPU", |c: &Cost| c.cpu),
        ] {
            let (c, c1, c3) = quartiles(with_csp.iter().map(of).collect());
            let (t, t1, t3) = quartiles(with_tokio.iter().map(of).collect());
            println!(
                "| {runtime} | {measure} | {c:.0} ({c1:.0}-{c3:.0}) | {t:.0} ({t1:.0}-{t3:.0}) | {:.2} |",
                c / t
            );
        }
    }
}
