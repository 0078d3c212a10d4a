//! The bounds of a remote channel across processes: capacity n holds at most
//! n values whichever processes send, capacity 0 completes a send only when
//! a receiver somewhere waits for it, receivers that give up lose nothing,
//! and a dead process's slot reservation is reaped. Each `Remote` has its
//! own bridges, as a separate process does.

mod common;

use std::time::Duration;

use csp::prelude::*;
use csp::SendTimeoutError;

/// How long a send that must wait is given to (wrongly) complete.
const WAIT: Duration = Duration::from_millis(500);

#[csp::test(timeout_secs = 60)]
async fn capacity_n_is_enforced_across_processes() {
    const CAP: usize = 3;
    let server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let c = common::connect(&server).await;
    let (tx_a, _) = a.chan::<u32>("bounded", CAP).await.unwrap();
    let (tx_b, _) = b.chan::<u32>("bounded", CAP).await.unwrap();
    // Two sending processes fill the channel between them.
    tx_a.send(1).await.unwrap();
    tx_b.send(2).await.unwrap();
    tx_a.send(3).await.unwrap();
    // The (n+1)-th send waits in either process, and gives its value back.
    for tx in [&tx_a, &tx_b] {
        let res = tx.send_timeout(4, WAIT).await;
        assert!(
            matches!(res, Err(SendTimeoutError::Timeout(4))),
            "the channel is full: {res:?}"
        );
    }
    // Until a receive, in a third process, frees a slot.
    let waiting = go(async move {
        tx_b.send(4).await.unwrap();
        tx_b
    });
    sleep(WAIT).await;
    assert!(!waiting.is_finished(), "still full: the send must wait");
    let (_, rx) = c.chan::<u32>("bounded", CAP).await.unwrap();
    // A's 1 precedes A's 3; B's 2 may be published before or after A's 1
    // (each process's bridge publishes after its send completed).
    let first = rx.recv().await.unwrap();
    assert!(first == 1 || first == 2, "first received: {first}");
    let tx_b = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("a slot freed: the waiting send completes")
        .unwrap();
    let mut got = vec![first];
    for _ in 0..3 {
        got.push(rx.recv().await.unwrap());
    }
    let threes = got.iter().position(|&v| v == 3).unwrap();
    assert!(
        got.iter().position(|&v| v == 1).unwrap() < threes,
        "A's values in order: {got:?}"
    );
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3, 4]);
    tx_b.close();
    assert_eq!(rx.recv().await, None);
    drop(tx_a);
}

#[csp::test(timeout_secs = 60)]
async fn an_unbuffered_send_completes_only_while_a_receiver_waits() {
    let server = common::server();
    // A long poll: the receiving bridge never asks twice for one receive on
    // a loaded machine (a second ask could meet the second send).
    let (a, b) = common::connect_pair_polling(&server, Duration::from_secs(2)).await;
    let (tx, _) = a.chan::<u32>("meet", 0).await.unwrap();
    let (_, rx) = b.chan::<u32>("meet", 0).await.unwrap();
    // Neither process receives: sends wait, whatever `Receiver`s exist.
    for v in 0..2 {
        let res = tx.send_timeout(v, WAIT).await;
        assert!(matches!(res, Err(SendTimeoutError::Timeout(_))), "{res:?}");
    }
    // A receiver that starts waiting lets exactly one send through.
    let sender = go(async move {
        tx.send(7).await.unwrap();
        let second = tx.send_timeout(8, WAIT).await;
        (tx, second)
    });
    sleep(Duration::from_millis(200)).await;
    assert!(!sender.is_finished(), "no receiver yet");
    assert_eq!(rx.recv().await, Some(7));
    let (tx, second) = sender.await.unwrap();
    assert!(
        matches!(second, Err(SendTimeoutError::Timeout(8))),
        "one receive, one send: {second:?}"
    );
    tx.close();
    assert_eq!(rx.recv().await, None);
}

