//! Capacity 0: the rendezvous bridges. A sending process hands a value over
//! only to a receiving process that asked for one while a local receiver was
//! waiting, so a local send completes only when a receiver somewhere is
//! waiting for its value.
//!
//! The protocol, on core NATS (JetStream only keeps leftovers, below):
//! 1. A receiving bridge waits until a local receive is parked (a
//!    [`Demand`]), then publishes a *want* on [`name::want_subject`] with its
//!    own inbox as the reply subject.
//! 2. A sending bridge subscribes to the want subject (queue group: each
//!    want reaches one sending process) once a local send is parked, and
//!    announces it with a *have* ping, on which waiting receiving bridges
//!    ask again. On a want it takes the parked value (the local send
//!    completes now) and replies with it, its id and a *done* inbox. A want
//!    that finds no parked send waits a quarter of `poll` for one (a ping-pong
//!    partner often parks a moment later), then is answered *none* (the
//!    receiving bridge asks again at once), and the bridge unsubscribes
//!    until a local send parks again.
//!    A receiving bridge whose local receivers stop waiting before an answer
//!    came withdraws its want (on [`name::cancel_subject`], every sending
//!    bridge listens): a want held for a send to park is dropped, so a send
//!    that parks later does not complete for nobody.
//! 3. The receiving bridge hands the value to a local receiver and confirms
//!    *done*. If the local receivers gave up meanwhile (a timeout, another
//!    `select!` case) and none takes it within `hold`, the value is a
//!    *leftover*: the bridge stores it in the channel's stream (message id =
//!    the value's id) and confirms *done*; every receiving bridge takes
//!    leftovers first.
//! 4. A sending bridge that gets no *done* within `ack_wait` (the receiving
//!    process died, or the server lost the messages) stores the value in the
//!    stream itself, with the same message id, so nothing is lost and the
//!    server keeps at most one copy of a leftover.
//!
//! # Invariants
//! - A sending bridge takes a local value only in answer to a want: the
//!   asking process had a local receiver parked when it asked.
//! - Every taken value ends confirmed *done*, or stored in the stream by its
//!   sender; the sending bridge ends only once nothing is unconfirmed.
//! - A duplicate needs a receiving process to die (or lose its connection
//!   for `ack_wait`) after its local receiver took a value and before its
//!   *done* reached the sender: the window of one message's trip.
//!
//! # Locking
//! None: each bridge owns its state.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::{HeaderMap, Message, StatusCode, Subscriber};
use bytes::Bytes;
use csp_core::chan::Demand;
use csp_core::{Receiver, SendTimeoutError, Sender, TryRecvError};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

use crate::error::BridgeError;
use crate::name;
use crate::outbox::Outbox;
use crate::recv::{hand, Handed};
use crate::remote::Shared;
use crate::send::{store, Stored};

/// The header carrying a value's id (its JetStream message id if stored).
const ID_HEADER: &str = "Csp-Id";
/// The header carrying the subject a receiving bridge confirms *done* on.
const DONE_HEADER: &str = "Csp-Done";
/// The header of a *none* reply: no value here after all.
const NONE_HEADER: &str = "Csp-None";

/// Everything the sending bridge of a capacity-0 channel owns.
pub(crate) struct Sending<T> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) name: String,
    pub(crate) rx: Receiver<T>,
    pub(crate) demand: Demand<T>,
    /// Kept alive so dropping every user sender does not close the channel.
    pub(crate) keeper: Sender<T>,
    pub(crate) control: Subscriber,
    pub(crate) flushes: tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>,
    /// The inbox receiving bridges confirm *done* on.
    pub(crate) done_inbox: String,
    pub(crate) done: Subscriber,
    /// Withdrawn wants (see [`name::cancel_subject`]).
    pub(crate) cancels: Subscriber,
    /// What the bridge owes, for the last `Remote`'s drop: the values it
    /// took and nobody confirmed yet.
    pub(crate) outbox: Arc<Outbox>,
}

/// A value handed to a receiving process, not yet confirmed.
struct Unconfirmed {
    payload: Bytes,
    deadline: Instant,
}

