//! Context rules (after Go's `context/context_test.go`: TestWithCancel,
//! TestParentFinishesChild, TestChildFinishesFirst, TestDeadline,
//! TestTimeout, TestValues, TestWithCancelCause, TestWithoutCancel,
//! TestAfterFuncCalledAfterCancel, TestAfterFuncNotCalledAfterStop), plus the
//! csp-specific ones: the guard, `select!` and Tokio mixes, timer
//! bookkeeping and deep trees.
//!
//! Not ported: Go's custom `Context` implementations (csp's `Context` is one
//! concrete type) and the allocation counts of TestAllocs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use csp::select;
use csp_toolkit::context::{self, Context, Error, Key};

/// Long enough that a timer which should not fire is noticed.
const LONG: Duration = Duration::from_secs(3600);
/// Short timeouts that do fire within the test.
const SHORT: Duration = Duration::from_millis(30);
/// Size of the wide and deep trees.
const TREE: usize = 10_000;

fn is_closed(ctx: &Context) -> bool {
    matches!(ctx.done().try_recv(), Err(csp::TryRecvError::Closed))
}

#[test]
fn background_and_todo_are_never_done() {
    for ctx in [context::background(), context::todo(), Context::default()] {
        assert_eq!(ctx.err(), None);
        assert_eq!(ctx.deadline(), None);
        assert!(context::cause(&ctx).is_none());
        assert!(matches!(
            ctx.done().try_recv(),
            Err(csp::TryRecvError::Empty)
        ));
    }
    assert_eq!(format!("{:?}", context::todo()), "context.TODO");
}

#[test]
fn cancel_propagates_down_not_up() {
    let root = context::background();
    let (parent, cancel_parent) = context::with_cancel(&root);
    let (child, _c1) = context::with_cancel(&parent);
    let (grandchild, _c2) = context::with_cancel(&child);
    let (sibling, _c3) = context::with_cancel(&parent);
    let done_before = grandchild.done(); // a receiver taken while live

    let (cousin_root, _c4) = context::with_cancel(&root);
    let (child_only, cancel_child) = context::with_cancel(&child);
    cancel_child.cancel();
    assert_eq!(child_only.err(), Some(Error::Canceled));
    assert_eq!(child.err(), None, "a child's cancel leaves its parent live");

    cancel_parent.cancel();
    for ctx in [&parent, &child, &grandchild, &sibling] {
        assert_eq!(ctx.err(), Some(Error::Canceled));
        assert!(is_closed(ctx));
    }
    assert!(matches!(
        done_before.try_recv(),
        Err(csp::TryRecvError::Closed)
    ));
    assert_eq!(cousin_root.err(), None);
    assert!(!is_closed(&cousin_root));
}

#[test]
fn a_child_of_a_cancelled_parent_is_born_cancelled() {
    let (parent, cancel) = context::with_cancel_cause(&context::background());
    cancel.cancel("gone");
    let (child, _c) = context::with_cancel(&parent);
    let (timed, _t) = context::with_timeout(&parent, LONG);
    let valued = context::with_value::<Name>(&parent, "v");
    for ctx in [&child, &timed, &valued] {
        assert_eq!(ctx.err(), Some(Error::Canceled));
        assert!(is_closed(ctx));
        assert_eq!(context::cause(ctx).unwrap().to_string(), "gone");
    }
}

#[test]
fn the_guard_cancels_on_drop_and_cancel_is_idempotent() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let done = ctx.done();
    assert!(
        ctx.done().same_channel(&done),
        "done is made once and shared"
    );
    drop(cancel);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert!(matches!(done.try_recv(), Err(csp::TryRecvError::Closed)));

    let (ctx, cancel) = context::with_cancel_cause(&context::background());
    cancel.cancel("first");
    cancel.cancel("second");
    drop(cancel);
    assert_eq!(context::cause(&ctx).unwrap().to_string(), "first");
}

