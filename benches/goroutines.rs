//! What a parked goroutine costs, against a bare `tokio::spawn` of the same
//! future and against Go: `n` goroutines (default 1,000,000) each parked on
//! one receive from a shared unbuffered channel, then released by `close`,
//! each calling `WaitGroup::done` on its way out.
//!
//! Three numbers per flavor, each from a fresh child process (so one
//! flavor's memory does not count in another's resident set):
//! - spawn: ns per goroutine, from the first spawn until the last one runs;
//! - resident bytes per parked goroutine: growth of `VmRSS` over the spawns,
//!   and the heap bytes and blocks each holds (a counting allocator; not for Go);
//! - teardown: ns per goroutine, from `close` until `WaitGroup::wait` returns
//!   (every goroutine woken, run to its end and freed).
//!
//! Spawn and teardown are also measured in the process's CPU time (every
//! thread's, kernel included; Go: `getrusage`), in a second table: on a
//! shared VM the wall clock of one binary moves 2x between runs, its CPU
//! time far less.
//!
//! Flavors: `csp` (`csp::go` on csp's runtime), `csp-on-tokio` (`csp::go` on
//! a plain Tokio runtime), `tokio` (`tokio::spawn` of the same future on a
//! plain Tokio runtime), and `go` (the twin `benches/go/goroutines`, run
//! with `GOMAXPROCS=2` if `go` is on the `PATH`). Every runtime has 2 workers.
//! Rounds alternate the flavors; the table shows medians and ratios of the
//! same run.
//!
//! Run: `cargo bench --bench goroutines` (`CSP_GOROUTINES_N`, default
//! 1,000,000; `CSP_GOROUTINES_ROUNDS`, default 3). Not a criterion bench:
//! a million-goroutine run is one sample.
#![allow(missing_docs)]

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::process_cpu_ns;
use csp_workloads::heap::{heap_blocks, heap_bytes, CountingAlloc};
use csp_workloads::rss_bytes;

const FLAVORS: [&str; 3] = ["csp", "csp-on-tokio", "tokio"];

/// Heap bytes and blocks counted exactly, beside the resident set's
/// page-grained view.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// One flavor's measurement.
#[derive(Clone, Copy, Debug)]
struct Sample {
    spawn_ns: f64,
    rss_bytes: f64,
    teardown_ns: f64,
    /// Heap bytes and blocks live per parked goroutine (Go: 0, not counted).
    heap_bytes: f64,
    heap_blocks: f64,
    /// Spawn and teardown in process CPU ns per goroutine.
    spawn_cpu_ns: f64,
    teardown_cpu_ns: f64,
}

/// What every goroutine shares.
struct Shared {
    started: AtomicUsize,
    gate: csp::Receiver<()>,
    ready: csp::Sender<()>,
    wg: csp::WaitGroup,
}

/// The body every goroutine runs (the same future for every flavor).
async fn parked(s: Arc<Shared>, n: usize) {
    if s.started.fetch_add(1, Ordering::AcqRel) + 1 == n {
        s.ready.send(()).await.expect("main waits for ready");
    }
    assert!(s.gate.recv().await.is_none(), "the gate only closes");
    s.wg.done();
}

