//! The csp runtime: GOMAXPROCS from the environment and the builder, invalid
//! values, runtime queries, and Go's exit semantics.

mod common;

use std::time::{Duration, Instant};

use common::{is_child, report, run_child, within};
use csp_core::runtime::{GOMAXPROCS_ENV, MAX_GOMAXPROCS};
use csp_core::{go, gomaxprocs, gosched, num_cpu, Runtime, RuntimeError};

/// Child: prints what a default runtime reports for GOMAXPROCS and how many
/// Tokio workers it really has, or the build error.
#[test]
fn child_report_default_runtime() {
    if !is_child("child_report_default_runtime") {
        return;
    }
    match Runtime::new() {
        Ok(rt) => {
            let (g, w) = rt.run(async {
                (
                    gomaxprocs(),
                    tokio::runtime::Handle::current().metrics().num_workers(),
                )
            });
            println!("REPORT gomaxprocs={g} workers={w} rt={}", rt.gomaxprocs());
        }
        Err(e) => println!("REPORT error={}", e.to_string().replace(' ', "_")),
    }
}

/// Child: the builder's value wins over the environment.
#[test]
fn child_report_builder_runtime() {
    if !is_child("child_report_builder_runtime") {
        return;
    }
    let rt = Runtime::builder()
        .gomaxprocs(2)
        .build()
        .expect("valid builder value");
    let (g, w) = rt.run(async {
        (
            gomaxprocs(),
            tokio::runtime::Handle::current().metrics().num_workers(),
        )
    });
    println!("REPORT gomaxprocs={g} workers={w}");
}

#[test]
fn gomaxprocs_env_sets_the_worker_count() {
    for n in ["1", "3"] {
        let out = run_child("child_report_default_runtime", &[(GOMAXPROCS_ENV, Some(n))]);
        assert!(out.status.success(), "child failed: {out:?}");
        assert_eq!(
            report(&out, "gomaxprocs"),
            n,
            "gomaxprocs() with GOMAXPROCS={n}"
        );
        assert_eq!(
            report(&out, "workers"),
            n,
            "Tokio workers with GOMAXPROCS={n}"
        );
        assert_eq!(
            report(&out, "rt"),
            n,
            "Runtime::gomaxprocs with GOMAXPROCS={n}"
        );
    }
}

#[test]
fn gomaxprocs_defaults_to_the_cpu_count_when_unset_or_empty() {
    for env in [None, Some("")] {
        let out = run_child("child_report_default_runtime", &[(GOMAXPROCS_ENV, env)]);
        assert!(out.status.success(), "child failed: {out:?}");
        assert_eq!(report(&out, "gomaxprocs"), num_cpu().to_string());
        assert_eq!(report(&out, "workers"), num_cpu().to_string());
    }
}

#[test]
fn builder_overrides_gomaxprocs_env() {
    let out = run_child(
        "child_report_builder_runtime",
        &[(GOMAXPROCS_ENV, Some("3"))],
    );
    assert!(out.status.success(), "child failed: {out:?}");
    assert_eq!(report(&out, "gomaxprocs"), "2");
    assert_eq!(report(&out, "workers"), "2");
}

#[test]
fn invalid_gomaxprocs_env_is_an_error_naming_variable_and_value() {
    for (value, expected) in [
        ("0", "at_least_1"),
        ("-1", "at_least_1"),
        ("abc", "at_least_1"),
        ("2.5", "at_least_1"),
        ("4096", "at_most_1024"),
    ] {
        let out = run_child(
            "child_report_default_runtime",
            &[(GOMAXPROCS_ENV, Some(value))],
        );
        assert!(out.status.success(), "child failed: {out:?}");
        let err = report(&out, "error");
        assert!(
            err.starts_with(&format!(
                "invalid_GOMAXPROCS=\"{value}\":_expected_a_whole_number_of_"
            )),
            "GOMAXPROCS={value}: {err}"
        );
        assert!(err.ends_with(expected), "GOMAXPROCS={value}: {err}");
    }
}

#[test]
fn builder_rejects_out_of_range_gomaxprocs() {
    for n in [0, MAX_GOMAXPROCS + 1] {
        let err = Runtime::builder().gomaxprocs(n).build().unwrap_err();
        assert!(matches!(err, RuntimeError::InvalidGomaxprocs { value } if value == n));
        assert!(
            err.to_string()
                .contains(&format!("invalid gomaxprocs({n})")),
            "{err}"
        );
    }
}

#[test]
fn builder_gomaxprocs_is_the_worker_count() {
    within(|| {
        let rt = Runtime::builder().gomaxprocs(3).build().unwrap();
        assert_eq!(rt.gomaxprocs(), 3);
        let (in_main, in_goroutine, workers) = rt.run(async {
            let in_goroutine = go(async { gomaxprocs() }).await.unwrap();
            (
                gomaxprocs(),
                in_goroutine,
                tokio::runtime::Handle::current().metrics().num_workers(),
            )
        });
        assert_eq!((in_main, in_goroutine, workers), (3, 3, 3));
        // block_on runs on this thread but still reports its runtime's value.
        assert_eq!(rt.block_on(async { gomaxprocs() }), 3);
    });
}

#[test]
fn gomaxprocs_on_a_foreign_tokio_runtime_is_its_worker_count() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(async { gomaxprocs() }), 1);
}

#[test]
fn num_cpu_is_positive() {
    assert!(num_cpu() >= 1);
}

/// Go: the program ends when main returns, whatever other goroutines do.
#[test]
fn run_returns_when_main_returns_without_waiting_for_goroutines() {
    within(|| {
        let start = Instant::now();
        let rt = Runtime::builder().gomaxprocs(2).build().unwrap();
        let out = rt.run(async {
            go(async {
                loop {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            });
            go(async {
                loop {
                    gosched().await;
                }
            });
            gosched().await;
            "main done"
        });
        drop(rt);
        assert_eq!(out, "main done");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "took {:?}",
            start.elapsed()
        );
    });
}

#[test]
fn csp_run_returns_main_output() {
    within(|| {
        let out = csp_core::run(async {
            go(async {
                loop {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            });
            40 + 2
        });
        assert_eq!(out, 42);
    });
}
