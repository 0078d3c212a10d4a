//! `cargo xtask soak`: runs the mixed soak workload (`csp-soak`, a release
//! build) for `--minutes`, collects its once-a-second samples of resident
//! memory, heap bytes in use, goroutine count and rounds done, and fails if,
//! after the warm-up, memory, heap or goroutines trend upward or throughput
//! falls by more than half.
//!
//! Contents:
//! 1. `args`: the flags.
//! 2. `samples`: the samples, read from the workload, written as CSV.
//! 3. `verdict`: the checks.
//! 4. `plot`: the plot of the run.

pub mod args;
pub mod plot;
pub mod samples;
pub mod verdict;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub use args::SoakArgs;
use samples::Sample;

/// How long the workload may stay silent (it samples once a second) before
/// the soak counts it as hung, kills it and fails.
pub const SILENCE: Duration = Duration::from_secs(30);

/// Runs `cargo xtask soak`; status 1 for a failed check or run.
pub fn main(args: SoakArgs) -> ExitCode {
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo xtask soak: FAILED: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &SoakArgs) -> Result<(), String> {
    let (secs, warmup) = args.plan()?;
    let paths = crate::bench::Paths::find();
    let out = paths.target.join("soak");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let bin = build(&paths.root, &paths.target)?;
    eprintln!("xtask soak: running csp-soak for {secs} s (warm-up {warmup} s)");
    let samples = collect(&bin, secs)?;
    let csv = out.join("samples.csv");
    std::fs::write(&csv, samples::to_csv(&samples))
        .map_err(|e| format!("cannot write {}: {e}", csv.display()))?;
    let svg = out.join("soak.svg");
    let title = format!(
        "csp soak: {} min, {} cores, {}",
        secs as f64 / 60.0,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        crate::bench::utc_now()
    );
    plot::soak_svg(&samples, warmup as f64, &title, &svg)?;
    let v = verdict::judge(&samples, warmup as f64)?;
    const MIB: f64 = 1024.0 * 1024.0;
    println!(
        "after the {warmup} s warm-up, first third -> last third:\n\
         \x20 resident memory {:.2} -> {:.2} MiB (fitted rise {:+.3} MiB, tolerance {:.2})\n\
         \x20 heap in use     {:.0} -> {:.0} KiB (fitted rise {:+.1} KiB, tolerance {:.0})\n\
         \x20 goroutines      {:.1} -> {:.1} (fitted rise {:+.2}, tolerance {:.1})\n\
         \x20 throughput      {:.0} -> {:.0} rounds/s ({:.2}x, at least {} required)\n\
         wrote {} and {}",
        v.memory.first / MIB,
        v.memory.last / MIB,
        v.memory.rise / MIB,
        v.memory.tolerance / MIB,
        v.heap.first / 1024.0,
        v.heap.last / 1024.0,
        v.heap.rise / 1024.0,
        v.heap.tolerance / 1024.0,
        v.goroutines.first,
        v.goroutines.last,
        v.goroutines.rise,
        v.goroutines.tolerance,
        v.throughput.0,
        v.throughput.1,
        v.throughput.1 / v.throughput.0.max(f64::MIN_POSITIVE),
        verdict::MIN_THROUGHPUT_RATIO,
        csv.display(),
        svg.display()
    );
    if v.failures.is_empty() {
        println!("soak passed");
        Ok(())
    } else {
        Err(v.failures.join("; "))
    }
}

/// `cargo build --release -p csp-workloads --bin csp-soak`, returning the binary.
fn build(root: &Path, target: &Path) -> Result<PathBuf, String> {
    eprintln!("xtask soak: cargo build --release -p csp-workloads --bin csp-soak");
    let status = Command::new(crate::bench::cargo())
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "csp-workloads",
            "--bin",
            "csp-soak",
        ])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building csp-soak failed ({status})"));
    }
    Ok(target
        .join("release")
        .join(format!("csp-soak{}", std::env::consts::EXE_SUFFIX)))
}

/// Runs `bin` for `secs`, returning its samples; fails if it is silent for
/// [`SILENCE`], prints something unexpected or exits unsuccessfully.
fn collect(bin: &Path, secs: u64) -> Result<Vec<Sample>, String> {
    let mut child = Command::new(bin)
        .arg(secs.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut samples = Vec::new();
    let mut header = false;
    loop {
        let line = match rx.recv_timeout(SILENCE) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(kill(child, format!("reading csp-soak's output: {e}"))),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(kill(
                    child,
                    format!(
                        "csp-soak printed nothing for {SILENCE:?} (hung?) after {} samples",
                        samples.len()
                    ),
                ))
            }
        };
        if !header {
            if line.trim() != samples::HEADER {
                return Err(kill(child, format!("csp-soak's first line is {line:?}")));
            }
            header = true;
            continue;
        }
        match Sample::parse(&line) {
            Ok(s) => {
                if s.secs >= 1.0 && (s.secs.round() as u64) % 10 == 0 {
                    eprintln!(
                        "xtask soak: {:>5.0} s  rss {:>6.2} MiB  heap {:>6.0} KiB  goroutines {:>4}  rounds {}",
                        s.secs,
                        s.rss_bytes as f64 / (1024.0 * 1024.0),
                        s.heap_bytes as f64 / 1024.0,
                        s.goroutines,
                        s.rounds
                    );
                }
                samples.push(s);
            }
            Err(e) => return Err(kill(child, format!("csp-soak: {e}"))),
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for csp-soak: {e}"))?;
    if !status.success() {
        return Err(format!(
            "csp-soak failed ({status}) after {} samples",
            samples.len()
        ));
    }
    Ok(samples)
}

/// Kills the workload (best effort) and returns `msg`.
fn kill(mut child: Child, msg: String) -> String {
    let _ = child.kill();
    let _ = child.wait();
    msg
}
