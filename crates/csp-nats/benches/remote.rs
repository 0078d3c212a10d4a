//! csp-nats against raw async-nats, on a throwaway local `nats-server -js`.
//!
//! - `throughput`: 1 producer and 2 consumers (separate connections, as
//!   separate processes would be) moving 64-byte payloads; csp-nats at
//!   capacity 64 against raw JetStream publish (awaiting each ack) and two
//!   pull consumers (batches of 16, each message acknowledged).
//! - `round_trip`: ping-pong over two unbuffered remote channels against a
//!   raw core-NATS request/reply.
//! - `ack_round_trip`: one acknowledgement confirmed by the server
//!   (`double_ack`), the duplicate window the crate docs name.
//!
//! Run: `cargo bench -p csp-nats --bench remote -- --warm-up-time 1 --measurement-time 3`.
//! Results and their reading: `docs/performance.md`.
#![allow(missing_docs)] // `criterion_group!` generates an undocumented `pub fn`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use csp_nats::{Remote, TestServer};
use futures::StreamExt;

/// Messages per throughput iteration.
const BATCH: u64 = 1_000;
/// Payload size in bytes.
const PAYLOAD: usize = 64;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits until `counter` reaches `target`.
async fn wait_for(counter: &AtomicU64, target: u64) {
    while counter.load(Ordering::Acquire) < target {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn throughput(c: &mut Criterion, server: &TestServer, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("throughput_1p2c_cap64");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(10);

    // csp-nats: three connections; the consumers count what they take.
    let (tx, received) = rt.block_on(async {
        let url = server.url();
        let producer = Remote::connect(&url).await.unwrap();
        let (tx, _) = producer.chan::<Vec<u8>>("bench", 64).await.unwrap();
        let received = Arc::new(AtomicU64::new(0));
        for _ in 0..2 {
            let remote = Remote::connect(&url).await.unwrap();
            let (_, rx) = remote.chan::<Vec<u8>>("bench", 64).await.unwrap();
            let received = received.clone();
            tokio::spawn(async move {
                let _remote = remote;
                while let Some(v) = rx.recv().await {
                    assert_eq!(v.len(), PAYLOAD);
                    received.fetch_add(1, Ordering::Release);
                }
            });
        }
        (tx, received)
    });
    group.bench_function("csp-nats", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let tx = tx.clone();
            let received = received.clone();
            async move {
                let start = Instant::now();
                let target = received.load(Ordering::Acquire) + iters * BATCH;
                for _ in 0..iters * BATCH {
                    tx.send(vec![7u8; PAYLOAD]).await.unwrap();
                }
                wait_for(&received, target).await;
                start.elapsed()
            }
        })
    });

    // Raw async-nats: the same bytes, a work-queue stream, two pull consumers.
    let (js, raw_received) = rt.block_on(async {
        let url = server.url();
        let js = jetstream::new(async_nats::connect(&url).await.unwrap());
        js.create_stream(stream::Config {
            name: "RAW".to_owned(),
            subjects: vec!["raw".to_owned()],
            retention: stream::RetentionPolicy::WorkQueue,
            ..Default::default()
        })
        .await
        .unwrap();
        let received = Arc::new(AtomicU64::new(0));
        for _ in 0..2 {
            let js = jetstream::new(async_nats::connect(&url).await.unwrap());
            let consumer: consumer::PullConsumer = js
                .get_stream("RAW")
                .await
                .unwrap()
                .get_or_create_consumer(
                    "raw",
                    consumer::pull::Config {
                        durable_name: Some("raw".to_owned()),
                        ack_policy: consumer::AckPolicy::Explicit,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let received = received.clone();
            tokio::spawn(async move {
                loop {
                    let Ok(mut batch) = consumer
                        .batch()
                        .max_messages(16)
                        .expires(Duration::from_millis(200))
                        .messages()
                        .await
                    else {
                        continue;
                    };
                    while let Some(Ok(msg)) = batch.next().await {
                        assert_eq!(msg.payload.len(), PAYLOAD);
                        msg.ack().await.unwrap();
                        received.fetch_add(1, Ordering::Release);
                    }
                }
            });
        }
        (js, received)
    });
    group.bench_function("raw-async-nats", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let js = js.clone();
            let received = raw_received.clone();
            async move {
                let start = Instant::now();
                let target = received.load(Ordering::Acquire) + iters * BATCH;
                for _ in 0..iters * BATCH {
                    let payload = bytes::Bytes::from(vec![7u8; PAYLOAD]);
                    js.publish("raw", payload).await.unwrap().await.unwrap();
                }
                wait_for(&received, target).await;
                start.elapsed()
            }
        })
    });
    group.finish();
}

