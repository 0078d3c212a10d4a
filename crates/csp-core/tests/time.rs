//! Timers as channels (Go's `time/sleep_test.go` and `tick_test.go`:
//! TestAfter, TestAfterStop, TestTicker, TestTeardown-style drop checks).
//!
//! Go 1.23's timer channels: an expired timer is ready at once, and wins its
//! share among ready cases; `Stop`/`Reset` leave no stale value; a parked
//! receive fires when the deadline moves. `time.AfterFunc` and its stop/fire
//! race.
//!
//! Not ported: tests of Go's monotonic clock formatting.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use csp_core::select::{select, try_select, RecvCase};
use csp_core::time::{after, after_func, sleep, tick, Ticker, Timer};
use csp_core::{chan, TryRecvError};

/// Selects in the uniformity test.
const SHARE_TRIALS: usize = 10_000;
/// Rounds of the `AfterFunc` stop/fire race.
const AFTER_FUNC_ROUNDS: usize = 2_000;

const DEADLINE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_yields_once_then_stays_open() {
    tokio::time::timeout(DEADLINE, async {
        let start = Instant::now();
        let rx = after(Duration::from_millis(30));
        let at = rx.recv().await.expect("one value");
        assert!(at >= start + Duration::from_millis(30));
        assert!(start.elapsed() >= Duration::from_millis(30));
        sleep(Duration::from_millis(50)).await;
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert!(!rx.is_closed(), "Go's After channel is never closed");
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_in_select_fires_when_nothing_else_does() {
    tokio::time::timeout(DEADLINE, async {
        let (_tx, rx) = chan::<u32>(0);
        let start = Instant::now();
        let mut never = std::pin::pin!(RecvCase::new(&rx));
        let mut timeout = std::pin::pin!(RecvCase::new(after(Duration::from_millis(40))));
        assert_eq!(select(&mut [never.as_mut(), timeout.as_mut()]).await, 1);
        assert!(timeout.take_output().is_some());
        assert!(start.elapsed() >= Duration::from_millis(40));
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_delivers_about_d_apart() {
    const PERIOD: Duration = Duration::from_millis(20);
    tokio::time::timeout(DEADLINE, async {
        let ticks = tick(PERIOD);
        let start = Instant::now();
        let mut last = start;
        for _ in 0..5 {
            let t = ticks.recv().await.unwrap();
            assert!(t >= last, "ticks move forward");
            last = t;
        }
        let elapsed = start.elapsed();
        // 5 ticks take about 5 periods: not early, not wildly late.
        assert!(
            elapsed >= PERIOD * 5 - Duration::from_millis(2),
            "{elapsed:?}"
        );
        assert!(elapsed < PERIOD * 5 * 10, "{elapsed:?}");
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_drops_ticks_for_a_slow_reader() {
    const PERIOD: Duration = Duration::from_millis(5);
    tokio::time::timeout(DEADLINE, async {
        let ticks = tick(PERIOD);
        sleep(PERIOD * 40).await; // ~40 periods pass unread
        let mut buffered = 0;
        while ticks.try_recv().is_ok() {
            buffered += 1;
        }
        assert!(buffered <= 1, "at most one tick waits: got {buffered}");
        // Within one more period at most one more arrives.
        let before = Instant::now();
        ticks.recv().await.unwrap();
        assert!(before.elapsed() < PERIOD * 20);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_stop_prevents_delivery() {
    tokio::time::timeout(DEADLINE, async {
        let t = Timer::new(Duration::from_millis(20));
        assert!(t.stop(), "stopped while pending");
        assert!(!t.stop(), "already stopped");
        sleep(Duration::from_millis(60)).await;
        assert!(t.c.try_recv().is_err(), "a stopped timer must not deliver");
        // Reset re-arms it.
        assert!(!t.reset(Duration::from_millis(5)));
        assert!(t.c.recv().await.is_some());
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_stop_after_fire_removes_the_stale_value() {
    tokio::time::timeout(DEADLINE, async {
        let t = Timer::new(Duration::from_millis(1));
        sleep(Duration::from_millis(30)).await; // fired, unread
        assert!(t.stop(), "the unread value counts as not yet fired");
        assert!(
            t.c.try_recv().is_err(),
            "no stale value after stop (Go 1.23)"
        );
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticker_stop_and_reset() {
    tokio::time::timeout(DEADLINE, async {
        let tk = Ticker::new(Duration::from_millis(5));
        tk.c.recv().await.unwrap();
        tk.stop();
        sleep(Duration::from_millis(30)).await;
        assert!(tk.c.try_recv().is_err(), "no tick after stop");
        tk.reset(Duration::from_millis(5));
        tk.c.recv().await.unwrap();
        tk.c.recv().await.unwrap();
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleep_waits_at_least_d() {
    let start = Instant::now();
    tokio::time::timeout(DEADLINE, sleep(Duration::from_millis(25)))
        .await
        .expect("hang");
    assert!(start.elapsed() >= Duration::from_millis(25));
}

#[test]
#[should_panic(expected = "non-positive interval for NewTicker")]
fn zero_tick_panics() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let _ = tick(Duration::ZERO);
    });
}

/// Issue 16: in a select among ready cases, `after(0)` and an elapsed `tick`
/// are ready at once (as Go 1.23's and crossbeam's `at`/`tick`), so each of
/// four ready cases wins about a quarter (within 6 sigma).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_timers_win_their_share_among_ready_cases() {
    tokio::time::timeout(DEADLINE, async {
        let (atx, arx) = chan::<u8>(1);
        let (btx, brx) = chan::<u8>(1);
        let ticks = tick(Duration::from_nanos(1));
        let mut wins = [0usize; 4];
        for _ in 0..SHARE_TRIALS {
            let _ = atx.try_send(0);
            let _ = btx.try_send(0);
            // The 1 ns tick has elapsed again by the time the select looks.
            let mut a = std::pin::pin!(RecvCase::new(&arx));
            let mut b = std::pin::pin!(RecvCase::new(&brx));
            let mut zero = std::pin::pin!(RecvCase::new(after(Duration::ZERO)));
            let mut t = std::pin::pin!(RecvCase::new(&ticks));
            let i = try_select(&mut [a.as_mut(), b.as_mut(), zero.as_mut(), t.as_mut()])
                .expect("four ready cases: never default");
            wins[i] += 1;
        }
        let expected = SHARE_TRIALS as f64 / 4.0;
        let sigma = (SHARE_TRIALS as f64 * 0.25 * 0.75).sqrt();
        for (case, &n) in wins.iter().enumerate() {
            assert!(
                (n as f64 - expected).abs() <= 6.0 * sigma,
                "case {case} won {n} of {SHARE_TRIALS}: {wins:?}"
            );
        }
    })
    .await
    .expect("hang");
}

/// Go 1.23: after `Reset` (or `Stop`) returns, no value of the earlier
/// arming is received, even if it had expired unread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_after_expiry_leaves_no_stale_value() {
    tokio::time::timeout(DEADLINE, async {
        let t = Timer::new(Duration::ZERO);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(
            t.reset(Duration::from_secs(3600)),
            "expired unread: still active"
        );
        assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));
        assert!(t.reset(Duration::ZERO));
        assert!(t.c.try_recv().is_ok(), "the new arming is ready at once");
        assert!(!t.stop(), "its value was received");
    })
    .await
    .expect("hang");
}

/// A receive parked on an hour-long timer completes when `reset` moves the
/// deadline close, and a parked ticker receive keeps getting ticks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_receive_follows_reset() {
    tokio::time::timeout(DEADLINE, async {
        let t = Timer::new(Duration::from_secs(3600));
        let c = t.c.clone();
        let waiter = tokio::spawn(async move { c.recv().await });
        tokio::time::sleep(Duration::from_millis(10)).await; // let it park
        let start = Instant::now();
        t.reset(Duration::from_millis(10));
        assert!(waiter.await.unwrap().is_some());
        assert!(start.elapsed() >= Duration::from_millis(10));

        let tk = Ticker::new(Duration::from_millis(2));
        let c = tk.c.clone();
        let got = tokio::spawn(async move {
            let mut n = 0;
            while n < 5 && c.recv().await.is_some() {
                n += 1;
            }
            n
        });
        assert_eq!(got.await.unwrap(), 5);
    })
    .await
    .expect("hang");
}

/// A timer channel works inside `tokio::select!` next to Tokio's own timer
/// and channels, on a plain Tokio runtime.
#[tokio::test(flavor = "current_thread")]
async fn timer_channels_mix_with_tokio_select() {
    tokio::time::timeout(DEADLINE, async {
        let (_tx, mut never) = tokio::sync::mpsc::channel::<()>(1);
        let timeout = after(Duration::from_millis(5));
        let fired = tokio::select! {
            _ = never.recv() => "tokio channel",
            _ = tokio::time::sleep(Duration::from_secs(3600)) => "tokio sleep",
            v = timeout.recv() => { assert!(v.is_some()); "csp after" }
        };
        assert_eq!(fired, "csp after");
    })
    .await
    .expect("hang");
}

/// `time.AfterFunc`: `stop` returns `true` exactly when it prevented the
/// call, whichever of the two wins the race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_func_stop_reports_whether_it_prevented_the_call() {
    tokio::time::timeout(DEADLINE, async {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut prevented = 0;
        for round in 0..AFTER_FUNC_ROUNDS {
            let counter = calls.clone();
            let t = after_func(Duration::from_micros((round % 50) as u64), move || {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            if round % 3 == 0 {
                tokio::task::yield_now().await;
            }
            if t.stop() {
                prevented += 1;
            }
        }
        // Every call that was not prevented happens (in its own goroutine).
        let want = AFTER_FUNC_ROUNDS - prevented;
        while calls.load(Ordering::SeqCst) < want {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(calls.load(Ordering::SeqCst), want, "a stopped call ran");
        assert!(prevented > 0, "some stops won the race");
    })
    .await
    .expect("hang");
}
