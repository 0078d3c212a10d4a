//! The `remote_workers` example across three processes: a producer and two
//! workers, each this test binary re-executed with [`CHILD_ENV`] naming its
//! role, against a real server. Every job's result arrives exactly once.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../examples/remote_workers.rs"]
mod remote_workers;

/// The environment variable carrying a child's role and the server's URL.
const CHILD_ENV: &str = "CSP_NATS_WORKERS_CHILD";
/// Jobs the producer sends.
const JOBS: u64 = 300;
/// A child still running after this long has hung: kill it, fail.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// In a child process: runs the role in [`CHILD_ENV`] (`<url> <role> <arg>`)
/// and exits with its status. In the parent: does nothing.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut words = spec.split(' ').map(str::to_owned);
    let url = words.next().unwrap_or_default();
    let res = csp::run(remote_workers::run(url, words.collect()));
    if let Err(e) = &res {
        eprintln!("remote_workers child: {e}");
    }
    std::process::exit(i32::from(res.is_err()));
}

/// Starts this binary as a child running `role`.
fn spawn(url: &str, role: &str) -> Reaper {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, format!("{url} {role}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn a child");
    Reaper(child)
}

/// Kills a child that is still running when dropped (a failed test).
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` (killing it past the deadline) and returns its stdout.
fn finish(child: Reaper, deadline: Instant, what: &str) -> String {
    let mut child = child;
    let child = &mut child.0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            assert!(status.success(), "{what} failed ({status}); stdout:\n{out}");
            return out;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_producer_and_two_worker_processes_handle_every_job_exactly_once() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let server = common::server();
    let url = server.url();
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let workers = [spawn(&url, "worker 1"), spawn(&url, "worker 2")];
    let producer = spawn(&url, &format!("producer {JOBS}"));
    let out = finish(producer, deadline, "producer");
    let mut results = BTreeMap::new();
    // libtest prints `test child ... ` just before the child's first line.
    for line in out
        .lines()
        .filter_map(|l| l.split_once("result ").map(|(_, r)| r))
    {
        let v: Vec<u64> = line.split(' ').map(|w| w.parse().unwrap()).collect();
        let (job, steps, worker) = (v[0], v[1], v[2]);
        assert!(
            results.insert(job, (steps, worker)).is_none(),
            "job {job} twice"
        );
    }
    assert!(out.contains(&format!("done {JOBS}")), "{out}");
    assert_eq!(results.len() as u64, JOBS);
    for (job, (steps, worker)) in &results {
        assert!((1..=JOBS).contains(job));
        assert_eq!(*steps, u64::from(collatz(*job)), "job {job}");
        assert!([1, 2].contains(worker));
    }
    let mut handled = 0;
    for (i, w) in workers.into_iter().enumerate() {
        let out = finish(w, deadline, "worker");
        let n: u64 = out
            .lines()
            .find_map(|l| {
                l.split_once(&format!("worker {} handled ", i + 1))
                    .map(|(_, n)| n)
            })
            .unwrap_or_else(|| panic!("worker {} printed no count:\n{out}", i + 1))
            .parse()
            .unwrap();
        handled += n;
    }
    assert_eq!(handled, JOBS, "the workers' counts add up");
}

/// The example's work, recomputed here.
fn collatz(n: u64) -> u32 {
    let (mut x, mut steps) = (n, 0);
    while x != 1 {
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        steps += 1;
    }
    steps
}
