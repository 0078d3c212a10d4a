//! The soak workload `cargo xtask soak` runs (binary `csp-soak SECONDS`): a
//! mixed CSP program kept busy for a long time while it samples itself once
//! a second, so a slow leak of memory or goroutines, or a slowdown, shows.
//!
//! [`WORKERS`] long-lived goroutines repeat one round each until told to
//! stop. A round is what a service does all day, in miniature:
//! - makes three channels, of capacity 0, 1 and 64, and one producer
//!   goroutine per channel (a [`WaitGroup`] waits for them), which sends
//!   its values and drops its sender (the channel closes);
//! - drains all three in one `select!` loop that disables a closed channel
//!   (Go's nil channel) and has a stall timeout (`after`);
//! - every few rounds, a `select!` whose timeout does fire, and a
//!   goroutine left blocked on a channel that is then closed by dropping it;
//! - adds its checked sum to a total behind a [`Mutex`].
//!
//! Every round's sum is checked (a wrong one panics: the process fails), and
//! the final total against the rounds' count.
//!
//! # Output
//! CSV on stdout: the header [`HEADER`], then one [`Sample`] a second, the
//! first at start: elapsed seconds, resident set (`VmRSS`) in bytes, heap
//! bytes in use (from [`CountingAlloc`](crate::heap::CountingAlloc), when it is the global allocator),
//! [`num_goroutine`], rounds completed so far. The heap count tells a leak
//! (every byte csp allocates and never frees) from the allocator's own
//! behaviour (pages it keeps), which the resident set mixes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use csp::{after, chan, go, num_goroutine, select, tick, Mutex, WaitGroup};

use crate::heap::heap_bytes;
use crate::rss_bytes;

mod sample;
pub use sample::{Sample, HEADER};

/// Long-lived worker goroutines, each repeating rounds.
pub const WORKERS: u64 = 8;
/// Values sent per round on the unbuffered, 1-buffered and 64-buffered channel.
pub const SENDS: [u64; 3] = [4, 16, 100];
/// A round that receives nothing for this long has stalled: the process fails.
pub const STALL: Duration = Duration::from_secs(10);
/// Every `SIDE_EVERY` rounds, a round also runs a select that times out and
/// releases a goroutine blocked on a dropped channel.
pub const SIDE_EVERY: u64 = 8;
/// How long the select that is meant to time out waits.
pub const SIDE_TIMEOUT: Duration = Duration::from_micros(200);

/// The sum a round's producers send, starting at `seed`.
pub fn round_sum(seed: u64) -> u64 {
    SENDS
        .iter()
        .map(|&n| (0..n).map(|i| seed + i).sum::<u64>())
        .sum()
}

/// Runs the workload for `seconds`, calling `sample` once at start and then
/// once a second; returns the rounds completed. Must run in a goroutine.
///
/// # Panics
/// If a round's sum or the final total is wrong, or a round stalls for
/// [`STALL`].
pub async fn run(seconds: u64, mut sample: impl FnMut(Sample)) -> u64 {
    let start = Instant::now();
    let rounds = Arc::new(AtomicU64::new(0));
    let total = Arc::new(Mutex::new(0u64));
    let (stop_tx, stop_rx) = chan::<()>(0);
    let workers = WaitGroup::new();
    let expected = Arc::new(AtomicU64::new(0));
    for w in 0..WORKERS {
        let (stop, rounds, total, expected) = (
            stop_rx.clone(),
            rounds.clone(),
            total.clone(),
            expected.clone(),
        );
        workers.go(async move {
            let mut n = 0u64;
            // Ends once `stop` closes.
            while let Err(csp::TryRecvError::Empty) = stop.try_recv() {
                let seed = (w << 40) | (n << 8);
                round(seed, n % SIDE_EVERY == 0, &total).await;
                // Wraps, as the total does.
                expected.fetch_add(round_sum(seed), Ordering::Relaxed);
                rounds.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        });
    }
    drop(stop_rx);
    let take = |secs: f64| Sample {
        secs,
        rss_bytes: rss_bytes(),
        heap_bytes: heap_bytes(),
        goroutines: num_goroutine() as u64,
        rounds: rounds.load(Ordering::Relaxed),
    };
    sample(take(0.0));
    let ticker = tick(Duration::from_secs(1));
    for _ in 0..seconds {
        ticker.recv().await;
        sample(take(start.elapsed().as_secs_f64()));
    }
    stop_tx.close();
    workers.wait().await;
    let total = *total.lock().await;
    assert_eq!(
        total,
        expected.load(Ordering::Relaxed),
        "the rounds' total is wrong"
    );
    rounds.load(Ordering::Relaxed)
}

/// One round (see the module docs); `side` adds the timeout and the
/// abandoned receiver.
async fn round(seed: u64, side: bool, total: &Mutex<u64>) {
    let (tx0, rx0) = chan::<u64>(0);
    let (tx1, rx1) = chan::<u64>(1);
    let (tx64, rx64) = chan::<u64>(64);
    let producers = WaitGroup::new();
    for (tx, n) in [(tx0, SENDS[0]), (tx1, SENDS[1]), (tx64, SENDS[2])] {
        producers.go(async move {
            for i in 0..n {
                tx.send(seed + i)
                    .await
                    .expect("the round drains every channel");
            }
        });
    }
    let (mut r0, mut r1, mut r64) = (Some(rx0), Some(rx1), Some(rx64));
    let mut sum = 0u64;
    while r0.is_some() || r1.is_some() || r64.is_some() {
        select! {
            recv(&r0) -> v => match v {
                Some(v) => sum += v,
                None => r0 = None,
            },
            recv(&r1) -> v => match v {
                Some(v) => sum += v,
                None => r1 = None,
            },
            recv(&r64) -> v => match v {
                Some(v) => sum += v,
                None => r64 = None,
            },
            recv(after(STALL)) -> _ => panic!("soak: a round received nothing for {STALL:?}"),
        }
    }
    assert_eq!(sum, round_sum(seed), "round {seed:#x} summed wrong");
    producers.wait().await;
    if side {
        let (idle_tx, idle_rx) = chan::<u64>(0);
        select! {
            recv(&idle_rx) -> v => panic!("nothing is sent on the idle channel, got {v:?}"),
            recv(after(SIDE_TIMEOUT)) -> _ => {},
        }
        go(async move {
            assert_eq!(idle_rx.recv().await, None, "the idle channel only closes");
        });
        drop(idle_tx);
    }
    let mut t = total.lock().await;
    *t = t.wrapping_add(sum);
}
