//! Timers as channels (Go's `time/sleep_test.go` and `tick_test.go`:
//! TestAfter, TestAfterStop, TestTicker, TestTeardown-style drop checks).
//!
//! Not ported: tests of Go's monotonic clock formatting, and of timers
//! firing in a goroutine without a channel (`time.AfterFunc`, not in csp yet).
use std::time::{Duration, Instant};

use csp_core::select::{select, RecvCase};
use csp_core::time::{after, sleep, tick, Ticker, Timer};
use csp_core::{chan, TryRecvError};

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
