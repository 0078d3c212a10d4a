//! Running one program of a test binary in a child process of that binary.
//!
//! A test of the deadlock detector or of process exit cannot run in the test
//! harness's own process (a report exits it). The test binary re-executes
//! itself with an environment variable naming the program and runs only its
//! `child` test, which dispatches on that name; the parent checks the exit
//! status and output, and kills a child that outlives [`CHILD_TIMEOUT`].

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A child still running after this long has hung: it is killed, the test fails.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// What a child process did.
#[derive(Debug)]
pub struct ChildRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs program `name` in a child process of this test binary (its `child`
/// test, with `env_var=name` and `GOMAXPROCS=2`), killing it after
/// [`CHILD_TIMEOUT`].
pub fn run_child(env_var: &str, name: &str) -> ChildRun {
    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(env_var, name)
        .env("GOMAXPROCS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child {name} still running after {CHILD_TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    ChildRun {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        elapsed: start.elapsed(),
    }
}