/// Receivers that give up (timeouts shorter than a trip to the server) lose
/// and duplicate nothing: a value that arrives for a receiver that left
/// is offered to the next, or stored for any process.
#[csp::test(timeout_secs = 90)]
async fn unbuffered_receivers_that_give_up_lose_nothing() {
    const VALUES: u32 = 60;
    let server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let (tx, _) = a.chan::<u32>("impatient", 0).await.unwrap();
    let (_, rx) = b.chan::<u32>("impatient", 0).await.unwrap();
    let producer = go(async move {
        for v in 0..VALUES {
            tx.send(v).await.unwrap();
        }
        tx
    });
    let mut counts = vec![0u32; VALUES as usize];
    let (mut received, mut gave_up) = (0, 0u32);
    while received < VALUES {
        // Some receives give up after a fraction of a trip, some wait.
        let patience = Duration::from_micros(u64::from(received % 4) * 150 + 50);
        match rx.recv_timeout(patience).await {
            Ok(v) => {
                counts[v as usize] += 1;
                received += 1;
            }
            Err(_) => gave_up += 1,
        }
    }
    let tx = producer.await.unwrap();
    tx.close();
    assert_eq!(rx.recv().await, None, "nothing left over");
    eprintln!("impatient receivers: {gave_up} gave up on the way");
    assert!(
        counts.iter().all(|&n| n == 1),
        "every value once: {counts:?}"
    );
}

/// The window a rendezvous leaves: a receiver gives up while the value it
/// asked for is on its way (here the sending side cancels it the moment its
/// send completes, which beats the value's trip). The value is not lost:
/// past `hold` the asking process stores it, and a receiver in a third
/// process gets it.
#[csp::test(timeout_secs = 90)]
async fn a_value_whose_receiver_gave_up_on_the_way_goes_to_the_next_receiver() {
    const ROUNDS: u32 = 6;
    let server = common::server();
    let opts = csp_nats::RemoteOptions {
        ack_wait: Duration::from_secs(1),
        poll: Duration::from_millis(50),
        ..csp_nats::RemoteOptions::default()
    };
    let url = server.url();
    let connect = || csp_nats::Remote::connect_with(&url, opts.clone());
    let (a, b, c) = (
        connect().await.unwrap(),
        connect().await.unwrap(),
        connect().await.unwrap(),
    );
    let (tx, _) = a.chan::<u32>("given_up", 0).await.unwrap();
    let (_, rx_b) = b.chan::<u32>("given_up", 0).await.unwrap();
    let (_, rx_c) = c.chan::<u32>("given_up", 0).await.unwrap();
    let mut gave_up = 0;
    for v in 0..ROUNDS {
        let (cancel_tx, cancel_rx) = chan::<()>(1);
        let rx = rx_b.clone();
        let receiver = go(async move {
            select! {
                recv(&rx) -> got => got,
                recv(&cancel_rx) -> _ => None,
            }
        });
        tx.send(v).await.unwrap();
        // Closed only if the receiver already returned with the value (its
        // goroutine dropped `cancel_rx`): it won the race, nothing to cancel.
        let _ = cancel_tx.send(()).await;
        match receiver.await.unwrap() {
            Some(got) => assert_eq!(got, v, "the receiver won the race"),
            None => {
                gave_up += 1;
                let later = rx_c.recv_timeout(Duration::from_secs(10)).await;
                assert_eq!(later, Ok(v), "the value the receiver gave up on");
            }
        }
    }
    eprintln!("given up on the way: {gave_up} of {ROUNDS}");
    assert!(gave_up > 0, "the cancel never beat the value's trip");
    tx.close();
    assert_eq!(rx_c.recv().await, None, "nothing more: each value once");
    assert_eq!(rx_b.recv().await, None);
}

/// A reservation (see the send bridge) left by a process that died before
/// its value replaced it: it holds a slot, so a send waits; no receiver ever
/// sees it; a receiving bridge reaps it once it outlived `ack_wait`, and the
/// send goes through.
#[csp::test(timeout_secs = 60)]
async fn a_dead_process_reservation_is_never_received_and_is_reaped() {
    let server = common::server();
    let remote = common::connect(&server).await;
    let (tx, rx) = remote.chan::<u32>("reaped", 1).await.unwrap();
    let raw = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(raw);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Csp-Reserved", "1");
    js.publish_with_headers("csp.chan.reaped.dead-1", headers, Vec::new().into())
        .await
        .unwrap()
        .await
        .unwrap();
    let res = tx.send_timeout(1, WAIT).await;
    assert!(
        matches!(res, Err(SendTimeoutError::Timeout(1))),
        "the reservation fills the channel: {res:?}"
    );
    let started = std::time::Instant::now();
    let receiver = go(async move { (rx.recv().await, rx) });
    tx.send(1).await.unwrap();
    let (got, rx) = receiver.await.unwrap();
    assert_eq!(got, Some(1), "the value, never the reservation");
    let waited = started.elapsed();
    eprintln!("reservation reaped after {waited:?}");
    assert!(
        waited >= common::quick_options().ack_wait / 2,
        "the send waited for the reaping: {waited:?}"
    );
    tx.close();
    assert_eq!(rx.recv().await, None);
}

