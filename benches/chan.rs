//! Channel throughput against the async peers, on one Tokio multi-thread
//! runtime (2 workers): the uncontended cost of a send + receive pair,
//! ping-pong over two unbuffered channels, and SPSC,
//! MPSC (4:1) and MPMC (4:4) at capacities 0, 1 and 64. A peer that cannot
//! express a workload (tokio mpsc: no capacity 0, single consumer;
//! async-channel: no capacity 0) is left out of that group.
//! crossbeam-channel on OS threads is the non-async reference.
//! `csp-unconstrained` is csp with its tasks under
//! `tokio::task::unconstrained`: no cooperative budget spent, so no forced
//! yields (kanal spends none either); the gap to the `csp` row is what the
//! budget's yields cost there (its bookkeeping still runs:
//! `crates/csp-core/src/chan/budget.rs`). `poll`: one
//! sender, and one receiver that polls with `try_recv` and yields when the
//! channel is empty (Go: `select` with a `default` that calls
//! `runtime.Gosched()`), at capacities 1 and 64: with Tokio's `yield_now`
//! for every peer, and `csp-gosched` with csp's `gosched`.
//!
//! `sieve`: Go's concurrent prime sieve up to the `SIEVE_PRIMES`th prime, a
//! chain of one task per prime over unbuffered channels (one sender and one
//! receiver per channel); time per run. The chain winds down in the
//! background once the run drops its last receiver (Go's leaks, parked).
//!
//! Each sample of the other groups moves `iters` messages; criterion reports
//! time per message.
#![allow(missing_docs)] // criterion's macros generate undocumented items
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};

const WORKERS: usize = 2;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .build()
        .unwrap()
}

