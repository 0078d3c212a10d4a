//! [`Remote`]: a connection to a NATS server with JetStream, and the place
//! remote channels are opened from.
//!
//! # Invariants
//! - One JetStream work-queue stream per channel name holds its values
//!   ([`crate::name`] derives every NATS name); its message limit is the
//!   channel's capacity (1 for an unbuffered channel) with new messages
//!   refused when full; one durable pull consumer is shared by every process.
//! - The stream's capacity, recorded in its description, is fixed by the
//!   first process that opens the channel; a different capacity elsewhere is
//!   a [`ChanError::CapacityMismatch`].
//! - A closed channel's stream listens on another subject, so no publish can
//!   land after the close; it keeps its remaining values for the receivers.
//! - The last [`Remote`] handle's drop returns only once the send bridges
//!   owe the server nothing, or after its limit ([`crate::outbox`]).
//!
//! # Locking
//! The NATS client is shared by cloning; the error channel is a csp channel.
//! Two small mutexes, the send bridges' flush lines and their outboxes, are
//! held only to add, remove or copy entries, never across an await.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use csp_core::{chan, go, Receiver, Sender};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::backoff::Backoff;
use crate::error::{BridgeError, ChanError, ConnectError};
use crate::name;
use crate::outbox::{self, Outbox, Outboxes};
use crate::{recv, rendezvous, send};

/// Capacity of the [`Remote::errors`] channel; reports beyond it are only
/// logged.
const ERRORS_CAPACITY: usize = 1024;
/// The durable consumer every process pulls a channel's values through.
const CONSUMER: &str = "csp";
/// How a stream's description records the channel's capacity.
const CAPACITY_PREFIX: &str = "csp-nats chan capacity=";

/// Tuning of a [`Remote`]; [`Default`] suits most programs.
///
/// Go has no counterpart.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let opts = csp_nats::RemoteOptions { ack_wait: Duration::from_secs(2), ..Default::default() };
/// assert!(opts.hold() < opts.ack_wait);
/// ```
#[derive(Clone, Debug)]
pub struct RemoteOptions {
    /// How long the server waits for a receiving process to acknowledge a
    /// value before it redelivers it to another: the time a dead receiving
    /// process delays its values. A bridge hands a value to a local receiver
    /// only within [`hold`](Self::hold) of fetching it, well inside this.
    pub ack_wait: Duration,
    /// How long one pull request waits on an empty channel; also how soon an
    /// idle receiving process notices a close.
    pub poll: Duration,
    /// The most values one receiving process fetches at once.
    pub batch: usize,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            ack_wait: Duration::from_secs(10),
            poll: Duration::from_millis(200),
            batch: 16,
        }
    }
}

impl RemoteOptions {
    /// How long a receiving bridge offers a fetched value to its local
    /// receivers before it gives it back to the server (half of
    /// [`ack_wait`](Self::ack_wait)).
    pub fn hold(&self) -> Duration {
        // Capped so a deadline `now + hold` cannot overflow.
        (self.ack_wait / 2).min(Duration::from_secs(365 * 24 * 3600))
    }
}

/// What the bridges of one [`Remote`] share.
pub(crate) struct Shared {
    pub(crate) client: async_nats::Client,
    pub(crate) js: jetstream::Context,
    pub(crate) opts: RemoteOptions,
    errors_tx: Sender<BridgeError>,
    /// One line to each live send bridge, for [`Remote::flush`].
    flushers: parking_lot::Mutex<Vec<send::FlushLine>>,
    /// What the live send bridges owe the server, for the last [`Remote`]'s
    /// drop.
    pub(crate) outboxes: Outboxes,
    /// Makes message ids unique across processes (JetStream deduplicates a
    /// retried publish by its id).
    nonce: String,
    next_id: AtomicU64,
}

impl Shared {
    /// Logs `err` and offers it on [`Remote::errors`] (without waiting).
    pub(crate) fn report(&self, err: BridgeError) {
        tracing::error!("{err}");
        let _ = self.errors_tx.try_send(err);
    }