#[test]
fn causes_default_to_the_error_and_flow_to_children() {
    let (ctx, cancel) = context::with_cancel_cause(&context::background());
    let (child, _c) = context::with_cancel(&ctx);
    assert!(context::cause(&child).is_none());
    cancel.cancel(std::io::Error::other("disk full"));
    assert_eq!(context::cause(&child).unwrap().to_string(), "disk full");

    let (plain, cancel) = context::with_cancel(&context::background());
    cancel.cancel();
    assert_eq!(
        context::cause(&plain).unwrap().to_string(),
        Error::Canceled.to_string()
    );
}

struct Name;
impl Key for Name {
    type Value = &'static str;
}
struct Count;
impl Key for Count {
    type Value = u64;
}

#[test]
fn values_are_found_by_typed_key_through_every_kind_of_node() {
    let root = context::background();
    assert_eq!(root.value::<Name>(), None);
    let a = context::with_value::<Name>(&root, "outer");
    let (b, _cb) = context::with_cancel(&a);
    let (c, _cc) = context::with_timeout(&b, LONG);
    let d = context::with_value::<Count>(&c, 7);
    let e = context::without_cancel(&d);
    let f = context::with_value::<Name>(&e, "inner");
    assert_eq!(d.value::<Name>(), Some(&"outer"));
    assert_eq!(d.value::<Count>(), Some(&7));
    assert_eq!(e.value::<Count>(), Some(&7));
    assert_eq!(f.value::<Name>(), Some(&"inner"));
    assert_eq!(a.value::<Count>(), None);
    assert_eq!(
        format!("{f:?}"),
        "context.Background.WithValue(Name).WithCancel.WithDeadline.WithValue(Count)\
         .WithoutCancel.WithValue(Name)"
    );
}

#[test]
fn without_cancel_keeps_values_and_drops_cancellation_and_deadline() {
    let (ctx, cancel) = context::with_timeout(&context::background(), LONG);
    let ctx = context::with_value::<Count>(&ctx, 1);
    let detached = context::without_cancel(&ctx);
    assert_eq!(detached.deadline(), None);
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(detached.err(), None);
    assert!(!is_closed(&detached));
    assert_eq!(detached.value::<Count>(), Some(&1));
}

#[csp::test(timeout_secs = 10)]
async fn deadlines_fire_with_deadline_exceeded() {
    let start = Instant::now();
    let (ctx, _cancel) = context::with_timeout(&context::background(), SHORT);
    let deadline = ctx.deadline().expect("a deadline");
    let (child, _c) = context::with_cancel(&ctx);
    assert_eq!(child.deadline(), Some(deadline), "deadlines are inherited");
    child.cancelled().await;
    assert!(start.elapsed() >= SHORT);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert_eq!(child.err(), Some(Error::DeadlineExceeded));
    assert_eq!(
        context::cause(&child).unwrap().to_string(),
        "context deadline exceeded"
    );
}

#[csp::test(timeout_secs = 10)]
async fn a_later_child_deadline_is_the_parents_and_an_earlier_one_fires_first() {
    let (parent, _p) = context::with_timeout(&context::background(), SHORT * 10);
    let parent_deadline = parent.deadline().unwrap();
    let (later, _l) = context::with_timeout(&parent, LONG);
    assert_eq!(later.deadline(), Some(parent_deadline));
    let (earlier, _e) = context::with_timeout_cause(&parent, SHORT, "earlier");
    assert!(earlier.deadline().unwrap() < parent_deadline);
    earlier.cancelled().await;
    assert_eq!(earlier.err(), Some(Error::DeadlineExceeded));
    assert_eq!(context::cause(&earlier).unwrap().to_string(), "earlier");
    assert_eq!(
        parent.err(),
        None,
        "the child's deadline leaves the parent live"
    );
    later.cancelled().await;
    assert_eq!(later.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn a_past_deadline_is_born_exceeded() {
    let (ctx, _c) = context::with_deadline(&context::background(), Instant::now());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert!(is_closed(&ctx));
}

#[test]
fn deadlines_work_outside_any_runtime() {
    let (ctx, _c) = context::with_timeout(&context::background(), SHORT);
    let done = ctx.done();
    assert_eq!(done.recv_blocking(), None);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

/// One timer task per context with its own deadline, none for a child whose
/// deadline is not earlier, and none left once the contexts are cancelled.
#[test]
fn timers_are_one_per_effective_deadline_and_go_away_on_cancel() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let alive = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        let (parent, cancel) = context::with_timeout(&context::background(), LONG);
        assert_eq!(alive(), 1);
        let mut children = Vec::new();
        for _ in 0..100 {
            children.push(context::with_timeout(&parent, LONG * 2));
            children.push(context::with_cancel(&parent));
        }
        assert_eq!(alive(), 1, "later child deadlines share the parent's timer");
        let (_early, _e) = context::with_timeout(&parent, LONG / 2);
        assert_eq!(alive(), 2);
        cancel.cancel();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(alive(), 0, "cancelled contexts leave no timer behind");
        assert!(children
            .iter()
            .all(|(c, _)| c.err() == Some(Error::Canceled)));
    });
}

