//! `cargo xtask bench` flags (clap derive), and the [`Options`] a run uses.

use clap::Args;

use super::spec::Workload;

/// The most GOMAXPROCS `--procs` accepts (csp's own bound too).
pub const MAX_PROCS: usize = 1024;
/// The most runs per measurement `--runs` accepts.
pub const MAX_RUNS: usize = 1000;
/// Runs per measurement without `--runs`.
pub const DEFAULT_RUNS: usize = 5;
/// Runs per measurement with `--quick` and without `--runs`.
pub const QUICK_RUNS: usize = 3;

/// Parallel speedup of the CSP workloads over GOMAXPROCS, csp against its Go
/// twins, every answer checked.
///
/// Writes target/xtask-bench/results.json, results.csv and speedup.svg.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Small sizes (seconds, for CI smoke runs).
    #[arg(long)]
    pub quick: bool,
    /// Run only NAME (repeatable): sum, workers, sieve, pipeline, spawn.
    #[arg(long = "workload", value_name = "NAME", value_parser = parse_workload)]
    pub workloads: Vec<Workload>,
    /// GOMAXPROCS values, comma-separated (default 1..=cores, at most 1024).
    #[arg(long, value_name = "LIST", value_parser = parse_procs)]
    pub procs: Option<Procs>,
    /// Do not build or run the Go twins in benches/go.
    #[arg(long)]
    pub no_go: bool,
    /// Runs per workload and GOMAXPROCS (default 5, 3 with --quick).
    #[arg(long, value_name = "N", value_parser = parse_runs, allow_negative_numbers = true)]
    pub runs: Option<usize>,
    /// Run the criterion micro-benchmarks (cargo bench -p csp-benches) and
    /// print csp's ratio to the best peer per benchmark instead.
    #[arg(long)]
    pub micro: bool,
}

/// GOMAXPROCS values, ascending, without repeats (`--procs 4,1,2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procs(pub Vec<usize>);

/// The options of one `cargo xtask bench` run, defaults filled in.
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

impl BenchArgs {
    /// The run these flags ask for; `cores` gives the default `--procs`.
    pub fn options(self, cores: usize) -> Options {
        let mut workloads = if self.workloads.is_empty() {
            Workload::ALL.to_vec()
        } else {
            self.workloads
        };
        workloads.sort();
        workloads.dedup();
        Options {
            quick: self.quick,
            workloads,
            procs: self
                .procs
                .map_or_else(|| (1..=cores.clamp(1, MAX_PROCS)).collect(), |p| p.0),
            go: !self.no_go,
            runs: self
                .runs
                .unwrap_or(if self.quick { QUICK_RUNS } else { DEFAULT_RUNS }),
            micro: self.micro,
        }
    }
}

fn parse_workload(name: &str) -> Result<Workload, String> {
    Workload::from_name(name).ok_or_else(|| {
        let known: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
        format!("unknown workload {name:?} (known: {})", known.join(", "))
    })
}

fn parse_runs(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if (1..=MAX_RUNS).contains(&n) => Ok(n),
        _ => Err(format!("--runs must be from 1 to {MAX_RUNS}, got {v:?}")),
    }
}

/// Parses `1,2,4` into ascending GOMAXPROCS values without repeats.
fn parse_procs(list: &str) -> Result<Procs, String> {
    let mut procs = Vec::new();
    for item in list.split(',') {
        let item = item.trim();
        match item.parse::<usize>() {
            Ok(n) if (1..=MAX_PROCS).contains(&n) => procs.push(n),
            Ok(n) => {
                return Err(format!(
                    "GOMAXPROCS {n} in --procs is out of range (1 to {MAX_PROCS})"
                ))
            }
            Err(_) => {
                return Err(format!(
                    "--procs takes whole numbers separated by commas, got {item:?} in {list:?}"
                ))
            }
        }
    }
    procs.sort_unstable();
    procs.dedup();
    Ok(Procs(procs))
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;
    use clap::Parser;

    use super::*;

    /// `cargo xtask bench`'s flags on their own.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let argv = std::iter::once("bench").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|c| c.args.options(2))
    }

    fn options(args: &[&str]) -> Options {
        parse(args).unwrap_or_else(|e| panic!("{args:?} refused: {e}"))
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(e) => e.to_string(),
            Ok(o) => panic!("{args:?} was accepted as {o:?}"),
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
        let help = parse(&["--quick", "--help"]).unwrap_err();
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        let text = help.to_string();
        for flag in [
            "--quick",
            "--workload",
            "--procs",
            "--no-go",
            "--runs",
            "--micro",
        ] {
            assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
        }
    }

    #[test]
    fn bad_command_lines_are_refused_with_the_reason() {
        assert!(error(&["--fast"]).contains("--fast"));
        assert!(error(&["extra"]).contains("extra"));
        assert!(error(&["--workload", "fib"]).contains("unknown workload \"fib\""));
        assert!(error(&["--workload"]).contains("--workload"));
        assert!(error(&["--procs", "0"]).contains("out of range"));
        assert!(error(&["--procs", "1025"]).contains("1025"));
        assert!(error(&["--procs", "1,,2"]).contains("whole numbers"));
        assert!(error(&["--procs", "two"]).contains("whole numbers"));
        assert!(error(&["--runs", "0"]).contains("--runs"));
        assert!(error(&["--runs", "-3"]).contains("--runs"));
        assert!(error(&["--quick=yes"]).contains("--quick"));
    }
}
