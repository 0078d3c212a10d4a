//! A tour of csp, the Go concurrency model on async Rust.
//!
//! Sections so far: goroutines, `gosched`, `blocking`, runtime queries.
//! (Channels, select and WaitGroup join this tour as they land.)
//! Run: `cargo run --example tour`.

use std::time::Duration;

use csp::prelude::*;

/// Go: `go f(x)` — a goroutine runs concurrently; its handle is optional.
async fn goroutines() {
    println!("== goroutines");
    let squares: Vec<_> = (1..=4u64).map(|i| go(async move { i * i })).collect();
    let mut total = 0;
    for handle in squares {
        total += handle.await.expect("goroutine finished");
    }
    println!("sum of squares 1..=4 computed by 4 goroutines: {total}");
}

/// Go: `runtime.Gosched()` — yield so others on the same thread can run.
async fn yielding() {
    println!("== gosched");
    let rt_workers = gomaxprocs();
    let ping = go(async {
        for i in 0..3 {
            println!("  ping {i}");
            gosched().await;
        }
    });
    for i in 0..3 {
        println!("  pong {i}");
        gosched().await;
    }
    ping.await.expect("ping finished");
    println!("(interleaving depends on GOMAXPROCS = {rt_workers})");
}

/// Go hands its P to another thread during a blocking syscall; csp needs `blocking`.
async fn blocking_calls() {
    println!("== blocking");
    let slow = blocking(|| {
        std::thread::sleep(Duration::from_millis(50));
        "slept 50 ms off the workers"
    });
    let quick = go(async { "goroutines kept running meanwhile" });
    println!("  {}", quick.await.expect("quick finished"));
    println!("  {}", slow.await);
}

/// Go: `runtime.NumGoroutine()`, `runtime.GOMAXPROCS(0)`.
async fn queries() {
    println!("== runtime queries");
    let parked: Vec<_> = (0..3)
        .map(|_| go(tokio::time::sleep(Duration::from_millis(100))))
        .collect();
    println!(
        "  GOMAXPROCS={} NumCPU={} NumGoroutine={} (main + 3 sleepers)",
        gomaxprocs(),
        num_cpu(),
        num_goroutine()
    );
    for g in csp::goroutines() {
        println!("  goroutine {} spawned at {}", g.id, g.spawned_at);
    }
    for p in parked {
        p.await.expect("sleeper finished");
    }
}

#[csp::main]
async fn main() {
    goroutines().await;
    yielding().await;
    blocking_calls().await;
    queries().await;
    // Go's exit semantics: this goroutine is still running when main returns,
    // and the program ends anyway.
    go(async {
        loop {
            gosched().await;
        }
    });
    println!("main returns; the endless goroutine does not keep the program alive");
}
