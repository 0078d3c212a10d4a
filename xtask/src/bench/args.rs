//! `cargo xtask bench` flags, parsed by hand (there are few of them).

use std::fmt;

use super::spec::Workload;

/// The most GOMAXPROCS `--procs` accepts (csp's own bound too).
pub const MAX_PROCS: usize = 1024;
/// The most runs per measurement `--runs` accepts.
pub const MAX_RUNS: usize = 1000;
/// Runs per measurement without `--runs`.
pub const DEFAULT_RUNS: usize = 5;
/// Runs per measurement with `--quick` and without `--runs`.
pub const QUICK_RUNS: usize = 3;

/// The usage text `--help` prints and errors point to.
pub const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--workload NAME]... [--procs 1,2,4] [--no-go] [--runs N] [--micro]

  --quick            small sizes (seconds, for CI smoke runs)
  --workload NAME    run only NAME (repeatable): sum, workers, sieve, pipeline, spawn
  --procs LIST       GOMAXPROCS values, comma-separated (default 1..=cores, at most 1024)
  --no-go            do not build or run the Go twins in benches/go
  --runs N           runs per workload and GOMAXPROCS (default 5, 3 with --quick)
  --micro            run the criterion micro-benchmarks (cargo bench) and print
                     csp's ratio to the best peer per benchmark instead
  -h, --help         this text

Writes target/xtask-bench/results.json, results.csv and speedup.svg.";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// `--help`.
    Help,
    /// A benchmark run.
    Run(Options),
}

/// The options of one `cargo xtask bench` run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Small sizes.
    pub quick: bool,
    /// Workloads to run, in run order, without repeats.
    pub workloads: Vec<Workload>,
    /// GOMAXPROCS values, ascending, without repeats.
    pub procs: Vec<usize>,
    /// Build and run the Go twins (when `go` is installed).
    pub go: bool,
    /// Runs per workload and GOMAXPROCS.
    pub runs: usize,
    /// Run the criterion micro-benchmarks instead of the workloads.
    pub micro: bool,
}

/// A command line `cargo xtask bench` refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ArgError> {
    Err(ArgError(msg.into()))
}

/// Parses the arguments after `bench`; `cores` gives the default `--procs`.
///
/// # Errors
/// An unknown flag, a missing or malformed value, an unknown workload, a
/// GOMAXPROCS of 0 or above [`MAX_PROCS`], runs of 0 or above [`MAX_RUNS`].
pub fn parse(args: &[String], cores: usize) -> Result<Parsed, ArgError> {
    let mut quick = false;
    let mut go = true;
    let mut micro = false;
    let mut workloads = Vec::new();
    let mut procs = None;
    let mut runs = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if inline.is_some() && matches!(flag, "-h" | "--help" | "--quick" | "--no-go" | "--micro") {
            return err(format!("{flag} takes no value"));
        }
        let mut value = |name: &str| match inline.clone().or_else(|| it.next().cloned()) {
            Some(v) => Ok(v),
            None => err(format!("{name} needs a value")),
        };
        match flag {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--quick" => quick = true,
            "--no-go" => go = false,
            "--micro" => micro = true,
            "--workload" => {
                let name = value("--workload")?;
                let Some(w) = Workload::from_name(&name) else {
                    let known: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
                    return err(format!(
                        "unknown workload {name:?} (known: {})",
                        known.join(", ")
                    ));
                };
                if !workloads.contains(&w) {
                    workloads.push(w);
                }
            }
            "--procs" => procs = Some(parse_procs(&value("--procs")?)?),
            "--runs" => {
                let v = value("--runs")?;
                match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_RUNS).contains(&n) => runs = Some(n),
                    _ => return err(format!("--runs must be from 1 to {MAX_RUNS}, got {v:?}")),
                }
            }
            _ => return err(format!("unknown argument {arg:?}")),
        }
    }
    if workloads.is_empty() {
        workloads = Workload::ALL.to_vec();
    }
    workloads.sort();
    Ok(Parsed::Run(Options {
        quick,
        workloads,
        procs: procs.unwrap_or_else(|| (1..=cores.clamp(1, MAX_PROCS)).collect()),
        go,
        runs: runs.unwrap_or(if quick { QUICK_RUNS } else { DEFAULT_RUNS }),
        micro,
    }))
}

/// Parses `1,2,4` into ascending GOMAXPROCS values without repeats.
fn parse_procs(list: &str) -> Result<Vec<usize>, ArgError> {
    let mut procs = Vec::new();
    for item in list.split(',') {
        let item = item.trim();
        match item.parse::<usize>() {
            Ok(n) if (1..=MAX_PROCS).contains(&n) => procs.push(n),
            Ok(n) => {
                return err(format!(
                    "GOMAXPROCS {n} in --procs is out of range (1 to {MAX_PROCS})"
                ))
            }
            Err(_) => {
                return err(format!(
                    "--procs takes whole numbers separated by commas, got {item:?} in {list:?}"
                ))
            }
        }
    }
    procs.sort_unstable();
    procs.dedup();
    Ok(procs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Parsed, ArgError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(&args, 2)
    }

    fn options(args: &[&str]) -> Options {
        match parse_strs(args) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match parse_strs(args) {
            Err(e) => e.0,
            Ok(p) => panic!("{args:?} was accepted as {p:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = options(&[]);
        assert_eq!(o.workloads, Workload::ALL.to_vec());
        assert_eq!(o.procs, vec![1, 2]);
        assert!(o.go && !o.quick && !o.micro);
        assert_eq!(o.runs, DEFAULT_RUNS);
        assert_eq!(options(&["--quick"]).runs, QUICK_RUNS);
    }

    #[test]
    fn every_flag() {
        let o = options(&[
            "--quick",
            "--workload",
            "sieve",
            "--workload=sum",
            "--workload",
            "sieve",
            "--procs",
            "4,1,2,2",
            "--no-go",
            "--runs",
            "7",
            "--micro",
        ]);
        assert_eq!(o.workloads, vec![Workload::Sum, Workload::Sieve]);
        assert_eq!(o.procs, vec![1, 2, 4]);
        assert!(o.quick && !o.go && o.micro);
        assert_eq!(o.runs, 7);
        assert_eq!(options(&["--procs=3"]).procs, vec![3]);
        assert_eq!(options(&["--procs", "1024"]).procs, vec![1024]);
        assert_eq!(parse_strs(&["--quick", "--help"]), Ok(Parsed::Help));
    }

    #[test]
    fn bad_command_lines_are_refused_with_the_reason() {
        assert!(error(&["--fast"]).contains("unknown argument \"--fast\""));
        assert!(error(&["extra"]).contains("unknown argument"));
        assert!(error(&["--workload", "fib"]).contains("unknown workload \"fib\""));
        assert!(error(&["--workload"]).contains("--workload needs a value"));
        assert!(error(&["--procs", "0"]).contains("out of range"));
        assert!(error(&["--procs", "1025"]).contains("1025"));
        assert!(error(&["--procs", "1,,2"]).contains("whole numbers"));
        assert!(error(&["--procs", "two"]).contains("whole numbers"));
        assert!(error(&["--runs", "0"]).contains("--runs"));
        assert!(error(&["--runs", "-3"]).contains("--runs"));
        assert!(error(&["--quick=yes"]).contains("takes no value"));
    }
}
