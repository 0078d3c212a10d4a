//! The ledger: 4 producers and 4 consumers spread over 3 processes share one
//! remote channel, at capacities 0, 1 and 64. Every value is received exactly
//! once, and each consumer sees each producer's values in the order sent (as
//! a Go channel keeps them). A fourth process, this test's, closes the
//! channel once every producer is done.
//!
//! Each process is this test binary re-executed with [`CHILD_ENV`]. The
//! counts scale with [`values_per_producer`]: 5,000 per producer by default
//! (CI), any other count with `CSP_NATS_LEDGER_VALUES=<n>` (the issue's
//! full size: `CSP_NATS_LEDGER_VALUES=100000`).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use csp::prelude::*;

/// The environment variable carrying a child's part: `<url> <capacity> <index>`.
const CHILD_ENV: &str = "CSP_NATS_LEDGER_CHILD";
/// Values per producer, when set (see the module docs).
const VALUES_ENV: &str = "CSP_NATS_LEDGER_VALUES";
/// Producers, consumers and processes.
const PRODUCERS: u32 = 4;
const CONSUMERS: u32 = 4;
const PROCESSES: u32 = 3;
/// Values per producer in the CI run.
const VALUES_CI: u32 = 5_000;
/// Capacities covered.
const CAPACITIES: [usize; 3] = [0, 1, 64];

fn values_per_producer() -> u32 {
    match std::env::var(VALUES_ENV) {
        Ok(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("{VALUES_ENV}={n}: not a count of values")),
        Err(_) => VALUES_CI,
    }
}

/// A capacity's deadline: every value sent and received (150 s for the CI
/// count, at least 5 ms per value beyond).
fn child_timeout() -> Duration {
    let values = u64::from(PRODUCERS * values_per_producer());
    Duration::from_secs(150).max(Duration::from_millis(5 * values))
}

/// In a child: runs the producers and consumers of process `index`, printing
/// `produced` once its producers are done and `got <consumer> <producer>
/// <seq>` for every value received, then exits. In the parent: nothing.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let words: Vec<&str> = spec.split(' ').collect();
    let (url, capacity, index) = (
        words[0].to_owned(),
        words[1].parse::<usize>().unwrap(),
        words[2].parse::<u32>().unwrap(),
    );
    let per_producer = values_per_producer();
    let lines = csp::run(async move {
        // Default options: a value is given back only after 5 s without a
        // local receiver, which a busy CI machine never reaches here.
        let remote = csp_nats::Remote::connect(&url).await.unwrap();
        let name = format!("ledger_{capacity}");
        let (tx, rx) = remote.chan::<(u32, u32)>(&name, capacity).await.unwrap();
        let wg = WaitGroup::new();
        for p in (0..PRODUCERS).filter(|p| p % PROCESSES == index) {
            let tx = tx.clone();
            wg.go(async move {
                for seq in 0..per_producer {
                    tx.send((p, seq)).await.unwrap();
                }
            });
        }
        let consumers: Vec<_> = (0..CONSUMERS)
            .filter(|c| c % PROCESSES == index)
            .map(|c| {
                let rx = rx.clone();
                go(async move {
                    let mut got = Vec::new();
                    while let Some((p, seq)) = rx.recv().await {
                        got.push(format!("got {c} {p} {seq}"));
                    }
                    got
                })
            })
            .collect();
        drop(rx);
        wg.wait().await;
        remote.flush().await;
        println!("produced");
        let mut lines = Vec::new();
        for c in consumers {
            lines.extend(c.await.unwrap());
        }
        lines
    });
    let mut out = std::io::stdout().lock();
    for line in lines {
        std::io::Write::write_all(&mut out, format!("{line}\n").as_bytes()).unwrap();
    }
    std::io::Write::flush(&mut out).unwrap();
    std::process::exit(0);
}

/// A child process and the lines it printed, read by a thread.
struct Part {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Part {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(url: &str, capacity: usize, index: u32) -> Part {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, format!("{url} {capacity} {index}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn a child");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Part { child, lines }
}

/// Runs one ledger at `capacity` and checks it.
fn ledger(server: &csp_nats::TestServer, capacity: usize) {
    let deadline = Instant::now() + child_timeout();
    let mut parts: Vec<Part> = (0..PROCESSES)
        .map(|i| spawn(&server.url(), capacity, i))
        .collect();
    let mut collected: Vec<Vec<String>> = vec![Vec::new(); parts.len()];
    let mut produced = 0;
    // Wait until every process's producers are done.
    while produced < parts.len() {
        for (i, part) in parts.iter().enumerate() {
            while let Ok(line) = part.lines.try_recv() {
                if line.contains("produced") {
                    produced += 1;
                }
                collected[i].push(line);
            }
        }
        assert!(
            Instant::now() < deadline,
            "capacity {capacity}: producers hung"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Close from a fourth process.
    let url = server.url();
    csp::run(async move {
        let remote = csp_nats::Remote::connect(&url).await.unwrap();
        remote.close(&format!("ledger_{capacity}")).await.unwrap();
    });
    for (i, part) in parts.iter_mut().enumerate() {
        loop {
            if let Some(status) = part.child.try_wait().unwrap() {
                assert!(status.success(), "capacity {capacity}: process {i} failed");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "capacity {capacity}: consumers hung"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The reader thread ends at EOF: drain it.
        while let Ok(line) = part.lines.recv_timeout(Duration::from_secs(10)) {
            collected[i].push(line);
        }
    }
    check(capacity, collected.iter().flatten());
}

/// Every value exactly once; per consumer, each producer's values in order.
fn check<'a>(capacity: usize, lines: impl Iterator<Item = &'a String>) {
    let per_producer = values_per_producer();
    let mut seen = vec![vec![0u8; per_producer as usize]; PRODUCERS as usize];
    let mut last: HashMap<(u32, u32), u32> = HashMap::new();
    let mut out_of_order = 0;
    for line in lines {
        let Some((_, rest)) = line.split_once("got ") else {
            continue;
        };
        let v: Vec<u32> = rest.split(' ').map(|w| w.parse().unwrap()).collect();
        let (c, p, seq) = (v[0], v[1], v[2]);
        seen[p as usize][seq as usize] += 1;
        if let Some(prev) = last.insert((c, p), seq) {
            if prev >= seq {
                out_of_order += 1;
            }
        }
    }
    for (p, counts) in seen.iter().enumerate() {
        for (seq, &n) in counts.iter().enumerate() {
            assert_eq!(
                n, 1,
                "capacity {capacity}: value ({p}, {seq}) received {n} times"
            );
        }
    }
    assert_eq!(
        out_of_order, 0,
        "capacity {capacity}: a consumer saw a producer's values out of order"
    );
}

#[test]
fn four_producers_four_consumers_three_processes_every_value_once_in_order() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let server = common::server();
    for capacity in CAPACITIES {
        let start = Instant::now();
        ledger(&server, capacity);
        eprintln!(
            "ledger capacity {capacity}: {} values in {:?}",
            PRODUCERS * values_per_producer(),
            start.elapsed()
        );
    }
}
