//! `select {}` blocks forever; with no other goroutine, that is a deadlock.
//!
//! ```go
//! func main() {
//!     select {}
//! }
//! ```
//!
//! Go: `fatal error: all goroutines are asleep - deadlock!` and
//! `goroutine 1 [select (no cases)]:`, exit status 2; csp the same.
//! Run: `cargo run --example deadlock_select`.

/// The program; `pub` so tests/deadlock.rs can run it in a child process.
#[csp::main]
pub async fn main() {
    csp::select! {}
}
