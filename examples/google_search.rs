//! Rob Pike's "Go Concurrency Patterns" (Google I/O 2012), Google Search 1.0
//! to 3.0: sequential, then concurrent, then with a timeout, then replicated
//! backends where the first answer wins, the timeout being a context.
//!
//! ```go
//! func Google(query string) (results []Result) {     // 3.0
//!     c := make(chan Result)
//!     go func() { c <- First(query, Web1, Web2) }()
//!     go func() { c <- First(query, Image1, Image2) }()
//!     go func() { c <- First(query, Video1, Video2) }()
//!     timeout := time.After(80 * time.Millisecond)
//!     for i := 0; i < 3; i++ {
//!         select {
//!         case result := <-c:
//!             results = append(results, result)
//!         case <-timeout:
//!             fmt.Println("timed out")
//!             return
//!         }
//!     }
//!     return
//! }
//!
//! func First(query string, replicas ...Search) Result {
//!     c := make(chan Result)
//!     searchReplica := func(i int) { c <- replicas[i](query) }
//!     for i := range replicas {
//!         go searchReplica(i)
//!     }
//!     return <-c
//! }
//! ```
//!
//! The fake backends sleep a latency drawn from a generator seeded with the
//! backend's name, so every run sees the same latencies and prints the same
//! results; a backend also stops early when its context is cancelled (the
//! losing replicas of `first` and everything still running at the timeout).
//! Run: `cargo run --example google_search`.

use std::time::Duration;

use csp::context::{self, Context};
use csp::prelude::*;

/// Google 2.1 and 3.0 give up after this long.
pub const TIMEOUT: Duration = Duration::from_millis(80);

/// A search backend: its kind and replica name.
#[derive(Clone, Copy, Debug)]
pub struct Backend {
    /// `web`, `image` or `video`.
    pub kind: &'static str,
    /// The replica's name, which seeds its latency.
    pub name: &'static str,
}

/// Mixed into every backend's seed; chosen so that one plain backend is
/// slower than [`TIMEOUT`] and every replica pair has a clear winner.
pub const SEED: &str = "#48";

/// The latency of `backend`: 0-99 ms, from a generator seeded with its name
/// and [`SEED`] (Pike's `rand.Intn(100)`, made repeatable).
pub fn latency(backend: Backend) -> Duration {
    let mut seed = 0xcbf2_9ce4_8422_2325u64; // FNV-1a of the name
    for b in backend.name.bytes().chain(SEED.bytes()) {
        seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    seed ^= seed >> 33;
    seed = seed.wrapping_mul(0xff51_afd7_ed55_8ccd);
    seed ^= seed >> 33;
    Duration::from_millis(seed % 100)
}

/// Runs a fake search: its result after its latency, or `None` if `ctx` is
/// done first.
pub async fn search(ctx: &Context, backend: Backend, query: &str) -> Option<String> {
    select! {
        recv(after(latency(backend))) -> _ => {
            Some(format!("{} result for {query:?} ({})", backend.kind, backend.name))
        }
        recv(ctx.done()) -> _ => None,
    }
}

const WEB: Backend = Backend {
    kind: "web",
    name: "web",
};
const IMAGE: Backend = Backend {
    kind: "image",
    name: "image",
};
const VIDEO: Backend = Backend {
    kind: "video",
    name: "video",
};
const REPLICAS: [[Backend; 2]; 3] = [
    [
        Backend {
            kind: "web",
            name: "web1",
        },
        Backend {
            kind: "web",
            name: "web2",
        },
    ],
    [
        Backend {
            kind: "image",
            name: "image1",
        },
        Backend {
            kind: "image",
            name: "image2",
        },
    ],
    [
        Backend {
            kind: "video",
            name: "video1",
        },
        Backend {
            kind: "video",
            name: "video2",
        },
    ],
];

/// Google Search 1.0: one backend after the other.
pub async fn google_1_0(query: &str) -> Vec<String> {
    let ctx = context::background();
    let mut results = Vec::new();
    for backend in [WEB, IMAGE, VIDEO] {
        results.extend(search(&ctx, backend, query).await);
    }
    results
}

/// Starts `backends` concurrently, each sending its result on the returned
/// channel.
fn fan_in(ctx: &Context, query: &str, backends: [Backend; 3]) -> Receiver<String> {
    let (tx, rx) = chan(0);
    for backend in backends {
        let (tx, ctx, query) = (tx.clone(), ctx.clone(), query.to_owned());
        go(async move {
            if let Some(result) = search(&ctx, backend, &query).await {
                select! {
                    send(&tx, result) -> _ => {},
                    recv(ctx.done()) -> _ => {},
                }
            }
        });
    }
    rx
}

/// Google Search 2.0: all three at once, results in arrival order.
pub async fn google_2_0(query: &str) -> Vec<String> {
    let ctx = context::background();
    let c = fan_in(&ctx, query, [WEB, IMAGE, VIDEO]);
    let mut results = Vec::new();
    while let Some(result) = c.recv().await {
        results.push(result);
    }
    results
}

/// Google Search 2.1: as 2.0, but whatever has not answered within
/// [`TIMEOUT`] is left out (and cancelled).
pub async fn google_2_1(query: &str) -> Vec<String> {
    let (ctx, _cancel) = context::with_timeout(&context::background(), TIMEOUT);
    collect(&ctx, fan_in(&ctx, query, [WEB, IMAGE, VIDEO])).await
}

/// Receives up to three results until `ctx` is done.
async fn collect(ctx: &Context, c: Receiver<String>) -> Vec<String> {
    let mut results = Vec::new();
    for _ in 0..3 {
        select! {
            recv(&c) -> result => match result {
                Some(result) => results.push(result),
                None => break,
            },
            recv(ctx.done()) -> _ => {
                results.push("timed out".to_owned());
                break;
            }
        }
    }
    results
}

/// Pike's `First`: asks every replica, returns the first answer and
/// cancels the others.
pub async fn first(ctx: &Context, query: &str, replicas: [Backend; 2]) -> Option<String> {
    let (ctx, _cancel) = context::with_cancel(ctx); // the losers stop when this returns
    let (tx, rx) = chan(replicas.len());
    for backend in replicas {
        let (tx, ctx, query) = (tx.clone(), ctx.clone(), query.to_owned());
        go(async move {
            if let Some(result) = search(&ctx, backend, &query).await {
                let _ = tx.try_send(result);
            }
        });
    }
    drop(tx);
    rx.recv().await
}

/// Google Search 3.0: replicated backends, first answer wins, all within
/// [`TIMEOUT`].
pub async fn google_3_0(query: &str) -> Vec<String> {
    let (ctx, _cancel) = context::with_timeout(&context::background(), TIMEOUT);
    let (tx, c) = chan(0);
    for replicas in REPLICAS {
        let (tx, ctx, query) = (tx.clone(), ctx.clone(), query.to_owned());
        go(async move {
            if let Some(result) = first(&ctx, &query, replicas).await {
                select! {
                    send(&tx, result) -> _ => {},
                    recv(ctx.done()) -> _ => {},
                }
            }
        });
    }
    drop(tx);
    collect(&ctx, c).await
}

#[csp::main]
async fn main() {
    let query = "golang";
    for (version, results) in [
        ("1.0", google_1_0(query).await),
        ("2.0", google_2_0(query).await),
        ("2.1", google_2_1(query).await),
        ("3.0", google_3_0(query).await),
    ] {
        println!("Google Search {version}:");
        for result in results {
            println!("  {result}");
        }
    }
}
