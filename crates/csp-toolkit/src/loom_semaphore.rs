//! Loom models of the semaphore's lock-free word against its queue: a
//! release handing permits to a waiter that is queueing, a dropped acquire
//! racing the grant, and lock-free takers racing a queued large request.
//! Run by `.ci/loom`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use loom::sync::Arc;
use loom::thread;

use crate::context::background;
use crate::semaphore::Weighted;

struct Noop;
impl Wake for Noop {
    fn wake(self: StdArc<Self>) {}
}

/// A release while the acquirer is queueing: the acquirer always gets the
/// permit (no lost wakeup) and nothing leaks.
#[test]
fn release_hands_off_to_a_queueing_acquire() {
    loom::model(|| {
        let sem = Arc::new(Weighted::new(1));
        assert!(sem.try_acquire(1));
        let s = sem.clone();
        let waiter = thread::spawn(move || {
            let ctx = background();
            loom::future::block_on(s.acquire(&ctx, 1)).unwrap();
            s.release(1).unwrap();
        });
        sem.release(1).unwrap();
        waiter.join().unwrap();
        assert!(sem.try_acquire(1));
    });
}

/// An acquire polled once and dropped while the permit is released: the
/// permit ends free whichever way the race goes.
#[test]
fn a_dropped_acquire_racing_the_grant_leaks_nothing() {
    loom::model(|| {
        let sem = Arc::new(Weighted::new(1));
        assert!(sem.try_acquire(1));
        let s = sem.clone();
        let dropper = thread::spawn(move || {
            let ctx = background();
            let waker = Waker::from(StdArc::new(Noop));
            let mut cx = TaskContext::from_waker(&waker);
            let mut acquire = pin!(s.acquire(&ctx, 1));
            if let Poll::Ready(res) = acquire.as_mut().poll(&mut cx) {
                res.unwrap();
                s.release(1).unwrap();
            }
        });
        sem.release(1).unwrap();
        dropper.join().unwrap();
        assert!(sem.try_acquire(1));
    });
}

/// A queued request for every permit, lock-free takers of one permit, and
/// releases: the large request completes, and every permit ends free.
#[test]
fn lock_free_takers_do_not_pass_a_queued_request() {
    loom::model(|| {
        let sem = Arc::new(Weighted::new(2));
        assert!(sem.try_acquire(2));
        let s = sem.clone();
        let large = thread::spawn(move || {
            let ctx = background();
            loom::future::block_on(s.acquire(&ctx, 2)).unwrap();
            s.release(2).unwrap();
        });
        let s = sem.clone();
        let small = thread::spawn(move || {
            if s.try_acquire(1) {
                s.release(1).unwrap();
            }
        });
        sem.release(1).unwrap();
        sem.release(1).unwrap();
        large.join().unwrap();
        small.join().unwrap();
        assert!(sem.try_acquire(2));
    });
}
