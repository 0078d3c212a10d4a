//! Go's tour, "Goroutines" with `runtime.Gosched`, on one worker thread.
//!
//! ```go
//! func say(s string) {
//!     for i := 0; i < 5; i++ {
//!         runtime.Gosched()
//!         fmt.Println(s)
//!     }
//! }
//!
//! func main() {
//!     go say("world")
//!     say("hello")
//! }
//! ```
//!
//! With GOMAXPROCS = 1 main and the goroutine share one thread, so the lines
//! interleave only because `gosched()` yields. Run: `cargo run --example say`.

use csp::prelude::*;

async fn say(s: &'static str) {
    for _ in 0..5 {
        gosched().await;
        println!("{s}");
    }
}

#[csp::main(gomaxprocs = 1)]
async fn main() {
    go(say("world"));
    say("hello").await;
}
