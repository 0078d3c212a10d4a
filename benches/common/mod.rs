//! What several benches share: the runtime they measure on and criterion's
//! settings. Not a bench target itself (Cargo discovers `benches/*.rs` only).
#![allow(dead_code)] // each bench uses what it needs

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A 2-worker Tokio runtime with its drivers enabled, as `#[tokio::main]`
/// and csp's runtime build it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// 2 s of measurement after 0.5 s of warm-up, 20 samples.
pub fn config() -> criterion::Criterion {
    criterion::Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
}

/// The least a fan-out's join can cost: one atomic decrement per task and
/// one wake-up, with no registry and no deadlock reporting.
#[derive(Clone)]
pub struct Countdown(Arc<(AtomicUsize, tokio::sync::Notify)>);

impl Countdown {
    /// A countdown from `n`.
    pub fn new(n: usize) -> Self {
        Self(Arc::new((AtomicUsize::new(n), tokio::sync::Notify::new())))
    }

    /// One task done.
    pub fn done(&self) {
        if self.0 .0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0 .1.notify_one();
        }
    }

    /// Returns once every task is done.
    pub async fn wait(&self) {
        while self.0 .0.load(Ordering::Acquire) != 0 {
            self.0 .1.notified().await;
        }
    }
}

/// The CPU time this process has used so far, in ns (every thread's,
/// kernel time included): what a fan-out costs in all, which a busy host
/// disturbs far less than the wall clock.
pub fn process_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
