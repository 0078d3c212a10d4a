//! Two goroutines each wait to receive from the other, and main waits for
//! them on a third channel: all three are asleep.
//!
//! ```go
//! func main() {
//!     a, b, done := make(chan int), make(chan int), make(chan bool)
//!     go func() { v := <-a; b <- v; done <- true }()
//!     go func() { v := <-b; a <- v; done <- true }()
//!     <-done
//! }
//! ```
//!
//! Go: `goroutine 1 [chan receive]:` plus one `[chan receive]` block per
//! goroutine, exit status 2; csp the same. Run: `cargo run --example deadlock_pair`.

use csp::prelude::*;

/// The program; `pub` so tests/deadlock.rs can run it in a child process.
#[csp::main]
pub async fn main() {
    let (a_tx, a_rx) = csp::chan::<i32>(0);
    let (b_tx, b_rx) = csp::chan::<i32>(0);
    let (done_tx, done_rx) = csp::chan::<bool>(0);
    let done2 = done_tx.clone();
    let a_tx2 = a_tx.clone();
    let b_tx2 = b_tx.clone();
    go(async move {
        let v = a_rx.recv().await.unwrap();
        b_tx2.send(v).await.unwrap();
        done_tx.send(true).await.unwrap();
    });
    go(async move {
        let v = b_rx.recv().await.unwrap();
        a_tx2.send(v).await.unwrap();
        done2.send(true).await.unwrap();
    });
    done_rx.recv().await;
    println!("unreachable: neither goroutine can start");
}