/// Many sending processes race on a small capacity: the sends that have
/// completed, less the values received, never exceed the capacity (each
/// bridge reserves a slot before it takes a value; a bridge that took a
/// value on its own count of the room, and then found the stream full,
/// would pass the capacity by one value per process). Nothing is lost or
/// duplicated on the way.
#[csp::test(timeout_secs = 90)]
async fn racing_sending_processes_never_pass_the_capacity() {
    let server = common::server();
    // Each round is one chance for the race; a bridge that trusted its own
    // count lost it about every other round.
    for round in 0..3 {
        race_round(&server, &format!("raced_{round}")).await;
    }
}

async fn race_round(server: &csp_nats::TestServer, name: &str) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    const CAP: usize = 4;
    const PROCESSES: u32 = 6;
    const EACH: u32 = 20;
    let completed = Arc::new(AtomicU32::new(0));
    let mut senders = Vec::new();
    let mut remotes = Vec::new();
    for p in 0..PROCESSES {
        let remote = common::connect(server).await;
        let (tx, _) = remote.chan::<u32>(name, CAP).await.unwrap();
        remotes.push(remote);
        let completed = completed.clone();
        senders.push(go(async move {
            for i in 0..EACH {
                tx.send(p * EACH + i).await.unwrap();
                completed.fetch_add(1, Ordering::SeqCst);
            }
            tx
        }));
    }
    // No receiver yet: the sends fill the channel, then wait.
    sleep(Duration::from_millis(700)).await;
    let filled = completed.load(Ordering::SeqCst);
    assert!(
        filled as usize <= CAP,
        "{filled} sends completed with no receiver: capacity {CAP} passed"
    );
    let receiver = common::connect(server).await;
    let (_, rx) = receiver.chan::<u32>(name, CAP).await.unwrap();
    let mut counts = vec![0u32; (PROCESSES * EACH) as usize];
    let mut worst = 0;
    for received in 1..=PROCESSES * EACH {
        let v = rx.recv().await.unwrap();
        counts[v as usize] += 1;
        // Read after the receive: a later count only lowers the excess.
        let excess = completed.load(Ordering::SeqCst).saturating_sub(received);
        worst = worst.max(excess);
        assert!(
            excess as usize <= CAP,
            "{excess} values sent and not received: capacity {CAP} passed"
        );
    }
    eprintln!("racing senders on {name}: {filled} sends completed before any receive; at most {worst} waiting after");
    assert!(
        counts.iter().all(|&n| n == 1),
        "every value once: {counts:?}"
    );
    let mut txs = Vec::new();
    for s in senders {
        txs.push(s.await.unwrap());
    }
    txs[0].close();
    assert_eq!(rx.recv().await, None);
}

/// A receiving process whose receiver gave up withdraws its ask: a send
/// that parks afterwards, in the process the ask waited at, finds no
/// receiver and waits, as in Go.
#[csp::test(timeout_secs = 60)]
async fn an_ask_whose_receiver_gave_up_is_withdrawn() {
    let server = common::server();
    // An ask waits a quarter of `poll` at a sending process for a send to
    // park: 250 ms here, far longer than the give-up below takes to travel.
    let (a, b) = common::connect_pair_polling(&server, Duration::from_secs(1)).await;
    let (tx, _) = a.chan::<u32>("withdrawn", 0).await.unwrap();
    let (_, rx) = b.chan::<u32>("withdrawn", 0).await.unwrap();
    // Let A's sending bridge subscribe to asks (a send that times out).
    let res = tx.send_timeout(0, Duration::from_millis(100)).await;
    assert!(matches!(res, Err(SendTimeoutError::Timeout(0))), "{res:?}");
    for round in 1..=3 {
        assert!(
            rx.recv_timeout(Duration::from_millis(30)).await.is_err(),
            "nobody sends yet"
        );
        sleep(Duration::from_millis(60)).await;
        let res = tx.send_timeout(round, Duration::from_millis(150)).await;
        assert!(
            matches!(res, Err(SendTimeoutError::Timeout(_))),
            "round {round}: the receiver gave up before this send began: {res:?}"
        );
    }
    tx.close();
    assert_eq!(rx.recv().await, None, "no value was left over");
}