/// Runs the sending bridge until the channel is closed (locally or remotely)
/// and every value it took is confirmed or stored.
pub(crate) async fn run_sending<T: Serialize>(mut b: Sending<T>) {
    let want_subject = name::want_subject(&b.name);
    // A want that came while no local send was parked waits this long for
    // one (a sender often parks a moment after its receiver asked), then is
    // answered *none*.
    let keep_want = b.shared.opts.poll / 4;
    let mut wants: Option<Subscriber> = None;
    // Wants waiting for a local send: reply subject, arrival, want number.
    let mut held: VecDeque<(async_nats::Subject, Instant, Bytes)> = VecDeque::new();
    let mut unconfirmed: HashMap<String, Unconfirmed> = HashMap::new();
    let mut flush_waiters: Vec<tokio::sync::oneshot::Sender<()>> = Vec::new();
    let mut closed = false;
    loop {
        if unconfirmed.is_empty() {
            for w in flush_waiters.drain(..) {
                let _ = w.send(());
            }
            if closed && held.is_empty() {
                break;
            }
        }
        let next_deadline = unconfirmed
            .values()
            .map(|u| u.deadline)
            .chain(held.front().map(|(_, at, _)| *at + keep_want))
            .min();
        tokio::select! {
            biased;
            Some(msg) = b.done.next() => {
                let id = String::from_utf8_lossy(&msg.payload).into_owned();
                if unconfirmed.remove(&id).is_some() {
                    b.outbox.release();
                }
            }
            () = sleep_until(next_deadline) => {
                let now = Instant::now();
                while held.front().is_some_and(|(_, at, _)| *at + keep_want <= now) {
                    let (reply, _, _) = held.pop_front().expect("checked");
                    answer_none(&b, reply).await;
                }
                if held.is_empty() && !b.demand.sender_waiting_now() {
                    wants = None;
                }
                let expired: Vec<String> = unconfirmed
                    .iter()
                    .filter(|(_, u)| u.deadline <= now)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in expired {
                    let u = unconfirmed.remove(&id).expect("listed above");
                    tracing::debug!("remote channel {:?}: value {id} unconfirmed; storing it", b.name);
                    if let Stored::Closed = store(&b.shared, &b.name, u.payload, &id, None).await {
                        b.shared.report(BridgeError::SendAfterClose { channel: b.name.clone() });
                    }
                    b.outbox.release();
                }
            }
            Some(done) = b.flushes.recv() => flush_waiters.push(done),
            // A close made where its wake was held back (main's last poll):
            // the branches below look again.
            () = b.outbox.nudge.notified() => {}
            Some(_) = b.control.next() => {
                if let Some((true, _)) = b.shared.remote_state(&b.name).await {
                    b.rx.close();
                }
            }
            // An asking process's receivers gave up: its held want goes.
            Some(cancel) = b.cancels.next() => {
                held.retain(|(reply, _, n)| !is_withdrawal(&cancel.payload, reply, n));
                if held.is_empty() && !b.demand.sender_waiting_now() {
                    wants = None;
                }
            }
            Some(want) = next_want(&mut wants) => {
                let Some(reply) = want.reply else { continue };
                match take_and_offer(&b, reply).await {
                    Ok(offered) => unconfirmed.extend(offered),
                    Err((reply, TryRecvError::Empty)) => {
                        held.push_back((reply, Instant::now(), want.payload));
                    }
                    Err((reply, TryRecvError::Closed)) => {
                        answer_none(&b, reply).await;
                        wants = None;
                    }
                }
            }
            // A held want meets a send that parked since.
            waiting = b.demand.sender_waiting(), if !held.is_empty() => {
                let (reply, at, n) = held.pop_front().expect("checked");
                if !waiting {
                    answer_none(&b, reply).await;
                    continue;
                }
                match take_and_offer(&b, reply).await {
                    Ok(offered) => unconfirmed.extend(offered),
                    // The send gave up again: the want keeps waiting.
                    Err((reply, _)) => held.push_front((reply, at, n)),
                }
            }
            // Subscribed, the bridge learns of a local close here: nobody
            // ever parks a receive on the bridge's channel (the bridge only
            // tries), so this wait ends only with the channel.
            false = b.demand.receiver_waiting(), if wants.is_some() && held.is_empty() && !closed => {
                wants = None;
            }
            waiting = b.demand.sender_waiting(), if wants.is_none() && !closed => {
                if !waiting {
                    tracing::trace!("remote channel {:?}: local close; send bridge ends", b.name);
                    b.shared.close_remote(&b.name).await;
                    b.outbox.closed_remotely();
                    closed = true;
                    continue;
                }
                match b.shared.client.queue_subscribe(want_subject.clone(), "csp".to_owned()).await {
                    Ok(sub) => {
                        // The server has the subscription before anyone
                        // hears the announcement.
                        let _ = b.shared.client.flush().await;
                        let _ = b.shared.client.publish(name::have_subject(&b.name), Bytes::new()).await;
                        wants = Some(sub);
                    }
                    Err(e) => {
                        tracing::debug!("remote channel {:?}: subscribe: {e}; retrying", b.name);
                        tokio::time::sleep(b.shared.opts.poll).await;
                    }
                }
            }
        }
    }
    b.shared.outboxes.remove(&b.outbox);
    drop(b.keeper);
}