#[csp::test(timeout_secs = 10)]
async fn done_is_a_select_case_and_a_future() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let (tx, rx) = csp::chan::<u32>(1);
    tx.send(1).await.unwrap();
    let got = select! {
        recv(&rx) -> v => v,
        recv(ctx.done()) -> _ => None,
    };
    assert_eq!(got, Some(1));
    let waiter = csp::go({
        let ctx = ctx.clone();
        async move {
            select! {
                recv(rx) -> _ => "value",
                recv(ctx.done()) -> _ => "cancelled",
            }
        }
    });
    csp::sleep(SHORT).await;
    cancel.cancel();
    assert_eq!(waiter.await.unwrap(), "cancelled");
    ctx.cancelled().await;

    let never = select! {
        recv(context::background().done()) -> _ => "fired",
        default => "nil channel",
    };
    assert_eq!(never, "nil channel");
}

/// A plain Tokio runtime, `tokio::select!` and `tokio::time` with a context.
#[tokio::test]
async fn contexts_mix_with_tokio_select_and_time() {
    let (ctx, _cancel) = context::with_timeout(&context::background(), SHORT);
    let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
    let out = tokio::select! {
        _ = rx.recv() => "tokio channel",
        () = ctx.cancelled() => "deadline",
        () = tokio::time::sleep(LONG) => "sleep",
    };
    assert_eq!(out, "deadline");
    let (ctx, cancel) = context::with_cancel(&context::background());
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(SHORT).await;
        cancel.cancel();
    });
    tokio::time::timeout(Duration::from_secs(5), ctx.cancelled())
        .await
        .expect("cancelled from a Tokio task");
    canceller.await.unwrap();
}

