//! `cargo xtask`: project automation. Tasks:
//!
//! - `cargo xtask bench [FLAGS]`: parallel speedup of the CSP workloads over
//!   GOMAXPROCS, csp against Go (see `cargo xtask bench --help`).

mod bench;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask TASK\n\ntasks:\n  bench    parallel speedup over GOMAXPROCS, csp against Go (cargo xtask bench --help)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((task, rest)) if task == "bench" => bench::main(rest),
        Some((flag, _)) if flag == "-h" || flag == "--help" || flag == "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some((task, _)) => {
            eprintln!("cargo xtask: unknown task {task:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
