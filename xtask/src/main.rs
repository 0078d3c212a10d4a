//! `cargo xtask`: project automation. Tasks:
//!
//! - `cargo xtask bench [FLAGS]`: parallel speedup of the CSP workloads over
//!   GOMAXPROCS, csp against Go (see `cargo xtask bench --help`).
//! - `cargo xtask soak [--minutes N]`: a long mixed workload, failing if its
//!   memory, heap or goroutine count trends upward or its throughput halves (see
//!   `cargo xtask soak --help`).

mod bench;
mod soak;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Project automation for the csp workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// The tasks `cargo xtask` runs.
#[derive(Debug, Subcommand)]
enum Task {
    /// Parallel speedup over GOMAXPROCS, csp against Go (or, with --micro,
    /// the criterion benches against the peers).
    Bench(bench::BenchArgs),
    /// A long mixed workload; fails if memory, heap or goroutines trend upward
    /// or throughput halves.
    Soak(soak::SoakArgs),
}

fn main() -> ExitCode {
    match Cli::parse().task {
        Task::Bench(args) => bench::main(args),
        Task::Soak(args) => soak::main(args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_task_has_help() {
        let err = Cli::try_parse_from(["cargo xtask", "bench", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(err.to_string().contains("--workload"));
        let err = Cli::try_parse_from(["cargo xtask", "--help"]).unwrap_err();
        assert!(err.to_string().contains("bench"));
        assert!(err.to_string().contains("soak"));
        let err = Cli::try_parse_from(["cargo xtask", "soak", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(err.to_string().contains("--minutes"));
        assert!(Cli::try_parse_from(["cargo xtask", "nope"]).is_err());
    }
}
