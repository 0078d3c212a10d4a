//! A buffered channel deadlocks once the buffer is full.
//!
//! ```go
//! func main() {
//!     ch := make(chan int, 1)
//!     ch <- 1 // fills the buffer
//!     ch <- 2 // blocks forever
//! }
//! ```
//!
//! Go: `fatal error: all goroutines are asleep - deadlock!`,
//! `goroutine 1 [chan send]:`, exit status 2; csp the same.
//! Run: `cargo run --example deadlock_buffered`.

/// The program; `pub` so tests/deadlock.rs can run it in a child process.
#[csp::main]
pub async fn main() {
    let (tx, _rx) = csp::chan::<i32>(1);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    println!("unreachable: the buffer holds one value");
}
