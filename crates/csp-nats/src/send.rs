//! The send bridge of a buffered channel (capacity n ≥ 1): one goroutine per
//! remote channel and process that takes values from the local senders and
//! publishes them to the channel's stream. Capacity 0 has its own bridges
//! ([`crate::rendezvous`]); [`store`] is shared with them.
//!
//! # Invariants
//! - A value is taken from the local channel only while a local send is
//!   parked on it (a [`Demand`]) and the value has a slot: the bridge first
//!   stores an empty *reservation* on the value's own subject (the stream
//!   refuses it when full: the server decides, atomically), then takes the
//!   value and publishes it on that subject, where it replaces the
//!   reservation (one message per subject; the server allows a replacement
//!   in a full stream). So capacity n is never passed, whichever processes
//!   send. Receiving bridges skip reservations, and reap one that outlived
//!   `ack_wait` (its sending process died).
//! - The value's publish is not awaited on the spot: its acknowledgement is
//!   awaited after the next value's reservation (the server answers in
//!   order), so a value costs one trip, the reservation's. A value is
//!   settled (its acknowledgement seen, or republished until stored) before
//!   the next one is published, and before the bridge closes the channel.
//! - A *spare*: when a reservation was stored without waiting for room and
//!   the capacity is at least [`SPARE_MIN_CAPACITY`], the next value's
//!   reservation is published right behind the value, before that value's
//!   send has parked (a producer's next send parks a moment after its last
//!   completed), so the next value waits for no trip of its own. A spare
//!   no send claims within [`SPARE_HOLD`] is deleted; it is held in the
//!   outbox meanwhile, so the program's end deletes it too.
//! - One value at a time, in the order the local channel gave them, so one
//!   producer's values reach the stream in its order.
//! - A publish is retried with the same message id until the server answers,
//!   so a retry after a lost acknowledgement is deduplicated, not stored
//!   twice.
//! - Every value taken is *held* in the bridge's [`Outbox`] until settled,
//!   so the last `Remote` handle's drop waits for it (see [`crate::outbox`]).
//! - The local channel is closed only by `close()` (the bridge keeps a sender
//!   alive): its close closes the remote channel; a remote close closes it.
//!
//! # Locking
//! None: the bridge owns its state.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::publish::PublishAck;
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
use crate::outbox::Outbox;
use crate::remote::Shared;

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
    /// What the bridge owes the server, for the last `Remote`'s drop.
    pub(crate) outbox: Arc<Outbox>,
}

/// What became of one value given to [`store`].
pub(crate) enum Stored {
    /// In the stream.
    Done,
    /// The remote channel is closed: nothing can land in it.
    Closed,
}

/// The header marking a reservation (see the module docs).
pub(crate) const RESERVED_HEADER: &str = "Csp-Reserved";

/// A publish's acknowledgement, to await later.
type AckFuture = Pin<Box<dyn Future<Output = Result<PublishAck, PublishError>> + Send>>;

/// A value published whose acknowledgement the bridge has not awaited yet.
struct Published {
    ack: AckFuture,
    payload: bytes::Bytes,
    id: String,
}

/// A reservation made ahead, for the value of a send that has not parked
/// yet (see the module docs).
struct Spare {
    id: String,
    ack: AckFuture,
    made: Instant,
}

/// How long a spare reservation waits for a local send before the bridge
/// deletes it.
const SPARE_HOLD: Duration = Duration::from_millis(5);
/// The smallest capacity for which the bridge reserves ahead: a spare holds
/// at most a quarter of the channel.
const SPARE_MIN_CAPACITY: usize = 4;

