//! [`TestServer`]: a throwaway `nats-server -js` for tests, examples and
//! benchmarks, on a free loopback port with its own store directory.
//!
//! # Invariants
//! - While a `TestServer` lives, its process runs (unless [`TestServer::kill`]
//!   stopped it); dropping it kills the process and removes the directory.
//! - Its port stays its own across `kill` and `restart`: on Linux it lies
//!   below the ephemeral range, where no outgoing connection takes its local
//!   port, and each server of the process starts its search elsewhere (see
//!   [`free_port`]).
//!
//! # Locking
//! None.

use std::fmt;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a starting server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The lowest port [`free_port`] hands out below the ephemeral range.
const LOWEST_PORT: u32 = 10_000;

/// A loopback port free right now, for a server that will be killed and
/// restarted on it.
///
/// A port the system picks (`bind` to port 0) comes from the ephemeral
/// range, where clients' outgoing connections take their local ports: while
/// the server is down, a client reconnecting could take that very port as
/// its own (or connect to itself on it: TCP's simultaneous open), and the
/// restarted server would not get it back. So on Linux the port is searched
/// below `ip_local_port_range`, from a starting point that differs per
/// process and per call (two servers of one process never race for one);
/// elsewhere the system picks.
fn free_port() -> std::io::Result<u16> {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
        .filter(|&low| low > LOWEST_PORT + 1_000 && low <= u32::from(u16::MAX))
        .map(|low| LOWEST_PORT..low);
    if let Some(range) = range {
        let span = u64::from(range.end - range.start);
        let call = CALLS.fetch_add(1, Ordering::Relaxed);
        // Calls of one process step 97 ports apart; processes start 7,919
        // apart (both prime to most spans), so neighbours rarely meet.
        let start = (u64::from(std::process::id()) * 7_919 + call * 97) % span;
        for k in 0..span {
            let Ok(port) = u16::try_from(range.start + ((start + k) % span) as u32) else {
                continue;
            };
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return Ok(port);
            }
        }
    }
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Why a [`TestServer`] did not start.
#[derive(Debug)]
pub struct TestServerError(String);

impl fmt::Display for TestServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestServerError {}

/// A `nats-server` with JetStream, started for one test and stopped when
/// dropped.
///
/// Go has no counterpart; Go's NATS tests use `natsserver.RunServer`, which
/// this mirrors.
///
/// # Examples
/// ```
/// let server = csp_nats::TestServer::start().expect("nats-server");
/// println!("connect to {}", server.url());
/// ```
pub struct TestServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl TestServer {
    /// Starts `nats-server -js` on a free port of 127.0.0.1 with a new store
    /// directory under the system's temporary directory, and waits until it
    /// accepts connections.
    ///
    /// # Errors
    /// When the `nats-server` binary is missing (the message says how to
    /// install it), or the server does not come up.
    pub fn start() -> Result<TestServer, TestServerError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let port =
            free_port().map_err(|e| TestServerError(format!("no free loopback port: {e}")))?;
        let dir = std::env::temp_dir().join(format!(
            "csp-nats-{}-{}-{port}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut server = TestServer {
            child: None,
            port,
            dir,
        };
        server.restart()?;
        Ok(server)
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL), keeping its store: a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take()); // the watchdog kills the server, waits, exits
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and store (after
    /// [`kill`](Self::kill)); JetStream recovers its streams from the store.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn restart(&mut self) -> Result<(), TestServerError> {
        self.kill();
        if Command::new("nats-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            return Err(TestServerError(
                "cannot run `nats-server`: the csp-nats tests need a NATS server with \
                 JetStream; install it with `apt-get install -y nats-server`"
                    .to_owned(),
            ));
        }
        // A shell watchdog runs the server and SIGKILLs it when its stdin
        // closes: on `kill`, and also when this process dies without
        // dropping the guard (a failed or timed-out test).
        let child = Command::new("sh")
            .args([
                "-c",
                r#"nats-server "$@" & s=$!; read -r _; kill -9 "$s"; wait "$s""#,
                "csp-nats-test-server",
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| TestServerError(format!("cannot run `sh` for nats-server: {e}")))?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if Instant::now() > deadline {
                self.kill();
                return Err(TestServerError(format!(
                    "nats-server did not accept connections on port {} within {START_TIMEOUT:?}",
                    self.port
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::{free_port, LOWEST_PORT};

    /// On Linux the port lies below the ephemeral range (no reconnecting
    /// client can take it as its local port), and two calls in a row give
    /// two ports.
    #[test]
    fn ports_lie_below_the_ephemeral_range_and_differ() {
        let a = free_port().unwrap();
        let b = free_port().unwrap();
        assert_ne!(a, b);
        if let Ok(range) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") {
            let low: u32 = range.split_whitespace().next().unwrap().parse().unwrap();
            if low > LOWEST_PORT + 1_000 {
                for port in [a, b] {
                    let port = u32::from(port);
                    assert!((LOWEST_PORT..low).contains(&port), "{port} not below {low}");
                }
            }
        }
    }
}
