//! Shared by the csp-nats tests: a server per test and connections to it.

#![allow(dead_code)]

use std::time::Duration;

use csp_nats::{Remote, RemoteOptions, TestServer};

/// Starts a throwaway server; fails the test, saying how to install
/// nats-server, when it cannot.
pub fn server() -> TestServer {
    TestServer::start().unwrap_or_else(|e| panic!("{e}"))
}

/// Options for tests: redelivery after a dead process within a second or two.
pub fn quick_options() -> RemoteOptions {
    RemoteOptions {
        ack_wait: Duration::from_secs(2),
        poll: Duration::from_millis(100),
        ..RemoteOptions::default()
    }
}

/// Connects to `server` with [`quick_options`].
pub async fn connect(server: &TestServer) -> Remote {
    Remote::connect_with(&server.url(), quick_options())
        .await
        .expect("connect to the test server")
}

/// Two processes' worth of connections to `server`, with [`quick_options`]
/// but the given `poll` (how long a receiving bridge's ask waits).
pub async fn connect_pair_polling(server: &TestServer, poll: Duration) -> (Remote, Remote) {
    let opts = RemoteOptions {
        poll,
        ..quick_options()
    };
    let a = Remote::connect_with(&server.url(), opts.clone())
        .await
        .expect("connect to the test server");
    let b = Remote::connect_with(&server.url(), opts)
        .await
        .expect("connect to the test server");
    (a, b)
}

/// Runs `test` to its end on the plain Tokio runtime `rt` (no csp
/// runtime), failing if it takes longer than `limit`.
pub fn run_on_tokio<F: std::future::Future>(
    rt: &tokio::runtime::Runtime,
    limit: Duration,
    test: F,
) {
    // The timeout is made inside the runtime: its timer needs the runtime's.
    let outcome = rt.block_on(async { tokio::time::timeout(limit, test).await });
    assert!(outcome.is_ok(), "timed out after {limit:?}");
}
