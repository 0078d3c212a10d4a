//! Stress: many producers and consumers on a multi-worker runtime, with and
//! without random cancellation. Every value is received exactly once, in
//! per-producer order, and the drop ledger balances.
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_core::chan;

mod common;

const PRODUCERS: usize = 8;
const CONSUMERS: usize = 8;
const PER_PRODUCER: usize = 100_000;
const CANCEL_PER_PRODUCER: usize = 5_000;
const CAPACITIES: [usize; 3] = [0, 1, 64];
const DEADLINE: Duration = Duration::from_secs(120);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn eight_by_eight_exactly_once_in_order() {
    runtime().block_on(async {
        tokio::time::timeout(DEADLINE, async {
            for cap in CAPACITIES {
                let (tx, rx) = chan::<(usize, usize)>(cap);
                for p in 0..PRODUCERS {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for i in 0..PER_PRODUCER {
                            tx.send((p, i)).await.unwrap();
                        }
                    });
                }
                drop(tx);
                let consumers: Vec<_> = (0..CONSUMERS)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            let mut got = Received::<PRODUCERS>::new();
                            while let Some(value) = rx.recv().await {
                                got.record(value);
                            }
                            got
                        })
                    })
                    .collect();
                drop(rx);
                let mut all = Vec::new();
                for c in consumers {
                    all.push(c.await.unwrap());
                }
                // In-order per consumer plus exact totals means exactly once.
                assert_eq!(totals(all), [PER_PRODUCER; PRODUCERS], "capacity {cap}");
            }
        })
        .await
        .expect("stress test hung");
    });
}

/// A value that counts its drops: not `Clone`, so it cannot be duplicated, and
/// a value lost inside the channel would never be dropped.
struct Tracked {
    id: (usize, usize),
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn random_cancellation_loses_and_duplicates_nothing() {
    runtime().block_on(async {
        tokio::time::timeout(DEADLINE, async {
            for cap in CAPACITIES {
                let drops = Arc::new(AtomicUsize::new(0));
                let (tx, rx) = chan::<Tracked>(cap);
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|p| {
                        let (tx, drops) = (tx.clone(), drops.clone());
                        tokio::spawn(async move {
                            let mut cancelled = 0;
                            for i in 0..CANCEL_PER_PRODUCER {
                                let v = Tracked {
                                    id: (p, i),
                                    drops: drops.clone(),
                                };
                                let wait = Duration::from_micros(fastrand::u64(0..50));
                                // Dropped mid-flight on timeout: the value is
                                // dropped unseen, or it was already taken.
                                if tokio::time::timeout(wait, tx.send(v)).await.is_err() {
                                    cancelled += 1;
                                }
                            }
                            cancelled
                        })
                    })
                    .collect();
                drop(tx);
                let consumers: Vec<_> = (0..CONSUMERS)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            let mut seen = Vec::new();
                            loop {
                                let wait = Duration::from_micros(fastrand::u64(0..50));
                                match tokio::time::timeout(wait, rx.recv()).await {
                                    Ok(Some(v)) => seen.push(v.id),
                                    Ok(None) => break,
                                    Err(_) => continue, // dropped: a handed value goes back
                                }
                            }
                            seen
                        })
                    })
                    .collect();
                drop(rx);
                for p in producers {
                    p.await.unwrap();
                }
                let mut all = HashSet::new();
                let mut received = 0;
                for c in consumers {
                    for id in c.await.unwrap() {
                        assert!(all.insert(id), "{id:?} received twice");
                        received += 1;
                    }
                }
                let produced = PRODUCERS * CANCEL_PER_PRODUCER;
                assert_eq!(
                    drops.load(Ordering::SeqCst),
                    produced,
                    "capacity {cap}: a value was lost"
                );
                assert!(received > 0 && received <= produced);
            }
        })
        .await
        .expect("stress test hung");
    });
}

/// Threads that only poll (`try_send` / `try_recv`, Go's `select` with a
/// `default`), on the lock-free "would block" answers: every value still
/// arrives exactly once and in per-producer order. At capacity 0 a `try_send`
/// needs a parked receiver, so there the receivers block (`recv_blocking`).
#[test]
fn polling_threads_exactly_once_in_order() {
    const POLLERS: usize = 4;
    const PER_POLLER: usize = 20_000;
    common::within(|| {
        for cap in CAPACITIES {
            let (tx, rx) = chan::<(usize, usize)>(cap);
            let producers: Vec<_> = (0..POLLERS)
                .map(|p| {
                    let tx = tx.clone();
                    std::thread::spawn(move || {
                        for i in 0..PER_POLLER {
                            let mut value = (p, i);
                            while let Err(e) = tx.try_send(value) {
                                assert!(e.is_full(), "closed while sending");
                                value = e.into_inner();
                                std::thread::yield_now();
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..POLLERS)
                .map(|_| {
                    let rx = rx.clone();
                    std::thread::spawn(move || {
                        let mut got = Received::<POLLERS>::new();
                        loop {
                            let value = if cap == 0 {
                                rx.recv_blocking()
                            } else {
                                match rx.try_recv() {
                                    Ok(v) => Some(v),
                                    Err(csp_core::TryRecvError::Closed) => None,
                                    Err(csp_core::TryRecvError::Empty) => {
                                        std::thread::yield_now();
                                        continue;
                                    }
                                }
                            };
                            let Some(value) = value else { break };
                            got.record(value);
                        }
                        got
                    })
                })
                .collect();
            drop(rx);
            for p in producers {
                p.join().unwrap();
            }
            let all = consumers.into_iter().map(|c| c.join().unwrap());
            assert_eq!(totals(all), [PER_POLLER; POLLERS], "capacity {cap}");
        }
    });
}

/// What one consumer received: per producer, the last index (values must
/// come in order) and how many.
struct Received<const N: usize> {
    last: [Option<usize>; N],
    counts: [usize; N],
}

impl<const N: usize> Received<N> {
    fn new() -> Self {
        Self {
            last: [None; N],
            counts: [0; N],
        }
    }

    /// Records value `i` of producer `p`, checking it comes after the last.
    fn record(&mut self, (p, i): (usize, usize)) {
        assert!(self.last[p] < Some(i), "producer {p} out of order");
        self.last[p] = Some(i);
        self.counts[p] += 1;
    }
}

/// Per producer, how many values every consumer received in all.
fn totals<const N: usize>(all: impl IntoIterator<Item = Received<N>>) -> [usize; N] {
    let mut totals = [0; N];
    for got in all {
        for (t, n) in totals.iter_mut().zip(got.counts) {
            *t += n;
        }
    }
    totals
}
