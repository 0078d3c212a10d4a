//! A producer/consumer pair with `select` and a timeout, ending cleanly
//! whichever side stops first.
//!
//! ```go
//! select { case v, ok := <-values: if !ok { return } /* use v */ ; case <-time.After(timeout): close(quit); return }
//! select { case values <- v: /* next */ ; case <-quit: return } // the pump
//! ```
//!
//! The pump closes `values` when it has sent everything; a consumer that
//! hears nothing for `TIMEOUT` gives up and closes `quit`, and the pump,
//! waiting in its own select, returns. Either way both goroutines finish and
//! no value is lost. Run: `cargo run --example pump`.

use std::time::Duration;

use csp::prelude::*;

/// The consumer gives up after this long without a value.
pub const TIMEOUT: Duration = Duration::from_millis(200);
/// Values the pump sends.
pub const VALUES: u64 = 10;
/// The pause between two values: well under `TIMEOUT`.
pub const GAP: Duration = Duration::from_millis(10);

/// How the consumer's loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The pump closed `values`: everything was delivered.
    Closed,
    /// Nothing arrived within the timeout: the consumer closed `quit`.
    TimedOut,
}

/// What one run moved.
#[derive(Debug)]
pub struct Report {
    /// The values the consumer received, in order.
    pub received: Vec<u64>,
    /// How many values the pump's sends completed.
    pub sent: u64,
    /// How the consumer stopped.
    pub ended: Ended,
}

/// The producer: sends `0..count`, pausing `GAP` between values, then
/// closes `values`. If `stall_after` is set it goes quiet after that many
/// values (a stuck upstream) until `quit` closes. Returns how many it sent.
async fn pump(
    values: Sender<u64>,
    quit: Receiver<()>,
    count: u64,
    stall_after: Option<u64>,
) -> u64 {
    for v in 0..count {
        if Some(v) == stall_after {
            quit.recv().await; // stuck until the consumer gives up
            return v;
        }
        select! {
            send(&values, v) -> res => res.expect("only the pump closes `values`"),
            recv(&quit) => return v,
        }
        sleep(GAP).await;
    }
    values.close(); // close(values): "that was all"
    count
}

/// Runs the pump and a consumer that selects between the next value and a
/// `timeout`; returns once both have finished.
pub async fn run(count: u64, stall_after: Option<u64>, timeout: Duration) -> Report {
    let (values_tx, values) = chan(0);
    let (quit, quit_rx) = chan::<()>(0);
    let producer = go(pump(values_tx, quit_rx, count, stall_after));
    let mut received = Vec::new();
    let ended = loop {
        select! {
            recv(&values) -> v => match v {
                Some(v) => received.push(v),
                None => break Ended::Closed,
            },
            recv(after(timeout)) => {
                quit.close(); // close(quit): tell the pump to stop
                break Ended::TimedOut;
            }
        }
    };
    let sent = producer.await.expect("the pump returns");
    Report {
        received,
        sent,
        ended,
    }
}

fn print(title: &str, r: &Report) {
    println!("== {title}");
    println!("received {:?}", r.received);
    match r.ended {
        Ended::Closed => println!("values closed: the pump is done"),
        Ended::TimedOut => println!("nothing for {TIMEOUT:?}: closed quit, the pump stopped"),
    }
    println!("sent {}, received {}", r.sent, r.received.len());
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    print("a pump that finishes", &run(VALUES, None, TIMEOUT).await);
    print(
        "a pump that stalls after 4 values",
        &run(VALUES, Some(4), TIMEOUT).await,
    );
    println!("goroutines left: {}", num_goroutine());
}