/// Runs `producers` senders and `consumers` receivers moving `msgs` messages
/// in total, with the channel built by `$make` and used with `$send`/`$recv`;
/// each task's future goes through `$wrap` if given
/// (`tokio::task::unconstrained`).
macro_rules! flow {
    ($rt:expr, $msgs:expr, $producers:expr, $consumers:expr,
     $make:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {
        flow!(
            $rt,
            $msgs,
            $producers,
            $consumers,
            std::convert::identity,
            $make,
            |$tx, $v| $send,
            |$rx| $recv
        )
    };
    ($rt:expr, $msgs:expr, $producers:expr, $consumers:expr, $wrap:expr,
     $make:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {{
        let (msgs, producers, consumers) = ($msgs as usize, $producers, $consumers);
        $rt.block_on(async move {
            let (tx, rx) = $make;
            let start = Instant::now();
            let mut joins = Vec::new();
            for p in 0..producers {
                let $tx = tx.clone();
                let n = msgs / producers + usize::from(p < msgs % producers);
                joins.push(tokio::spawn($wrap(async move {
                    for $v in 0..n {
                        $send;
                    }
                })));
            }
            drop(tx);
            for c in 0..consumers {
                let $rx = rx.clone();
                let n = msgs / consumers + usize::from(c < msgs % consumers);
                joins.push(tokio::spawn($wrap(async move {
                    for _ in 0..n {
                        $recv;
                    }
                })));
            }
            drop(rx);
            for j in joins {
                j.await.unwrap();
            }
            start.elapsed()
        })
    }};
}

fn bench_flow(c: &mut Criterion, name: &str, producers: usize, consumers: usize) {
    let rt = runtime();
    for cap in [0usize, 1, 64] {
        let mut g = group(c, format!("{name}/cap{cap}"));
        // csp, with each task's future passed through `$wrap`.
        macro_rules! csp_peer {
            ($peer:literal, $wrap:expr) => {
                g.bench_function(BenchmarkId::from_parameter($peer), |b| {
                    b.iter_custom(|n| {
                        flow!(
                            rt,
                            n,
                            producers,
                            consumers,
                            $wrap,
                            csp::chan::<usize>(cap),
                            |tx, v| tx.send(v).await.unwrap(),
                            |rx| rx.recv().await.unwrap()
                        )
                    })
                });
            };
        }
        csp_peer!("csp", std::convert::identity);
        csp_peer!("csp-unconstrained", tokio::task::unconstrained);
        g.bench_function(BenchmarkId::from_parameter("flume"), |b| {
            b.iter_custom(|n| {
                flow!(
                    rt,
                    n,
                    producers,
                    consumers,
                    flume::bounded::<usize>(cap),
                    |tx, v| tx.send_async(v).await.unwrap(),
                    |rx| rx.recv_async().await.unwrap()
                )
            })
        });
        g.bench_function(BenchmarkId::from_parameter("kanal"), |b| {
            b.iter_custom(|n| {
                flow!(
                    rt,
                    n,
                    producers,
                    consumers,
                    kanal::bounded_async::<usize>(cap),
                    |tx, v| tx.send(v).await.unwrap(),
                    |rx| rx.recv().await.unwrap()
                )
            })
        });
        if cap > 0 {
            g.bench_function(BenchmarkId::from_parameter("async-channel"), |b| {
                b.iter_custom(|n| {
                    flow!(
                        rt,
                        n,
                        producers,
                        consumers,
                        async_channel::bounded::<usize>(cap),
                        |tx, v| tx.send(v).await.unwrap(),
                        |rx| rx.recv().await.unwrap()
                    )
                })
            });
        }
        if cap > 0 && consumers == 1 {
            g.bench_function(BenchmarkId::from_parameter("tokio-mpsc"), |b| {
                b.iter_custom(|n| {
                    let msgs = n as usize;
                    rt.block_on(async move {
                        let (tx, mut rx) = tokio::sync::mpsc::channel::<usize>(cap);
                        let start = Instant::now();
                        let mut joins = Vec::new();
                        for p in 0..producers {
                            let tx = tx.clone();
                            let k = msgs / producers + usize::from(p < msgs % producers);
                            joins.push(tokio::spawn(async move {
                                for v in 0..k {
                                    tx.send(v).await.unwrap();
                                }
                            }));
                        }
                        drop(tx);
                        // The one receiver is a task too, as in every other group.
                        joins.push(tokio::spawn(async move {
                            for _ in 0..msgs {
                                rx.recv().await.unwrap();
                            }
                        }));
                        for j in joins {
                            j.await.unwrap();
                        }
                        start.elapsed()
                    })
                })
            });
        }
        g.bench_function(BenchmarkId::from_parameter("crossbeam-threads"), |b| {
            b.iter_custom(|n| {
                let msgs = n as usize;
                let (tx, rx) = crossbeam_channel::bounded::<usize>(cap);
                let start = Instant::now();
                std::thread::scope(|s| {
                    for p in 0..producers {
                        let tx = tx.clone();
                        let k = msgs / producers + usize::from(p < msgs % producers);
                        s.spawn(move || (0..k).for_each(|v| tx.send(v).unwrap()));
                    }
                    for c in 0..consumers {
                        let rx = rx.clone();
                        let k = msgs / consumers + usize::from(c < msgs % consumers);
                        s.spawn(move || {
                            (0..k).for_each(|_| {
                                rx.recv().unwrap();
                            })
                        });
                    }
                });
                start.elapsed()
            })
        });
        g.finish();
    }
}

/// Ping-pong: two goroutines (both spawned on the workers, as Go's would be)
/// bounce a counter over two unbuffered channels.
macro_rules! ping_pong {
    ($rt:expr, $n:expr, $make:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {{
        let n = $n as usize;
        $rt.block_on(async move {
            let (ping_tx, ping_rx) = $make;
            let (pong_tx, pong_rx) = $make;
            let start = Instant::now();
            let echo = tokio::spawn(async move {
                for _ in 0..n {
                    let $v = {
                        let $rx = &ping_rx;
                        $recv
                    };
                    let $tx = &pong_tx;
                    $send;
                }
            });
            let serve = tokio::spawn(async move {
                for i in 0..n {
                    {
                        let ($tx, $v) = (&ping_tx, i);
                        $send;
                    }
                    let $rx = &pong_rx;
                    let _ = $recv;
                }
            });
            serve.await.unwrap();
            echo.await.unwrap();
            start.elapsed()
        })
    }};
}

fn bench_ping_pong(c: &mut Criterion) {
    let rt = runtime();
    let mut g = group(c, "ping-pong/cap0".into());
    g.bench_function("csp", |b| {
        b.iter_custom(|n| {
            ping_pong!(
                rt,
                n,
                csp::chan::<usize>(0),
                |tx, v| tx.send(v).await.unwrap(),
                |rx| rx.recv().await.unwrap()
            )
        })
    });
    g.bench_function("flume", |b| {
        b.iter_custom(|n| {
            ping_pong!(
                rt,
                n,
                flume::bounded::<usize>(0),
                |tx, v| tx.send_async(v).await.unwrap(),
                |rx| rx.recv_async().await.unwrap()
            )
        })
    });
    g.bench_function("kanal", |b| {
        b.iter_custom(|n| {
            ping_pong!(
                rt,
                n,
                kanal::bounded_async::<usize>(0),
                |tx, v| tx.send(v).await.unwrap(),
                |rx| rx.recv().await.unwrap()
            )
        })
    });
    g.finish();
}

/// One task sends a value and receives it back, over and over, on a
/// buffered channel nobody else touches: the cost of the operations
/// themselves (lock, buffer, cooperative budget), with no contention and no
/// parking. Registers peer `$peer` in group `$g`, the task's future wrapped
/// by `$wrap` if given; time is per send + receive pair.
macro_rules! uncontended {
    ($g:expr, $rt:expr, $peer:literal, $make:expr,
     |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {
        uncontended!(
            $g,
            $rt,
            $peer,
            std::convert::identity,
            $make,
            |$tx, $v| $send,
            |$rx| $recv
        )
    };
    ($g:expr, $rt:expr, $peer:literal, $wrap:expr, $make:expr,
     |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {
        $g.bench_function($peer, |b| {
            b.iter_custom(|n| {
                $rt.block_on(async move {
                    tokio::spawn($wrap(async move {
                        // `mut`: tokio's receiver takes `&mut self`.
                        #[allow(unused_mut)]
                        let ($tx, mut $rx) = $make;
                        let start = Instant::now();
                        for $v in 0..n as usize {
                            $send;
                            std::hint::black_box($recv);
                        }
                        start.elapsed()
                    }))
                    .await
                    .unwrap()
                })
            })
        });
    };
}

fn bench_uncontended(c: &mut Criterion) {
    let rt = runtime();
    let mut g = group(c, "uncontended/cap64".into());
    uncontended!(
        g,
        rt,
        "csp",
        csp::chan::<usize>(64),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.unwrap()
    );
    uncontended!(
        g,
        rt,
        "csp-unconstrained",
        tokio::task::unconstrained,
        csp::chan::<usize>(64),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.unwrap()
    );
    uncontended!(
        g,
        rt,
        "flume",
        flume::bounded::<usize>(64),
        |tx, v| tx.send_async(v).await.unwrap(),
        |rx| rx.recv_async().await.unwrap()
    );
    uncontended!(
        g,
        rt,
        "kanal",
        kanal::bounded_async::<usize>(64),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.unwrap()
    );
    uncontended!(
        g,
        rt,
        "async-channel",
        async_channel::bounded::<usize>(64),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.unwrap()
    );
    uncontended!(
        g,
        rt,
        "tokio-mpsc",
        tokio::sync::mpsc::channel::<usize>(64),
        |tx, v| tx.send(v).await.unwrap(),
        |rx| rx.recv().await.unwrap()
    );
    g.finish();
}

/// A benchmark group with this file's settings: 2 s of measurement after
/// 0.5 s of warm-up, 20 samples, time reported per message.
fn group(c: &mut Criterion, name: String) -> BenchmarkGroup<'_, WallTime> {
    let mut g = c.benchmark_group(name);
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
        .throughput(criterion::Throughput::Elements(1));
    g
}

/// Registers peer `$peer` in the `poll` group `$g`: one sender, and one
/// receiver that polls with `$try` (the peer's `try_recv` mapped to `Option`,
/// `None`: empty for now) and yields when the channel is empty, with
/// `$yield` if given, else `tokio::task::yield_now` (every peer's row uses the
/// same yield; `csp-gosched` is csp with its own, as a Go port writes it).
macro_rules! poll {
    ($g:expr, $rt:expr, $peer:literal, $make:expr,
     |$tx:ident, $v:ident| $send:expr, |$rx:ident| $try:expr) => {
        poll!(
            $g,
            $rt,
            $peer,
            tokio::task::yield_now,
            $make,
            |$tx, $v| $send,
            |$rx| $try
        )
    };
    ($g:expr, $rt:expr, $peer:literal, $yield:path, $make:expr,
     |$tx:ident, $v:ident| $send:expr, |$rx:ident| $try:expr) => {
        $g.bench_function($peer, |b| {
            b.iter_custom(|n| {
                flow!($rt, n, 1, 1, $make, |$tx, $v| $send, |$rx| loop {
                    match $try {
                        Some(v) => break v,
                        None => $yield().await,
                    }
                })
            })
        });
    };
}

fn bench_poll(c: &mut Criterion) {
    let rt = runtime();
    for cap in [1usize, 64] {
        let mut g = group(c, format!("poll/cap{cap}"));
        poll!(
            g,
            rt,
            "csp",
            csp::chan::<usize>(cap),
            |tx, v| tx.send(v).await.unwrap(),
            |rx| rx.try_recv().ok()
        );
        poll!(
            g,
            rt,
            "csp-gosched",
            csp::gosched,
            csp::chan::<usize>(cap),
            |tx, v| tx.send(v).await.unwrap(),
            |rx| rx.try_recv().ok()
        );
        poll!(
            g,
            rt,
            "kanal",
            kanal::bounded_async::<usize>(cap),
            |tx, v| tx.send(v).await.unwrap(),
            |rx| rx.try_recv().unwrap()
        );
        poll!(
            g,
            rt,
            "flume",
            flume::bounded::<usize>(cap),
            |tx, v| tx.send_async(v).await.unwrap(),
            |rx| rx.try_recv().ok()
        );
        poll!(
            g,
            rt,
            "async-channel",
            async_channel::bounded::<usize>(cap),
            |tx, v| tx.send(v).await.unwrap(),
            |rx| rx.try_recv().ok()
        );
        g.finish();
    }
}

/// Primes the sieve finds per run (a chain of as many tasks).
const SIEVE_PRIMES: usize = 2_000;

/// The sieve over channels made by `$make` (unbuffered), with `$send`
/// yielding `true` on success and `$recv` an `Option`. Resolves to the
/// `SIEVE_PRIMES`th prime once every task of the chain has ended.
///
/// Dropping the last receiver starts the chain's teardown (each filter's
/// send fails, it returns and drops its input, and so on back to the
/// generator), which keeps numbers flowing for a while. Awaiting it makes
/// each iteration the same work: left running, it raced the next
/// iteration's sieve and the times split into a fast and a slow mode.
macro_rules! sieve {
    ($make:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {
        async {
            let (gen_tx, mut rx) = $make;
            let mut tasks = Vec::with_capacity(SIEVE_PRIMES + 1);
            tasks.push(tokio::spawn(async move {
                let $tx = gen_tx;
                let mut $v = 2u64;
                while $send {
                    $v += 1;
                }
            }));
            let mut prime = 0;
            for _ in 0..SIEVE_PRIMES {
                prime = {
                    let $rx = &rx;
                    $recv.expect("the generator never stops")
                };
                let (next_tx, next_rx) = $make;
                let input = std::mem::replace(&mut rx, next_rx);
                tasks.push(tokio::spawn(async move {
                    let $tx = next_tx;
                    loop {
                        let Some($v) = ({
                            let $rx = &input;
                            $recv
                        }) else {
                            return;
                        };
                        if $v % prime != 0 && !$send {
                            return;
                        }
                    }
                }));
            }
            drop(rx);
            for task in tasks {
                task.await.expect("a sieve task");
            }
            prime
        }
    };
}

fn bench_sieve(c: &mut Criterion) {
    /// The 2,000th prime.
    const EXPECTED: u64 = 17_389;
    let rt = runtime();
    let mut g = c.benchmark_group("sieve");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    g.bench_function(BenchmarkId::from_parameter("csp"), |b| {
        b.iter(|| {
            let p = rt.block_on(sieve!(
                csp::chan::<u64>(0),
                |tx, v| tx.send(v).await.is_ok(),
                |rx| rx.recv().await
            ));
            assert_eq!(p, EXPECTED);
        })
    });
    g.bench_function(BenchmarkId::from_parameter("kanal"), |b| {
        b.iter(|| {
            let p = rt.block_on(sieve!(
                kanal::bounded_async::<u64>(0),
                |tx, v| tx.send(v).await.is_ok(),
                |rx| rx.recv().await.ok()
            ));
            assert_eq!(p, EXPECTED);
        })
    });
    g.bench_function(BenchmarkId::from_parameter("flume"), |b| {
        b.iter(|| {
            let p = rt.block_on(sieve!(
                flume::bounded::<u64>(0),
                |tx, v| tx.send_async(v).await.is_ok(),
                |rx| rx.recv_async().await.ok()
            ));
            assert_eq!(p, EXPECTED);
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_uncontended(c);
    bench_ping_pong(c);
    bench_flow(c, "spsc", 1, 1);
    bench_flow(c, "mpsc", 4, 1);
    bench_flow(c, "mpmc", 4, 4);
    bench_poll(c);
    bench_sieve(c);
}

criterion_group!(chan_benches, benches);
criterion_main!(chan_benches);
