//! The make-a-cake / pack-a-cake pipeline over an unbuffered channel.
//!
//! ```go
//! go func() { for i := 1; i <= 3; i++ { fmt.Println("Making", i); cs <- i } }()
//! for i := 1; i <= 3; i++ { fmt.Println("Packing", <-cs) }
//! ```
//!
//! `cs := make(chan string)` has no buffer, so each send waits until the
//! packer takes the cake: making and packing alternate, and the baker is
//! never more than one cake ahead of the packer (the one in its hands). With
//! `--buffered` the channel holds 3 cakes and the baker runs ahead.
//! Run: `cargo run --example cakes [-- --buffered]`.

use std::sync::{Arc, Mutex as StdMutex};

use csp::prelude::*;

/// Cakes baked by `main`.
pub const CAKES: usize = 5;

/// Lines printed by both goroutines, in the order they happened
/// (Go's `fmt.Println` to one stdout). `echo` also prints each line.
#[derive(Clone)]
struct Log {
    lines: Arc<StdMutex<Vec<String>>>,
    echo: bool,
}

impl Log {
    fn println(&self, line: String) {
        let mut lines = self.lines.lock().expect("log lock");
        if self.echo {
            println!("{line}"); // under the lock, so stdout shows the log's order
        }
        lines.push(line);
    }
}

/// Go's `makeCakeAndSend`: bakes `count` cakes, sends each, then closes `cs`.
async fn make_cakes(cs: Sender<String>, count: usize, log: Log) {
    for i in 1..=count {
        let cake = format!("Strawberry Cake {i}");
        log.println(format!("Making a cake and sending ... {cake}"));
        cs.send(cake).await.expect("the packer takes every cake"); // cs <- cake
    }
    cs.close();
}

/// Go's `receiveCakeAndPack`, ranging until the baker closes the channel.
async fn pack_cakes(cs: Receiver<String>, log: Log) {
    while let Some(cake) = cs.recv().await {
        log.println(format!("Packing received cake: {cake}"));
    }
}

/// Runs the pipeline over a channel of `capacity` (0: unbuffered) and
/// returns the printed lines in order; `echo` prints them as they happen.
pub async fn bake_and_pack(count: usize, capacity: usize, echo: bool) -> Vec<String> {
    let log = Log {
        lines: Arc::default(),
        echo,
    };
    let (tx, rx) = chan(capacity); // cs := make(chan string, capacity)
    go(make_cakes(tx, count, log.clone()));
    pack_cakes(rx, log.clone()).await;
    let lines = log.lines.lock().expect("log lock").clone();
    lines
}

/// How far the baker ran ahead: the most cakes it had started but the
/// packer had not yet packed, seen at each "Packing" line. An unbuffered
/// channel keeps this at most 1; a buffer of `n` allows up to `n + 1`.
pub fn max_ahead(lines: &[String]) -> usize {
    let (mut made, mut packed, mut ahead) = (0, 0, 0);
    for line in lines {
        if line.starts_with("Making") {
            made += 1;
        } else if line.starts_with("Packing") {
            packed += 1;
            ahead = ahead.max(made - packed);
        }
    }
    ahead
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    let buffered = std::env::args().any(|a| a == "--buffered");
    let capacity = if buffered { 3 } else { 0 };
    println!("cs := make(chan string, {capacity})");
    let lines = bake_and_pack(CAKES, capacity, true).await;
    println!(
        "the baker was at most {} cake(s) ahead of the packer",
        max_ahead(&lines)
    );
}
