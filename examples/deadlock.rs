//! The smallest deadlock: main sends on an unbuffered channel nobody reads.
//!
//! ```go
//! func main() {
//!     ch := make(chan int)
//!     ch <- 1
//! }
//! ```
//!
//! Go prints `fatal error: all goroutines are asleep - deadlock!` and
//! `goroutine 1 [chan send]:`, and exits with status 2; so does csp.
//! Run: `cargo run --example deadlock`.

/// The program; `pub` so tests/deadlock.rs can run it in a child process.
#[csp::main]
pub async fn main() {
    let (tx, _rx) = csp::chan::<i32>(0);
    tx.send(1).await.unwrap();
    println!("unreachable: nobody receives");
}
