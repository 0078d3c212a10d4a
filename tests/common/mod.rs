//! Helpers shared by the end-to-end tests: running an example's `main` in a
//! child process (this test binary re-executed), where Go's exit semantics
//! and the example's printed output can be observed whole.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the program a child process runs.
pub const CHILD_ENV: &str = "CSP_TEST_CHILD";
/// The first line of Go's deadlock report, as csp prints it.
#[allow(dead_code)] // not every test binary checks for reports
pub const DEADLOCK_REPORT: &str = "fatal error: all goroutines are asleep - deadlock!";

/// The program this process runs as a child, or `None` in the parent's own
/// run (the variable is unset there).
#[allow(dead_code)] // not every test binary dispatches by name
pub fn child_program() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// A child still running after this long has hung: kill it, fail.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// Printed on its own line before and after the child's program, so the
/// parent can tell the program's output from the test harness's.
const BEGIN: &str = "<<< child program >>>";
const END: &str = "<<< child program ended >>>";

/// The child side: when this process is a child, runs `program` with the
/// name of the program asked for, between the markers [`run_child`] looks for.
/// A no-op in the parent's own run (the variable is unset there).
#[allow(dead_code)] // not every test binary uses both sides
pub fn as_child(program: impl FnOnce(&str)) {
    if let Ok(name) = std::env::var(CHILD_ENV) {
        println!("\n{BEGIN}");
        program(&name);
        println!("{END}");
    }
}

/// What a child process did.
#[derive(Debug)]
#[allow(dead_code)] // each test binary reads the fields it needs
pub struct ChildRun {
    /// The exit status (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Re-runs this test binary's test `test` alone with [`CHILD_ENV`]` =
/// program` and `GOMAXPROCS=2`, and returns what it did, whatever its exit
/// status. A test of exit statuses, deadlock reports or panics uses this.
///
/// # Panics
/// When the child runs longer than [`CHILD_TIMEOUT`] (it is killed).
#[allow(dead_code)] // not every test binary uses both runners
pub fn spawn_child(test: &str, program: &str) -> ChildRun {
    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, program)
        .env("GOMAXPROCS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-run the test binary");
    // Drained while the child runs, so a chatty child never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("child status") {
            break status;
        }
        if start.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} hung for {CHILD_TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    ChildRun {
        code: status.code(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed: start.elapsed(),
    }
}

/// Re-runs this test binary's test `test` alone with [`CHILD_ENV`]` =
/// program`, and returns what the program printed (see [`as_child`]) once
/// the child exited successfully.
///
/// # Panics
/// When the child fails or runs longer than [`CHILD_TIMEOUT`] (it is killed).
#[allow(dead_code)] // not every test binary uses both runners
pub fn run_child(test: &str, program: &str) -> String {
    let run = spawn_child(test, program);
    assert_eq!(
        run.code,
        Some(0),
        "{program} failed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let stdout = run.stdout;
    let start = stdout
        .find(&format!("{BEGIN}\n"))
        .unwrap_or_else(|| panic!("{program} never started:\n{stdout}"));
    let body = &stdout[start + BEGIN.len() + 1..];
    let end = body.find(END).unwrap_or(body.len());
    body[..end].to_string()
}

/// Runs the child program `name` (of this binary's `child` test), which must
/// deadlock, and checks Go's report: the message, one header per goroutine
/// in order, a blocking-call and a creation line each naming `file`, exit
/// status 2, promptly.
#[allow(dead_code)] // not every test binary checks for reports
pub fn expect_deadlock(name: &str, file: &str, headers: &[&str]) -> ChildRun {
    let run = spawn_child("child", name);
    let report = run.stderr.as_str();
    assert_eq!(run.code, Some(2), "{name}: exit status; stderr:\n{report}");
    let start = report
        .find(DEADLOCK_REPORT)
        .unwrap_or_else(|| panic!("{name}: no deadlock message in stderr:\n{report}"));
    let report = &report[start..];
    let found: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("goroutine "))
        .collect();
    assert_eq!(found, headers, "{name}: goroutine headers in\n{report}");
    let blocked = report.matches("\tblocked at ").count();
    let created = report.matches("\tcreated at ").count();
    assert_eq!(
        (blocked, created),
        (headers.len(), headers.len()),
        "{report}"
    );
    for line in report.lines().filter(|l| l.starts_with('\t')) {
        assert!(line.contains(file), "{name}: {line:?} does not name {file}");
    }
    assert!(
        run.elapsed < Duration::from_secs(10),
        "{name}: reported after {:?}",
        run.elapsed
    );
    run
}
