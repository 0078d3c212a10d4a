//! The CSP workloads `cargo xtask bench` times, one function per workload.
//!
//! Each is a real CSP program (goroutines talking over channels), with a Go
//! twin in `benches/go/main.go` that does the same work at the same size and
//! prints the same line. The binary `csp-workloads WORKLOAD SIZE` runs one on
//! a runtime with GOMAXPROCS worker threads (the `GOMAXPROCS` variable, else
//! the core count) and prints one [`Report`] as a JSON line.
//!
//! | workload | Go program | size | answer |
//! |---|---|---|---|
//! | `sum` | `go sum(a[i:j], c)` over `GOMAXPROCS*4` pieces, [`SUM_ROUNDS`] times | slice length `n`, `a[i] = i` | `SUM_ROUNDS * n(n-1)/2` |
//! | `workers` | `2*GOMAXPROCS` workers `range` a job channel | jobs | wrapping sum of [`mix`]`(j, WORKER_ITERS)` |
//! | `sieve` | the concurrent prime sieve daisy chain | primes | the last prime |
//! | `pipeline` | fan-out to `2*GOMAXPROCS` stages, fan-in with `select` over two result channels | items | wrapping sum of [`mix`]`(x, PIPELINE_ITERS)` |
//! | `spawn` | `size` goroutines blocked on one channel, released by `close` | goroutines | goroutines released |
//!
//! `elapsed_ns` times the concurrent part only (not building the input);
//! `rss_bytes` is how much the resident set grew over it (for `spawn`: with
//! every goroutine blocked), read from `/proc/self/status` (0 elsewhere).
//!
//! The [`soak`] module is the long-running mixed workload of `cargo xtask
//! soak` (binary `csp-soak`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use csp::{chan, go, gomaxprocs, select, WaitGroup};

pub mod heap;
pub mod soak;

/// Passes the `sum` workload makes over its slice.
pub const SUM_ROUNDS: u64 = 10;
/// Goroutines per GOMAXPROCS in the `sum` workload.
pub const SUM_PIECES_PER_PROC: usize = 4;
/// [`mix`] iterations per job in the `workers` workload.
pub const WORKER_ITERS: u32 = 50_000;
/// [`mix`] iterations per item in the `pipeline` workload.
pub const PIPELINE_ITERS: u32 = 1_000;

/// The workloads, in the order `cargo xtask bench` runs them.
pub const WORKLOADS: [&str; 5] = ["sum", "workers", "sieve", "pipeline", "spawn"];

/// One run's result: the JSON line the binary prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The workload's name, one of [`WORKLOADS`].
    pub workload: &'static str,
    /// GOMAXPROCS the run had.
    pub procs: usize,
    /// Wall time of the concurrent part, in nanoseconds.
    pub elapsed_ns: u64,
    /// The verifiable result (see the table in the crate docs).
    pub answer: u64,
    /// Growth of the resident set over the run, in bytes.
    pub rss_bytes: u64,
}

impl Report {
    /// The report as one JSON object on one line, the format the Go twin
    /// prints too.
    pub fn to_json_line(&self) -> String {
        format!(
            r#"{{"workload":"{}","procs":{},"elapsed_ns":{},"answer":{},"rss_bytes":{}}}"#,
            self.workload, self.procs, self.elapsed_ns, self.answer, self.rss_bytes
        )
    }
}

/// The CPU-bound job of `workers` and `pipeline`: `iters` rounds of a
/// multiply-xorshift mix, a dependent chain no compiler can shortcut.
/// The Go twin implements the same function; `xtask`'s answer check
/// computes it from its definition, independently of this code.
pub fn mix(seed: u64, iters: u32) -> u64 {
    let mut x = seed;
    for i in 0..iters {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 29;
        x = x.wrapping_add(u64::from(i));
    }
    x
}

