//! `select!` against `tokio::select!` over flume and kanal receivers, on the
//! same 2-worker multi-thread runtime.
//!
//! 1. `recv4`: four producer tasks each send `MSGS / 4` values on their own
//!    buffered channel (capacity 64); one consumer selects over the four
//!    receivers until all are closed (Go: `select` over four `case v, ok := <-ch`).
//!    `recv4_cap0`: the same over unbuffered channels.
//! 2. `send_recv`: two tasks on both ends of two unbuffered channels, each
//!    selecting between sending its next value and receiving the peer's
//!    (Go: `select { case out <- i: case v := <-in: }`).
//! 3. `relay_cap0`, `relay_cap64`: a producer, a relay and a consumer; the
//!    relay keeps up to `RELAY_QUEUE` values and selects between receiving
//!    the next one and sending the oldest, each case disabled (Go: set to
//!    nil) when the queue is full or empty, or the input closed
//!    (Go: `select { case v, ok := <-in: case out <- pending: }`).
//!    tokio mpsc's `reserve` is its cancel-safe send; the other peers' send
//!    futures, dropped when they lose, may lose or duplicate a value.
//!
//! Throughput is per message. Run: `cargo bench --bench select`.
#![allow(missing_docs)] // `criterion_main!` generates an undocumented `main`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod common;
use common::runtime;

/// Messages per benchmark iteration.
const MSGS: u64 = 4_000;
/// Messages lost (or duplicated) per library, and runs (see `bench`).
static ANOMALIES: [AtomicU64; COUNTED.len()] = [const { AtomicU64::new(0) }; COUNTED.len()];
static RUNS: [AtomicU64; COUNTED.len()] = [const { AtomicU64::new(0) }; COUNTED.len()];
/// The runs counted in `ANOMALIES` and `RUNS`, in order.
const COUNTED: [&str; 12] = [
    "recv4/flume",
    "recv4/kanal",
    "send_recv/flume",
    "send_recv/kanal",
    "recv4_cap0/flume",
    "recv4_cap0/kanal",
    "relay_cap0/flume",
    "relay_cap0/kanal",
    "relay_cap64/flume",
    "relay_cap64/kanal",
    "relay_cap64/async-channel",
    "relay_cap64/tokio-mpsc",
];
/// Buffer of each channel in `recv4`.
const CAP: usize = 64;
/// Values the relay holds at most.
const RELAY_QUEUE: usize = 16;

async fn csp_recv4<const CAP: usize>() -> u64 {
    let mut rxs = Vec::new();
    for _ in 0..4 {
        let (tx, rx) = csp::chan::<u64>(CAP);
        tokio::spawn(async move {
            for i in 0..MSGS / 4 {
                tx.send(i).await.unwrap();
            }
        });
        rxs.push(Some(rx));
    }
    let mut got = 0;
    let [mut a, mut b, mut c, mut d]: [Option<csp::Receiver<u64>>; 4] = rxs.try_into().unwrap();
    while a.is_some() || b.is_some() || c.is_some() || d.is_some() {
        csp::select! {
            recv(&a) -> v => match v { Some(_) => got += 1, None => a = None },
            recv(&b) -> v => match v { Some(_) => got += 1, None => b = None },
            recv(&c) -> v => match v { Some(_) => got += 1, None => c = None },
            recv(&d) -> v => match v { Some(_) => got += 1, None => d = None },
        }
    }
    got
}

async fn flume_recv4<const CAP: usize>() -> u64 {
    let mut rxs = Vec::new();
    for _ in 0..4 {
        let (tx, rx) = flume::bounded::<u64>(CAP);
        tokio::spawn(async move {
            for i in 0..MSGS / 4 {
                tx.send_async(i).await.unwrap();
            }
        });
        rxs.push(rx);
    }
    let mut open = [true; 4];
    let mut got = 0;
    while open.iter().any(|&o| o) {
        let (i, v) = tokio::select! {
            v = rxs[0].recv_async(), if open[0] => (0, v),
            v = rxs[1].recv_async(), if open[1] => (1, v),
            v = rxs[2].recv_async(), if open[2] => (2, v),
            v = rxs[3].recv_async(), if open[3] => (3, v),
        };
        match v {
            Ok(_) => got += 1,
            Err(_) => open[i] = false,
        }
    }
    got
}

async fn kanal_recv4<const CAP: usize>() -> u64 {
    let mut rxs = Vec::new();
    for _ in 0..4 {
        let (tx, rx) = kanal::bounded_async::<u64>(CAP);
        tokio::spawn(async move {
            for i in 0..MSGS / 4 {
                tx.send(i).await.unwrap();
            }
        });
        rxs.push(rx);
    }
    let mut open = [true; 4];
    let mut got = 0;
    while open.iter().any(|&o| o) {
        let (i, v) = tokio::select! {
            v = rxs[0].recv(), if open[0] => (0, v),
            v = rxs[1].recv(), if open[1] => (1, v),
            v = rxs[2].recv(), if open[2] => (2, v),
            v = rxs[3].recv(), if open[3] => (3, v),
        };
        match v {
            Ok(_) => got += 1,
            Err(_) => open[i] = false,
        }
    }
    got
}

