//! The concurrent prime sieve from Go's documentation: a daisy chain of
//! filter goroutines, one per prime found.
//!
//! ```go
//! go Generate(ch)                           // 2, 3, 4, ... on ch
//! prime := <-ch; ch1 := make(chan int)
//! go Filter(ch, ch1, prime); ch = ch1      // drop multiples of prime
//! ```
//!
//! In Go the chain leaks until main exits; here, when main drops the last
//! channel, each goroutine's send fails in turn and the chain unwinds.
//! Run: `cargo run --example prime_sieve`.

use csp::prelude::*;

/// Primes printed by `main`.
pub const PRIMES: usize = 100;

/// Go's `Generate`: sends 2, 3, 4, ... until nobody listens.
async fn generate(ch: Sender<u64>) {
    for i in 2.. {
        if ch.send(i).await.is_err() {
            return; // the receiver is gone: the sieve is finished
        }
    }
}

/// Go's `Filter`: copies values from `input` to `output`, dropping multiples of `prime`.
async fn filter(input: Receiver<u64>, output: Sender<u64>, prime: u64) {
    while let Some(i) = input.recv().await {
        if i % prime != 0 && output.send(i).await.is_err() {
            return; // dropping `input` tells the goroutine upstream
        }
    }
}

/// The first `n` primes, found by a chain of `n` filter goroutines.
pub async fn primes(n: usize) -> Vec<u64> {
    let (tx, mut ch) = chan(0); // ch := make(chan int)
    go(generate(tx));
    let mut found = Vec::with_capacity(n);
    for _ in 0..n {
        let prime = ch.recv().await.expect("the chain never closes first");
        found.push(prime);
        let (tx1, ch1) = chan(0);
        go(filter(ch, tx1, prime));
        ch = ch1;
    }
    found
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    for prime in primes(PRIMES).await {
        println!("{prime}");
    }
}
