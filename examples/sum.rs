//! Go's tour, "Channels": two goroutines sum the halves of a slice and send
//! their partial sums on one unbuffered channel.
//!
//! ```go
//! c := make(chan int)
//! go sum(s[:len(s)/2], c); go sum(s[len(s)/2:], c)
//! x, y := <-c, <-c // receive from c
//! ```
//!
//! Which half arrives first is up to the scheduler, as in Go; the total is
//! not. Run: `cargo run --example sum`.

use csp::prelude::*;

/// Go's `func sum(s []int, c chan int)`: sends the sum of `s` on `c`.
async fn sum(s: Vec<i64>, c: Sender<i64>) {
    let total = s.iter().sum();
    c.send(total).await.expect("main receives both sums"); // c <- sum
}

/// Sums the two halves of `s` on two goroutines; returns the partial sums in
/// the order they arrived.
pub async fn sum_halves(s: &[i64]) -> (i64, i64) {
    let (c, sums) = chan(0); // c := make(chan int)
    let (left, right) = s.split_at(s.len() / 2);
    go(sum(left.to_vec(), c.clone()));
    go(sum(right.to_vec(), c));
    let x = sums.recv().await.expect("first half");
    let y = sums.recv().await.expect("second half");
    (x, y)
}

/// The tour's slice.
pub const S: [i64; 6] = [7, 2, 8, -9, 4, 0];

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    let (x, y) = sum_halves(&S).await;
    println!("{x} {y} {}", x + y);
}