/// The relay workload around `$relay` (an async block using `in_rx` and
/// `out_tx`): a producer task sends `MSGS` values into `in`, a consumer task
/// counts what comes out of `out`. Resolves to the count.
macro_rules! relay {
    ($make_in:expr, $make_out:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr,
     |$in_rx:ident, $out_tx:ident| $relay:expr) => {{
        let (in_tx, $in_rx) = $make_in;
        let ($out_tx, out_rx) = $make_out;
        tokio::spawn(async move {
            let $tx = in_tx;
            for $v in 0..MSGS {
                $send;
            }
        });
        let consumer = tokio::spawn(async move {
            #[allow(unused_mut)] // tokio's receiver needs `mut`
            let mut $rx = out_rx;
            let mut got = 0u64;
            while $recv {
                got += 1;
            }
            got
        });
        $relay.await;
        consumer.await.unwrap()
    }};
}

async fn csp_relay<const CAP: usize>() -> u64 {
    relay!(
        csp::chan::<u64>(CAP),
        csp::chan::<u64>(CAP),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.is_some(),
        |in_rx, out_tx| async move {
            let mut input = Some(in_rx);
            let mut queue = std::collections::VecDeque::with_capacity(RELAY_QUEUE);
            while input.is_some() || !queue.is_empty() {
                let recv_from = input.as_ref().filter(|_| queue.len() < RELAY_QUEUE);
                let send_to = Some(&out_tx).filter(|_| !queue.is_empty());
                let pending = queue.front().copied().unwrap_or(0);
                csp::select! {
                    recv(recv_from) -> v => match v {
                        Some(v) => queue.push_back(v),
                        None => input = None,
                    },
                    send(send_to, pending) -> r => {
                        r.unwrap();
                        queue.pop_front();
                    }
                }
            }
        }
    )
}

/// The `tokio::select!` relay over a peer whose send is `$send` and receive
/// `$recv` (each yielding a `Result`).
macro_rules! peer_relay {
    ($in_rx:ident, $out_tx:ident, |$v:ident| $send:expr, $recv:expr) => {
        async move {
            let mut open = true;
            let mut queue = std::collections::VecDeque::with_capacity(RELAY_QUEUE);
            while open || !queue.is_empty() {
                let pending = queue.front().copied().unwrap_or(0);
                tokio::select! {
                    v = $recv, if open && queue.len() < RELAY_QUEUE => match v {
                        Ok(v) => queue.push_back(v),
                        Err(_) => open = false,
                    },
                    r = async { let $v = pending; $send.await }, if !queue.is_empty() => {
                        r.unwrap();
                        queue.pop_front();
                    }
                }
            }
            drop($in_rx);
            drop($out_tx);
        }
    };
}

async fn flume_relay<const CAP: usize>() -> u64 {
    relay!(
        flume::bounded::<u64>(CAP),
        flume::bounded::<u64>(CAP),
        |tx, v| tx.send_async(v).await.unwrap(),
        |rx| rx.recv_async().await.is_ok(),
        |in_rx, out_tx| peer_relay!(in_rx, out_tx, |v| out_tx.send_async(v), in_rx.recv_async())
    )
}

async fn kanal_relay<const CAP: usize>() -> u64 {
    relay!(
        kanal::bounded_async::<u64>(CAP),
        kanal::bounded_async::<u64>(CAP),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.is_ok(),
        |in_rx, out_tx| peer_relay!(in_rx, out_tx, |v| out_tx.send(v), in_rx.recv())
    )
}

async fn async_channel_relay() -> u64 {
    relay!(
        async_channel::bounded::<u64>(CAP),
        async_channel::bounded::<u64>(CAP),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.is_ok(),
        |in_rx, out_tx| peer_relay!(in_rx, out_tx, |v| out_tx.send(v), in_rx.recv())
    )
}

/// tokio mpsc: `reserve` (cancel safe) then a send that cannot fail to
/// deliver, so this relay is correct.
async fn tokio_relay() -> u64 {
    relay!(
        tokio::sync::mpsc::channel::<u64>(CAP),
        tokio::sync::mpsc::channel::<u64>(CAP),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.is_some(),
        |in_rx, out_tx| async move {
            let mut in_rx = in_rx;
            let mut open = true;
            let mut queue = std::collections::VecDeque::with_capacity(RELAY_QUEUE);
            while open || !queue.is_empty() {
                tokio::select! {
                    v = in_rx.recv(), if open && queue.len() < RELAY_QUEUE => match v {
                        Some(v) => queue.push_back(v),
                        None => open = false,
                    },
                    permit = out_tx.reserve(), if !queue.is_empty() => {
                        permit.unwrap().send(queue.pop_front().unwrap());
                    }
                }
            }
            drop(out_tx);
        }
    )
}

