//! Go's tour, "Range and Close": a producer fills a buffered channel and
//! closes it; the consumer ranges over it until the close.
//!
//! ```go
//! c := make(chan int, 10)
//! go fibonacci(cap(c), c) // sends cap(c) numbers, then close(c)
//! for i := range c { fmt.Println(i) }
//! ```
//!
//! Only the sender closes, as in Go; the receiver learns of it when `recv`
//! returns `None` after the buffer drains. Run: `cargo run --example fibonacci`.

use csp::prelude::*;

/// Go's `func fibonacci(n int, c chan int)`: sends the first `n` Fibonacci
/// numbers on `c`, then closes it.
async fn fibonacci(n: usize, c: Sender<u64>) {
    let (mut x, mut y) = (0u64, 1u64);
    for _ in 0..n {
        c.send(x).await.expect("the consumer ranges until close");
        (x, y) = (y, x + y);
    }
    c.close(); // close(c); dropping `c` here would close it too
}

/// Starts the producer on a channel of capacity `n` and ranges over it:
/// returns the numbers in the order received.
pub async fn first(n: usize) -> Vec<u64> {
    let (c, numbers) = chan(n); // c := make(chan int, n)
    go(fibonacci(c.capacity(), c)); // go fibonacci(cap(c), c)
    let mut got = Vec::new();
    while let Some(i) = numbers.recv().await {
        // for i := range c
        got.push(i);
    }
    got
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    for i in first(10).await {
        println!("{i}");
    }
}
