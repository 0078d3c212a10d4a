//! The send bridge of a buffered channel (capacity n ≥ 1): one goroutine per
//! remote channel and process that takes values from the local senders and
//! publishes them to the channel's stream. Capacity 0 has its own bridges
//! ([`crate::rendezvous`]); [`store`] is shared with them.
//!
//! # Invariants
//! - A value is taken from the local channel only while a local send is
//!   parked on it (a [`Demand`]) and the value has a slot:
//!   - *reserved*: the bridge first stores an empty reservation on the
//!     value's own subject (the stream refuses it when full: the server
//!     decides, atomically), then takes the value and publishes it on that
//!     subject, where it replaces the reservation (one message per subject;
//!     the server allows a replacement in a full stream). Receiving bridges
//!     skip reservations, and reap one that outlived `ack_wait` (its sending
//!     process died). This path is exact, and costs one more trip;
//!   - *counted*, the fast path: the stream had more than a quarter of the
//!     capacity (at least 2 slots) free by this bridge's count, which takes
//!     every publish the stream's sequence numbers show since its last look
//!     (its own and other processes' that landed before its last) and gives
//!     back one for every slot-free ping heard, and is younger than `poll`;
//!     below the margin the bridge looks at the stream again (unless a look
//!     within a quarter of `poll` found it nearly full) before it reserves.
//!     The count's errors: other processes' publishes since its last
//!     publish, and pings already on their way at the look; when they
//!     exceed the margin, the publish is refused and this bridge holds that
//!     one value (its send completed) until a slot frees.
//! - One value at a time, in the order the local channel gave them, so one
//!   producer's values reach the stream in its order.
//! - A publish is retried with the same message id until the server answers,
//!   so a retry after a lost acknowledgement is deduplicated, not stored
//!   twice; a full stream (discard new) is retried until a slot frees.
//! - The local channel is closed only by `close()` (the bridge keeps a sender
//!   alive): its close closes the remote channel; a remote close closes it.
//!
//! # Locking
//! None: the bridge owns its state.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream;
use async_nats::{HeaderMap, Subscriber};
use csp_core::chan::Demand;
use csp_core::{Receiver, Sender};
use futures::{FutureExt, StreamExt};
use serde::Serialize;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::error::BridgeError;
use crate::name;
use crate::remote::{Shared, StreamState};

/// How [`Remote::flush`](crate::Remote::flush) asks a send bridge to answer
/// once it holds no value.
pub(crate) type FlushLine = tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>;

/// Everything one send bridge owns.
pub(crate) struct SendBridge<T> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) name: String,
    pub(crate) capacity: usize,
    pub(crate) stream: stream::Stream,
    pub(crate) rx: Receiver<T>,
    pub(crate) demand: Demand<T>,
    /// Kept alive so dropping every user sender does not close the channel.
    pub(crate) keeper: Sender<T>,
    pub(crate) control: Subscriber,
    /// Slot-free pings from receiving bridges, waited on while full.
    pub(crate) free: Subscriber,
    /// Flush requests, answered when the bridge holds no value.
    pub(crate) flushes: tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>,
}

/// What became of one value given to [`store`].
pub(crate) enum Stored {
    /// In the stream, with this sequence number.
    Done(u64),
    /// The remote channel is closed: nothing can land in it.
    Closed,
}

/// What this bridge knows of the stream's room: the free slots and the last
/// sequence number at its last look, the last sequence number it has seen
/// since (its own publishes' acknowledgements), when it last learned
/// anything and when it last looked.
struct Room {
    capacity: u64,
    free_at_look: u64,
    seq_at_look: u64,
    seq_seen: u64,
    /// Slot-free pings heard since the look.
    freed: u64,
    seen: Instant,
    looked: Instant,
}