async fn csp_send_recv() -> u64 {
    let (tx1, rx1) = csp::chan::<u64>(0);
    let (tx2, rx2) = csp::chan::<u64>(0);
    let side = |tx: csp::Sender<u64>, rx: csp::Receiver<u64>| async move {
        let (mut sent, mut got, mut open) = (0, 0, true);
        while sent < MSGS / 2 {
            csp::select! {
                send(&tx, sent) -> r => { r.unwrap(); sent += 1; }
                recv(Some(&rx).filter(|_| open)) -> v => match v {
                    Some(_) => got += 1,
                    None => open = false,
                },
            }
        }
        drop(tx);
        while open && rx.recv().await.is_some() {
            got += 1;
        }
        got
    };
    let peer = tokio::spawn(side(tx2, rx1));
    side(tx1, rx2).await + peer.await.unwrap()
}

async fn flume_send_recv() -> u64 {
    let (tx1, rx1) = flume::bounded::<u64>(0);
    let (tx2, rx2) = flume::bounded::<u64>(0);
    let side = |tx: flume::Sender<u64>, rx: flume::Receiver<u64>| async move {
        let (mut sent, mut got, mut open) = (0, 0, true);
        while sent < MSGS / 2 {
            tokio::select! {
                r = tx.send_async(sent) => { r.unwrap(); sent += 1; }
                v = rx.recv_async(), if open => match v {
                    Ok(_) => got += 1,
                    Err(_) => open = false,
                },
            }
        }
        drop(tx);
        while open && rx.recv_async().await.is_ok() {
            got += 1;
        }
        got
    };
    let peer = tokio::spawn(side(tx2, rx1));
    side(tx1, rx2).await + peer.await.unwrap()
}

async fn kanal_send_recv() -> u64 {
    let (tx1, rx1) = kanal::bounded_async::<u64>(0);
    let (tx2, rx2) = kanal::bounded_async::<u64>(0);
    let side = |tx: kanal::AsyncSender<u64>, rx: kanal::AsyncReceiver<u64>| async move {
        let (mut sent, mut got, mut open) = (0, 0, true);
        while sent < MSGS / 2 {
            tokio::select! {
                r = tx.send(sent) => { r.unwrap(); sent += 1; }
                v = rx.recv(), if open => match v {
                    Ok(_) => got += 1,
                    Err(_) => open = false,
                },
            }
        }
        drop(tx);
        while open && rx.recv().await.is_ok() {
            got += 1;
        }
        got
    };
    let peer = tokio::spawn(side(tx2, rx1));
    side(tx1, rx2).await + peer.await.unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("select");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
        .throughput(Throughput::Elements(MSGS));
    macro_rules! case {
        ($name:literal, $lib:literal, $f:expr, $expect:expr) => {
            g.bench_function(BenchmarkId::new($name, $lib), |b| {
                b.to_async(&rt).iter(|| async {
                    let got = tokio::spawn($f()).await.unwrap();
                    $expect(got);
                })
            });
        };
    }
    let exact = |got: u64| assert_eq!(got, MSGS, "csp lost or duplicated a message");
    // A losing `tokio::select!` branch drops its future: kanal 0.1's receive
    // future then drops a value already handed to it, and a cancelled send
    // future may have delivered its value already. Count, do not assert.
    let count = |lib: usize| {
        move |got: u64| {
            ANOMALIES[lib].fetch_add(got.abs_diff(MSGS), Ordering::Relaxed);
            RUNS[lib].fetch_add(1, Ordering::Relaxed);
        }
    };
    case!("recv4", "csp", csp_recv4::<CAP>, exact);
    case!("recv4", "flume", flume_recv4::<CAP>, count(0));
    case!("recv4", "kanal", kanal_recv4::<CAP>, count(1));
    case!("send_recv", "csp", csp_send_recv, exact);
    case!("send_recv", "flume", flume_send_recv, count(2));
    case!("send_recv", "kanal", kanal_send_recv, count(3));
    case!("recv4_cap0", "csp", csp_recv4::<0>, exact);
    case!("recv4_cap0", "flume", flume_recv4::<0>, count(4));
    case!("recv4_cap0", "kanal", kanal_recv4::<0>, count(5));
    case!("relay_cap0", "csp", csp_relay::<0>, exact);
    case!("relay_cap0", "flume", flume_relay::<0>, count(6));
    case!("relay_cap0", "kanal", kanal_relay::<0>, count(7));
    case!("relay_cap64", "csp", csp_relay::<CAP>, exact);
    case!("relay_cap64", "flume", flume_relay::<CAP>, count(8));
    case!("relay_cap64", "kanal", kanal_relay::<CAP>, count(9));
    case!(
        "relay_cap64",
        "async-channel",
        async_channel_relay,
        count(10)
    );
    case!("relay_cap64", "tokio-mpsc", tokio_relay, count(11));
    g.finish();
    for (i, lib) in COUNTED.iter().enumerate() {
        eprintln!(
            "{lib}: {} messages lost or duplicated in {} runs of {MSGS}",
            ANOMALIES[i].load(Ordering::Relaxed),
            RUNS[i].load(Ordering::Relaxed)
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
