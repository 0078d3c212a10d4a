//! The pending-timer count the deadlock detector reads. Its own test binary:
//! the count is process-wide, so no other test may run timers concurrently.
use std::time::Duration;

use csp_core::time::{after, pending_timers, sleep, tick, Timer};

async fn settles_to(n: usize) {
    for _ in 0..200 {
        if pending_timers() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!(
        "pending timers stayed at {}, expected {n}",
        pending_timers()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_timers_track_timer_tasks() {
    tokio::time::timeout(Duration::from_secs(20), async {
        assert_eq!(pending_timers(), 0);

        let rx = after(Duration::from_millis(20));
        assert_eq!(pending_timers(), 1, "counted before the task runs");
        rx.recv().await.unwrap();
        settles_to(0).await; // a fired one-shot timer is no longer pending

        let t = Timer::new(Duration::from_secs(3600));
        assert_eq!(pending_timers(), 1);
        t.stop();
        settles_to(0).await;

        // An hour-long ticker whose receiver is dropped must not linger.
        let ticks = tick(Duration::from_secs(3600));
        assert_eq!(pending_timers(), 1);
        drop(ticks);
        settles_to(0).await;

        let s = sleep(Duration::from_secs(3600));
        assert_eq!(pending_timers(), 1);
        drop(s);
        assert_eq!(pending_timers(), 0);
    })
    .await
    .expect("hang");
}