/// The resident set size from `/proc/self/status` (`VmRSS`), or 0 where
/// there is no such file.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Runs `workload` at `size` in the current csp runtime and reports it.
///
/// # Errors
/// An unknown workload name, or a size of 0.
pub async fn run(workload: &str, size: u64) -> Result<Report, String> {
    if size == 0 {
        return Err("SIZE must be at least 1".into());
    }
    let (name, (elapsed_ns, answer, rss_bytes)) = match workload {
        "sum" => ("sum", sum(size).await),
        "workers" => ("workers", workers(size).await),
        "sieve" => ("sieve", sieve(size).await),
        "pipeline" => ("pipeline", pipeline(size).await),
        "spawn" => ("spawn", spawn(size).await),
        other => {
            return Err(format!(
                "unknown workload {other:?} (known: {})",
                WORKLOADS.join(", ")
            ))
        }
    };
    Ok(Report {
        workload: name,
        procs: gomaxprocs(),
        elapsed_ns,
        answer,
        rss_bytes,
    })
}

/// (elapsed ns, answer, rss growth) of one workload.
type Measured = (u64, u64, u64);

fn since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Go: `for r := 0; r < rounds; r++ { for each piece { go sum(a[lo:hi], c) }; for each piece { total += <-c } }`.
async fn sum(n: u64) -> Measured {
    let data: Arc<Vec<u64>> = Arc::new((0..n).collect());
    let pieces = gomaxprocs() * SUM_PIECES_PER_PROC;
    let len = data.len();
    let rss0 = rss_bytes();
    let start = Instant::now();
    let mut total = 0u64;
    for _ in 0..SUM_ROUNDS {
        let (tx, rx) = chan::<u64>(0);
        for p in 0..pieces {
            let (lo, hi) = (len * p / pieces, len * (p + 1) / pieces);
            let (data, tx) = (data.clone(), tx.clone());
            go(async move {
                let s = data[lo..hi].iter().fold(0u64, |a, &x| a.wrapping_add(x));
                tx.send(s).await.expect("the summer waits for every piece");
            });
        }
        for _ in 0..pieces {
            total = total.wrapping_add(rx.recv().await.expect("a partial sum"));
        }
    }
    (since(start), total, rss_bytes().saturating_sub(rss0))
}

/// Go: a pool of `2*GOMAXPROCS` workers ranging over `jobs`, results on `results`.
async fn workers(jobs: u64) -> Measured {
    let rss0 = rss_bytes();
    let start = Instant::now();
    let (job_tx, job_rx) = chan::<u64>(64);
    let (res_tx, res_rx) = chan::<u64>(64);
    let wg = WaitGroup::new();
    for _ in 0..2 * gomaxprocs() {
        let (job_rx, res_tx) = (job_rx.clone(), res_tx.clone());
        wg.go(async move {
            while let Some(j) = job_rx.recv().await {
                if res_tx.send(mix(j, WORKER_ITERS)).await.is_err() {
                    return;
                }
            }
        });
    }
    drop(job_rx);
    go(async move {
        wg.wait().await;
        res_tx.close();
    });
    go(async move {
        for j in 0..jobs {
            job_tx.send(j).await.expect("workers run until jobs close");
        }
        job_tx.close();
    });
    let mut total = 0u64;
    while let Some(r) = res_rx.recv().await {
        total = total.wrapping_add(r);
    }
    (since(start), total, rss_bytes().saturating_sub(rss0))
}

/// Go's concurrent prime sieve: a generator and one filter goroutine per
/// prime found, chained by unbuffered channels. The chain winds down when
/// main drops the last receiver (each send then fails).
async fn sieve(primes: u64) -> Measured {
    let rss0 = rss_bytes();
    let start = Instant::now();
    let (tx, mut rx) = chan::<u64>(0);
    go(async move {
        let mut i = 2u64;
        while tx.send(i).await.is_ok() {
            i += 1;
        }
    });
    let mut prime = 0;
    for _ in 0..primes {
        prime = rx.recv().await.expect("the generator never stops");
        let (tx1, rx1) = chan::<u64>(0);
        let input = std::mem::replace(&mut rx, rx1);
        go(async move {
            while let Some(i) = input.recv().await {
                if i % prime != 0 && tx1.send(i).await.is_err() {
                    return;
                }
            }
        });
    }
    (since(start), prime, rss_bytes().saturating_sub(rss0))
}

