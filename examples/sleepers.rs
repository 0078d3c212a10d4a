//! Goroutines die with main: a short and a slow sleeper, and a main that
//! sleeps in between.
//!
//! ```go
//! go func() { time.Sleep(100 * time.Millisecond); fmt.Println("short sleeper: done") }()
//! go func() { time.Sleep(2 * time.Second); fmt.Println("slow sleeper: done") }()
//! time.Sleep(500 * time.Millisecond) // then main returns: the slow sleeper never prints
//! ```
//!
//! Go does not wait for goroutines when `main` returns, and neither does
//! `#[csp::main]`: the slow sleeper is dropped mid-sleep.
//! Run: `cargo run --example sleepers`.

use std::time::Duration;

use csp::prelude::*;

/// How long the short sleeper sleeps: it wakes while main still runs.
pub const SHORT: Duration = Duration::from_millis(100);
/// How long main sleeps before returning.
pub const MAIN: Duration = Duration::from_millis(500);
/// How long the slow sleeper sleeps: main is gone by then.
pub const SLOW: Duration = Duration::from_secs(2);

async fn sleeper(name: &'static str, d: Duration) {
    println!("{name} sleeper: sleeping {d:?}");
    sleep(d).await;
    println!("{name} sleeper: done");
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    go(sleeper("short", SHORT));
    go(sleeper("slow", SLOW));
    sleep(MAIN).await;
    println!("main: returning with {} goroutines alive", num_goroutine());
}
