//! The counter example's three fixes all end exact.
#[path = "../examples/counter.rs"]
mod counter;

use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_counters_are_exact() {
    tokio::time::timeout(DEADLINE, async {
        let want = counter::GOROUTINES * counter::INCREMENTS;
        assert_eq!(counter::with_mutex().await, want, "mutex");
        assert_eq!(counter::with_atomic().await, want, "atomic");
        assert_eq!(counter::with_channel().await, want, "channel");
    })
    .await
    .expect("hang");
}
