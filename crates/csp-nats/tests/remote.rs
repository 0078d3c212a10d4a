//! A remote channel behaves as a csp channel within one process and between
//! two connections: send, recv, close, timeouts, select!, names, capacity,
//! bad input; on csp's runtime and on a plain Tokio runtime.

mod common;

use std::time::Duration;

use csp::prelude::*;
use csp::SendTimeoutError;
use csp_nats::{BridgeError, ChanError};

#[csp::test(timeout_secs = 30)]
async fn values_cross_between_two_connections_in_order_then_close_drains() {
    let server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let (tx, _) = a.chan::<(u32, String)>("basic", 4).await.unwrap();
    let (_, rx) = b.chan::<(u32, String)>("basic", 4).await.unwrap();
    for i in 0..4 {
        tx.send((i, format!("v{i}"))).await.unwrap();
    }
    let producer = go(async move {
        for i in 4..10 {
            tx.send((i, format!("v{i}"))).await.unwrap();
        }
        tx.close();
        tx
    });
    for i in 0..10 {
        assert_eq!(rx.recv().await, Some((i, format!("v{i}"))));
    }
    assert_eq!(rx.recv().await, None, "closed and drained");
    let tx = producer.await.unwrap();
    assert!(
        tx.send((99, String::new())).await.is_err(),
        "send after close"
    );
}

#[csp::test(timeout_secs = 30)]
async fn unbuffered_send_waits_for_a_receiver_in_another_process() {
    let server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let (tx, _) = a.chan::<u64>("rendezvous", 0).await.unwrap();
    // A send completes only when a receiver, in some process, waits for it:
    // with none anywhere, it waits (and gives its value back on timeout).
    let res = tx.send_timeout(1, Duration::from_millis(500)).await;
    assert!(
        matches!(res, Err(SendTimeoutError::Timeout(1))),
        "no receiver anywhere: the send must wait, got {res:?}"
    );
    // A process with a `Receiver` it does not receive on is no receiver.
    let (_, idle_rx) = b.chan::<u64>("rendezvous", 0).await.unwrap();
    let res = tx.send_timeout(1, Duration::from_millis(500)).await;
    assert!(
        res.is_err(),
        "nobody receives on the idle Receiver: {res:?}"
    );
    let rx = idle_rx;
    let sender = go(async move {
        for v in 1..=5 {
            tx.send(v).await.unwrap();
        }
        tx
    });
    for v in 1..=5 {
        assert_eq!(rx.recv().await, Some(v));
    }
    let tx = sender.await.unwrap();
    tx.close();
    assert_eq!(rx.recv().await, None);
}

#[csp::test(timeout_secs = 30)]
async fn close_from_a_third_process_reaches_senders_and_receivers() {
    let server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let c = common::connect(&server).await;
    let (tx, _) = a.chan::<u8>("closing", 8).await.unwrap();
    let (_, rx) = b.chan::<u8>("closing", 8).await.unwrap();
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    // A local send completes when the bridge takes the value, one trip
    // before the server has it (crate docs):
    // the values must be on the server before another process closes it.
    a.flush().await;
    c.close("closing").await.unwrap();
    assert_eq!(
        rx.recv().await,
        Some(1),
        "buffered values drain after close"
    );
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);
    // The sending process learns of the close: its sends return the value.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Err(e) = tx.send_timeout(3, Duration::from_secs(1)).await {
            if tx.is_closed() {
                assert_eq!(e.into_inner(), 3);
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sender never saw the close"
        );
    }
    assert!(
        rx.recv().await.is_none(),
        "nothing lands after the close (a value the bridge held is refused)"
    );
}

#[csp::test(timeout_secs = 30)]
async fn select_mixes_local_and_remote_channels_with_a_timeout() {
    let server = common::server();
    let remote = common::connect(&server).await;
    let (rtx, rrx) = remote.chan::<String>("mixed", 1).await.unwrap();
    let (ltx, lrx) = chan::<String>(0);
    let _local_open = ltx.clone();
    go(async move { ltx.send("local".to_owned()).await.unwrap() });
    // Dropping the last remote sender does not close a remote channel.
    go(async move { rtx.send("remote".to_owned()).await.unwrap() });
    let mut seen = Vec::new();
    while seen.len() < 2 {
        select! {
            recv(&rrx) -> v => seen.push(v.unwrap()),
            recv(&lrx) -> v => seen.push(v.unwrap()),
            recv(after(Duration::from_secs(10))) => panic!("timed out with {seen:?}"),
        }
    }
    seen.sort();
    assert_eq!(seen, ["local", "remote"]);
    let timed_out = select! {
        recv(&rrx) -> _ => false,
        recv(after(Duration::from_millis(300))) => true,
    };
    assert!(timed_out, "an empty remote channel lets the timeout fire");
    assert!(rrx.recv_timeout(Duration::from_millis(200)).await.is_err());
}

