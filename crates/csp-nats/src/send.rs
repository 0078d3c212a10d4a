//! The send bridge: one goroutine per remote channel and process that takes
//! values from the local senders and publishes them to the channel's stream.
//!
//! # Invariants
//! - One value at a time, in the order the local channel gave them, so one
//!   producer's values reach the stream in its order.
//! - A publish is retried with the same message id until the server answers,
//!   so a retry after a lost acknowledgement is deduplicated, not stored
//!   twice; a full stream (discard new) is retried until a slot frees.
//! - Capacity 0: the bridge takes the next value only after a receiving
//!   process has taken this one (its reply, or the message gone from the
//!   work-queue stream).
//! - The local channel is closed only by `close()` (the bridge keeps a sender
//!   alive): its close closes the remote channel; a remote close closes it.
//!
//! # Locking
//! None: the bridge owns its state.

use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{context::PublishErrorKind, stream};
use async_nats::{HeaderMap, Subscriber};
use csp_core::{Receiver, Sender};
use futures::{FutureExt, StreamExt};
use serde::Serialize;
use std::sync::Arc;

use crate::backoff::Backoff;
use crate::error::BridgeError;
use crate::name;
use crate::remote::Shared;

/// The header carrying the sender's reply subject on a capacity-0 channel.
pub(crate) const REPLY_HEADER: &str = "Csp-Reply";

/// How [`Remote::flush`](crate::Remote::flush) asks a send bridge to answer
/// once it holds no value.
pub(crate) type FlushLine = tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>;

/// Everything one send bridge owns.
pub(crate) struct SendBridge<T> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) name: String,
    pub(crate) stream: stream::Stream,
    pub(crate) rx: Receiver<T>,
    /// Kept alive so dropping every user sender does not close the channel.
    pub(crate) keeper: Sender<T>,
    pub(crate) control: Subscriber,
    /// Slot-free pings from receiving bridges, waited on while full.
    pub(crate) free: Subscriber,
    /// Flush requests, answered when the bridge holds no value.
    pub(crate) flushes: tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>,
    /// Capacity 0: the reply subject and its subscription.
    pub(crate) replies: Option<(String, Subscriber)>,
}

/// What became of one publish.
enum Published {
    /// Stored in the stream (and, capacity 0, taken by a receiver).
    Done,
    /// The remote channel is closed.
    Closed,
}

/// Runs the bridge until the channel closes, locally or remotely.
pub(crate) async fn run<T: Serialize>(mut b: SendBridge<T>) {
    let subject = name::data_subject(&b.name);
    loop {
        // `biased`, receive first: a value whose send completed before a
        // flush request was made is taken (and published) before the request
        // is answered.
        let next = tokio::select! {
            biased;
            v = b.rx.recv() => v,
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
        let Some(value) = next else {
            tracing::trace!("remote channel {:?}: local close; send bridge ends", b.name);
            // Closed locally by `close()`, or above after a remote close.
            b.shared.close_remote(&b.name).await;
            break;
        };
        let payload = match postcard::to_stdvec(&value) {
            Ok(p) => p,
            Err(e) => {
                b.shared.report(BridgeError::Encode {
                    channel: b.name.clone(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        if let Published::Closed = publish(&mut b, &subject, payload).await {
            b.shared.report(BridgeError::SendAfterClose {
                channel: b.name.clone(),
            });
            b.rx.close();
        }
    }
    drop(b.keeper);
}

/// Publishes one value, retrying until the server stores it or reports the
/// channel closed; capacity 0 also waits until a receiver took it.
async fn publish<T>(b: &mut SendBridge<T>, subject: &str, payload: Vec<u8>) -> Published {
    let payload = bytes::Bytes::from(payload);
    let id = b.shared.next_msg_id();
    let mut headers = HeaderMap::new();
    if let Some((inbox, _)) = &b.replies {
        headers.insert(REPLY_HEADER, inbox.as_str());
    }
    let mut full = Backoff::full();
    let mut errors = Backoff::errors();
    let sequence = loop {
        let message = PublishMessage::build()
            .payload(payload.clone())
            .headers(headers.clone())
            .message_id(&id);
        let res = match b.shared.js.send_publish(subject.to_owned(), message).await {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match res {
            Ok(ack) => break ack.sequence,
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                if let Some((true, _)) = b.shared.remote_state(&b.name).await {
                    return Published::Closed;
                }
                errors.wait().await;
            }
            Err(e) if e.to_string().contains("maximum messages") => {
                // Wait for a receiving bridge's slot-free ping, or the
                // backoff step if pings were missed; pings that arrived
                // before this attempt say nothing about now.
                while let Some(Some(_)) = b.free.next().now_or_never() {}
                let _ = tokio::time::timeout(full.step(), b.free.next()).await;
                full.grow();
            }
            Err(e) => {
                tracing::debug!("remote channel {:?}: publish: {e}; retrying", b.name);
                errors.wait().await;
            }
        }
    };
    if let Some((_, replies)) = &mut b.replies {
        wait_taken(&b.stream, replies, sequence, b.shared.opts.poll).await;
    }
    Published::Done
}

/// Capacity 0: waits until a receiver took message `sequence`, told by the
/// receiving bridge's reply, or (a reply lost) by the message having left
/// the work-queue stream, which happens only on its acknowledgement.
async fn wait_taken(
    stream: &stream::Stream,
    replies: &mut Subscriber,
    sequence: u64,
    poll: Duration,
) {
    let expected = sequence.to_string();
    loop {
        match tokio::time::timeout(poll.saturating_mul(5), replies.next()).await {
            Ok(Some(reply)) if reply.payload == expected.as_bytes() => return,
            Ok(Some(_stale)) => continue,
            Ok(None) => tokio::time::sleep(poll).await,
            Err(_) => {}
        }
        if let Err(e) = stream.get_raw_message(sequence).await {
            if matches!(e.kind(), stream::RawMessageErrorKind::NoMessageFound) {
                return;
            }
        }
    }
}