/// Fan-out to `2*GOMAXPROCS` stages, each routing its results to `evens` or
/// `odds`; fan-in by one `select` loop over both, a closed side disabled
/// (Go: set to nil) until both are closed.
async fn pipeline(items: u64) -> Measured {
    let rss0 = rss_bytes();
    let start = Instant::now();
    let (src_tx, src_rx) = chan::<u64>(128);
    let (even_tx, even_rx) = chan::<u64>(128);
    let (odd_tx, odd_rx) = chan::<u64>(128);
    go(async move {
        for x in 0..items {
            src_tx.send(x).await.expect("stages run until src closes");
        }
        src_tx.close();
    });
    let wg = WaitGroup::new();
    for _ in 0..2 * gomaxprocs() {
        let (src_rx, even_tx, odd_tx) = (src_rx.clone(), even_tx.clone(), odd_tx.clone());
        wg.go(async move {
            while let Some(x) = src_rx.recv().await {
                let y = mix(x, PIPELINE_ITERS);
                let out = if y % 2 == 0 { &even_tx } else { &odd_tx };
                out.send(y).await.expect("the collector drains both sides");
            }
        });
    }
    go(async move {
        wg.wait().await;
        even_tx.close();
        odd_tx.close();
    });
    let (mut evens, mut odds) = (Some(even_rx), Some(odd_rx));
    let mut total = 0u64;
    while evens.is_some() || odds.is_some() {
        select! {
            recv(evens.as_ref()) -> v => match v {
                Some(y) => total = total.wrapping_add(y),
                None => evens = None,
            },
            recv(odds.as_ref()) -> v => match v {
                Some(y) => total = total.wrapping_add(y),
                None => odds = None,
            },
        }
    }
    (since(start), total, rss_bytes().saturating_sub(rss0))
}

/// `n` goroutines, each blocked receiving on one channel; timed until all
/// are blocked (the RSS growth is read then); `close` releases them.
async fn spawn(n: u64) -> Measured {
    struct Shared {
        started: AtomicUsize,
        live: AtomicUsize,
        gate: csp::Receiver<()>,
        ready: csp::Sender<()>,
        done: csp::Sender<()>,
    }
    let count = usize::try_from(n).expect("SIZE fits in usize");
    let (gate_tx, gate) = chan::<()>(0);
    let (ready, ready_rx) = chan::<()>(1);
    let (done, done_rx) = chan::<()>(1);
    let shared = Arc::new(Shared {
        started: AtomicUsize::new(0),
        live: AtomicUsize::new(count),
        gate,
        ready,
        done,
    });
    let rss0 = rss_bytes();
    let start = Instant::now();
    for _ in 0..count {
        let s = shared.clone();
        go(async move {
            if s.started.fetch_add(1, Ordering::AcqRel) + 1 == count {
                s.ready.send(()).await.expect("main waits for ready");
            }
            assert!(s.gate.recv().await.is_none(), "the gate only closes");
            if s.live.fetch_sub(1, Ordering::AcqRel) == 1 {
                s.done.send(()).await.expect("main waits for done");
            }
        });
    }
    ready_rx.recv().await.expect("every goroutine started");
    let elapsed = since(start);
    let rss = rss_bytes().saturating_sub(rss0);
    gate_tx.close();
    done_rx.recv().await.expect("every goroutine released");
    let released = count - shared.live.load(Ordering::Acquire);
    (elapsed, released as u64, rss)
}
