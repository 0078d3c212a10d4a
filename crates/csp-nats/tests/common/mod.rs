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
