//! loom models of the select engine: every interleaving (up to
//! `LOOM_MAX_PREEMPTIONS`) of small programs, checking that exactly one case
//! commits and that nothing is lost or duplicated.
//!
//! Run with `.ci/loom`, or:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p csp-core --release --test loom_select`
//!
//! Under loom the engine tries cases in source order (no random permutation),
//! so a model replays deterministically.
#![cfg(loom)]

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use csp_core::select::{select, try_select, RecvCase, SendCase};
use csp_core::{chan, Receiver};
use loom::future::block_on;
use loom::thread;

/// Two selects race to take one offered value: exactly one gets it, the other
/// sees the close that follows.
#[test]
fn two_selects_race_for_one_offer() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_other_tx, other_rx) = chan::<u32>(0);
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (rx, other_rx) = (rx.clone(), other_rx.clone());
                thread::spawn(move || block_on(select_recv(&rx, &other_rx)))
            })
            .collect();
        drop(rx);
        block_on(tx.send(7)).unwrap();
        tx.close();
        let mut got: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        got.sort();
        assert_eq!(got, [None, Some(7)]);
    });
}

/// One select offers a value on two unbuffered channels; a receiver waits on
/// each. Exactly one offer is taken; the other receiver sees the close.
#[test]
fn a_select_send_is_taken_from_exactly_one_offer() {
    loom::model(|| {
        let (atx, arx) = chan::<u32>(0);
        let (btx, brx) = chan::<u32>(0);
        let ra = thread::spawn(move || block_on(arx.recv()));
        let rb = thread::spawn(move || block_on(brx.recv()));
        block_on(async {
            let mut a = pin!(SendCase::new(&atx, 1));
            let mut b = pin!(SendCase::new(&btx, 2));
            let i = select(&mut [a.as_mut(), b.as_mut()]).await;
            let (chosen, other) = if i == 0 { (a, b) } else { (b, a) };
            chosen.take_output().unwrap();
            assert!(
                other.take_unsent().is_some(),
                "the loser's value stays unsent"
            );
        });
        atx.close();
        btx.close();
        let got = [ra.join().unwrap(), rb.join().unwrap()];
        assert!(
            matches!(got, [Some(1), None] | [None, Some(2)]),
            "exactly one offer taken: {got:?}"
        );
    });
}

/// A select with a receive case races a close of that channel and a send on
/// another: it reports either the close or the value, and a value it did not
/// take is still in its channel.
#[test]
fn select_recv_races_close() {
    loom::model(|| {
        let (atx, arx) = chan::<u32>(0);
        let (btx, brx) = chan::<u32>(1);
        let _keep_open = brx.clone();
        let selector = thread::spawn(move || {
            block_on(async {
                let mut a = pin!(RecvCase::new(&arx));
                let mut b = pin!(RecvCase::new(&brx));
                match select(&mut [a.as_mut(), b.as_mut()]).await {
                    0 => (0, a.take_output(), brx.try_recv().ok()),
                    _ => (1, b.take_output(), brx.try_recv().ok()),
                }
            })
        });
        let sender = thread::spawn(move || btx.try_send(5).unwrap());
        atx.close();
        sender.join().unwrap();
        let (case, out, _) = selector.join().unwrap();
        match case {
            0 => assert_eq!(out, None, "a is only ever closed"),
            _ => assert_eq!(out, Some(5)),
        }
    });
}

/// A select with a send case races a close and a receiver: the value is either
/// received (and the send reports Ok) or comes back in the error, never both.
#[test]
fn select_send_races_close() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_never_tx, never_rx) = chan::<u32>(0);
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || block_on(rx2.recv()));
        let selector = thread::spawn(move || {
            block_on(async {
                let mut s = pin!(SendCase::new(&tx, 9));
                let mut r = pin!(RecvCase::new(&never_rx));
                let i = select(&mut [s.as_mut(), r.as_mut()]).await;
                assert_eq!(i, 0);
                s.take_output()
            })
        });
        rx.close();
        let sent = selector.join().unwrap();
        let got = receiver.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(got, Some(9)),
            Err(e) => {
                assert_eq!(e.into_inner(), 9);
                assert_eq!(got, None);
            }
        }
    });
}