impl Room {
    /// Takes what a look at the stream found.
    fn look(&mut self, capacity: usize, state: &StreamState) {
        let now = Instant::now();
        *self = Room {
            capacity: capacity as u64,
            free_at_look: (capacity as u64).saturating_sub(state.held),
            seq_at_look: state.last_seq,
            seq_seen: state.last_seq,
            freed: 0,
            seen: now,
            looked: now,
        };
    }

    /// The free slots by this bridge's count: every publish the sequence
    /// numbers show since the look (its own and those of other processes
    /// that landed before its last, reservations included) took one, every
    /// slot-free ping heard gave one back.
    fn free(&self) -> u64 {
        (self.free_at_look + self.freed)
            .saturating_sub(self.seq_seen.saturating_sub(self.seq_at_look))
            .min(self.capacity)
    }
}

/// The header marking a reservation (see the module docs).
pub(crate) const RESERVED_HEADER: &str = "Csp-Reserved";

/// Runs the bridge until the channel closes, locally or remotely.
pub(crate) async fn run<T: Serialize>(mut b: SendBridge<T>) {
    let margin = (b.capacity as u64 / 4).max(1);
    let long_ago = Instant::now()
        .checked_sub(b.shared.opts.poll)
        .unwrap_or_else(Instant::now);
    let mut room = Room {
        capacity: b.capacity as u64,
        free_at_look: 0,
        seq_at_look: 0,
        seq_seen: 0,
        freed: 0,
        seen: long_ago,
        looked: long_ago,
    };
    loop {
        // `biased`, demand first: a value whose send parked before a flush
        // request was made is taken (and published) before the request is
        // answered.
        let waiting = tokio::select! {
            biased;
            waiting = b.demand.sender_waiting() => waiting,
            Some(done) = b.flushes.recv() => {
                let _ = done.send(());
                continue;
            }
            Some(_) = b.control.next() => {
                if let Some((true, _)) = b.shared.remote_state(&b.name).await {
                    b.rx.close();
                }
                continue;
            }
        };
        if !waiting {
            tracing::trace!("remote channel {:?}: local close; send bridge ends", b.name);
            // Closed locally by `close()`, or above after a remote close.
            b.shared.close_remote(&b.name).await;
            break;
        }
        let id = b.shared.next_msg_id();
        // Each slot-free ping is one slot freed since (a lost ping only
        // makes the count cautious).
        while let Some(Some(_)) = b.free.next().now_or_never() {
            room.freed += 1;
        }
        let trusted =
            |room: &Room| room.free() > margin && room.seen.elapsed() < b.shared.opts.poll;
        // Look again before paying for a reservation, unless a recent look
        // found the stream (nearly) full.
        let full_lately =
            room.looked.elapsed() < b.shared.opts.poll / 4 && room.free_at_look <= margin;
        if !trusted(&room) && !full_lately {
            match b.shared.stream_state(&b.name).await {
                Some(state) if state.closed => {
                    b.rx.close();
                    continue;
                }
                Some(state) => room.look(b.capacity, &state),
                None => {}
            }
        }
        let reservation = if trusted(&room) {
            None
        } else {
            match reserve(&mut b, &id).await {
                Reserve::Stored(seq) => Some(seq),
                Reserve::Gone | Reserve::Closed => continue,
            }
        };
        // The parked send may have given up meanwhile: then look again.
        let Ok(value) = b.rx.try_recv() else {
            if let Some(seq) = reservation {
                // Another value will need it soon, but not necessarily here.
                let _ = b.stream.delete_message(seq).await;
            }
            continue;
        };
        let payload = match postcard::to_stdvec(&value) {
            Ok(p) => p,
            Err(e) => {
                b.shared.report(BridgeError::Encode {
                    channel: b.name.clone(),
                    error: e.to_string(),
                });
                if let Some(seq) = reservation {
                    let _ = b.stream.delete_message(seq).await;
                }
                continue;
            }
        };
        match store(&b.shared, &b.name, payload.into(), &id, Some(&mut b.free)).await {
            Stored::Done(seq) => {
                room.seq_seen = room.seq_seen.max(seq);
                room.seen = Instant::now();
            }
            Stored::Closed => {
                b.shared.report(BridgeError::SendAfterClose {
                    channel: b.name.clone(),
                });
                b.rx.close();
            }
        }
    }
    drop(b.keeper);
}

