//! loom models of the channel core: every interleaving of a few threads.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p csp-core --release --test loom_chan`
//! (see `.ci/loom`). Models stay tiny so the preemption-bounded search ends fast.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use csp_core::{chan, TryRecvError, TrySendError};
use loom::future::block_on;
use loom::thread;

/// Rendezvous: the send completes only with the receiver holding the value.
#[test]
fn rendezvous_handoff() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let t = thread::spawn(move || block_on(tx.send(7)));
        assert_eq!(block_on(rx.recv()), Some(7));
        assert!(t.join().unwrap().is_ok());
    });
}

/// Close racing a send and a receive: the value is received iff the send
/// succeeded, and comes back to the sender otherwise.
#[test]
fn close_races_send_and_recv() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let closer = tx.clone();
        let sender = thread::spawn(move || block_on(tx.send(1)));
        let c = thread::spawn(move || closer.close());
        let got = block_on(rx.recv());
        let sent = sender.join().unwrap();
        assert!(c.join().unwrap());
        match got {
            Some(v) => {
                assert_eq!(v, 1);
                assert!(sent.is_ok());
            }
            None => assert_eq!(sent.unwrap_err().0, 1),
        }
    });
}

/// A parked receive dropped while a sender hands it a value: the value goes
/// back to the channel, never lost.
#[test]
fn dropped_recv_races_send() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let tx2 = tx.clone(); // keeps the channel open until the checks
        let t = thread::spawn(move || tx2.try_send(5));
        {
            let mut fut = pin!(rx.recv());
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                panic!("nothing to receive yet, got {v:?}");
            }
        }
        match t.join().unwrap() {
            Ok(()) => assert_eq!(rx.try_recv(), Ok(5)),
            Err(TrySendError::Full(5)) => assert_eq!(rx.try_recv(), Err(TryRecvError::Empty)),
            Err(e) => panic!("unexpected {e:?}"),
        }
        drop(tx);
    });
}

/// Two receivers and one buffered value: exactly one gets it.
#[test]
fn buffered_value_received_once() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(1);
        let rx2 = rx.clone();
        let t = thread::spawn(move || rx2.try_recv().ok());
        tx.try_send(9).unwrap();
        let mine = rx.try_recv().ok();
        let theirs = t.join().unwrap();
        assert_eq!(mine.into_iter().chain(theirs).collect::<Vec<_>>(), vec![9]);
    });
}

/// Two rendezvous in a row: each parked future's hook lives in the future
/// itself, which is freed (and its memory reused by the next one) as soon as
/// it completes, while the peer that selected it may still be finishing its
/// critical section. The peer's last touch must be the release store that
/// the owner acquires (loom reports any access not ordered before the
/// hook's drop).
#[test]
fn completed_hook_is_freed_safely() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let t = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), Some(2));
        t.join().unwrap();
    });
}

/// A parked receive re-polled with a new waker while a sender hands it a
/// value: the waker is replaced under the lock or the value is seen; never a
/// lost wake-up (loom reports a deadlock if `block_on` is never woken).
#[test]
fn repoll_with_new_waker_races_send() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let t = thread::spawn(move || block_on(tx.send(3)));
        let mut fut = Box::pin(rx.recv());
        let mut cx = Context::from_waker(Waker::noop());
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => assert_eq!(v, Some(3)),
            Poll::Pending => assert_eq!(block_on(fut), Some(3)),
        }
        assert!(t.join().unwrap().is_ok());
    });
}

/// A receiver polling with `try_recv` while a sender buffers a value and then
/// closes: the lock-free view (`chan/snapshot.rs`) must not report "closed"
/// while the value is still buffered (it would be lost), and a receive that
/// reports "closed" happens after the close, so it sees what the closer wrote
/// before closing (loom flags the cell access otherwise).
#[test]
fn polling_receiver_sees_value_then_close() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(1);
        let note = loom::sync::Arc::new(loom::cell::UnsafeCell::new(0u32));
        let written = note.clone();
        let t = thread::spawn(move || {
            tx.try_send(1).unwrap();
            // SAFETY: the receiver reads this only after seeing the close below.
            written.with_mut(|n| unsafe { *n = 42 });
            assert!(tx.close());
        });
        let mut got = Vec::new();
        loop {
            match rx.try_recv() {
                Ok(v) => got.push(v),
                Err(TryRecvError::Empty) => thread::yield_now(),
                Err(TryRecvError::Closed) => break,
            }
        }
        assert_eq!(got, vec![1]);
        // SAFETY: the close was observed, so the write above happened before.
        assert_eq!(note.with(|n| unsafe { *n }), 42);
        t.join().unwrap();
    });
}

/// A sender polling with `try_send` on a full channel while a receiver makes
/// room: "full" is reported only while the channel is full, so the value gets
/// in once the first is taken, and the receiver gets both, in order.
#[test]
fn polling_sender_gets_in_once_room_appears() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || [rx.try_recv().ok(), block_on(rx.recv())]);
        let mut value = 2;
        while let Err(e) = tx.try_send(value) {
            match e {
                TrySendError::Full(v) => value = v,
                TrySendError::Closed(v) => panic!("closed, got {v} back"),
            }
            thread::yield_now();
        }
        assert_eq!(t.join().unwrap(), [Some(1), Some(2)]);
    });
}
