//! Helpers shared by the end-to-end tests: running an example's `main` in a
//! child process (this test binary re-executed), where Go's exit semantics
//! and the example's printed output can be observed whole.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the program a child process runs.
pub const CHILD_ENV: &str = "CSP_EXAMPLES_CHILD";
/// A child still running after this long has hung: kill it, fail.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// Printed on its own line before and after the child's program, so the
/// parent can tell the program's output from the test harness's.
const BEGIN: &str = "<<< child program >>>";
const END: &str = "<<< child program ended >>>";

/// The child side: when this process is a child, runs `program` with the
/// name of the program asked for, between the markers [`run_child`] looks for.
/// A no-op in the parent's own run (the variable is unset there).
pub fn as_child(program: impl FnOnce(&str)) {
    if let Ok(name) = std::env::var(CHILD_ENV) {
        println!("\n{BEGIN}");
        program(&name);
        println!("{END}");
    }
}

/// Re-runs this test binary's test `test` alone with [`CHILD_ENV`]` =
/// program`, and returns what the program printed (see [`as_child`]) once
/// the child exited successfully.
///
/// # Panics
/// When the child fails or runs longer than [`CHILD_TIMEOUT`] (it is killed).
pub fn run_child(test: &str, program: &str) -> String {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, program)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-run the test binary");
    let deadline = Instant::now() + CHILD_TIMEOUT;
    while child.try_wait().expect("child status").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill the hung child");
            panic!("{program} hung for {CHILD_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("child output");
    assert!(
        out.status.success(),
        "{program} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let start = stdout
        .find(&format!("{BEGIN}\n"))
        .unwrap_or_else(|| panic!("{program} never started:\n{stdout}"));
    let body = &stdout[start + BEGIN.len() + 1..];
    let end = body.find(END).unwrap_or(body.len());
    body[..end].to_string()
}
