//! The pending-timer count the deadlock detector reads. Its own test binary:
//! the count is process-wide, so no other test may run timers concurrently.
use std::time::Duration;

use csp_core::time::{after, after_func, pending_timers, sleep, tick, Timer};

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
async fn pending_timers_count_the_timers_someone_waits_on() {
    tokio::time::timeout(Duration::from_secs(20), async {
        assert_eq!(pending_timers(), 0);

        // A timer nobody waits on costs nothing (Go 1.23).
        let rx = after(Duration::from_millis(20));
        assert_eq!(pending_timers(), 0, "an unwatched timer is not registered");
        rx.recv().await.unwrap(); // parks: registered until it fires
        settles_to(0).await;

        // A parked receive counts while it waits; `stop` ends that.
        let t = Timer::new(Duration::from_secs(3600));
        let c = t.c.clone();
        let waiter = tokio::spawn(async move { c.recv().await });
        settles_to(1).await;
        assert!(t.stop());
        settles_to(0).await;
        waiter.abort();

        // A waiter that gives up (its receive is dropped) unregisters it.
        let ticks = tick(Duration::from_secs(3600));
        let waiter = tokio::spawn(async move { ticks.recv().await });
        settles_to(1).await;
        waiter.abort();
        settles_to(0).await;

        let f = after_func(Duration::from_secs(3600), || {});
        assert_eq!(pending_timers(), 1, "a scheduled call counts");
        assert!(f.stop());
        assert_eq!(pending_timers(), 0);

        let s = sleep(Duration::from_secs(3600));
        assert_eq!(pending_timers(), 1);
        drop(s);
        assert_eq!(pending_timers(), 0);
    })
    .await
    .expect("hang");
}