/// What became of a reservation.
enum Reserve {
    /// Stored, with this sequence number.
    Stored(u64),
    /// The parked send gave up while the stream was full: nothing reserved.
    Gone,
    /// The channel is closed (remotely, or locally while waiting): the local
    /// channel is closed now.
    Closed,
}

/// Stores a reservation on value `id`'s subject, waiting while the stream is
/// full for as long as a local send stays parked.
async fn reserve<T>(b: &mut SendBridge<T>, id: &str) -> Reserve {
    let subject = name::value_subject(&b.name, id);
    let mut headers = HeaderMap::new();
    headers.insert(RESERVED_HEADER, "1");
    let reservation_id = format!("{id}-r");
    let mut full = Backoff::full();
    let mut errors = Backoff::errors();
    loop {
        // Pings from before this attempt say nothing about later.
        while let Some(Some(_)) = b.free.next().now_or_never() {}
        let message = PublishMessage::build()
            .payload(bytes::Bytes::new())
            .headers(headers.clone())
            .message_id(&reservation_id);
        let res = match b.shared.js.send_publish(subject.clone(), message).await {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match res {
            Ok(ack) => return Reserve::Stored(ack.sequence),
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                if let Some((true, _)) = b.shared.remote_state(&b.name).await {
                    b.rx.close();
                    return Reserve::Closed;
                }
                errors.wait().await;
            }
            Err(e) if e.to_string().contains("maximum messages") => {
                // Full: a receiving bridge pings when it frees a slot; the
                // backoff step covers a missed ping.
                tokio::select! {
                    _ = tokio::time::timeout(full.step(), b.free.next()) => full.grow(),
                    Some(_) = b.control.next() => {}
                    // Nobody ever parks a receive on the bridge's channel
                    // (the bridge only tries): this ends only with a local
                    // close.
                    false = b.demand.receiver_waiting() => return Reserve::Closed,
                }
                if !b.demand.sender_waiting_now() {
                    return Reserve::Gone;
                }
            }
            Err(e) => {
                tracing::debug!("remote channel {:?}: reserve: {e}; retrying", b.name);
                errors.wait().await;
            }
        }
    }
}

/// Publishes one value to the channel's stream with message id `id`,
/// retrying until the server stores it or reports the channel closed. A full
/// stream is retried on each slot-free ping (`free`, when given) or backoff
/// step.
pub(crate) async fn store(
    shared: &Shared,
    channel: &str,
    payload: bytes::Bytes,
    id: &str,
    mut free: Option<&mut Subscriber>,
) -> Stored {
    let subject = name::value_subject(channel, id);
    let mut full = Backoff::full();
    let mut errors = Backoff::errors();
    loop {
        let message = PublishMessage::build()
            .payload(payload.clone())
            .message_id(id);
        let res = match shared.js.send_publish(subject.clone(), message).await {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match res {
            Ok(ack) => return Stored::Done(ack.sequence),
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                if let Some((true, _)) = shared.remote_state(channel).await {
                    return Stored::Closed;
                }
                errors.wait().await;
            }
            Err(e) if e.to_string().contains("maximum messages") => {
                // Wait for a receiving bridge's slot-free ping, or the
                // backoff step if pings were missed; pings that arrived
                // before this attempt say nothing about now.
                match free.as_deref_mut() {
                    Some(free) => {
                        while let Some(Some(_)) = free.next().now_or_never() {}
                        let _ = tokio::time::timeout(full.step(), free.next()).await;
                    }
                    None => tokio::time::sleep(full.step().max(Duration::from_millis(5))).await,
                }
                full.grow();
            }
            Err(e) => {
                tracing::debug!("remote channel {channel:?}: publish: {e}; retrying");
                errors.wait().await;
            }
        }
    }
}
