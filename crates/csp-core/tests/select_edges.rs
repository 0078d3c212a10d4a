//! The edges of `select` where Go's semantics are easy to miss (issue #16):
//! `default` decided at one instant, misuse of the dynamic API rejected
//! without leaving a lock held, and values never dropped unseen.

mod common;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

use common::within;
use csp_core::select::{select, try_select, RecvCase, SelectCase, SendCase};
use csp_core::{chan, Receiver, TryRecvError};

/// Iterations of the ports of Go's `TestNonblockSelectRace` and
/// `TestNonblockSelectRace2` (Go runs 100,000, 1,000 with `-short`).
const NONBLOCK_RACE_ITERATIONS: usize = 20_000;

/// The longest spin (in `spin_loop` hints) before the racing operation: a
/// varying delay lands it at every point of the other side's select.
const NONBLOCK_RACE_MAX_SPIN: usize = 400;

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    fut.poll(&mut cx)
}

#[test]
fn a_spent_send_case_panics_before_locking_and_the_channel_still_works() {
    within(|| {
        let (tx, rx) = chan::<i32>(1);
        let mut case = pin!(SendCase::new(&tx, 1));
        assert_eq!(try_select(&mut [case.as_mut()]), Some(0));
        case.as_mut().take_output().unwrap();
        // The channel is full now: a waiting select would reach pass 2.
        let payload = catch_unwind(AssertUnwindSafe(|| {
            let mut cases: [Pin<&mut dyn SelectCase>; 1] = [case.as_mut()];
            let mut sel = pin!(select(&mut cases));
            let _ = poll_once(sel.as_mut());
        }))
        .expect_err("a spent case is rejected");
        assert!(
            panic_message(&*payload).contains("already sent its value"),
            "clear message: {:?}",
            panic_message(&*payload)
        );
        let payload = catch_unwind(AssertUnwindSafe(|| try_select(&mut [case.as_mut()])))
            .expect_err("try_select rejects it too");
        assert!(panic_message(&*payload).contains("already sent its value"));
        // No lock was left held: the channel still works both ways.
        assert_eq!(rx.try_recv(), Ok(1));
        tx.try_send(2).unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn a_case_holding_an_unread_outcome_is_rejected() {
    within(|| {
        let (tx, rx) = chan::<i32>(2);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        let mut case = pin!(RecvCase::new(&rx));
        assert_eq!(try_select(&mut [case.as_mut()]), Some(0));
        // Reusing it before reading `1` would overwrite (lose) that value.
        let payload = catch_unwind(AssertUnwindSafe(|| try_select(&mut [case.as_mut()])))
            .expect_err("rejected");
        assert!(panic_message(&*payload).contains("take_output"));
        assert_eq!(case.as_mut().take_output(), Some(1));
        // Once read, a receive case may be used again.
        assert_eq!(try_select(&mut [case.as_mut()]), Some(0));
        assert_eq!(case.as_mut().take_output(), Some(2));
        assert_eq!(tx.len(), 0);
    });
}

#[test]
fn cancel_after_close_returns_the_value() {
    within(|| {
        let (tx, _rx) = chan::<String>(0);
        let mut send = pin!(tx.send(String::from("kept")));
        assert!(poll_once(send.as_mut()).is_pending(), "no receiver: parked");
        assert!(tx.close());
        assert_eq!(send.cancel().as_deref(), Some("kept"));
    });
}

#[test]
fn a_losing_send_case_gives_its_value_back() {
    within(|| {
        let (tx, _rx) = chan::<Box<i32>>(0); // nobody receives
        let (ready_tx, ready_rx) = chan::<()>(1);
        ready_tx.try_send(()).unwrap();
        let mut send = pin!(SendCase::new(&tx, Box::new(9)));
        let mut recv = pin!(RecvCase::new(&ready_rx));
        {
            let mut cases: [Pin<&mut dyn SelectCase>; 2] = [send.as_mut(), recv.as_mut()];
            let mut sel = pin!(select(&mut cases));
            assert_eq!(poll_once(sel.as_mut()), Poll::Ready(1));
        }
        assert_eq!(send.as_mut().take_unsent(), Some(Box::new(9)));
        assert_eq!(recv.as_mut().take_output(), Some(()));
    });
}

fn spin(n: usize) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// The selecting side of both races: Go's
/// `select { case <-c1: case <-c2: default: }`, 0 for `default`.
fn select_or_default(r1: &Receiver<i32>, r2: &Receiver<i32>) -> u8 {
    let mut a = pin!(RecvCase::new(r1));
    let mut b = pin!(RecvCase::new(r2));
    match try_select(&mut [a.as_mut(), b.as_mut()]) {
        Some(0) => 1,
        Some(_) => 2,
        None => 0,
    }
}

/// Runs one of the two races: `c1` holds a value; while the other side
/// selects over `c1`, `c2` and `default`, this side fills `c2` (buffered) or
/// closes it (unbuffered), then takes `c1`'s value. At every instant `c1` or
/// `c2` is ready, so `default` is wrong.
///
/// The selecting side is a plain thread that stays up for every iteration
/// (`try_select` does not wait, so it needs no runtime): a handshake lines
/// each select up with a varying delay on this side, which Go's version
/// leaves to its scheduler.
fn nonblock_race(c2_buffered: bool) {
    within(move || {
        let (work_tx, work_rx) = mpsc::channel::<(Receiver<i32>, Receiver<i32>)>();
        let (done_tx, done_rx) = mpsc::channel::<u8>();
        let started = Arc::new(AtomicBool::new(false));
        let started_side = started.clone();
        let side = std::thread::spawn(move || {
            for (r1, r2) in work_rx {
                started_side.store(true, Ordering::Release);
                done_tx.send(select_or_default(&r1, &r2)).unwrap();
            }
        });
        for i in 0..NONBLOCK_RACE_ITERATIONS {
            let (t1, r1) = chan::<i32>(1);
            let (t2, r2) = chan::<i32>(usize::from(c2_buffered));
            t1.try_send(1).unwrap();
            started.store(false, Ordering::Relaxed);
            work_tx.send((r1.clone(), r2.clone())).unwrap();
            while !started.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            spin(i % NONBLOCK_RACE_MAX_SPIN);
            if c2_buffered {
                t2.try_send(1).unwrap();
            } else {
                t2.close();
            }
            let _ = r1.try_recv(); // Go's `select { case <-c1: default: }`
            assert_ne!(done_rx.recv().unwrap(), 0, "default taken at iteration {i}");
        }
        drop(work_tx);
        side.join().unwrap();
    });
}

/// Go's `TestNonblockSelectRace`: `c2` buffered, filled by main.
#[test]
fn nonblock_select_race() {
    nonblock_race(true);
}

/// Go's `TestNonblockSelectRace2`: `c2` unbuffered, closed by main.
#[test]
fn nonblock_select_race2() {
    nonblock_race(false);
}

/// How often each case of a `try_select` over `n` cases wins, where only
/// the cases in `ready` hold a value (refilled after every round), over
/// `rounds` rounds.
fn win_counts(n: usize, ready: &[usize], rounds: usize) -> Vec<usize> {
    let chans: Vec<_> = (0..n).map(|_| chan::<usize>(1)).collect();
    for &i in ready {
        chans[i].0.try_send(i).unwrap();
    }
    let mut wins = vec![0; n];
    for _ in 0..rounds {
        let mut cases: Vec<Pin<Box<RecvCase<'_, usize>>>> = chans
            .iter()
            .map(|(_, rx)| Box::pin(RecvCase::new(rx)))
            .collect();
        let mut refs: Vec<Pin<&mut dyn SelectCase>> = cases
            .iter_mut()
            .map(|c| c.as_mut() as Pin<&mut dyn SelectCase>)
            .collect();
        let i = try_select(&mut refs).expect("a case is ready");
        drop(refs);
        assert_eq!(cases[i].as_mut().take_output(), Some(i));
        wins[i] += 1;
        chans[i].0.try_send(i).unwrap();
    }
    wins
}

/// Go's `select` picks uniformly among the ready cases (`selectgo`'s random
/// poll order); so does csp's, in both of its pass-1 paths (bit masks up to
/// 64 cases, an index list above). A blocked case never wins; each ready one
/// wins about its share (bounds at over 6 standard deviations).
#[test]
fn ready_cases_win_uniformly() {
    for (n, ready) in [
        (4, vec![0, 1, 3]),
        (5, vec![4, 2]),
        (70, vec![1, 40, 66, 69]),
    ] {
        let rounds = 3_000;
        let wins = win_counts(n, &ready, rounds);
        let share = rounds / ready.len();
        for (i, &w) in wins.iter().enumerate() {
            if ready.contains(&i) {
                assert!(
                    w.abs_diff(share) < share / 5,
                    "{n} cases, ready {ready:?}: case {i} won {w} of {rounds} rounds"
                );
            } else {
                assert_eq!(w, 0, "{n} cases: case {i} was never ready");
            }
        }
    }
}
