//! A worker pool across processes: one producer and any number of workers,
//! the same binary with a role argument, sharing a job channel and a result
//! channel on a NATS server with JetStream.
//!
//! ```go
//! for j := range jobs { results <- work(j) }                    // each worker
//! for i := 0; i < n; i++ { select { case r := <-results: ..     // the producer
//!                                   case <-time.After(d): .. } }
//! ```
//!
//! Run a server (`nats-server -js`), then in three terminals:
//! `cargo run -p csp-nats --example remote_workers -- worker 1`,
//! `... -- worker 2`, `... -- producer 200`. The URL comes from `NATS_URL`
//! (default `nats://127.0.0.1:4222`). The producer prints one line per result
//! (`result <job> <steps> <worker>`) and `done <n>`; each worker prints
//! `worker <id> handled <count>`.

use std::process::ExitCode;
use std::time::Duration;

use csp::prelude::*;
use csp_nats::Remote;

/// Room in the job and result channels.
const CAPACITY: usize = 8;
/// The producer gives up when no result comes for this long.
const RESULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The work: how many Collatz steps take `n` to 1.
fn work(n: u64) -> u32 {
    let (mut x, mut steps) = (n, 0);
    while x != 1 {
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        steps += 1;
    }
    steps
}

/// Sends jobs `1..=n`, closes the job channel, and prints every result.
async fn producer(remote: &Remote, n: u64) -> Result<(), String> {
    let (jobs, _) = remote
        .chan::<u64>("jobs", CAPACITY)
        .await
        .map_err(|e| e.to_string())?;
    let (_, results) = remote
        .chan::<(u64, u32, u32)>("results", CAPACITY)
        .await
        .map_err(|e| e.to_string())?;
    let feeder = go(async move {
        for job in 1..=n {
            if jobs.send(job).await.is_err() {
                return;
            }
        }
        jobs.close(); // workers everywhere drain the jobs, then stop
    });
    for _ in 0..n {
        select! {
            recv(&results) -> r => {
                let (job, steps, worker) = r.ok_or("results closed early")?;
                println!("result {job} {steps} {worker}");
            }
            recv(after(RESULT_TIMEOUT)) => {
                return Err(format!("no result for {RESULT_TIMEOUT:?}"));
            }
        }
    }
    // The close is carried out by the jobs channel's send bridge; the last
    // `Remote` handle's drop (as the program ends) waits for it.
    let _ = feeder.await;
    println!("done {n}");
    Ok(())
}

/// Takes jobs until the job channel is closed and drained.
async fn worker(remote: &Remote, id: u32) -> Result<(), String> {
    let (_, jobs) = remote
        .chan::<u64>("jobs", CAPACITY)
        .await
        .map_err(|e| e.to_string())?;
    // This process only sends results: it keeps no result receiver.
    let (results, _) = remote
        .chan::<(u64, u32, u32)>("results", CAPACITY)
        .await
        .map_err(|e| e.to_string())?;
    let mut handled = 0;
    while let Some(job) = jobs.recv().await {
        results
            .send((job, work(job), id))
            .await
            .map_err(|_| "results closed")?;
        handled += 1;
    }
    // The last results are on their way: the last `Remote` handle's drop, as
    // the program ends, waits until the server stored them.
    println!("worker {id} handled {handled}");
    Ok(())
}

/// Runs the role `args` names (`producer <jobs>` or `worker <id>`) against
/// the server at `url`.
pub async fn run(url: String, args: Vec<String>) -> Result<(), String> {
    let remote = Remote::connect(&url).await.map_err(|e| e.to_string())?;
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["producer", n] => match n.parse() {
            Ok(n) => producer(&remote, n).await,
            Err(_) => Err(format!("not a job count: {n}")),
        },
        ["worker", id] => match id.parse() {
            Ok(id) => worker(&remote, id).await,
            Err(_) => Err(format!("not a worker id: {id}")),
        },
        _ => Err("usage: remote_workers producer <jobs> | worker <id>".to_owned()),
    }
}

#[csp::main]
async fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    match run(url, std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("remote_workers: {e}");
            ExitCode::FAILURE
        }
    }
}
