//! Loom models of the lock engine (`raw.rs`): the lock word against the wait
//! queue. A release racing an acquirer that is queueing (no lost wake-up), a
//! dropped acquire racing the release and beside a waiter (no lost lock or
//! wake), a barging writer racing the woken head (which reaches hand-off
//! mode: under loom a waiter starves at its first lost retry), and readers
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

/// A release while the acquirer is queueing: the acquirer always gets the
/// lock (its wake-up is never lost) and the lock ends free.
#[test]
fn loom_release_races_a_queueing_acquire() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Exclusive));
        let waiter = acquirer(&lock, Access::Exclusive);
        lock.release(Access::Exclusive);
        waiter.join().unwrap();
        assert!(!lock.is_locked());
        assert!(lock.try_acquire(Access::Exclusive));
    });
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
/// was queued, woken, or had the lock, the lock ends free.
#[test]
fn loom_dropped_acquire_races_the_release() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Exclusive));
        let d = dropper(&lock);
        lock.release(Access::Exclusive);
        d.join().unwrap();
        assert!(!lock.is_locked());
        assert!(lock.try_acquire(Access::Exclusive));
    });
}

/// A dropped acquire beside a real waiter: whatever the dropped one held
/// (a queue place, a wake, a grant) passes on, so the waiter gets the lock.
#[test]
fn loom_dropped_acquire_passes_on_to_a_waiter() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Exclusive));
        let d = dropper(&lock);
        let w = acquirer(&lock, Access::Exclusive);
        lock.release(Access::Exclusive);
        d.join().unwrap();
        w.join().unwrap();
        assert!(!lock.is_locked());
    });
}

/// Two writers and the holder: the release wakes the queued writer while the
/// other barges; both get the lock in turn and it ends free.
#[test]
fn loom_barging_writer_races_the_woken_head() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Exclusive));
        let a = acquirer(&lock, Access::Exclusive);
        let b = acquirer(&lock, Access::Exclusive);
        lock.release(Access::Exclusive);
        a.join().unwrap();
        b.join().unwrap();
        assert!(!lock.is_locked());
    });
}

/// A reader queued behind a writer while a reader holds: the writer gets the
/// lock after the reader, the late reader after the writer, nobody is lost.
#[test]
fn loom_readers_and_a_writer_all_finish() {
    loom::model(|| {
        let lock = Arc::new(RawRwLock::new());
        assert!(lock.try_acquire(Access::Shared));
        let writer = acquirer(&lock, Access::Exclusive);
        let reader = acquirer(&lock, Access::Shared);
        lock.release(Access::Shared);
        writer.join().unwrap();
        reader.join().unwrap();
        assert!(!lock.is_locked());
    });
}
