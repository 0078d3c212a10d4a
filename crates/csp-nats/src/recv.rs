//! The receive bridge of a buffered channel (capacity n ≥ 1): one goroutine
//! per remote channel and process that pulls values from the channel's shared
//! consumer and hands them to the local receivers. Capacity 0 has its own
//! bridges ([`crate::rendezvous`]); [`hand`] is shared with them.
//!
//! # Invariants
//! - Values are fetched only while a local receive is parked (a
//!   [`Demand`]): a process whose receivers are busy, or that keeps a
//!   `Receiver` it does not use, leaves the values to the others.
//! - A value is acknowledged to the server only after a local receiver took
//!   it (the local channel is unbuffered), so a process that dies before
//!   that loses nothing: the server redelivers after `ack_wait`.
//! - A fetched value is offered locally only within `hold` (half of
//!   `ack_wait`) of its fetch; past that, it and the rest of its batch are
//!   given back (nak) for another process, so the server never redelivers a
//!   value this process might still hand out.
//! - A payload that does not deserialize is reported and acknowledged, once.
//! - A reservation (see [`crate::send`]) is skipped, never acknowledged nor
//!   given back, until its value replaces it; delivered a second time (it
//!   outlived `ack_wait`: its sending process died) it is acknowledged, which
//!   frees its slot.
//! - The local channel is closed when the remote channel is closed and its
//!   stream holds no value (every value acknowledged): closed and drained.
//!
//! # Locking
//! None: the bridge owns its state.

use std::sync::Arc;
use std::time::Instant;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::{AckKind, Message};
use csp_core::chan::Demand;
use csp_core::{SendTimeoutError, Sender};
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::backoff::Backoff;
use crate::error::BridgeError;
use crate::remote::Shared;
use crate::send::RESERVED_HEADER;

/// Everything one receive bridge owns.
pub(crate) struct RecvBridge<T> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) name: String,
    pub(crate) batch: usize,
    pub(crate) consumer: PullConsumer,
    pub(crate) tx: Sender<T>,
    pub(crate) demand: Demand<T>,
    /// Pinged after each acknowledgement (see [`crate::name::free_subject`]).
    pub(crate) free: async_nats::Subject,
}

/// What became of one fetched message.
pub(crate) enum Handed {
    /// Taken by a local receiver (or reported as bad input) and acknowledged.
    Done,
    /// Not taken within `hold`: given back.
    Expired,
    /// Every local receiver is gone: given back; the bridge stops.
    Gone,
}

/// Runs the bridge until the channel is closed and drained or every local
/// receiver is gone.
pub(crate) async fn run<T: DeserializeOwned>(b: RecvBridge<T>) {
    let mut errors = Backoff::errors();
    let hold = b.shared.opts.hold();
    loop {
        // `false`: every local receiver is gone (the local channel closed).
        if !b.demand.receiver_waiting().await {
            return;
        }
        let fetched = b
            .consumer
            .batch()
            .max_messages(b.batch)
            .expires(b.shared.opts.poll)
            .messages()
            .await;
        let mut batch = match fetched {
            Ok(batch) => batch,
            Err(e) => {
                tracing::debug!("remote channel {:?}: fetch: {e}; retrying", b.name);
                errors.wait().await;
                continue;
            }
        };
        let deadline = Instant::now() + hold;
        let mut got = 0usize;
        let mut giving_back = None;
        while let Some(msg) = batch.next().await {
            let msg = match msg {
                Ok(msg) => msg,
                Err(e) => {
                    tracing::debug!("remote channel {:?}: batch: {e}", b.name);
                    errors.wait().await;
                    break;
                }
            };
            got += 1;
            if is_reservation(&msg) {
                // Never given back: a nak would redeliver it at once, and
                // a second delivery means "reap".
                let _ = hand(&b.shared, &b.name, &b.tx, &b.free, msg, deadline).await;
                continue;
            }
            if giving_back.is_some() {
                let _ = msg.ack_with(AckKind::Nak(None)).await;
                continue;
            }
            match hand(&b.shared, &b.name, &b.tx, &b.free, msg, deadline).await {
                Handed::Done => {}
                other => giving_back = Some(other),
            }
        }
        match giving_back {
            Some(Handed::Gone) => return,
            Some(_) => tokio::time::sleep(b.shared.opts.poll).await,
            None => errors.reset(),
        }
        if got == 0 {
            let state = b.shared.remote_state(&b.name).await;
            tracing::trace!(
                "remote channel {:?}: idle; (closed, held) = {state:?}",
                b.name
            );
            if let Some((true, 0)) = state {
                b.tx.close();
                return;
            }
        }
    }
}

/// Offers one message's value to the local receivers (`tx`) until
/// `deadline`, then acknowledges it and pings `free`.
pub(crate) async fn hand<T: DeserializeOwned>(
    shared: &Shared,
    channel: &str,
    tx: &Sender<T>,
    free: &async_nats::Subject,
    msg: Message,
    deadline: Instant,
) -> Handed {
    let sequence = msg.info().map(|i| i.stream_sequence).unwrap_or(0);
    if is_reservation(&msg) {
        // Its value replaces it soon. Delivered again, it outlived
        // `ack_wait` unreplaced: its sending process died; free the slot.
        if msg.info().map(|i| i.delivered > 1).unwrap_or(false) {
            tracing::debug!("remote channel {channel:?}: reaping reservation {sequence}");
            let _ = msg.ack().await;
            let _ = shared
                .client
                .publish(free.clone(), bytes::Bytes::new())
                .await;
        }
        return Handed::Done;
    }
    let value: T = match postcard::from_bytes(&msg.payload) {
        Ok(v) => v,
        Err(e) => {
            shared.report(BridgeError::BadPayload {
                channel: channel.to_owned(),
                sequence,
                error: e.to_string(),
            });
            let _ = msg.ack().await;
            return Handed::Done;
        }
    };
    let left = deadline.saturating_duration_since(Instant::now());
    match tx.send_timeout(value, left).await {
        Ok(()) => {}
        Err(SendTimeoutError::Timeout(_)) => {
            let _ = msg.ack_with(AckKind::Nak(None)).await;
            return Handed::Expired;
        }
        Err(SendTimeoutError::Closed(_)) => {
            let _ = msg.ack_with(AckKind::Nak(None)).await;
            return Handed::Gone;
        }
    }
    let _ = msg.ack().await;
    let _ = shared
        .client
        .publish(free.clone(), bytes::Bytes::new())
        .await;
    Handed::Done
}

/// Whether `msg` is a send bridge's reservation, not a value (see
/// [`crate::send`]).
fn is_reservation(msg: &Message) -> bool {
    msg.headers
        .as_ref()
        .is_some_and(|h| h.get(RESERVED_HEADER).is_some())
}
