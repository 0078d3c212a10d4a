//! Helpers shared by the integration tests: deadlines and child processes.

#![allow(dead_code)] // each test file uses a subset

use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

/// The environment variable that tells a re-executed test binary which child
/// test should actually run (every other `child_*` test returns at once).
pub const CHILD_VAR: &str = "CSP_TEST_CHILD";

/// The deadline of every concurrent test: a hang detector, far above any
/// test's time on a loaded 2-core machine (the polling stress test takes
/// about 2 s alone and up to 9 s beside parallel builds).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Runs `f` on its own thread and fails if it takes longer than `DEADLINE`,
/// so a hang (even a synchronous one) fails the test instead of stalling it.
pub fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(out) => out,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test timed out after {DEADLINE:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
    }
}

/// Whether this process is the child re-executed to run `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_VAR).as_deref() == Ok(test)
}

/// Re-executes this test binary running only `test` (exactly), with the
/// environment changes `env` (`None`: remove the variable), under `DEADLINE`.
pub fn run_child(test: &str, env: &[(&str, Option<&str>)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, test);
    for (key, value) in env {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    within(move || cmd.output().expect("spawn the child test process"))
}

/// The value after `key=` on the child's `REPORT` line.
pub fn report(out: &Output, key: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.find("REPORT ").map(|at| &l[at..]))
        .unwrap_or_else(|| {
            panic!(
                "no REPORT line; stdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_owned))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}
