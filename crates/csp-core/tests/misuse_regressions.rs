//! Regressions the misuse fuzzer (`misuse_fuzz.rs`) found, as deterministic
//! tests.
//!
//! A timer value handed to a receive that is then dropped goes back to the
//! channel (cancel safety: nothing is lost), but it belongs to the timer's
//! current arming: Go 1.23 promises that after `Stop` or `Reset` returns no
//! stale value can be received, so `stop` and `reset` must discard it too.

mod common;

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use common::within;
use csp_core::runtime::Runtime;
use csp_core::select::{select, RecvCase};
use csp_core::time::Timer;

/// Long enough for a 1 ms timer to fire and hand its value to a parked
/// receive, even on a loaded machine. (Were it too short, these tests would
/// pass without testing much; the first one would fail.)
const FIRE_WAIT: Duration = Duration::from_millis(50);

/// Runs `test` as the main goroutine of a 2-worker csp runtime, within the
/// shared deadline.
fn run(test: impl Future<Output = ()> + Send + 'static) {
    within(|| {
        Runtime::builder()
            .gomaxprocs(2)
            .build()
            .unwrap()
            .block_on(test)
    });
}

/// Polls `f` once with the goroutine's own waker.
async fn poll_once<F: Future>(mut f: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// A 1 ms timer whose value was handed to a parked `recv` that was then
/// dropped; `between` runs after the hand-over, before the drop.
async fn handed_then_dropped(between: impl FnOnce(&Timer)) -> Timer {
    let t = Timer::new(Duration::from_millis(1));
    {
        let mut recv = pin!(t.c.recv());
        assert!(poll_once(recv.as_mut()).await.is_pending(), "not due yet");
        tokio::time::sleep(FIRE_WAIT).await;
        between(&t);
        // Dropped here, holding the value the timer handed it.
    }
    t
}

#[test]
fn a_value_a_dropped_receive_gave_back_is_still_received() {
    run(async {
        let t = handed_then_dropped(|_| {}).await;
        assert!(t.c.try_recv().is_ok(), "the fired value was lost");
        assert!(t.c.try_recv().is_err(), "a one-shot timer fires once");
    });
}

#[test]
fn stop_discards_a_value_a_dropped_receive_gave_back() {
    run(async {
        let t = handed_then_dropped(|_| {}).await;
        assert!(t.stop(), "the value was never received: stop stops it");
        assert!(t.c.try_recv().is_err(), "a stale value after stop");
    });
}

#[test]
fn reset_discards_a_value_a_dropped_receive_gave_back() {
    run(async {
        let t = handed_then_dropped(|_| {}).await;
        assert!(t.reset(Duration::from_secs(3600)), "it was active");
        assert!(t.c.try_recv().is_err(), "a stale value after reset");
    });
}

#[test]
fn a_value_handed_before_stop_is_not_given_back_after_it() {
    run(async {
        let t = handed_then_dropped(|t| {
            // The value is with the parked receive: delivered, so stop
            // finds nothing to stop, and it must not come back later.
            assert!(!t.stop());
        })
        .await;
        assert!(t.c.try_recv().is_err(), "a stale value after stop");
    });
}

#[test]
fn a_value_handed_before_reset_is_not_given_back_after_it() {
    run(async {
        let t = handed_then_dropped(|t| {
            t.reset(Duration::from_secs(3600));
        })
        .await;
        assert!(t.c.try_recv().is_err(), "a stale value after reset");
    });
}

#[test]
fn stop_discards_a_value_a_dropped_select_gave_back() {
    run(async {
        let t = Timer::new(Duration::from_millis(1));
        {
            let mut case = pin!(RecvCase::new(&t.c));
            let mut cases = [case.as_mut() as Pin<&mut dyn csp_core::select::SelectCase>];
            let mut sel = pin!(select(&mut cases));
            assert!(poll_once(sel.as_mut()).await.is_pending());
            tokio::time::sleep(FIRE_WAIT).await;
        }
        assert!(t.stop());
        assert!(t.c.try_recv().is_err(), "a stale value after stop");
    });
}

#[test]
fn ticker_stop_discards_a_tick_a_dropped_receive_gave_back() {
    run(async {
        let t = csp_core::time::Ticker::new(Duration::from_millis(1));
        {
            let mut recv = pin!(t.receiver().recv());
            assert!(poll_once(recv.as_mut()).await.is_pending(), "not due yet");
            tokio::time::sleep(FIRE_WAIT).await;
        }
        t.stop();
        tokio::time::sleep(FIRE_WAIT).await;
        assert!(t.receiver().try_recv().is_err(), "a stale tick after stop");
    });
}