/// Whether a withdrawal (`<inbox> <want number>`) names the want with reply
/// subject `reply` and number `n`.
fn is_withdrawal(cancel: &[u8], reply: &async_nats::Subject, n: &[u8]) -> bool {
    let (inbox, number) = (reply.as_bytes(), n);
    cancel.len() == inbox.len() + 1 + number.len()
        && cancel.starts_with(inbox)
        && cancel[inbox.len()] == b' '
        && cancel.ends_with(number)
}

/// Tells an asking bridge there is no value here after all.
async fn answer_none<T>(b: &Sending<T>, reply: async_nats::Subject) {
    let mut headers = HeaderMap::new();
    headers.insert(NONE_HEADER, "1");
    let _ = b
        .shared
        .client
        .publish_with_headers(reply, headers, Bytes::new())
        .await;
}

/// The next want, when subscribed.
async fn next_want(wants: &mut Option<Subscriber>) -> Option<Message> {
    match wants {
        Some(sub) => sub.next().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Takes the value of a send parked on the local channel for the asker
/// `reply` and offers it (see [`offer`]). The outbox holds the value from
/// before it is taken until it is confirmed, or releases it at once if
/// nothing was offered. `Err` gives the reply back with why nothing was taken.
async fn take_and_offer<T: Serialize>(
    b: &Sending<T>,
    reply: async_nats::Subject,
) -> Result<Option<(String, Unconfirmed)>, (async_nats::Subject, TryRecvError)> {
    b.outbox.hold();
    match b.rx.try_recv() {
        Ok(value) => {
            let offered = offer(b, reply, value).await;
            if offered.is_none() {
                b.outbox.release();
            }
            Ok(offered)
        }
        Err(e) => {
            b.outbox.release();
            Err((reply, e))
        }
    }
}

/// Replies to a want with `value`: its id and what to keep until it is
/// confirmed, or `None` when it does not encode (reported; the asker is
/// answered *none*).
async fn offer<T: Serialize>(
    b: &Sending<T>,
    reply: async_nats::Subject,
    value: T,
) -> Option<(String, Unconfirmed)> {
    let encoded = postcard::to_stdvec(&value);
    drop(value);
    let payload = match encoded {
        Ok(p) => Bytes::from(p),
        Err(e) => {
            b.shared.report(BridgeError::Encode {
                channel: b.name.clone(),
                error: e.to_string(),
            });
            answer_none(b, reply).await;
            return None;
        }
    };
    let id = b.shared.next_msg_id();
    let mut headers = HeaderMap::new();
    headers.insert(ID_HEADER, id.as_str());
    headers.insert(DONE_HEADER, b.done_inbox.as_str());
    // A failed publish (connection lost) is covered by the confirmation
    // deadline: the value is stored in the stream then.
    let _ = b
        .shared
        .client
        .publish_with_headers(reply, headers, payload.clone())
        .await;
    let deadline = Instant::now() + b.shared.opts.ack_wait;
    Some((id, Unconfirmed { payload, deadline }))
}

/// Everything the receiving bridge of a capacity-0 channel owns.
pub(crate) struct Receiving<T> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) name: String,
    pub(crate) tx: Sender<T>,
    pub(crate) demand: Demand<T>,
    /// Leftovers: values stored in the stream.
    pub(crate) consumer: PullConsumer,
    pub(crate) inbox: String,
    pub(crate) replies: Subscriber,
    pub(crate) haves: Subscriber,
    pub(crate) free: async_nats::Subject,
}

/// What a receiving bridge's want brought.
enum Answer {
    /// A value, handed over.
    Value,
    /// A value nobody here took: stored in the stream as a leftover.
    Stored,
    /// The sending process had no value after all: ask again at once.
    None,
    /// No sending process waits: wait for a *have* (or a poll interval).
    Nobody,
    /// The local receivers gave up before an answer came: the want was
    /// withdrawn (a late answer is handled as any).
    Withdrawn,
}

/// How often a receiving bridge waiting for an answer looks whether its
/// local receivers still wait.
const GIVE_UP_CHECK: std::time::Duration = std::time::Duration::from_millis(2);

