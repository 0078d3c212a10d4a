//! `csp-soak SECONDS`: runs the soak workload ([`csp_workloads::soak`]) for
//! SECONDS on a csp runtime with GOMAXPROCS workers, printing one CSV sample
//! a second on stdout. Exit status 2 on bad arguments; a failed check in the
//! workload panics (non-zero exit).

use std::io::Write;
use std::process::ExitCode;

use csp_workloads::soak;

#[global_allocator]
static ALLOC: csp_workloads::heap::CountingAlloc = csp_workloads::heap::CountingAlloc;

fn usage(msg: &str) -> ExitCode {
    eprintln!("csp-soak: {msg}\nusage: csp-soak SECONDS");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seconds] = args.as_slice() else {
        return usage("expected one argument");
    };
    let Ok(seconds) = seconds.parse::<u64>() else {
        return usage(&format!("SECONDS must be a whole number, got {seconds:?}"));
    };
    let rt = match csp::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return usage(&e.to_string()),
    };
    let rounds = rt.run(async move {
        println!("{}", soak::HEADER);
        soak::run(seconds, |s| {
            let mut out = std::io::stdout().lock();
            // The reader (cargo xtask soak) wants each sample as it comes.
            let _ = writeln!(out, "{}", s.to_csv());
            let _ = out.flush();
        })
        .await
    });
    eprintln!("csp-soak: {rounds} rounds, every sum checked");
    ExitCode::SUCCESS
}
