//! A WaitGroup waits for three workers, but one of them forgets `done()`:
//! `wait` never returns.
//!
//! ```go
//! func main() {
//!     var wg sync.WaitGroup
//!     wg.Add(3)
//!     for i := 0; i < 3; i++ {
//!         go func(i int) { if i != 1 { defer wg.Done() } }(i)
//!     }
//!     wg.Wait()
//! }
//! ```
//!
//! Go: `goroutine 1 [semacquire]:` (csp names it `sync.WaitGroup.Wait`),
//! exit status 2. Run: `cargo run --example deadlock_waitgroup`.

use csp::prelude::*;

/// The program; `pub` so tests/deadlock.rs can run it in a child process.
#[csp::main]
pub async fn main() {
    let wg = WaitGroup::new();
    wg.add(3);
    for i in 0..3 {
        let wg = wg.clone();
        go(async move {
            if i != 1 {
                wg.done(); // worker 1 forgets
            }
        });
    }
    wg.wait().await;
    println!("unreachable: one done() is missing");
}
