//! Loom models of the lock engine (`raw.rs`): the lock word against the wait
//! queue. A release racing an acquirer that is queueing (no lost wake-up), a
//! dropped acquire racing the release and beside a waiter (no lost lock or
//! wake), a barging writer racing the woken head (which reaches hand-off
//! mode: under loom a waiter starves at its first lost retry), a spinning
//! writer that claims the wake of a queued one (under loom an acquirer makes
//! one spin round), a granted waiter polled before its wake, and readers
//! behind a writer. Run by `.ci/loom`.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use csp_core::goroutine::WaitReason;
use loom::sync::Arc;
use loom::thread;

use crate::raw::{Access, RawRwLock};

struct Noop;
impl Wake for Noop {
    fn wake(self: StdArc<Self>) {}
}

/// A thread that takes `access` (parking if it must) and releases it.
fn acquirer(lock: &Arc<RawRwLock>, access: Access) -> thread::JoinHandle<()> {
    let lock = lock.clone();
    thread::spawn(move || {
        loom::future::block_on(lock.acquire(access, WaitReason::MutexLock, Location::caller()));
        lock.release(access);
    })
}

/// One model: the main thread holds `held`, starts the `contenders`, then
/// releases; every contender finishes and the lock ends free.
fn release_races(held: Access, contenders: fn(&Arc<RawRwLock>) -> Vec<thread::JoinHandle<()>>) {
    loom::model(move || {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(held));
        let threads = contenders(&lock);
        lock.release(held);
        for t in threads {
            t.join().unwrap();
        }
        assert!(!lock.is_locked());
        assert!(lock.try_acquire(Access::Exclusive));
    });
}

/// A release while the acquirer is queueing: the acquirer always gets the
/// lock (its wake-up is never lost).
#[test]
fn loom_release_races_a_queueing_acquire() {
    release_races(Access::Exclusive, |l| vec![acquirer(l, Access::Exclusive)]);
}

/// A thread that polls an acquire once and drops it (releasing the lock if
/// that one poll got it).
fn dropper(lock: &Arc<RawRwLock>) -> thread::JoinHandle<()> {
    let lock = lock.clone();
    thread::spawn(move || {
        let waker = Waker::from(StdArc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut fut =
            pin!(lock.acquire(Access::Exclusive, WaitReason::MutexLock, Location::caller()));
        if let Poll::Ready(()) = fut.as_mut().poll(&mut cx) {
            lock.release(Access::Exclusive);
        }
    })
}

/// An acquire polled once and dropped while the holder releases: whether it
/// was queued, woken, or had the lock, nothing is held afterwards.
#[test]
fn loom_dropped_acquire_races_the_release() {
    release_races(Access::Exclusive, |l| vec![dropper(l)]);
}

/// A dropped acquire beside a real waiter: whatever the dropped one held
/// (a queue place, a wake, a grant) passes on, so the waiter gets the lock.
#[test]
fn loom_dropped_acquire_passes_on_to_a_waiter() {
    release_races(Access::Exclusive, |l| {
        vec![dropper(l), acquirer(l, Access::Exclusive)]
    });
}

/// Two writers and the holder: the release wakes the queued writer while the
/// other barges (the loser reaches hand-off mode); both get the lock in turn.
#[test]
fn loom_barging_writer_races_the_woken_head() {
    release_races(Access::Exclusive, |l| {
        vec![
            acquirer(l, Access::Exclusive),
            acquirer(l, Access::Exclusive),
        ]
    });
}

/// A reader queued behind a writer while a reader holds: the writer gets the
/// lock after the reader, the late reader after the writer, nobody is lost.
#[test]
fn loom_readers_and_a_writer_all_finish() {
    release_races(Access::Shared, |l| {
        vec![acquirer(l, Access::Exclusive), acquirer(l, Access::Shared)]
    });
}

/// A writer spins while another is queued: it may claim `WOKEN`, so the
/// release wakes nobody; it takes the lock or, losing, queues and gives the
/// claim up. Either way the queued writer gets the lock too, and the lock
/// ends free with no flag left behind.
#[test]
fn loom_spinner_claims_the_wake_of_a_queued_writer() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Exclusive));
        let waker = Waker::from(StdArc::new(Noop));
        let mut queued =
            Box::pin(lock.acquire(Access::Exclusive, WaitReason::MutexLock, Location::caller()));
        let polled = queued.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(polled.is_pending(), "queued behind the holder");
        let spinner = acquirer(&lock, Access::Exclusive);
        lock.release(Access::Exclusive);
        loom::future::block_on(queued);
        lock.release(Access::Exclusive);
        spinner.join().unwrap();
        assert_eq!(lock.word(), 0, "free, nobody queued, no flag left");
    });
}

/// In hand-off mode a release grants the lock to the head waiter, which
/// may be polled at any moment (inside `tokio::select!` its task is polled
/// whenever another branch wakes it), not only after the wake: the poll
/// that sees the grant must find its hold already counted in the word.
#[test]
fn loom_a_granted_waiter_polled_early_finds_its_hold_counted() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Exclusive));
        let waker = Waker::from(StdArc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut waiter =
            Box::pin(lock.acquire(Access::Exclusive, WaitReason::MutexLock, Location::caller()));
        assert!(waiter.as_mut().poll(&mut cx).is_pending(), "queued");
        lock.release(Access::Exclusive); // wakes the waiter
        assert!(lock.try_acquire(Access::Exclusive), "normal mode: barge");
        // The woken waiter loses its retry; under loom it starves at once.
        assert!(waiter.as_mut().poll(&mut cx).is_pending(), "hand-off mode");
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release(Access::Exclusive)) // grants
        };
        loop {
            if waiter.as_mut().poll(&mut cx).is_ready() {
                assert!(lock.is_locked(), "the granted hold is counted");
                break;
            }
            thread::yield_now();
        }
        drop(waiter);
        lock.release(Access::Exclusive);
        releaser.join().unwrap();
        assert_eq!(lock.word(), 0, "free, nobody queued, no flag left");
    });
}