#[csp::test(timeout_secs = 20)]
async fn cancelling_a_wide_tree_fires_every_done() {
    let (root, cancel) = context::with_cancel(&context::background());
    let mut leaves = Vec::with_capacity(TREE);
    let mut guards = Vec::with_capacity(TREE);
    let (mid, _m) = context::with_cancel(&root);
    for i in 0..TREE {
        let parent = if i % 2 == 0 { &root } else { &mid };
        let (ctx, guard) = context::with_cancel(parent);
        leaves.push(ctx.done());
        guards.push(guard);
    }
    let fired = Arc::new(AtomicUsize::new(0));
    let mut waiters = Vec::new();
    for chunk in leaves.chunks(TREE / 8) {
        let (chunk, fired) = (chunk.to_vec(), fired.clone());
        waiters.push(csp::go(async move {
            for done in chunk {
                assert_eq!(done.recv().await, None);
                fired.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    cancel.cancel();
    for w in waiters {
        w.await.unwrap();
    }
    assert_eq!(fired.load(Ordering::Relaxed), TREE);
}

#[test]
fn a_deep_chain_cancels_and_drops_without_recursion() {
    let (root, cancel) = context::with_cancel(&context::background());
    let mut ctx = root.clone();
    let mut guards = Vec::with_capacity(TREE * 10);
    for _ in 0..TREE * 10 {
        let (child, guard) = context::with_cancel(&ctx);
        let child = context::with_value::<Count>(&child, 1);
        guards.push(guard);
        ctx = child;
    }
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    // Dropping the guards leaf first keeps each cancel O(1).
    while guards.pop().is_some() {}
    drop(root);
    drop(ctx);
}

#[csp::test(timeout_secs = 10)]
async fn after_func_runs_once_after_cancel_in_its_own_goroutine() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let (tx, rx) = csp::chan::<u64>(4);
    let stop = context::after_func(&ctx, move || {
        let _ = tx.try_send(1);
    });
    assert!(rx.try_recv().is_err(), "not before the cancel");
    cancel.cancel();
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, None, "called once, and its state dropped");
    assert!(!stop.stop(), "too late to stop");

    // Registered on a cancelled context: starts at once.
    let (tx, rx) = csp::chan::<u64>(1);
    let stop = context::after_func(&ctx, move || {
        let _ = tx.try_send(2);
    });
    assert_eq!(rx.recv().await, Some(2));
    assert!(!stop.stop());
}

#[csp::test(timeout_secs = 10)]
async fn a_stopped_after_func_never_runs() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let ran = Arc::new(AtomicUsize::new(0));
    let stop = context::after_func(&ctx, {
        let ran = ran.clone();
        move || {
            ran.fetch_add(1, Ordering::SeqCst);
        }
    });
    assert!(stop.stop());
    assert!(!stop.stop());
    cancel.cancel();
    csp::sleep(SHORT).await;
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert!(context::after_func(&context::background(), || {}).stop());
}

/// `stop` racing the cancel on another thread: exactly one of "stop
/// returned true" and "the function ran".
#[csp::test(timeout_secs = 20)]
async fn after_func_stop_races_cancel() {
    const ROUNDS: usize = 500;
    for _ in 0..ROUNDS {
        let (ctx, cancel) = context::with_cancel(&context::background());
        let (tx, rx) = csp::chan::<()>(1);
        let stop = context::after_func(&ctx, move || {
            let _ = tx.try_send(());
        });
        let canceller = std::thread::spawn(move || cancel.cancel());
        let stopped = stop.stop();
        canceller.join().unwrap();
        let ran = rx.recv().await.is_some();
        assert!(stopped != ran, "stopped={stopped} ran={ran}");
    }
}

/// Children registering while the parent is cancelled from another thread:
/// every child ends up cancelled (the loom model checks every
/// interleaving of a small case; this checks a large one).
#[test]
fn registration_racing_cancel_never_leaves_a_live_child() {
    const ROUNDS: usize = 200;
    const CHILDREN: usize = 50;
    for _ in 0..ROUNDS {
        let (parent, cancel) = context::with_cancel(&context::background());
        let maker = std::thread::spawn(move || {
            (0..CHILDREN)
                .map(|_| context::with_cancel(&parent))
                .collect::<Vec<_>>()
        });
        cancel.cancel();
        for (child, _guard) in maker.join().unwrap() {
            assert_eq!(child.err(), Some(Error::Canceled));
            assert!(is_closed(&child));
        }
    }
}

/// On csp's runtime, one goroutine mixing a context with `tokio::select!`,
/// `tokio::sync` and `tokio::time`; `after_func` fires from a Tokio task's
/// cancel.
#[csp::test(timeout_secs = 10)]
async fn contexts_mix_with_tokio_inside_a_goroutine() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let notify = Arc::new(tokio::sync::Notify::new());
    let (tx, rx) = csp::chan::<&str>(1);
    let _stop = context::after_func(&ctx, move || {
        let _ = tx.try_send("after_func");
    });
    let (ack_tx, mut ack) = tokio::sync::mpsc::channel::<()>(1);
    let worker = csp::go({
        let (ctx, notify) = (ctx.clone(), notify.clone());
        async move {
            let mut ticks = 0;
            loop {
                tokio::select! {
                    () = ctx.cancelled() => return ticks,
                    () = notify.notified() => {
                        ticks += 1;
                        ack_tx.send(()).await.unwrap();
                    }
                    () = tokio::time::sleep(LONG) => unreachable!("cancelled first"),
                }
            }
        }
    });
    for _ in 0..3 {
        notify.notify_one();
        ack.recv().await.unwrap();
    }
    tokio::spawn(async move { cancel.cancel() }).await.unwrap();
    assert_eq!(worker.await.unwrap(), 3);
    assert_eq!(rx.recv().await, Some("after_func"));
}
