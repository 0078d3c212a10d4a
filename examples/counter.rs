//! The shared counter that is racy in Go, made correct three ways.
//!
//! Go, racy (`go run -race` flags it, and the total comes out short):
//! ```go
//! for i := 0; i < 100; i++ { wg.Add(1); go func() { defer wg.Done(); for j := 0; j < 1000; j++ { n++ } }() }
//! ```
//! Go's fixes: `mu.Lock(); n++; mu.Unlock()`, `atomic.AddInt64(&n, 1)`, or
//! "share memory by communicating": one goroutine owns `n` and serves
//! increments and reads over a channel. Rust will not compile the racy
//! version (`n += 1` on shared memory); here are the three fixes in csp.
//!
//! Run: `cargo run --example counter`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use csp::{chan, go, Mutex, Sender, WaitGroup};

/// Goroutines incrementing the counter.
pub const GOROUTINES: usize = 100;
/// Increments per goroutine.
pub const INCREMENTS: usize = 1_000;

/// Fix 1, Go's `sync.Mutex`: `mu.Lock(); n++; mu.Unlock()`.
pub async fn with_mutex() -> usize {
    let n = Arc::new(Mutex::new(0usize));
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let n = n.clone();
        wg.go(async move {
            for _ in 0..INCREMENTS {
                *n.lock().await += 1; // the guard unlocks at the end of the statement
            }
        });
    }
    wg.wait().await;
    let total = *n.lock().await;
    total
}

/// Fix 2, Go's `sync/atomic`: `atomic.AddInt64(&n, 1)`.
pub async fn with_atomic() -> usize {
    let n = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let n = n.clone();
        wg.go(async move {
            for _ in 0..INCREMENTS {
                n.fetch_add(1, Ordering::Relaxed); // a counter needs no ordering
            }
        });
    }
    wg.wait().await;
    n.load(Ordering::Relaxed)
}

/// A request to the goroutine that owns the count.
enum Op {
    /// `n++`
    Inc,
    /// Read `n`; the reply goes back on the channel inside.
    Get(Sender<usize>),
}

/// Fix 3, "share memory by communicating": one goroutine owns `n`.
pub async fn with_channel() -> usize {
    let (ops, requests) = chan::<Op>(64);
    // The owner: the only code that ever touches `n`.
    let owner = go(async move {
        let mut n = 0usize;
        while let Some(op) = requests.recv().await {
            match op {
                Op::Inc => n += 1,
                Op::Get(reply) => {
                    let _ = reply.send(n).await;
                }
            }
        }
    });
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let ops = ops.clone();
        wg.go(async move {
            for _ in 0..INCREMENTS {
                let _ = ops.send(Op::Inc).await;
            }
        });
    }
    wg.wait().await;
    let (reply_tx, reply_rx) = chan(0);
    if ops.send(Op::Get(reply_tx)).await.is_err() {
        panic!("the owner goroutine is gone");
    }
    let total = reply_rx.recv().await.expect("owner replies");
    drop(ops); // closes the channel: the owner's loop ends
    owner.await.expect("owner finished");
    total
}

#[allow(dead_code)] // `tests/counter.rs` includes this file for the functions only.
#[csp::main]
async fn main() {
    let want = GOROUTINES * INCREMENTS;
    println!("want    {want}");
    println!("mutex   {}", with_mutex().await);
    println!("atomic  {}", with_atomic().await);
    println!("channel {}", with_channel().await);
}
