//! `cargo xtask bench`: times the CSP workloads under several GOMAXPROCS,
//! csp and its Go twins interleaved, checks every answer, and reports
//! speedups, efficiencies and csp/Go ratios as a table, JSON, CSV and SVG.
//!
//! Contents:
//! 1. `args`: the flags.
//! 2. `spec`: the workloads, their sizes and independently computed answers.
//! 3. `results`: the result line, the answer check, statistics and reports.
//! 4. `plot`: the speedup plot.
//! 5. `micro`: `--micro`, criterion benches against their peers.

pub mod args;
pub mod micro;
pub mod plot;
pub mod results;
pub mod spec;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

pub use args::BenchArgs;
use args::Options;
use results::{Impl, Line, Machine, Results, Row};
use spec::Workload;

/// Where the workspace and its build output are.
pub(crate) struct Paths {
    pub(crate) root: PathBuf,
    pub(crate) target: PathBuf,
    out: PathBuf,
}

impl Paths {
    pub(crate) fn find() -> Paths {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask sits in the workspace root")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(|t| root.join(t))
            .unwrap_or_else(|| root.join("target"));
        let out = target.join("xtask-bench");
        Paths { root, target, out }
    }
}

/// Runs `cargo xtask bench` with the parsed flags; status 1 for a failed
/// run (a build error, a crashed or wrong workload).
pub fn main(args: BenchArgs) -> ExitCode {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match run(&args.options(cores), cores) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo xtask bench: error: {e}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run(opts: &Options, cores: usize) -> Result<(), String> {
    let paths = Paths::find();
    if opts.micro {
        return micro::run(&cargo(), &paths.root, &paths.target);
    }
    std::fs::create_dir_all(&paths.out)
        .map_err(|e| format!("cannot create {}: {e}", paths.out.display()))?;
    let csp_bin = build_csp(&paths)?;
    let go = if opts.go {
        build_go(&paths)?
    } else {
        eprintln!("xtask bench: --no-go, running csp only");
        None
    };
    eprintln!("xtask bench: computing the expected answers");
    let expected: Vec<(Workload, u64, u64)> = opts
        .workloads
        .iter()
        .map(|&w| {
            let size = w.size(opts.quick);
            (w, size, w.expected(size))
        })
        .collect();

    let mut programs = vec![(Impl::Csp, csp_bin)];
    if let Some((bin, _)) = &go {
        programs.push((Impl::Go, bin.clone()));
    }
    let total = expected.len() * opts.procs.len() * opts.runs * programs.len();
    let mut progress = Progress::new(total);
    let mut rows = Vec::new();
    for &(workload, size, answer) in &expected {
        for &procs in &opts.procs {
            let mut lines: Vec<Vec<Line>> = vec![Vec::new(); programs.len()];
            for run in 1..=opts.runs {
                // Interleaved: csp, Go, csp, Go, ... so drift hits both alike.
                for (i, (imp, bin)) in programs.iter().enumerate() {
                    progress.step(&format!(
                        "{} GOMAXPROCS={procs} {} run {run}/{}",
                        workload.name(),
                        imp.name(),
                        opts.runs
                    ));
                    let line = run_once(bin, workload, size, procs)
                        .map_err(|e| progress.fail(format!("{} {e}", imp.name())))?;
                    results::check(&line, *imp, workload, procs, answer)
                        .map_err(|e| progress.fail(e))?;
                    lines[i].push(line);
                }
            }
            for ((imp, _), lines) in programs.iter().zip(&lines) {
                rows.push(Row::new(workload, *imp, procs, size, lines));
            }
        }
    }
    progress.finish();
    results::add_speedups(&mut rows);
    let results = Results {
        schema: results::SCHEMA,
        date: utc_now(),
        machine: Machine {
            cores,
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        },
        go_version: go.map(|(_, v)| v),
        quick: opts.quick,
        runs: opts.runs,
        procs: opts.procs.clone(),
        ratios: results::ratios(&rows),
        results: rows,
    };
    write(&paths.out.join("results.json"), &results.to_json())?;
    write(&paths.out.join("results.csv"), &results.to_csv())?;
    plot::speedup_svg(&results.results, &paths.out.join("speedup.svg"))?;
    println!(
        "{} UTC, {} cores, {}{}\n",
        results.date,
        cores,
        results.go_version.as_deref().unwrap_or("without Go"),
        if opts.quick { ", --quick sizes" } else { "" }
    );
    println!("{}", results.table());
    println!(
        "every answer checked; wrote {}/results.json, results.csv, speedup.svg",
        paths.out.display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `cargo build --release -p csp-workloads`, returning the binary's path.
fn build_csp(paths: &Paths) -> Result<PathBuf, String> {
    eprintln!("xtask bench: cargo build --release -p csp-workloads");
    let status = Command::new(cargo())
        .args(["build", "--release", "--quiet", "-p", "csp-workloads"])
        .current_dir(&paths.root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building csp-workloads failed ({status})"));
    }
    let bin = paths
        .target
        .join("release")
        .join(format!("csp-workloads{}", std::env::consts::EXE_SUFFIX));
    Ok(bin)
}

/// `go build` of `benches/go` when `go` is on PATH: the binary and `go version`.
fn build_go(paths: &Paths) -> Result<Option<(PathBuf, String)>, String> {
    let version = match Command::new("go").arg("version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            eprintln!("xtask bench: `go` is not on PATH, skipping the Go twins (apt-get install golang-go)");
            return Ok(None);
        }
    };
    let bin = paths
        .out
        .join(format!("go-workloads{}", std::env::consts::EXE_SUFFIX));
    eprintln!("xtask bench: go build benches/go ({version})");
    let out = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(paths.root.join("benches").join("go"))
        .output()
        .map_err(|e| format!("cannot run go build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "go build of benches/go failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Some((bin, version)))
}

/// Runs one workload binary once under `GOMAXPROCS=procs`.
fn run_once(bin: &Path, workload: Workload, size: u64, procs: usize) -> Result<Line, String> {
    let out = Command::new(bin)
        .arg(workload.name())
        .arg(size.to_string())
        .env("GOMAXPROCS", procs.to_string())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} GOMAXPROCS={procs} failed ({}):\n{}",
            workload.name(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    results::parse_line(&String::from_utf8_lossy(&out.stdout))
        .map_err(|e| format!("{} GOMAXPROCS={procs}: {e}", workload.name()))
}

/// The progress indicator on stderr: one rewritten line on a terminal, one
/// line per step otherwise (CI logs).
struct Progress {
    done: usize,
    total: usize,
    tty: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            done: 0,
            total,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn step(&mut self, what: &str) {
        self.done += 1;
        let width = self.total.to_string().len();
        let text = format!("[{:>width$}/{}] {what}", self.done, self.total);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{text}");
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "{text}");
        }
    }

    /// Ends the progress line before an error message.
    fn fail(&mut self, msg: String) -> String {
        self.finish();
        msg
    }

    fn finish(&mut self) {
        if self.tty {
            eprintln!();
            self.tty = false;
        }
    }
}

/// Now in UTC as RFC 3339 (`2026-11-22T00:32:06Z`).
pub(crate) fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Formats seconds since the Unix epoch (days to civil date: Howard
/// Hinnant's algorithm).
fn rfc3339(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_307_526), "2026-11-22T00:32:06Z");
    }

    /// Runs every workload of `csp-workloads` at its `--quick` size in
    /// process and checks its JSON line and answer the way a bench run does.
    #[test]
    fn every_csp_workload_gives_the_right_answer() {
        let rt = csp::Runtime::builder().gomaxprocs(2).build().unwrap();
        for w in Workload::ALL {
            let size = w.size(true);
            let report = rt.block_on(csp_workloads::run(w.name(), size)).unwrap();
            let line = results::parse_line(&report.to_json_line()).unwrap();
            results::check(&line, Impl::Csp, w, 2, w.expected(size)).unwrap();
        }
    }
}
