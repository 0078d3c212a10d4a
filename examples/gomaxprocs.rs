//! Go's runtime queries: GOMAXPROCS, NumCPU, NumGoroutine.
//!
//! ```go
//! func main() {
//!     fmt.Println("GOMAXPROCS:", runtime.GOMAXPROCS(0))
//!     fmt.Println("NumCPU:", runtime.NumCPU())
//!     fmt.Println("NumGoroutine:", runtime.NumGoroutine())
//! }
//! ```
//!
//! Run: `GOMAXPROCS=3 cargo run --example gomaxprocs`.

use csp::prelude::*;

#[csp::main]
async fn main() {
    println!("GOMAXPROCS: {}", gomaxprocs());
    println!("NumCPU: {}", num_cpu());
    println!("NumGoroutine: {}", num_goroutine());
}