#[csp::test(timeout_secs = 30)]
async fn a_payload_that_does_not_deserialize_is_reported_not_dropped_silently() {
    let server = common::server();
    let remote = common::connect(&server).await;
    let (tx, rx) = remote.chan::<(u32, String)>("typed", 4).await.unwrap();
    let raw = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(raw);
    // A varint that never ends: not a u32.
    let bad = vec![0xff_u8; 8];
    js.publish("csp.chan.typed.bad-1", bad.into())
        .await
        .unwrap()
        .await
        .unwrap();
    tx.send((7, "after".to_owned())).await.unwrap();
    assert_eq!(
        rx.recv().await,
        Some((7, "after".to_owned())),
        "the channel goes on"
    );
    match remote.errors().recv_timeout(Duration::from_secs(5)).await {
        Ok(BridgeError::BadPayload {
            channel,
            sequence,
            error,
        }) => {
            assert_eq!(channel, "typed");
            assert_eq!(sequence, 1);
            assert!(!error.is_empty());
        }
        other => panic!("expected a BadPayload report, got {other:?}"),
    }
}

#[csp::test(timeout_secs = 30)]
async fn names_are_validated_and_capacities_must_agree() {
    let server = common::server();
    let remote = common::connect(&server).await;
    for bad in ["", "a.b", "jobs.*", "jobs>", "with space", "slash/ed"] {
        match remote.chan::<u8>(bad, 1).await {
            Err(ChanError::Name(e)) => {
                assert_eq!(e.name(), bad);
                assert!(e.to_string().contains("invalid remote channel name"));
            }
            other => panic!("{bad:?}: expected a name error, got {:?}", other.map(drop)),
        }
        assert!(remote.close(bad).await.is_err());
    }
    remote.chan::<u8>("sized", 3).await.unwrap();
    match remote.chan::<u8>("sized", 4).await {
        Err(ChanError::CapacityMismatch {
            name,
            existing,
            requested,
        }) => {
            assert_eq!((name.as_str(), existing, requested), ("sized", 3, 4));
        }
        other => panic!("expected a capacity mismatch, got {:?}", other.map(drop)),
    }
    assert!(
        remote.chan::<u8>("sized", 3).await.is_ok(),
        "same capacity: same channel"
    );
}

#[test]
fn works_on_a_plain_tokio_runtime_with_tokio_select_and_timers() {
    let server = common::server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    common::run_on_tokio(&rt, Duration::from_secs(20), async {
        let remote = common::connect(&server).await;
        let (tx, rx) = remote.chan::<u32>("plain_tokio", 2).await.unwrap();
        let (notify_tx, mut notify_rx) = tokio::sync::mpsc::channel::<u32>(1);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            tx.send(41).await.unwrap();
            notify_tx.send(1).await.unwrap();
        });
        let mut got = Vec::new();
        while got.len() < 2 {
            tokio::select! {
                Some(v) = rx.recv() => got.push(v),
                Some(n) = notify_rx.recv() => got.push(n),
            }
        }
        got.sort();
        assert_eq!(got, [1, 41]);
    });
}

/// On a current-thread Tokio runtime the last `Remote`'s drop cannot wait
/// for the bridges (they need its thread): it returns at once, and the
/// channel halves, which outlive it, keep working.
#[test]
fn dropping_the_last_remote_on_a_current_thread_runtime_does_not_block() {
    let server = common::server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    common::run_on_tokio(&rt, Duration::from_secs(20), async {
        let remote = common::connect(&server).await;
        let (tx, rx) = remote.chan::<u32>("current_thread", 2).await.unwrap();
        let sender = tokio::spawn(async move {
            tx.send(5).await.unwrap();
            tx
        });
        let tx = sender.await.unwrap();
        // The value may still be on its way: the drop must not block.
        let started = std::time::Instant::now();
        drop(remote);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the drop blocked"
        );
        assert_eq!(rx.recv().await, Some(5));
        tx.close();
        assert_eq!(rx.recv().await, None);
    });
}
