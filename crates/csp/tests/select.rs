//! `select!`: one test per rule of Go's select (issue 4), plus ports of Go's
//! `test/chan/doubleselect.go` and `test/chan/select*.go` ideas.
//!
//! Every concurrent test runs under [`deadline`], so a hang fails instead of
//! blocking the suite. Iteration counts are named constants.
//!
//! Not ported yet: Go's `test/chan/select3.go` (needs `after`/`tick` and the
//! deadlock detector, which live in other issues).
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use csp::{chan, select, Receiver, SendError, Sender};

const DEADLINE: Duration = Duration::from_secs(60);
/// Selects in the exactly-once and double-select tests.
const ITERATIONS: u64 = 20_000;
/// Selects in the uniformity test (Go's `TestSelectFairness` uses 100,000).
const FAIR_TRIALS: usize = 100_000;

/// Runs `fut` with a deadline: a hang is a failure, not a stuck suite.
async fn deadline<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(DEADLINE, fut)
        .await
        .expect("test hung: deadline exceeded")
}

/// A value that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A small xorshift generator, so the stress test needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_offered_on_several_channels_is_taken_once() {
    deadline(async {
        let chans: Vec<(Sender<u64>, Receiver<u64>)> = (0..3).map(|_| chan(0)).collect();
        let mut receivers = Vec::new();
        for (_, rx) in &chans {
            let rx = rx.clone();
            receivers.push(csp::go(async move {
                let mut got = Vec::new();
                while let Some(v) = rx.recv().await {
                    got.push(v);
                }
                got
            }));
        }
        let (tx0, tx1, tx2) = (chans[0].0.clone(), chans[1].0.clone(), chans[2].0.clone());
        drop(chans);
        let mut chosen = [0u64; 3];
        for i in 0..ITERATIONS {
            let c = select! {
                send(&tx0, i) -> r => { r.unwrap(); 0 }
                send(&tx1, i) -> r => { r.unwrap(); 1 }
                send(&tx2, i) -> r => { r.unwrap(); 2 }
            };
            chosen[c] += 1;
        }
        drop((tx0, tx1, tx2));
        let mut all = Vec::new();
        for (c, r) in receivers.into_iter().enumerate() {
            let got = r.await.unwrap();
            assert_eq!(got.len() as u64, chosen[c], "channel {c}");
            all.extend(got);
        }
        all.sort_unstable();
        assert_eq!(all, (0..ITERATIONS).collect::<Vec<_>>());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_cases_are_chosen_uniformly() {
    deadline(async {
        let chans: Vec<(Sender<usize>, Receiver<usize>)> = (0..4).map(|_| chan(1)).collect();
        for (tx, _) in &chans {
            tx.try_send(0).unwrap();
        }
        let mut counts = [0usize; 4];
        for _ in 0..FAIR_TRIALS {
            let c = select! {
                recv(&chans[0].1) => 0,
                recv(&chans[1].1) => 1,
                recv(&chans[2].1) => 2,
                recv(&chans[3].1) => 3,
            };
            counts[c] += 1;
            chans[c].0.try_send(0).unwrap(); // keep every case ready
        }
        // Each count is Binomial(n, 1/4): sd = sqrt(n * 3/16) ≈ 137 for
        // n = 100,000. Allow 7 sd (p < 3e-12 per count): cannot flake, yet a
        // biased engine (say 26% / 24%, a 1,000 shift) fails.
        let n = FAIR_TRIALS as f64;
        let bound = 7.0 * (n * 3.0 / 16.0).sqrt();
        for (c, &k) in counts.iter().enumerate() {
            let off = (k as f64 - n / 4.0).abs();
            assert!(
                off < bound,
                "case {c} chosen {k} times of {FAIR_TRIALS}: {counts:?}"
            );
        }
    })
    .await;
}

#[test]
fn default_runs_only_when_no_case_is_ready() {
    let (tx, rx) = chan::<i32>(1);
    let (utx, _urx) = chan::<i32>(0); // unbuffered, nobody receiving
    for _ in 0..100 {
        let got = select! {
            recv(&rx) -> v => v,
            send(&utx, 1) => Some(-1),
            default => None,
        };
        assert_eq!(got, None);
    }
    for i in 0..1000 {
        tx.try_send(i).unwrap();
        let got = select! {
            recv(&rx) -> v => v,
            default => None,
        };
        assert_eq!(got, Some(i), "a ready case must beat default");
        let sent = select! {
            send(&tx, i) -> r => r.is_ok(),
            default => false,
        };
        assert!(sent, "a send with room must beat default");
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(select! { default => 5 }, 5);
}

#[test]
fn always_ready_select_loop_spends_coop_budget() {
    // A loop over a select that is always ready (a closed channel) still
    // yields, so another task on the same (single) worker gets to run: Go
    // preempts such a loop. Each select spends one of the 128 units Tokio
    // grants per poll.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let rounds = rt.block_on(deadline(async {
        let (tx, rx) = chan::<i32>(0);
        tx.close();
        let (_never_tx, never_rx) = chan::<i32>(0);
        let flag = Arc::new(AtomicUsize::new(0));
        let f = flag.clone();
        let _other = tokio::spawn(async move { f.store(1, Ordering::SeqCst) });
        for round in 0..100_000 {
            let v = select! { recv(&rx) -> v => v, recv(&never_rx) -> v => v };
            assert_eq!(v, None);
            if flag.load(Ordering::SeqCst) == 1 {
                return Some(round);
            }
        }
        None
    }));
    let rounds = rounds.expect("the other task never ran: no cooperative yield");
    assert!(rounds <= 128, "yielded only after {rounds} selects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_channels_are_ready() {
    deadline(async {
        let (tx, rx) = chan::<i32>(2);
        tx.send(1).await.unwrap();
        tx.close();
        let (never_tx, never_rx) = chan::<i32>(0);
        let first = select! { recv(&rx) -> v => v, recv(&never_rx) -> v => v };
        assert_eq!(
            first,
            Some(1),
            "buffered values drain before the close shows"
        );
        for _ in 0..10 {
            let v = select! { recv(&rx) -> v => v, recv(&never_rx) -> v => v };
            assert_eq!(v, None, "closed and drained: ready with None");
        }
        let (ctx, crx) = chan::<String>(0);
        crx.close();
        let r = select! {
            send(&ctx, "back".to_string()) -> r => r,
            send(&never_tx, 0) => unreachable!(),
        };
        assert_eq!(r, Err(SendError("back".to_string())));
        // With default too: closed is "ready", so default does not run.
        let r = select! { send(&ctx, "x".to_string()) -> r => r.is_err(), default => false };
        assert!(r);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_cases_never_fire() {
    deadline(async {
        let (tx, rx) = chan::<i32>(1);
        tx.send(7).await.unwrap();
        let (_wtx, wait_rx) = chan::<i32>(0);
        let enabled = false;
        let off_rx = if enabled { Some(&rx) } else { None };
        let (room_tx, room_rx) = chan::<i32>(1);
        let off_tx: Option<Sender<i32>> = None.filter(|_: &Sender<i32>| enabled).or(None);
        let off_room: Option<&Sender<i32>> = Some(&room_tx).filter(|_| enabled);
        let timed_out = tokio::time::timeout(Duration::from_millis(100), async {
            select! {
                recv(off_rx) => (),
                send(off_room, 1) => (),
                send(&off_tx, 2) => (),
                recv(&wait_rx) => (),
            }
        })
        .await
        .is_err();
        assert!(timed_out, "only disabled cases were ready");
        assert_eq!(rx.try_recv(), Ok(7), "the disabled receive took nothing");
        assert!(room_rx.is_empty(), "the disabled send sent nothing");
        // A disabled case next to a ready one: the ready one always wins.
        for i in 0..100 {
            tx.try_send(i).unwrap();
            let v = select! { recv(None::<&Receiver<i32>>) => -1, recv(&rx) -> v => v.unwrap() };
            assert_eq!(v, i);
        }
        // Only disabled cases and default: default.
        assert!(select! { recv(off_rx) => false, default => true });
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_with_no_cases_blocks_forever() {
    let r = tokio::time::timeout(Duration::from_millis(50), async {
        let () = select! {};
    })
    .await;
    assert!(r.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_expressions_run_once_in_source_order_before_selection() {
    deadline(async {
        let log = Mutex::new(Vec::new());
        let note = |s: &'static str| log.lock().unwrap().push(s);
        let (tx, rx) = chan::<i32>(1);
        tx.send(1).await.unwrap();
        let (utx, urx) = chan::<Counted>(0); // nobody receives: never chosen
        let drops = Arc::new(AtomicUsize::new(0));
        let got = select! {
            recv({ note("rx"); &rx }) -> v => v,
            send({ note("tx"); &utx }, { note("value"); Counted(drops.clone()) }) => {
                unreachable!()
            }
            recv({ note("rx2"); None::<&Receiver<i32>> }) => unreachable!(),
        };
        assert_eq!(got, Some(1));
        assert_eq!(*log.lock().unwrap(), ["rx", "tx", "value", "rx2"]);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the unsent value was dropped"
        );
        assert!(urx.try_recv().is_err(), "and nobody saw it");
        // The loser is dropped before the chosen body runs.
        tx.send(2).await.unwrap();
        select! {
            recv(&rx) => assert_eq!(drops.load(Ordering::SeqCst), 2),
            send(&utx, Counted(drops.clone())) => unreachable!(),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_pending_select_withdraws_every_offer() {
    deadline(async {
        let (atx, arx) = chan::<i32>(0);
        let (btx, brx) = chan::<i32>(0);
        // A pending receive select, polled once and dropped.
        let mut fut = Box::pin(async {
            select! { recv(&arx) -> v => v, recv(&brx) -> v => v }
        });
        assert!(futures::poll!(fut.as_mut()).is_pending());
        drop(fut);
        let sender = csp::go(async move {
            atx.send(1).await.unwrap();
            atx
        });
        assert_eq!(
            arx.recv().await,
            Some(1),
            "the later receiver got the value"
        );
        let atx = sender.await.unwrap();
        // A pending send select, polled once and dropped: nobody sees its values.
        let drops = Arc::new(AtomicUsize::new(0));
        let (catx, carx) = chan::<Counted>(0);
        let (cbtx, cbrx) = chan::<Counted>(0);
        let mut fut = Box::pin(async {
            select! {
                send(&catx, Counted(drops.clone())) => (),
                send(&cbtx, Counted(drops.clone())) => (),
            }
        });
        assert!(futures::poll!(fut.as_mut()).is_pending());
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(fut);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "both offers came back and were dropped"
        );
        assert!(carx.try_recv().is_err() && cbrx.try_recv().is_err());
        // The channels still work both ways afterwards.
        let s = csp::go(async move { btx.send(5).await });
        assert_eq!(brx.recv().await, Some(5));
        s.await.unwrap().unwrap();
        drop(atx);
    })
    .await;
}

/// Runs `fut` and drops it early at random: a third of the time after its
/// first poll (so a select that had to park is withdrawn right after it
/// registered), a third under a 1 ms timeout, else to completion.
async fn cancel_randomly<F: Future>(rng: &mut Rng, fut: F) -> Result<F::Output, ()> {
    match rng.below(3) {
        0 => {
            let mut fut = std::pin::pin!(fut);
            match futures::poll!(fut.as_mut()) {
                std::task::Poll::Ready(v) => Ok(v),
                std::task::Poll::Pending => Err(()),
            }
        }
        1 => tokio::time::timeout(Duration::from_millis(1), fut)
            .await
            .map_err(drop),
        _ => Ok(fut.await),
    }
}

/// Producers and consumers both select under random early drops, so many
/// selects are cancelled mid-wait. Ledger: no value is received twice, every
/// value whose send completed is received, and nothing is received that was
/// never offered. (A send cancelled after a peer took it counts as sent; the
/// producer cannot tell, so those values are "maybe sent".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_cancellation_loses_and_duplicates_nothing() {
    const PRODUCERS: u64 = 3;
    const CONSUMERS: usize = 3;
    const PER_PRODUCER: u64 = 5_000;
    deadline(async {
        let (atx, arx) = chan::<u64>(0);
        let (btx, brx) = chan::<u64>(0);
        let mut producers = Vec::new();
        for p in 0..PRODUCERS {
            let (atx, btx) = (atx.clone(), btx.clone());
            producers.push(csp::go(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (p + 1));
                let (mut sent, mut maybe) = (Vec::new(), Vec::new());
                for i in 0..PER_PRODUCER {
                    let v = p * PER_PRODUCER + i;
                    let r = cancel_randomly(&mut rng, async {
                        select! {
                            send(&atx, v) -> r => r,
                            send(&btx, v) -> r => r,
                        }
                    })
                    .await;
                    match r {
                        Ok(r) => {
                            r.unwrap();
                            sent.push(v);
                        }
                        Err(_) => maybe.push(v),
                    }
                    if rng.below(4) == 0 {
                        csp::gosched().await; // let consumers park
                    }
                }
                (sent, maybe)
            }));
        }
        drop((atx, btx));
        let mut consumers = Vec::new();
        for c in 0..CONSUMERS {
            let (mut a, mut b) = (Some(arx.clone()), Some(brx.clone()));
            consumers.push(csp::go(async move {
                let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (c as u64 + 7));
                let (mut got, mut cancelled) = (Vec::new(), 0usize);
                while a.is_some() || b.is_some() {
                    let r = cancel_randomly(&mut rng, async {
                        select! {
                            recv(&a) -> v => (0, v),
                            recv(&b) -> v => (1, v),
                        }
                    })
                    .await;
                    match r {
                        Ok((_, Some(v))) => got.push(v),
                        Ok((0, None)) => a = None,
                        Ok((_, None)) => b = None,
                        Err(_) => cancelled += 1,
                    }
                    if rng.below(4) == 0 {
                        csp::gosched().await; // let producers park
                    }
                }
                (got, cancelled)
            }));
        }
        drop((arx, brx));
        let (mut sent, mut maybe) = (HashSet::new(), HashSet::new());
        for p in producers {
            let (s, m) = p.await.unwrap();
            sent.extend(s);
            maybe.extend(m);
        }
        let mut received = HashSet::new();
        let mut cancelled = maybe.len();
        for c in consumers {
            let (got, n) = c.await.unwrap();
            cancelled += n;
            for v in got {
                assert!(received.insert(v), "{v} received twice");
            }
        }
        for v in &sent {
            assert!(received.contains(v), "{v} was sent but never received");
        }
        for v in &received {
            assert!(
                sent.contains(v) || maybe.contains(v),
                "{v} was never offered"
            );
        }
        assert!(!sent.is_empty(), "the test must exercise completed sends");
        assert!(cancelled > 0, "the test must exercise cancelled selects");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_channel_does_not_starve_a_quiet_one() {
    deadline(async {
        let (busy_tx, busy_rx) = chan::<u32>(1);
        let (quiet_tx, quiet_rx) = chan::<u32>(0);
        busy_tx.send(0).await.unwrap();
        csp::go(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            quiet_tx.send(42).await.unwrap();
        });
        let mut busy = 0u64;
        loop {
            select! {
                recv(&busy_rx) => {
                    busy += 1;
                    busy_tx.try_send(0).unwrap();
                }
                recv(&quiet_rx) -> v => {
                    assert_eq!(v, Some(42));
                    break;
                }
            }
        }
        assert!(busy > 0);
    })
    .await;
}

/// Port of Go's `test/chan/doubleselect.go`: one sender select-sends 0..n on
/// four unbuffered channels, four muxes forward onto one channel, the receiver
/// checks that every value arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_doubleselect() {
    deadline(async {
        let chans: Vec<(Sender<u64>, Receiver<u64>)> = (0..4).map(|_| chan(0)).collect();
        let (mux_tx, mux_rx) = chan::<u64>(0);
        for (_, rx) in &chans {
            let (rx, out) = (rx.clone(), mux_tx.clone());
            csp::go(async move {
                while let Some(v) = rx.recv().await {
                    out.send(v).await.unwrap();
                }
            });
        }
        drop(mux_tx);
        let txs: Vec<Sender<u64>> = chans.iter().map(|(tx, _)| tx.clone()).collect();
        drop(chans);
        csp::go(async move {
            for i in 0..ITERATIONS {
                select! {
                    send(&txs[0], i) => (),
                    send(&txs[1], i) => (),
                    send(&txs[2], i) => (),
                    send(&txs[3], i) => (),
                }
            }
        });
        let mut seen = HashSet::new();
        while let Some(v) = mux_rx.recv().await {
            assert!(seen.insert(v), "got duplicate value {v}");
        }
        assert_eq!(seen.len() as u64, ITERATIONS);
    })
    .await;
}

/// The variant: several goroutines select-send their own sequence onto
/// the same two channels, one receiver per channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_select_senders_two_channels() {
    const SENDERS: u64 = 4;
    deadline(async {
        let (atx, arx) = chan::<(u64, u64)>(0);
        let (btx, brx) = chan::<(u64, u64)>(0);
        for s in 0..SENDERS {
            let (atx, btx) = (atx.clone(), btx.clone());
            csp::go(async move {
                for i in 0..ITERATIONS / SENDERS {
                    select! {
                        send(&atx, (s, i)) -> r => r.unwrap(),
                        send(&btx, (s, i)) -> r => r.unwrap(),
                    }
                }
            });
        }
        drop((atx, btx));
        let collect = |rx: Receiver<(u64, u64)>| {
            csp::go(async move {
                let mut got = Vec::new();
                while let Some(v) = rx.recv().await {
                    got.push(v);
                }
                got
            })
        };
        let (a, b) = (collect(arx), collect(brx));
        let mut all = a.await.unwrap();
        all.extend(b.await.unwrap());
        let unique: HashSet<_> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "a value arrived twice");
        assert_eq!(all.len() as u64, SENDERS * (ITERATIONS / SENDERS));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_send_against_select_recv_does_not_deadlock() {
    deadline(async {
        let (tx1, rx1) = chan::<u64>(0);
        let (tx2, rx2) = chan::<u64>(0);
        let side = |tx: Sender<u64>, rx: Receiver<u64>| {
            csp::go(async move {
                let (mut sent, mut got) = (0u64, 0u64);
                while sent < ITERATIONS {
                    select! {
                        send(&tx, sent) -> r => { r.unwrap(); sent += 1; }
                        recv(&rx) -> v => { v.unwrap(); got += 1; }
                    }
                }
                // Drain the peer's remaining sends.
                while got < ITERATIONS {
                    rx.recv().await.unwrap();
                    got += 1;
                }
                (tx, rx)
            })
        };
        let a = side(tx1, rx2);
        let b = side(tx2, rx1);
        a.await.unwrap();
        b.await.unwrap();
    })
    .await;
}

async fn first_even(rx: &Receiver<i32>, stop: &Receiver<()>) -> Result<i32, String> {
    loop {
        let v = select! {
            recv(rx) -> v => {
                let v = v.ok_or_else(|| "closed".to_string())?; // `?` in an arm
                if v % 2 == 1 {
                    continue; // `continue` the enclosing loop
                }
                csp::gosched().await; // `.await` in an arm
                v
            }
            recv(stop) => return Err("stopped".into()), // `return` from the fn
        };
        break Ok(v); // the macro is an expression
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_flow_inside_arms() {
    deadline(async {
        let (tx, rx) = chan::<i32>(8);
        let (stop_tx, stop) = chan::<()>(1);
        for v in [1, 3, 4, 5] {
            tx.send(v).await.unwrap();
        }
        assert_eq!(first_even(&rx, &stop).await, Ok(4));
        tx.send(7).await.unwrap();
        tx.close();
        assert_eq!(first_even(&rx, &stop).await, Err("closed".into()));
        stop_tx.send(()).await.unwrap();
        let (_t2, empty) = chan::<i32>(0);
        assert_eq!(first_even(&empty, &stop).await, Err("stopped".into()));
        // `break` out of a loop from an arm, with a value.
        let (t3, r3) = chan::<i32>(3);
        for v in 0..3 {
            t3.send(v).await.unwrap();
        }
        let mut seen = 0;
        let last = loop {
            select! {
                recv(&r3) -> v => {
                    seen += 1;
                    if v == Some(2) {
                        break seen;
                    }
                }
            }
        };
        assert_eq!(last, 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arms_may_disable_their_own_channels() {
    deadline(async {
        let (atx, arx) = chan::<i32>(1);
        let (btx, brx) = chan::<i32>(1);
        atx.send(1).await.unwrap();
        btx.send(2).await.unwrap();
        drop((atx, btx));
        let (mut a, mut b) = (Some(arx), Some(brx));
        let mut sum = 0;
        while a.is_some() || b.is_some() {
            select! {
                recv(&a) -> v => match v { Some(v) => sum += v, None => a = None },
                recv(&b) -> v => match v { Some(v) => sum += v, None => b = None },
            }
        }
        assert_eq!(sum, 3);
    })
    .await;
}

/// A stand-in for `csp::after` (time lives in another issue): a receiver that
/// gets `()` once `d` has passed.
fn after(d: Duration) -> Receiver<()> {
    let (tx, rx) = chan(1);
    csp::go(async move {
        tokio::time::sleep(d).await;
        let _ = tx.send(()).await;
    });
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owned_receiver_works_as_a_timeout_case() {
    deadline(async {
        let (_tx, rx) = chan::<i32>(0);
        let start = std::time::Instant::now();
        let timed_out = select! {
            recv(&rx) -> _ => false,
            recv(after(Duration::from_millis(30))) -> _ => true,
        };
        assert!(timed_out);
        assert!(start.elapsed() >= Duration::from_millis(30));
    })
    .await;
}

#[test]
fn an_empty_select_parks_with_reason_select_no_cases() {
    use csp::WaitReason;
    use csp_core::goroutine::{begin_poll, end_poll};
    let mut fut = Box::pin(async {
        let () = select! {};
    });
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    begin_poll();
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let (reason, _) = end_poll().expect("the select recorded why it parks");
    assert_eq!(reason, WaitReason::SelectNoCases);
    assert_eq!(reason.as_str(), "select (no cases)");
}

/// Go's `TestSelectDuplicateChannel` idea: a select on both ends of one
/// unbuffered channel never pairs with itself; two such selects pair with
/// each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_select_on_both_ends_of_a_channel_never_pairs_with_itself() {
    deadline(async {
        let (tx, rx) = chan::<usize>(0);
        let (stop_tx, stop_rx) = chan::<()>(0);
        let task = |id: usize| {
            let (tx, rx, stop_rx) = (tx.clone(), rx.clone(), stop_rx.clone());
            csp::go(async move {
                let (mut sent, mut got) = (0usize, 0usize);
                loop {
                    select! {
                        send(&tx, id) -> r => { r.unwrap(); sent += 1; }
                        recv(&rx) -> v => {
                            assert_eq!(v, Some(1 - id), "a select received its own offer");
                            got += 1;
                        }
                        recv(&stop_rx) => break,
                    }
                }
                (sent, got)
            })
        };
        let (a, b) = (task(0), task(1));
        // Let them exchange for a while, then stop both.
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop_tx.close();
        let ((sa, ga), (sb, gb)) = (a.await.unwrap(), b.await.unwrap());
        assert_eq!(sa, gb);
        assert_eq!(sb, ga);
        assert!(sa + sb > 0, "no exchange happened");
    })
    .await;
}

/// Polls a select over `rx` once (it parks, its case linked into the channel
/// queue), optionally lets `tx` hand it a value, then leaks the select future
/// and drops the case: the case must unlink itself, and a value handed to it
/// must go back to the channel.
fn leak_parked_select(rx: &Receiver<i32>, tx: &Sender<i32>, hand_over: bool) {
    use csp::select::{select as select_fn, RecvCase, SelectCase};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    let mut case = Box::pin(RecvCase::new(rx));
    let mut cases = [case.as_mut() as Pin<&mut dyn SelectCase>];
    let mut fut = Box::pin(select_fn(&mut cases));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
    if hand_over {
        tx.try_send(1).expect("the parked select takes it");
    }
    std::mem::forget(fut); // leaks the token; the case still borrows nothing
    drop(case); // must withdraw its hook (and give back a handed value)
}

#[test]
fn a_leaked_select_future_leaves_no_hook_behind() {
    let (tx, rx) = chan::<i32>(0);
    leak_parked_select(&rx, &tx, false);
    assert!(
        matches!(tx.try_send(2), Err(csp::TrySendError::Full(2))),
        "no receiver left parked"
    );
    leak_parked_select(&rx, &tx, true);
    assert_eq!(rx.try_recv(), Ok(1), "the handed value came back");
}

/// `send_from`: a value that is not `Clone` survives a lost race (it is back
/// in its slot before the winning arm runs), a winning send empties the
/// slot, and an empty slot disables the case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_from_gives_a_losing_value_back_to_its_slot() {
    deadline(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let (out_tx, out_rx) = chan::<Counted>(0);
        let (quit_tx, quit_rx) = chan::<()>(0);
        let mut pending = Some(Counted(drops.clone()));
        let quitter = tokio::spawn(async move { quit_tx.send(()).await.unwrap() });
        // Nobody receives on `out`: the waiting select is won by `quit`.
        let back = select! {
            send_from(&out_tx, &mut pending) => false,
            recv(&quit_rx) => pending.is_some(),
        };
        quitter.await.unwrap();
        assert!(back, "the value is back in its slot when the arm runs");
        assert_eq!(drops.load(Ordering::SeqCst), 0, "nothing dropped unseen");

        // A receiver arrives: the send wins and the slot stays empty.
        let receiver = tokio::spawn(async move { out_rx.recv().await.map(|_| ()) });
        select! {
            send_from(&out_tx, &mut pending) -> res => assert!(res.is_ok()),
        }
        assert!(pending.is_none());
        assert_eq!(receiver.await.unwrap(), Some(()));

        // An empty slot is Go's nil channel: only `default` can run.
        let ran_default = select! {
            send_from(&out_tx, &mut pending) => false,
            default => true,
        };
        assert!(ran_default);
    })
    .await;
}