/// Runs the bridge until the channel closes, locally or remotely.
pub(crate) async fn run<T: Serialize>(mut b: SendBridge<T>) {
    let mut published: Option<Published> = None;
    let mut spare: Option<Spare> = None;
    loop {
        // `biased`: the last value's acknowledgement first, then demand: a
        // value whose send parked before a flush request was made is taken
        // (and stored) before the request is answered.
        let waiting = tokio::select! {
            biased;
            res = ack_of(&mut published), if published.is_some() => {
                let p = published.take().expect("checked");
                settle(&mut b, p, res).await;
                continue;
            }
            waiting = b.demand.sender_waiting() => waiting,
            () = spare_expiry(spare.as_ref().map(|s| s.made)) => {
                let s = spare.take().expect("checked");
                drop_spare(&b, s).await;
                continue;
            }
            Some(done) = b.flushes.recv(), if published.is_none() => {
                let _ = done.send(());
                continue;
            }
            () = b.outbox.nudge.notified() => continue,
            Some(_) = b.control.next() => {
                if let Some((true, _)) = b.shared.remote_state(&b.name).await {
                    b.rx.close();
                }
                continue;
            }
        };
        if !waiting {
            tracing::trace!("remote channel {:?}: local close; send bridge ends", b.name);
            // Closed locally by `close()`, or above after a remote close;
            // the last value lands before the close.
            if let Some(mut p) = published.take() {
                let res = (&mut p.ack).await;
                settle(&mut b, p, res).await;
            }
            if let Some(s) = spare.take() {
                drop_spare(&b, s).await;
            }
            b.shared.close_remote(&b.name).await;
            b.outbox.closed_remotely();
            break;
        }
        // A spare reservation stored is this value's slot.
        let spared = match spare.take() {
            Some(mut s) => {
                let res = (&mut s.ack).await;
                b.outbox.release();
                res.ok().map(|ack| (s.id, ack.sequence))
            }
            None => None,
        };
        let (id, reservation, roomy) = match spared {
            Some((id, seq)) => (id, seq, true),
            None => {
                let id = b.shared.next_msg_id();
                match reserve(&mut b, &id).await {
                    Reserve::Stored { seq, waited } => (id, seq, !waited),
                    Reserve::Gone | Reserve::Closed => continue,
                }
            }
        };
        // The server answers in order: the previous value's acknowledgement
        // came before the reservation's. Settled here, before the next value
        // is published, a retry keeps the order.
        if let Some(mut p) = published.take() {
            let res = (&mut p.ack).await;
            settle(&mut b, p, res).await;
        }
        b.outbox.hold();
        // The parked send may have given up meanwhile: then look again.
        let Ok(value) = b.rx.try_recv() else {
            b.outbox.release();
            // Another value will need it soon, but not necessarily here.
            let _ = b.stream.delete_message(reservation).await;
            continue;
        };
        let payload = match postcard::to_stdvec(&value) {
            Ok(p) => bytes::Bytes::from(p),
            Err(e) => {
                b.shared.report(BridgeError::Encode {
                    channel: b.name.clone(),
                    error: e.to_string(),
                });
                b.outbox.release();
                let _ = b.stream.delete_message(reservation).await;
                continue;
            }
        };
        // Published now, its acknowledgement awaited while the next
        // reservation travels.
        let message = PublishMessage::build()
            .payload(payload.clone())
            .message_id(&id);
        let subject = name::value_subject(&b.name, &id);
        let ack = match b.shared.js.send_publish(subject, message).await {
            Ok(ack) => ack.into_future(),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        };
        published = Some(Published { ack, payload, id });
        // The producer's next send parks in a moment: its reservation
        // travels now, behind this value, unless the stream was full or
        // the channel is small.
        if roomy && b.capacity >= SPARE_MIN_CAPACITY {
            let id = b.shared.next_msg_id();
            let (subject, message) = reservation_message(&b.name, &id);
            if let Ok(ack) = b.shared.js.send_publish(subject, message).await {
                b.outbox.hold();
                spare = Some(Spare {
                    id,
                    ack: ack.into_future(),
                    made: Instant::now(),
                });
            }
        }
    }
    b.shared.outboxes.remove(&b.outbox);
    drop(b.keeper);
}

/// Resolves when `spare` has waited [`SPARE_HOLD`] for a local send; never
/// without one.
async fn spare_expiry(made: Option<Instant>) {
    match made {
        Some(made) => tokio::time::sleep_until(made + SPARE_HOLD).await,
        None => std::future::pending().await,
    }
}

/// Deletes an unused spare reservation, freeing its slot.
async fn drop_spare<T>(b: &SendBridge<T>, mut s: Spare) {
    if let Ok(ack) = (&mut s.ack).await {
        let _ = b.stream.delete_message(ack.sequence).await;
    }
    b.outbox.release();
}

/// The acknowledgement of the published value (cancel safe: polled in place).
async fn ack_of(published: &mut Option<Published>) -> Result<PublishAck, PublishError> {
    match published {
        Some(p) => (&mut p.ack).await,
        None => std::future::pending().await,
    }
}

/// Finishes a published value: on an error (a lost connection, ...) it is
/// published again with the same message id (deduplicated) until stored; a
/// closed channel refuses it, which is reported.
async fn settle<T>(b: &mut SendBridge<T>, p: Published, res: Result<PublishAck, PublishError>) {
    if let Err(e) = res {
        tracing::debug!("remote channel {:?}: publish: {e}; retrying", b.name);
        if let Stored::Closed = store(&b.shared, &b.name, p.payload, &p.id, Some(&mut b.free)).await
        {
            b.shared.report(BridgeError::SendAfterClose {
                channel: b.name.clone(),
            });
            b.rx.close();
        }
    }
    b.outbox.release();
}

/// What became of a reservation.
enum Reserve {
    /// Stored, with this sequence number; `waited`: the stream was full
    /// first.
    Stored { seq: u64, waited: bool },
    /// The parked send gave up while the stream was full: nothing reserved.
    Gone,
    /// The channel is closed (remotely, or locally while waiting): the local
    /// channel is closed now.
    Closed,
}

/// Stores a reservation on value `id`'s subject, waiting while the stream is
/// full for as long as a local send stays parked.
async fn reserve<T>(b: &mut SendBridge<T>, id: &str) -> Reserve {
    let mut full = Backoff::full();
    let mut errors = Backoff::errors();
    let mut waited = false;
    loop {
        // Pings from before this attempt say nothing about later.
        while let Some(Some(_)) = b.free.next().now_or_never() {}
        let (subject, message) = reservation_message(&b.name, id);
        let res = match b.shared.js.send_publish(subject, message).await {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match res {
            Ok(ack) => {
                return Reserve::Stored {
                    seq: ack.sequence,
                    waited,
                }
            }
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                if let Some((true, _)) = b.shared.remote_state(&b.name).await {
                    b.rx.close();
                    return Reserve::Closed;
                }
                errors.wait().await;
            }
            Err(e) if e.to_string().contains("maximum messages") => {
                waited = true;
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

/// The reservation of value `id` of channel `channel`: its subject and
/// message.
fn reservation_message(channel: &str, id: &str) -> (String, PublishMessage) {
    let mut headers = HeaderMap::new();
    headers.insert(RESERVED_HEADER, "1");
    let message = PublishMessage::build()
        .payload(bytes::Bytes::new())
        .headers(headers)
        .message_id(format!("{id}-r"));
    (name::value_subject(channel, id), message)
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
            Ok(_) => return Stored::Done,
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
