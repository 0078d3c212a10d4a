//! A tour of csp: Go's concurrency model on async Rust, one short section
//! per idiom, each printing what it shows.
//!
//! ```go
//! go f(x); ch := make(chan int); ch <- v; v, ok := <-ch; close(ch); for v := range ch {}
//! select { case v := <-ch: ...; case <-time.After(d): ... }; wg.Add(1); wg.Done(); wg.Wait()
//! ```
//!
//! Run: `cargo run --example tour`.

use std::time::Duration;

use csp::prelude::*;

/// `go f(x)`: a goroutine runs concurrently; its handle may be dropped or awaited.
async fn goroutines() {
    println!("== goroutines");
    let squares: Vec<_> = (1..=4u64).map(|i| go(async move { i * i })).collect();
    let mut total = 0;
    for handle in squares {
        total += handle.await.expect("goroutine finished");
    }
    println!("4 goroutines squared 1..=4; the squares sum to {total}");
}

/// `make(chan T)`: a send waits for a receiver, so the two goroutines meet.
async fn unbuffered() {
    println!("== unbuffered channel: send and receive meet");
    let (ping, pings) = chan::<&str>(0);
    let (pong, pongs) = chan::<&str>(0);
    go(async move {
        while let Some(msg) = pings.recv().await {
            println!("  player got {msg:?}, answers \"pong\"");
            if pong.send("pong").await.is_err() {
                return;
            }
        }
    });
    for _ in 0..2 {
        ping.send("ping").await.expect("the player listens");
        let reply = pongs.recv().await.expect("the player answers");
        println!("  main got {reply:?}");
    }
}

/// `make(chan T, n)`: sends complete without a receiver until the buffer is full.
async fn buffered() {
    println!("== buffered channel: len and cap");
    let (tx, rx) = chan::<u32>(3);
    for i in 1..=3 {
        tx.send(i).await.expect("room in the buffer"); // nobody receives yet
    }
    println!(
        "  3 sends, no receiver: len={} cap={}",
        tx.len(),
        tx.capacity()
    );
    let full = tx.try_send(4).unwrap_err();
    println!(
        "  a 4th would wait: try_send says \"{full}\" and gives back {}",
        full.into_inner()
    );
    println!("  FIFO: {:?} first", rx.recv().await);
}

/// `select` with a `time.After` case: whichever is ready first wins.
async fn selecting() {
    println!("== select with a timeout");
    for timeout in [Duration::from_millis(500), Duration::from_millis(5)] {
        let (tx, rx) = chan::<&str>(0);
        go(async move {
            sleep(Duration::from_millis(20)).await;
            let _ = tx.send("reply after 20ms").await; // fails if nobody waits any more
        });
        select! {
            recv(&rx) -> msg => println!("  waiting up to {timeout:?}: got {msg:?}"),
            recv(after(timeout)) => println!("  waiting up to {timeout:?}: timed out"),
        }
    }
}

/// `sync.WaitGroup`: wait until every goroutine called `Done`.
async fn waitgroup() {
    println!("== WaitGroup");
    let wg = WaitGroup::new();
    let results = std::sync::Arc::new(Mutex::new(Vec::new()));
    for id in 1..=3 {
        wg.add(1);
        let (wg, results) = (wg.clone(), results.clone());
        go(async move {
            sleep(Duration::from_millis(10 * (4 - id))).await;
            results.lock().await.push(id); // last started finishes first
            wg.done();
        });
    }
    wg.wait().await;
    println!(
        "  all 3 workers done, in finishing order {:?}",
        results.lock().await
    );
}

/// `runtime.Gosched()`: on one worker thread, goroutines interleave only at yields.
async fn yielding() {
    println!("== gosched (GOMAXPROCS={})", gomaxprocs());
    let other = go(async {
        for i in 0..3 {
            println!("  world {i}");
            gosched().await;
        }
    });
    for i in 0..3 {
        println!("  hello {i}");
        gosched().await;
    }
    other.await.expect("world finished");
}

/// `close(ch)` and `for v := range ch`: the receiver drains, then sees the close.
async fn close_and_range() {
    println!("== close and range");
    let (tx, rx) = chan::<u64>(10);
    go(async move {
        let (mut a, mut b) = (0, 1);
        for _ in 0..10 {
            tx.send(a).await.expect("main ranges until close");
            (a, b) = (b, a + b);
        }
        tx.close(); // or just let `tx` drop
    });
    let mut fib = Vec::new();
    while let Some(n) = rx.recv().await {
        fib.push(n);
    }
    println!("  received until close: {fib:?}");
    println!(
        "  after close: recv() = {:?} (Go: v, ok = 0, false)",
        rx.recv().await
    );
}

/// The whole tour, in order.
pub async fn tour() {
    goroutines().await;
    unbuffered().await;
    buffered().await;
    selecting().await;
    waitgroup().await;
    yielding().await;
    close_and_range().await;
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main(gomaxprocs = 1)]
pub async fn main() {
    tour().await;
    // Go's exit semantics: this goroutine never finishes, and the program ends anyway.
    go(async {
        loop {
            gosched().await;
        }
    });
    println!(
        "== main returns with {} goroutines alive: the program ends",
        num_goroutine()
    );
}