/// Runs the flavor's spawns and teardown: `go` is `csp::go` or
/// `tokio::spawn` of the future.
macro_rules! run_flavor {
    ($n:expr, $spawn:path) => {{
        let n: usize = $n;
        let (gate_tx, gate) = csp::chan::<()>(0);
        let (ready, ready_rx) = csp::chan::<()>(1);
        let wg = csp::WaitGroup::new();
        wg.add(n as isize);
        let shared = Arc::new(Shared {
            started: AtomicUsize::new(0),
            gate,
            ready,
            wg: wg.clone(),
        });
        let rss0 = rss_bytes();
        let (bytes0, blocks0) = (heap_bytes(), heap_blocks());
        let cpu = process_cpu_ns();
        let start = Instant::now();
        for _ in 0..n {
            drop($spawn(parked(shared.clone(), n)));
        }
        ready_rx.recv().await.expect("every goroutine started");
        let spawn_ns = start.elapsed().as_nanos() as f64 / n as f64;
        let spawn_cpu_ns = (process_cpu_ns() - cpu) as f64 / n as f64;
        let rss = rss_bytes().saturating_sub(rss0) as f64 / n as f64;
        let heap_bytes = heap_bytes().wrapping_sub(bytes0) as f64 / n as f64;
        let heap_blocks = heap_blocks().wrapping_sub(blocks0) as f64 / n as f64;
        let cpu = process_cpu_ns();
        let start = Instant::now();
        gate_tx.close();
        wg.wait().await;
        let teardown_ns = start.elapsed().as_nanos() as f64 / n as f64;
        let teardown_cpu_ns = (process_cpu_ns() - cpu) as f64 / n as f64;
        Sample {
            spawn_ns,
            rss_bytes: rss,
            teardown_ns,
            heap_bytes,
            heap_blocks,
            spawn_cpu_ns,
            teardown_cpu_ns,
        }
    }};
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs one flavor in this process and prints its sample line.
fn child(flavor: &str, n: usize) {
    let sample = match flavor {
        "csp" => {
            let rt = csp::Runtime::builder()
                .gomaxprocs(2)
                .build()
                .expect("csp runtime");
            rt.run(async move { run_flavor!(n, csp::go) })
        }
        "csp-on-tokio" => tokio_runtime().block_on(async move {
            tokio::spawn(async move { run_flavor!(n, csp::go) })
                .await
                .expect("main task")
        }),
        "tokio" => tokio_runtime().block_on(async move {
            tokio::spawn(async move { run_flavor!(n, tokio::spawn) })
                .await
                .expect("main task")
        }),
        other => panic!("unknown flavor {other}"),
    };
    println!(
        "{} {} {} {} {} {} {}",
        sample.spawn_ns,
        sample.rss_bytes,
        sample.teardown_ns,
        sample.heap_bytes,
        sample.heap_blocks,
        sample.spawn_cpu_ns,
        sample.teardown_cpu_ns
    );
}

fn parse_sample(out: &[u8]) -> Option<Sample> {
    let text = String::from_utf8_lossy(out);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut it = line.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some(Sample {
        spawn_ns: it.next()??,
        rss_bytes: it.next()??,
        teardown_ns: it.next()??,
        heap_bytes: it.next()??,
        heap_blocks: it.next()??,
        spawn_cpu_ns: it.next()??,
        teardown_cpu_ns: it.next()??,
    })
}

/// Builds the Go twin, if Go is installed: the path of its binary.
fn build_go_twin() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("go/goroutines");
    let out = std::env::temp_dir().join(format!("csp-goroutines-twin-{}", std::process::id()));
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg("main.go")
        .current_dir(&dir)
        .status()
        .ok()?;
    status.success().then_some(out)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, flavor, n] = args.as_slice() {
        if flag == "--child" {
            child(flavor, n.parse().expect("n"));
            return;
        }
    }
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let n = env("CSP_GOROUTINES_N", 1_000_000);
    let rounds = env("CSP_GOROUTINES_ROUNDS", 3).max(1);
    let exe = std::env::current_exe().expect("own path");
    let go = build_go_twin();
    if go.is_none() {
        eprintln!("goroutines: no Go twin (`go` not found or its build failed)");
    }
    let mut names: Vec<&str> = FLAVORS.to_vec();
    if go.is_some() {
        names.push("go");
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); names.len()];
    for round in 0..rounds {
        for (k, name) in names.iter().enumerate() {
            let out = if *name == "go" {
                Command::new(go.as_ref().expect("built"))
                    .arg(n.to_string())
                    .env("GOMAXPROCS", "2")
                    .output()
            } else {
                Command::new(&exe)
                    .args(["--child", name, &n.to_string()])
                    .output()
            }
            .expect("run child");
            assert!(
                out.status.success(),
                "{name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let s = parse_sample(&out.stdout).expect("a sample line");
            eprintln!(
                "round {round} {name}: spawn {:.0} ns ({:.0} CPU), {:.0} B resident, {:.0} B in {:.2} heap blocks, teardown {:.0} ns ({:.0} CPU)",
                s.spawn_ns, s.spawn_cpu_ns, s.rss_bytes, s.heap_bytes, s.heap_blocks, s.teardown_ns, s.teardown_cpu_ns
            );
            samples[k].push(s);
        }
    }
    if let Some(go) = &go {
        let _ = std::fs::remove_file(go);
    }
    let med: Vec<Sample> = samples
        .iter()
        .map(|s| Sample {
            spawn_ns: median(s.iter().map(|x| x.spawn_ns).collect()),
            rss_bytes: median(s.iter().map(|x| x.rss_bytes).collect()),
            teardown_ns: median(s.iter().map(|x| x.teardown_ns).collect()),
            heap_bytes: median(s.iter().map(|x| x.heap_bytes).collect()),
            heap_blocks: median(s.iter().map(|x| x.heap_blocks).collect()),
            spawn_cpu_ns: median(s.iter().map(|x| x.spawn_cpu_ns).collect()),
            teardown_cpu_ns: median(s.iter().map(|x| x.teardown_cpu_ns).collect()),
        })
        .collect();
    let tokio = med[2];
    println!("{n} parked goroutines, medians of {rounds} rounds");
    println!("| flavor | spawn ns | resident bytes | heap bytes (blocks) | teardown ns | spawn / tokio | resident / tokio | teardown / tokio | teardown / Go |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, s) in names.iter().zip(&med) {
        let vs_go = if go.is_some() {
            format!("{:.2}", s.teardown_ns / med[3].teardown_ns)
        } else {
            "–".into()
        };
        let heap = if *name == "go" {
            "–".to_string()
        } else {
            format!("{:.0} ({:.2})", s.heap_bytes, s.heap_blocks)
        };
        println!(
            "| {name} | {:.0} | {:.0} | {heap} | {:.0} | {:.2} | {:.2} | {:.2} | {vs_go} |",
            s.spawn_ns,
            s.rss_bytes,
            s.teardown_ns,
            s.spawn_ns / tokio.spawn_ns,
            s.rss_bytes / tokio.rss_bytes,
            s.teardown_ns / tokio.teardown_ns,
        );
    }
    println!();
    println!("The same rounds in process CPU time (ns per goroutine, medians)");
    println!("| flavor | spawn CPU ns | teardown CPU ns | spawn / tokio | teardown / tokio | teardown / Go |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, s) in names.iter().zip(&med) {
        let vs_go = if go.is_some() {
            format!("{:.2}", s.teardown_cpu_ns / med[3].teardown_cpu_ns)
        } else {
            "–".into()
        };
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} | {:.2} | {vs_go} |",
            s.spawn_cpu_ns,
            s.teardown_cpu_ns,
            s.spawn_cpu_ns / tokio.spawn_cpu_ns,
            s.teardown_cpu_ns / tokio.teardown_cpu_ns,
        );
    }
}
