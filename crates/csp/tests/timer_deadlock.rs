//! Timers and the deadlock detector (issue #16): a goroutine parked on a
//! timer that will fire is not deadlocked; one parked on a stopped timer is,
//! as in Go 1.23. A pending `AfterFunc` may still unblock main.

use std::time::Duration;

use csp::prelude::*;
use csp::time::after_func;

/// Longer than the detector's 100 ms of stable state, so a wrong report
/// would come before the timer fires.
const DELAY: Duration = Duration::from_millis(300);

/// Main parked in a select on a never-ready channel and a timer: the parked
/// registration keeps the detector quiet until the timer fires.
#[csp::test(timeout_secs = 20)]
async fn parked_on_a_pending_timer_is_no_deadlock() {
    let (_tx, never) = csp::chan::<()>(0);
    let t = Timer::new(DELAY);
    let fired = csp::select! {
        recv(&never) => false,
        recv(&t.c) => true,
    };
    assert!(fired);
}

/// Main waits on a channel only an `AfterFunc` callback sends to.
#[csp::test(timeout_secs = 20)]
async fn a_pending_after_func_is_no_deadlock() {
    let (tx, rx) = csp::chan::<&str>(1);
    let _t = after_func(DELAY, move || {
        let _ = tx.try_send("called");
    });
    assert_eq!(rx.recv().await, Some("called"));
}

/// Go 1.23: receiving from a stopped timer's channel blocks forever; with
/// nothing else alive that is a deadlock.
#[csp::test(timeout_secs = 20)]
#[should_panic(expected = "all goroutines are asleep - deadlock!")]
async fn parked_on_a_stopped_timer_is_a_deadlock() {
    let t = Timer::new(DELAY);
    assert!(t.stop());
    t.c.recv().await;
}
