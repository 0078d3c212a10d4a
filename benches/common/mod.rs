//! What several benches share: the runtime they measure on and criterion's
//! settings. Not a bench target itself (Cargo discovers `benches/*.rs` only).
#![allow(dead_code)] // each bench uses what it needs

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
