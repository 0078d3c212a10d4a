//! `select!` against `tokio::select!` over flume and kanal receivers, on the
//! same 2-worker multi-thread runtime.
//!
//! 1. `recv4`: four producer tasks each send `MSGS / 4` values on their own
//!    buffered channel; one consumer selects over the four receivers until all
//!    are closed (Go: `select` over four `case v, ok := <-ch`).
//! 2. `send_recv`: two tasks on both ends of two unbuffered channels, each
//!    selecting between sending its next value and receiving the peer's
//!    (Go: `select { case out <- i: case v := <-in: }`).
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
static ANOMALIES: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static RUNS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// The runs counted in `ANOMALIES` and `RUNS`, in order.
const COUNTED: [&str; 4] = [
    "recv4/flume",
    "recv4/kanal",
    "send_recv/flume",
    "send_recv/kanal",
];
/// Buffer of each channel in `recv4`.
const CAP: usize = 64;

async fn csp_recv4() -> u64 {
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

async fn flume_recv4() -> u64 {
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

async fn kanal_recv4() -> u64 {
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
        ($name:literal, $lib:literal, $f:ident, $expect:expr) => {
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
    let (flume4, kanal4, flume_sr, kanal_sr) = (count(0), count(1), count(2), count(3));
    case!("recv4", "csp", csp_recv4, exact);
    case!("recv4", "flume", flume_recv4, flume4);
    case!("recv4", "kanal", kanal_recv4, kanal4);
    case!("send_recv", "csp", csp_send_recv, exact);
    case!("send_recv", "flume", flume_send_recv, flume_sr);
    case!("send_recv", "kanal", kanal_send_recv, kanal_sr);
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
