//! Go's tour "Range and Close", with the `close` forgotten: `range` never ends.
//!
//! ```go
//! func fibonacci(n int, c chan int) {
//!     x, y := 0, 1
//!     for i := 0; i < n; i++ {
//!         c <- x
//!         x, y = y, x+y
//!     }
//!     // close(c) forgotten
//! }
//!
//! func main() {
//!     c := make(chan int, 10)
//!     go fibonacci(cap(c), c)
//!     for i := range c {
//!         fmt.Println(i)
//!     }
//! }
//! ```
//!
//! Prints ten numbers, then Go reports `goroutine 1 [chan receive]:` in a
//! deadlock (the producer has returned); csp the same, exit status 2.
//! Run: `cargo run --example deadlock_fib`.

use csp::prelude::*;
use csp::Sender;

async fn fibonacci(n: usize, c: Sender<u64>) {
    let (mut x, mut y) = (0, 1);
    for _ in 0..n {
        c.send(x).await.unwrap();
        (x, y) = (y, x + y);
    }
    // c.close() forgotten.
    drop(c);
}

/// The program; `pub` so tests/deadlock.rs can run it in a child process.
#[csp::main]
pub async fn main() {
    // As in Go, main holds the channel too (`tx` lives to the end of main),
    // so the producer's end going away does not close it: only `close` would.
    let (tx, rx) = csp::chan::<u64>(10);
    go(fibonacci(rx.capacity(), tx.clone()));
    while let Some(i) = rx.recv().await {
        println!("{i}");
    }
    println!("unreachable: the channel is never closed");
}