    /// A message id no other publish from any process uses.
    pub(crate) fn next_msg_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.nonce)
    }

    /// Whether the channel's stream is closed, and how many values it still
    /// holds (delivered or not, but not yet acknowledged); `None` when the
    /// server cannot say now.
    pub(crate) async fn remote_state(&self, name: &str) -> Option<(bool, u64)> {
        let stream = self.js.get_stream(name::stream_name(name)).await.ok()?;
        let info = stream.cached_info();
        let closed = info.config.subjects != [name::data_subject(name)];
        Some((closed, info.state.messages))
    }

    /// Closes the channel on the server: its stream stops listening on the
    /// data subject, then the close is announced. Waits through connection
    /// loss until the server confirms; closing twice is harmless. Returns
    /// `false` when the server has no such channel.
    pub(crate) async fn close_remote(&self, name: &str) -> bool {
        let mut backoff = Backoff::errors();
        loop {
            match self.try_close_remote(name).await {
                Ok(found) => {
                    if found {
                        let _ = self
                            .client
                            .publish(name::control_subject(name), "closed".into())
                            .await;
                        let _ = self.client.flush().await;
                    }
                    return found;
                }
                Err(e) => {
                    tracing::debug!("closing remote channel {name:?}: {e}; retrying");
                    backoff.wait().await;
                }
            }
        }
    }

    /// One attempt of [`close_remote`](Self::close_remote): `Ok(false)` when
    /// the stream does not exist.
    async fn try_close_remote(&self, name: &str) -> Result<bool, String> {
        let stream = match self.js.get_stream(name::stream_name(name)).await {
            Ok(stream) => stream,
            Err(e) => {
                if let jetstream::context::GetStreamErrorKind::JetStream(js) = e.kind() {
                    if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND {
                        return Ok(false);
                    }
                }
                return Err(e.to_string());
            }
        };
        let mut config = stream.cached_info().config.clone();
        let closed = vec![name::closed_subject(name)];
        if config.subjects == closed {
            return Ok(true);
        }
        config.subjects = closed;
        self.js
            .update_stream(config)
            .await
            .map(|_| true)
            .map_err(|e| e.to_string())
    }
}

/// A connection to a NATS server with JetStream, from which remote channels
/// are opened.
///
/// Go has no counterpart (its `netchan` was withdrawn): a `Remote` is what
/// lets [`chan`](Remote::chan) return csp's own channel halves whose values
/// travel between processes.
///
/// Cloning is cheap and shares the connection.
///
/// # Dropping the last handle
/// Blocks until every value a completed local send handed to this
/// connection is stored (capacity 0: confirmed by the receiving process),
/// and every close made on its channels is done, for at most twice
/// [`RemoteOptions::ack_wait`] (5 s at least); at once when nothing is on its way. So a
/// program that sends and returns from `main` loses nothing, as Go's does.
/// The channel halves keep working after the drop. On a current-thread Tokio
/// runtime the drop cannot wait (see [`flush`](Remote::flush)).
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// # let server = csp_nats::TestServer::start()?;
/// # let url = server.url();
/// let remote = csp_nats::Remote::connect(&url).await?;
/// let (tx, rx) = remote.chan::<String>("greetings", 8).await?;
/// tx.send("hello".to_owned()).await.unwrap();
/// assert_eq!(rx.recv().await.as_deref(), Some("hello"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Remote {
    shared: Arc<Shared>,
    errors_rx: Receiver<BridgeError>,
    /// Shared by the clones: dropped with the last one.
    _exit: Arc<ExitGuard>,
}

/// Dropped with the last [`Remote`] handle: waits until the send bridges
/// owe the server nothing (see [`crate::outbox`]).
struct ExitGuard(Arc<Shared>);

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let opts = &self.0.opts;
        // Capacity 0 stores an unconfirmed value after `ack_wait`: room for
        // that, and for the store.
        let limit = (opts.ack_wait * 2).max(Duration::from_secs(5));
        outbox::drain_before_exit(&self.0.outboxes, limit);
    }
}

