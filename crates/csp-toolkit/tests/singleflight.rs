//! `singleflight.Group` rules (after x/sync's
//! `singleflight/singleflight_test.go`: TestDo, TestDoDupSuppress,
//! TestForget), plus the abandoned-leader case async Rust adds.
//!
//! Not ported: DoChan (a `do_call` future in a goroutine is the same) and
//! the panic/Goexit propagation tests (a panicking leader unwinds alone;
//! its waiters start over).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_toolkit::singleflight::Group;
use tokio_test::{assert_pending, assert_ready_eq, task};

const CALLERS: usize = 10;

/// Every caller polled while the call is in flight joins it: one run, one
/// result for all (polled by hand, so the interleaving is fixed).
#[test]
fn duplicate_calls_share_one_execution() {
    let group = Group::<String, usize>::new();
    let runs = AtomicUsize::new(0);
    let (release, gate) = csp::chan::<()>(0);
    let mut callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            task::spawn(group.do_call("key".to_string(), async {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = gate.recv().await;
                42
            }))
        })
        .collect();
    for caller in &mut callers {
        assert_pending!(caller.poll());
    }
    drop(release);
    for caller in &mut callers {
        assert_ready_eq!(caller.poll(), (42, true));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(!group.in_flight("key"));
}

/// Callers racing on several goroutines all get the result, however they
/// interleave with the call.
#[csp::test(timeout_secs = 10)]
async fn concurrent_callers_all_get_a_result() {
    let group = Arc::new(Group::<u8, usize>::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for _ in 0..CALLERS * 10 {
        let (group, runs) = (group.clone(), runs.clone());
        callers.push(csp::go(async move {
            group
                .do_call(0, async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    csp::sleep(Duration::from_millis(1)).await;
                    7
                })
                .await
        }));
    }
    let mut shared = 0;
    for caller in callers {
        let (value, was_shared) = caller.await.unwrap();
        assert_eq!(value, 7);
        shared += usize::from(was_shared);
    }
    let runs = runs.load(Ordering::SeqCst);
    assert!((1..=CALLERS * 10).contains(&runs));
    assert!(shared > 0 || runs == CALLERS * 10);
}

#[test]
fn forget_lets_the_next_call_run_its_own_function() {
    let group = Group::<&str, u32>::new();
    let (release, gate) = csp::chan::<()>(0);
    let mut first = task::spawn(group.do_call("k", async {
        let _ = gate.recv().await;
        1
    }));
    assert_pending!(first.poll());
    let mut joined = task::spawn(group.do_call("k", async { unreachable!("joins the first") }));
    assert_pending!(joined.poll());
    group.forget("k");
    let mut second = task::spawn(group.do_call("k", async { 2 }));
    assert_ready_eq!(second.poll(), (2, false));
    drop(release);
    assert_ready_eq!(first.poll(), (1, true));
    assert_ready_eq!(joined.poll(), (1, true));
}

#[test]
fn a_dropped_leader_hands_the_call_to_a_waiter() {
    let group = Group::<u8, &str>::new();
    let (_hold, never) = csp::chan::<()>(0);
    let mut leader = task::spawn(group.do_call(1, async {
        let _ = never.recv().await;
        "leader"
    }));
    assert_pending!(leader.poll());
    let mut waiter = task::spawn(group.do_call(1, async { "waiter" }));
    assert_pending!(waiter.poll());
    drop(leader);
    assert!(waiter.is_woken());
    assert_ready_eq!(waiter.poll(), ("waiter", false));
    assert!(!group.in_flight(&1));
}

#[test]
fn sequential_calls_each_run() {
    let group = Group::<u8, u8>::new();
    let mut a = task::spawn(group.do_call(0, async { 1 }));
    assert_ready_eq!(a.poll(), (1, false));
    let mut b = task::spawn(group.do_call(0, async { 2 }));
    assert_ready_eq!(b.poll(), (2, false));
}