/// A select polled once (registered) and then dropped, racing a sender: if the
/// sender handed the value to the select before the drop, the value goes back
/// to the channel; nothing is lost.
#[test]
fn dropped_select_gives_a_handed_value_back() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_other_tx, other_rx) = chan::<u32>(0);
        let selector = thread::spawn(move || {
            let mut a = pin!(RecvCase::new(&rx));
            let mut b = pin!(RecvCase::new(&other_rx));
            let polled = {
                let mut cases: [Pin<&mut dyn csp_core::select::SelectCase>; 2] =
                    [a.as_mut(), b.as_mut()];
                let mut fut = pin!(select(&mut cases));
                let mut cx = Context::from_waker(Waker::noop());
                fut.as_mut().poll(&mut cx)
            };
            let finished = matches!(polled, Poll::Ready(_));
            let got = if finished { a.take_output() } else { None };
            (got, rx.try_recv().ok())
        });
        let sent = tx.try_send(3).is_ok();
        let (got, left) = selector.join().unwrap();
        let received = [got, left].iter().flatten().count();
        assert_eq!(
            received,
            usize::from(sent),
            "sent {sent}, got {got:?} {left:?}"
        );
    });
}

/// A parked select re-polled with a new waker while a sender commits one of
/// its cases: the sender waits out the waker update, or the owner sees the
/// selection; never a lost wake-up (loom reports a deadlock if `block_on` is
/// never woken), and the peer's hand-over is done before the token is freed.
#[test]
fn select_repoll_with_new_waker_races_send() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_other_tx, other_rx) = chan::<u32>(0);
        let sender = thread::spawn(move || block_on(tx.send(3)));
        let mut a = pin!(RecvCase::new(&rx));
        let mut b = pin!(RecvCase::new(&other_rx));
        let chosen = {
            let mut cases: [Pin<&mut dyn csp_core::select::SelectCase>; 2] =
                [a.as_mut(), b.as_mut()];
            let mut fut = pin!(select(&mut cases));
            let mut cx = Context::from_waker(Waker::noop());
            match fut.as_mut().poll(&mut cx) {
                Poll::Ready(i) => i,
                Poll::Pending => block_on(fut), // a new waker: the update path
            }
        };
        assert_eq!(chosen, 0);
        assert_eq!(a.take_output(), Some(3));
        assert!(sender.join().unwrap().is_ok());
    });
}

/// A select parked on an unbuffered receive, and a sender polling with
/// `try_send`: the select's registration is published in the channel's
/// lock-free view when the engine unlocks, so the polling sender sees a
/// receiver waiting and hands it the value (a stale view would make it spin
/// forever, which loom reports).
#[test]
fn polling_sender_finds_a_parked_select() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_other_tx, other_rx) = chan::<u32>(0);
        let sender = thread::spawn(move || {
            let mut value = 4;
            while let Err(e) = tx.try_send(value) {
                value = e.into_inner();
                thread::yield_now();
            }
        });
        assert_eq!(block_on(select_recv(&rx, &other_rx)), Some(4));
        sender.join().unwrap();
    });
}

/// A select over a receive on `rx` and one on `idle`, a channel nothing is
/// ever sent on: what the receive on `rx` got.
async fn select_recv(rx: &Receiver<u32>, idle: &Receiver<u32>) -> Option<u32> {
    let mut a = pin!(RecvCase::new(rx));
    let mut b = pin!(RecvCase::new(idle));
    let i = select(&mut [a.as_mut(), b.as_mut()]).await;
    assert_eq!(i, 0, "nothing is ever sent on the idle channel");
    a.take_output()
}

/// Go's `TestNonblockSelectRace2` as a model: `c1` holds a value and `c2` is
/// unbuffered; one thread selects over `c2`, `c1` and `default` (in that
/// order under loom) while the other closes `c2` and then takes `c1`'s value.
/// At every instant one case is ready, so `default` is never taken, in any
/// interleaving (visiting `c2`, then `c1`, each at its own instant would).
#[test]
fn default_is_taken_only_if_no_case_was_ready_at_one_instant() {
    loom::model(|| {
        let (t1, r1) = chan::<u32>(1);
        let (t2, r2) = chan::<u32>(0);
        t1.try_send(1).unwrap();
        let r1_side = r1.clone();
        let side = thread::spawn(move || {
            let mut on_c2 = pin!(RecvCase::new(&r2));
            let mut on_c1 = pin!(RecvCase::new(&r1_side));
            try_select(&mut [on_c2.as_mut(), on_c1.as_mut()])
        });
        t2.close();
        let _ = r1.try_recv();
        assert!(side.join().unwrap().is_some(), "default taken");
    });
}