impl Remote {
    /// Connects to the NATS server at `url` (`nats://host:port`) with default
    /// [`RemoteOptions`]. After a connection loss the client reconnects by
    /// itself, for ever; remote operations wait meanwhile.
    ///
    /// # Errors
    /// [`ConnectError`] when the server cannot be reached now.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future drops the half-made connection.
    pub async fn connect(url: &str) -> Result<Remote, ConnectError> {
        Remote::connect_with(url, RemoteOptions::default()).await
    }

    /// [`connect`](Remote::connect) with explicit options.
    ///
    /// # Errors
    /// [`ConnectError`] when the server cannot be reached now.
    ///
    /// # Cancel safety
    /// As [`connect`](Remote::connect).
    pub async fn connect_with(url: &str, opts: RemoteOptions) -> Result<Remote, ConnectError> {
        let client = async_nats::ConnectOptions::new()
            .max_reconnects(None)
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis(50 * (attempts.min(20) as u64))
            })
            .connect(url)
            .await
            .map_err(ConnectError)?;
        let js = jetstream::new(client.clone());
        let (errors_tx, errors_rx) = chan(ERRORS_CAPACITY);
        let nonce = client.new_inbox().replace('.', "-");
        let shared = Arc::new(Shared {
            client,
            js,
            opts,
            errors_tx,
            flushers: parking_lot::Mutex::new(Vec::new()),
            outboxes: Outboxes::default(),
            nonce,
            next_id: AtomicU64::new(0),
        });
        Ok(Remote {
            _exit: Arc::new(ExitGuard(shared.clone())),
            shared,
            errors_rx,
        })
    }

    /// Opens the remote channel `name` with room for `capacity` values:
    /// Go's `make(chan T, capacity)`, shared by every process that opens the
    /// same name on the same server. Returns csp's own halves, bridged to the
    /// server by two goroutines; they work with `send`, `recv`, `select!`,
    /// timeouts and `close` as a local channel does (see the crate docs for
    /// the semantics beside Go's).
    ///
    /// Values move only on demand: a process fetches values only while one
    /// of its receivers waits, and takes a local send's value only when the
    /// channel has room for it (capacity 0: when a receiver somewhere
    /// waits), so an unused [`Receiver`] or [`Sender`] costs nothing.
    ///
    /// # Errors
    /// [`ChanError::Name`] for a name that is not 1 to 64 characters of
    /// `A-Z a-z 0-9 _ -`; [`ChanError::CapacityMismatch`] when the channel
    /// exists with another capacity; [`ChanError::Server`] when JetStream
    /// refuses or does not answer.
    ///
    /// # Cancel safety
    /// Cancel safe: the bridges start only once everything is set up (a
    /// stream created before the drop stays, as a channel nobody uses).
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// # let server = csp_nats::TestServer::start()?;
    /// # let url = server.url();
    /// let remote = csp_nats::Remote::connect(&url).await?;
    /// let (jobs, _) = remote.chan::<u64>("jobs", 64).await?;
    /// jobs.send(7).await.unwrap();
    /// jobs.close(); // receivers everywhere drain, then get None
    /// assert!(remote.chan::<u64>("jobs.*", 64).await.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn chan<T>(
        &self,
        name: &str,
        capacity: usize,
    ) -> Result<(Sender<T>, Receiver<T>), ChanError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        name::validate(name)?;
        let server = |e: &dyn std::fmt::Display| ChanError::Server {
            name: name.to_owned(),
            message: e.to_string(),
        };
        let config = stream::Config {
            name: name::stream_name(name),
            subjects: vec![name::data_subject(name)],
            retention: stream::RetentionPolicy::WorkQueue,
            max_messages: capacity.max(1) as i64,
            // One message per value subject: a value replaces its
            // reservation, even in a full stream (see `crate::send`).
            max_messages_per_subject: 1,
            discard: stream::DiscardPolicy::New,
            storage: stream::StorageType::File,
            description: Some(format!("{CAPACITY_PREFIX}{capacity}")),
            ..Default::default()
        };
        // Two processes opening a new channel at once race to create its
        // stream; the loser's create fails and its next lookup finds it.
        let mut attempts = 0;
        let stream = loop {
            match self.shared.js.get_or_create_stream(config.clone()).await {
                Ok(stream) => break stream,
                Err(_) if attempts < 3 => attempts += 1,
                Err(e) => return Err(server(&e)),
            }
        };
        let existing = stream
            .cached_info()
            .config
            .description
            .as_deref()
            .and_then(|d| d.strip_prefix(CAPACITY_PREFIX))
            .and_then(|c| c.parse::<usize>().ok());
        if existing != Some(capacity) {
            return Err(ChanError::CapacityMismatch {
                name: name.to_owned(),
                existing: existing.unwrap_or(usize::MAX),
                requested: capacity,
            });
        }
        let consumer_config = consumer::pull::Config {
            durable_name: Some(CONSUMER.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: self.shared.opts.ack_wait,
            max_deliver: -1,
            ..Default::default()
        };
        let mut attempts = 0;
        let consumer: consumer::PullConsumer = loop {
            match stream
                .get_or_create_consumer(CONSUMER, consumer_config.clone())
                .await
            {
                Ok(consumer) => break consumer,
                Err(_) if attempts < 3 => attempts += 1,
                Err(e) => return Err(server(&e)),
            }
        };
        let control = self
            .shared
            .client
            .subscribe(name::control_subject(name))
            .await
            .map_err(|e| server(&e))?;
        let free = self
            .shared
            .client
            .subscribe(name::free_subject(name))
            .await
            .map_err(|e| server(&e))?;
        let subscribe = |subject: String| {
            let client = self.shared.client.clone();
            async move { client.subscribe(subject).await.map_err(|e| server(&e)) }
        };
        // Capacity 0: the inboxes of the rendezvous (see `crate::rendezvous`).
        let rendezvous = if capacity == 0 {
            let done_inbox = self.shared.client.new_inbox();
            let inbox = self.shared.client.new_inbox();
            Some((
                subscribe(done_inbox.clone()).await?,
                done_inbox,
                subscribe(inbox.clone()).await?,
                inbox,
                subscribe(name::have_subject(name)).await?,
                subscribe(name::cancel_subject(name)).await?,
            ))
        } else {
            None
        };

        let (user_tx, bridge_rx, send_demand) = csp_core::chan::watched::<T>(0);
        let (bridge_tx, user_rx, recv_demand) = csp_core::chan::watched::<T>(0);
        let (flush_line, flushes) = tokio::sync::mpsc::unbounded_channel();
        {
            let mut flushers = self.shared.flushers.lock();
            flushers.retain(|line| !line.is_closed());
            flushers.push(flush_line);
        }
        let local = user_tx.clone();
        let outbox = Arc::new(Outbox::new(name, move || local.is_closed()));
        self.shared.outboxes.add(outbox.clone());
        let (shared, name) = (self.shared.clone(), name.to_owned());
        match rendezvous {
            Some((done, done_inbox, replies, inbox, haves, cancels)) => {
                go(rendezvous::run_sending(rendezvous::Sending {
                    shared: shared.clone(),
                    name: name.clone(),
                    rx: bridge_rx,
                    demand: send_demand,
                    keeper: user_tx.clone(),
                    control,
                    flushes,
                    done_inbox,
                    done,
                    cancels,
                    outbox,
                }));
                go(rendezvous::run_receiving(rendezvous::Receiving {
                    shared,
                    name: name.clone(),
                    tx: bridge_tx,
                    demand: recv_demand,
                    consumer,
                    inbox,
                    replies,
                    haves,
                    free: name::free_subject(&name).into(),
                }));
                drop(free);
            }
            None => {
                go(send::run(send::SendBridge {
                    flushes,
                    shared: shared.clone(),
                    name: name.clone(),
                    capacity,
                    stream,
                    rx: bridge_rx,
                    demand: send_demand,
                    keeper: user_tx.clone(),
                    control,
                    free,
                    outbox,
                }));
                go(recv::run(recv::RecvBridge {
                    shared,
                    name: name.clone(),
                    batch: self.shared.opts.batch.clamp(1, capacity),
                    consumer,
                    tx: bridge_tx,
                    demand: recv_demand,
                    free: name::free_subject(&name).into(),
                }));
            }
        }
        Ok((user_tx, user_rx))
    }

    /// Closes the remote channel `name` from this process without opening
    /// it: Go's `close(ch)`. Receivers in every process drain what the
    /// channel holds, then get `None`; sends after the close return their
    /// value. Waits through connection loss until the server confirms.
    ///
    /// # Errors
    /// [`ChanError::Name`] for an invalid name; [`ChanError::NotFound`] when
    /// no process ever opened the channel on this server.
    ///
    /// # Cancel safety
    /// Cancel safe: the close happens or not, nothing else changes.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// # let server = csp_nats::TestServer::start()?;
    /// # let url = server.url();
    /// let remote = csp_nats::Remote::connect(&url).await?;
    /// # remote.chan::<u64>("jobs", 8).await?;
    /// remote.close("jobs").await?;
    /// assert!(remote.close("never_opened").await.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn close(&self, name: &str) -> Result<(), ChanError> {
        name::validate(name)?;
        if self.shared.close_remote(name).await {
            Ok(())
        } else {
            Err(ChanError::NotFound {
                name: name.to_owned(),
            })
        }
    }

    /// Waits until every value a local send handed to this connection's
    /// send bridges has reached the server (capacity 0: a receiving process
    /// confirmed it, or it was stored), and every close they started is
    /// done.
    ///
    /// A local send completes when the send bridge takes the value, one trip
    /// before the value reaches the server or the receiving process. The
    /// last `Remote` handle's drop waits for the same (blocking its thread);
    /// `flush` is the way to wait without blocking: before another process
    /// relies on the values being stored (a close from elsewhere), or on a
    /// current-thread Tokio runtime, where the drop cannot wait. Go has no
    /// counterpart (a sent value is in the channel).
    ///
    /// # Cancel safety
    /// Cancel safe: flushing only waits.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// # let server = csp_nats::TestServer::start()?;
    /// # let url = server.url();
    /// let remote = csp_nats::Remote::connect(&url).await?;
    /// let (tx, _) = remote.chan::<u32>("results", 8).await?;
    /// tx.send(42).await.unwrap();
    /// remote.flush().await; // now the process may exit
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&self) {
        let waits: Vec<_> = {
            let flushers = self.shared.flushers.lock();
            flushers
                .iter()
                .filter_map(|line| {
                    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
                    line.send(done_tx).ok().map(|()| done_rx)
                })
                .collect()
        };
        for done in waits {
            // An error means the bridge ended: it has nothing left to send.
            let _ = done.await;
        }
    }

    /// What this connection's bridge goroutines could not do (a payload that
    /// does not deserialize, ...), as a csp channel. Each report is also
    /// logged with `tracing`; beyond 1024 unread reports, only logged.
    ///
    /// Go has no counterpart.
    ///
    /// # Examples
    /// ```
    /// # csp_core::runtime_for_doctest(async {
    /// # let server = csp_nats::TestServer::start()?;
    /// # let url = server.url();
    /// let remote = csp_nats::Remote::connect(&url).await?;
    /// if let Ok(err) = remote.errors().try_recv() {
    ///     eprintln!("{err}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn errors(&self) -> &Receiver<BridgeError> {
        &self.errors_rx
    }
}