/// Runs the receiving bridge until the channel is closed and drained, or
/// every local receiver is gone.
pub(crate) async fn run_receiving<T: DeserializeOwned>(mut b: Receiving<T>) {
    let want_subject = name::want_subject(&b.name);
    let cancel_subject = name::cancel_subject(&b.name);
    let poll = b.shared.opts.poll;
    // The stream may hold leftovers from before this process came.
    let mut leftovers = true;
    let mut asked: u64 = 0;
    loop {
        // Wait for a local receiver; a late answer to an earlier want is
        // handled meanwhile.
        let waiting = tokio::select! {
            biased;
            Some(msg) = b.replies.next() => {
                match take_answer(&b, msg).await {
                    Answer::Stored => leftovers = true,
                    Answer::Value | Answer::None | Answer::Nobody | Answer::Withdrawn => {}
                }
                if b.tx.is_closed() {
                    return;
                }
                continue;
            }
            waiting = b.demand.receiver_waiting() => waiting,
        };
        if !waiting {
            return; // every local receiver is gone
        }
        if leftovers {
            match take_leftover(&b).await {
                Some(Handed::Gone) => return,
                Some(_) => continue,
                None => leftovers = false,
            }
        }
        // Pings from before this want say nothing about now.
        while let Some(Some(_)) = futures::FutureExt::now_or_never(b.haves.next()) {}
        asked += 1;
        let number = Bytes::from(asked.to_string());
        let _ = b
            .shared
            .client
            .publish_with_reply(want_subject.clone(), b.inbox.clone(), number.clone())
            .await;
        let deadline = Instant::now() + poll;
        let answer = loop {
            tokio::select! {
                biased;
                msg = b.replies.next() => match msg {
                    Some(msg) => break take_answer(&b, msg).await,
                    None => {
                        tokio::time::sleep(poll).await;
                        break Answer::Nobody;
                    }
                },
                // No answer in time (a lost message): a late one is
                // handled as above.
                () = tokio::time::sleep_until(deadline) => break Answer::Nobody,
                // The local receivers gave up: withdraw the want, so that
                // a send parking later at the process holding it does not
                // complete for nobody.
                () = tokio::time::sleep(GIVE_UP_CHECK) => {
                    if !b.demand.receiver_waiting_now() {
                        let withdrawal = format!("{} {asked}", b.inbox);
                        let _ = b.shared.client.publish(cancel_subject.clone(), withdrawal.into()).await;
                        break Answer::Withdrawn;
                    }
                }
            }
        };
        if b.tx.is_closed() {
            return;
        }
        if let Answer::Stored = answer {
            leftovers = true;
        }
        if let Answer::Nobody = answer {
            let _ = tokio::time::timeout(poll, b.haves.next()).await;
            match b.shared.remote_state(&b.name).await {
                Some((true, 0)) => {
                    b.tx.close();
                    return;
                }
                Some((_, held)) if held > 0 => leftovers = true,
                _ => {}
            }
        }
    }
}

/// Handles one message on the bridge's inbox.
async fn take_answer<T: DeserializeOwned>(b: &Receiving<T>, msg: Message) -> Answer {
    if msg.status == Some(StatusCode::NO_RESPONDERS) {
        return Answer::Nobody;
    }
    let header = |h: &str| {
        msg.headers
            .as_ref()
            .and_then(|hs| hs.get(h))
            .map(|v| v.as_str().to_owned())
    };
    let (Some(id), Some(done)) = (header(ID_HEADER), header(DONE_HEADER)) else {
        return Answer::None;
    };
    let confirm = |b: &Receiving<T>| {
        let client = b.shared.client.clone();
        let (done, id) = (done.clone(), id.clone());
        async move {
            let _ = client.publish(done, Bytes::from(id)).await;
        }
    };
    let value: T = match postcard::from_bytes(&msg.payload) {
        Ok(v) => v,
        Err(e) => {
            b.shared.report(BridgeError::BadPayload {
                channel: b.name.clone(),
                sequence: 0,
                error: e.to_string(),
            });
            confirm(b).await;
            return Answer::Value;
        }
    };
    let answer = match b.tx.send_timeout(value, b.shared.opts.hold()).await {
        Ok(()) => Answer::Value,
        Err(SendTimeoutError::Timeout(_) | SendTimeoutError::Closed(_)) => {
            // Nobody here wants it any more: a leftover, for any process.
            tracing::debug!(
                "remote channel {:?}: value {id} left over; storing it",
                b.name
            );
            if let Stored::Closed = store(&b.shared, &b.name, msg.payload.clone(), &id, None).await
            {
                b.shared.report(BridgeError::SendAfterClose {
                    channel: b.name.clone(),
                });
            }
            Answer::Stored
        }
    };
    confirm(b).await;
    answer
}

/// Takes one leftover from the stream, if there is one, and hands it over as
/// the buffered channels do; `None` when the stream is empty.
async fn take_leftover<T: DeserializeOwned>(b: &Receiving<T>) -> Option<Handed> {
    let mut batch = b.consumer.fetch().max_messages(1).messages().await.ok()?;
    let msg = batch.next().await?.ok()?;
    let deadline = std::time::Instant::now() + b.shared.opts.hold();
    Some(hand(&b.shared, &b.name, &b.tx, &b.free, msg, deadline).await)
}