fn round_trip(c: &mut Criterion, server: &TestServer, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("round_trip_unbuffered");
    group.sample_size(10);
    let (ping_tx, pong_rx) = rt.block_on(async {
        let url = server.url();
        let a = Remote::connect(&url).await.unwrap();
        let b = Remote::connect(&url).await.unwrap();
        let (ping_tx, _) = a.chan::<u64>("ping", 0).await.unwrap();
        let (_, pong_rx) = a.chan::<u64>("pong", 0).await.unwrap();
        let (_, ping_rx) = b.chan::<u64>("ping", 0).await.unwrap();
        let (pong_tx, _) = b.chan::<u64>("pong", 0).await.unwrap();
        tokio::spawn(async move {
            let _keep = (a, b);
            while let Some(v) = ping_rx.recv().await {
                pong_tx.send(v).await.unwrap();
            }
        });
        (ping_tx, pong_rx)
    });
    group.bench_function("csp-nats", |b| {
        b.to_async(rt).iter(|| async {
            ping_tx.send(1).await.unwrap();
            pong_rx.recv().await.unwrap()
        })
    });
    let client = rt.block_on(async {
        let url = server.url();
        let client = async_nats::connect(&url).await.unwrap();
        let responder = async_nats::connect(&url).await.unwrap();
        let mut sub = responder.subscribe("echo").await.unwrap();
        // The server must know the subscription before the first request.
        responder.flush().await.unwrap();
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                if let Some(reply) = msg.reply {
                    responder.publish(reply, msg.payload).await.unwrap();
                }
            }
        });
        client
    });
    group.bench_function("raw-request-reply", |b| {
        b.to_async(rt)
            .iter(|| async { client.request("echo", "1".into()).await.unwrap() })
    });
    group.finish();
}

fn ack_round_trip(c: &mut Criterion, server: &TestServer, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("ack_round_trip");
    group.sample_size(10);
    let (js, consumer) = rt.block_on(async {
        let js = jetstream::new(async_nats::connect(&server.url()).await.unwrap());
        let stream = js
            .create_stream(stream::Config {
                name: "ACKS".to_owned(),
                subjects: vec!["acks".to_owned()],
                retention: stream::RetentionPolicy::WorkQueue,
                ..Default::default()
            })
            .await
            .unwrap();
        let consumer: consumer::PullConsumer = stream
            .get_or_create_consumer(
                "acks",
                consumer::pull::Config {
                    durable_name: Some("acks".to_owned()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        (js, consumer)
    });
    group.bench_function("double_ack", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let js = js.clone();
            let consumer = consumer.clone();
            async move {
                let mut acking = Duration::ZERO;
                for _ in 0..iters {
                    js.publish("acks", "v".into()).await.unwrap().await.unwrap();
                    let mut batch = consumer
                        .batch()
                        .max_messages(1)
                        .expires(Duration::from_secs(5))
                        .messages()
                        .await
                        .unwrap();
                    let msg = batch.next().await.unwrap().unwrap();
                    let start = Instant::now();
                    msg.double_ack().await.unwrap();
                    acking += start.elapsed();
                }
                acking
            }
        })
    });
    group.finish();
}

/// Runs every group against one server.
fn benches(c: &mut Criterion) {
    let server = TestServer::start().unwrap_or_else(|e| panic!("{e}"));
    let rt = runtime();
    throughput(c, &server, &rt);
    round_trip(c, &server, &rt);
    ack_round_trip(c, &server, &rt);
}

criterion_group!(remote, benches);
criterion_main!(remote);
