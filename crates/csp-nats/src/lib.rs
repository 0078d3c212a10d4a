//! csp channels across machines, on NATS JetStream: the same
//! [`Sender`](csp_core::Sender) / [`Receiver`](csp_core::Receiver), the same
//! `select!`, between processes.
//!
//! [`Remote::connect`] reaches a NATS server with JetStream;
//! [`Remote::chan`] opens a named channel every process on that server
//! shares, and returns csp's own channel halves. Two goroutines per channel
//! and process (the *bridges*) move values between the local halves and the
//! server, driven by demand: they watch the local halves with
//! [`csp_core::chan::Demand`] and move a value only when a local sender or
//! receiver waits for it. So `send`, `recv`, `send_timeout`, `recv_timeout`, `close`,
//! `select!` mixing local and remote channels, and csp's deadlock detector
//! all work unchanged. Go never shipped this (its `netchan` was withdrawn).
//!
//! ```
//! # csp_core::runtime_for_doctest(async {
//! # let server = csp_nats::TestServer::start()?;
//! # let url = server.url();
//! let remote = csp_nats::Remote::connect(&url).await?;
//! let (jobs_tx, jobs_rx) = remote.chan::<(u32, String)>("jobs", 64).await?;
//! jobs_tx.send((1, "resize".to_owned())).await.unwrap();
//! // In this or any other process opening "jobs" on the same server:
//! assert_eq!(jobs_rx.recv().await, Some((1, "resize".to_owned())));
//! jobs_tx.close();
//! assert_eq!(jobs_rx.recv().await, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Semantics beside Go's
//!
//! | | Go channel, one process | csp-nats remote channel |
//! |---|---|---|
//! | create | `make(chan T, n)` | `remote.chan::<T>(name, n).await?`: the first process fixes `n` (another `n` elsewhere: [`ChanError::CapacityMismatch`]) |
//! | delivery | each value to exactly one receiver | each value to exactly one receiver in one process: a JetStream work-queue stream per channel, one durable consumer shared by all processes |
//! | capacity `n > 0` | a send waits while `n` values are buffered | the stream holds at most `n` values (limit with *discard new*). A value counts until a receiver took it. The send bridge takes a value from a parked local send only once the value has a slot: it first stores an empty *reservation* on the value's own subject, which the server refuses while the stream is full and which the value then replaces (exact: the server decides). So capacity `n` is never passed, in whichever processes the values were sent, and a send waits while the channel is full. A reservation costs a stored message, not a trip of its own: a value's publish is acknowledged while the next reservation travels, and while the stream has room (capacity 4 and up) the next value's reservation travels behind the value (a *spare*, deleted if no send parks within 5 ms). A reservation counts as a value while it exists, so a send elsewhere may wait for its slot (a spare: at most 5 ms). A reservation whose process died before replacing it is reaped by a receiver after `ack_wait` |
//! | capacity 0 | a send completes when a receiver took the value | a rendezvous: a receiving process asks for a value only while a local receiver (a `recv` or a `select!` case) waits; a sending process subscribes to asks only while a local send waits, and takes the value only in answer to one, handing it straight to the asking process (see below). With no receiver waiting anywhere a send waits, whatever `Receiver`s exist. The window left: the asking process's receivers gave up (a timeout, another `select!` case) during the ask's trip, or, while the ask waited at a sending process for a send to park (at most a quarter of [`RemoteOptions::poll`]), before the receiving process withdrew it (it looks every 2 ms whether its receivers still wait, and a withdrawal takes a one-way trip), or the receiving process asked again after a `poll` without an answer (a late answer then finds its receiver served); that value's send has completed, and the value is offered to the process's next receiver for [`RemoteOptions::hold`], then stored in the stream, where the next receiver anywhere takes it first. The `remote` bench measures that trip: half its unbuffered round trip (`round_trip_unbuffered`) |
//! | the local send | — | completes when this process's send bridge takes the value, which it does only as above; the value is then on its way to the server (capacity n) or to the asking process (capacity 0) for one trip, and the bridge keeps it, retrying, until the server stored it (capacity 0: the receiving process confirmed it, or it was stored): see *process exit* |
//! | order | FIFO: one sender's values reach each receiver in order, and a send that completed before another began is received first | one process's values keep their order while no value is given back (see *hold*) or redelivered; values from different processes are ordered by when their bridges publish them, which can be after the sends completed |
//! | close | `close(ch)`, once; receivers drain, then get the zero value / `ok == false` | `tx.close()` or [`Remote::close`] from any process: receivers everywhere drain the stream, then get `None`; closing twice is harmless |
//! | send after close | panics | returns the value (`SendError`); a value the bridge held as a remote close landed is refused and reported ([`BridgeError::SendAfterClose`]) |
//! | dropping every sender | nothing (GC) | nothing: only an explicit close closes a remote channel |
//! | acknowledgement | — | a value is acknowledged to the server only after a local receiver took it; a process that dies before loses nothing: the server redelivers after [`RemoteOptions::ack_wait`] |
//! | duplicates | never | only one way: a process dies (or loses its connection for longer than `ack_wait`) after its local receiver took a value but before its acknowledgement reached the server (capacity 0: before its confirmation reached the sending process, which stores the value for another receiver after `ack_wait`): the window of one acknowledgement's trip (measured by the `remote` bench as the `ack_round_trip`). A server crash (SIGKILL) widens it to the acknowledgements the server had received but not yet written to its store, at most one fetched batch per receiving process: the fault tests count 0 to 8 such duplicates per crash (2,000 values at capacity 16, batches of 16) |
//! | connection loss | — | the client reconnects for ever; sends and receives wait and resume (a retried publish is deduplicated by its message id); bound them with `send_timeout` / `recv_timeout` / `select!` with `after` |
//! | hold | — | a receiving bridge fetches values only while a local receiver waits, and offers a fetched value to its local receivers for [`RemoteOptions::hold`]; untaken, it goes back to the server for another process. A [`Receiver`](csp_core::Receiver) nobody receives on costs nothing |
//! | bad input | cannot happen (typed) | a payload that does not deserialize into `T` is acknowledged and reported on [`Remote::errors`] and in a `tracing` error naming the channel; never a panic, never a silent drop |
//! | names | — | 1 to 64 characters of `A-Z a-z 0-9 _ -` ([`NameError`]): no subject wildcards or dots. A closed channel's name stays closed on that server |
//! | process exit | `main` returning ends the program; a sent value is in the channel | the same for a program that ends normally: dropping the last [`Remote`] handle (as `main` returns) blocks until every value a completed local send handed to this connection's bridges is stored (capacity 0: confirmed, or stored) and every close made on its channels is done, for at most twice [`RemoteOptions::ack_wait`], 5 s at least (past that, an error log names the channel). On a current-thread Tokio runtime it cannot wait (the bridges need that thread): await [`Remote::flush`] there before exiting (the drop logs a warning otherwise). A process killed (or calling `std::process::exit`) while a value is on its way loses it, as a Go process loses what its channels held |
//! | deadlock detection | all goroutines asleep: fatal error | unchanged for local channels; a goroutine waiting on a remote channel is not reported, since another process may still wake it (its bridge waits on the network) |
//! | goroutines | — | two bridge goroutines per opened channel and connection, until the channel is closed (or, receive side, every local receiver dropped) |
//!
//! # Wire format
//!
//! Values are encoded with [postcard](https://docs.rs/postcard): a compact,
//! stable (1.0 wire format), `no_std`-capable serde format with varint
//! integers and no field names, maintained as part of the Rust embedded
//! ecosystem. It is not self-describing: every process must use the same `T`;
//! a mismatch is what [`BridgeError::BadPayload`] reports.
//!
//! # Server and client
//!
//! Tested against `nats-server` 2.9 (Debian's package) with JetStream
//! (`nats-server -js`). The client is `async-nats` 0.46, pinned: its minimum
//! Rust (1.79) fits the workspace's, and with its `server_2_10`+ features off
//! it sends only requests a 2.9 server understands. Streams use file storage,
//! so a restarted server keeps every channel's values.
//!
//! # Testing
//!
//! [`TestServer`] starts a throwaway `nats-server -js` on a free loopback
//! port (Debian: `apt-get install -y nats-server`).

mod backoff;
mod error;
mod name;
mod outbox;
mod recv;
mod remote;
mod rendezvous;
mod send;
mod test_server;

pub use error::{BridgeError, ChanError, ConnectError};
pub use name::{NameError, MAX_NAME_LEN};
pub use remote::{Remote, RemoteOptions};
pub use test_server::{TestServer, TestServerError};
