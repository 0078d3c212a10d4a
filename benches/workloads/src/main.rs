//! `csp-workloads WORKLOAD SIZE`: runs one workload on a csp runtime with
//! GOMAXPROCS workers (from the `GOMAXPROCS` variable, else the core count)
//! and prints its JSON report line. Exit status 2 on bad arguments.

use std::process::ExitCode;

fn usage(msg: &str) -> ExitCode {
    eprintln!(
        "csp-workloads: {msg}\nusage: csp-workloads WORKLOAD SIZE   (WORKLOAD: {})",
        csp_workloads::WORKLOADS.join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, size] = args.as_slice() else {
        return usage("expected two arguments");
    };
    if !csp_workloads::WORKLOADS.contains(&workload.as_str()) {
        return usage(&format!("unknown workload {workload:?}"));
    }
    let Ok(size) = size.parse::<u64>() else {
        return usage(&format!("SIZE must be a whole number, got {size:?}"));
    };
    let rt = match csp::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return usage(&e.to_string()),
    };
    let workload = workload.clone();
    match rt.run(async move { csp_workloads::run(&workload, size).await }) {
        Ok(report) => {
            println!("{}", report.to_json_line());
            ExitCode::SUCCESS
        }
        Err(e) => usage(&e),
    }
}
