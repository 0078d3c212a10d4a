//! One test per channel rule (issue: Go-semantic channels).

mod common;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_core::{chan, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use futures::StreamExt;
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

const LIMIT: Duration = Duration::from_secs(10);

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f).await.expect("test hung")
}

#[test]
fn unbuffered_send_waits_for_a_receiver() {
    let (tx, rx) = chan::<i32>(0);
    let mut send = spawn(tx.send(1));
    assert_pending!(send.poll());
    assert_pending!(send.poll());
    assert!(!send.is_woken());
    let mut recv = spawn(rx.recv());
    assert_ready_eq!(recv.poll(), Some(1));
    assert!(send.is_woken(), "the receiver wakes the parked sender");
    assert_ready!(send.poll()).unwrap();
}

#[test]
fn unbuffered_recv_waits_for_a_sender() {
    let (tx, rx) = chan::<i32>(0);
    let mut recv = spawn(rx.recv());
    assert_pending!(recv.poll());
    // The sender completes at once: the parked receiver has the value.
    assert_ready!(spawn(tx.send(2)).poll()).unwrap();
    assert!(recv.is_woken());
    assert_ready_eq!(recv.poll(), Some(2));
}

#[test]
fn buffered_is_fifo_with_exact_capacity() {
    let (tx, rx) = chan::<i32>(3);
    for i in 0..3 {
        assert_ready!(spawn(tx.send(i)).poll()).unwrap();
    }
    assert!(tx.is_full());
    assert_eq!((tx.len(), tx.capacity()), (3, 3));
    let mut blocked = spawn(tx.send(3));
    assert_pending!(blocked.poll());
    assert_eq!(tx.try_send(4), Err(TrySendError::Full(4)));
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(blocked.is_woken(), "room wakes the parked sender");
    // Its value moved into the buffer when room appeared.
    assert_ready!(blocked.poll()).unwrap();
    assert_eq!(
        (0..3).map(|_| rx.try_recv().unwrap()).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
}

#[test]
fn parked_senders_are_served_fifo() {
    for cap in [0, 1] {
        let (tx, rx) = chan::<i32>(cap);
        if cap == 1 {
            tx.try_send(-1).unwrap();
        }
        let mut senders: Vec<_> = (0..5).map(|i| spawn(tx.send(i))).collect();
        for s in &mut senders {
            assert_pending!(s.poll());
        }
        if cap == 1 {
            assert_eq!(rx.try_recv(), Ok(-1));
        }
        let got: Vec<_> = (0..5).map(|_| rx.try_recv().unwrap()).collect();
        assert_eq!(got, vec![0, 1, 2, 3, 4], "cap {cap}");
        for s in &mut senders {
            assert_ready!(s.poll()).unwrap();
        }
    }
}

#[test]
fn parked_receivers_are_served_fifo() {
    let (tx, rx) = chan::<i32>(0);
    let mut receivers: Vec<_> = (0..4).map(|_| spawn(rx.recv())).collect();
    for r in &mut receivers {
        assert_pending!(r.poll());
    }
    for i in 0..4 {
        tx.try_send(i).unwrap();
    }
    for (i, r) in receivers.iter_mut().enumerate() {
        assert_ready_eq!(r.poll(), Some(i as i32));
    }
}

#[test]
fn close_wakes_parked_receivers_and_senders() {
    let (tx, rx) = chan::<i32>(0);
    let mut r1 = spawn(rx.recv());
    let mut r2 = spawn(rx.recv());
    assert_pending!(r1.poll());
    assert_pending!(r2.poll());
    assert!(tx.close());
    assert!(!tx.close(), "closing twice reports false, no panic");
    assert!(r1.is_woken() && r2.is_woken());
    assert_ready_eq!(r1.poll(), None);
    assert_ready_eq!(r2.poll(), None);

    let (tx, rx) = chan::<String>(0);
    let mut s = spawn(tx.send("kept".to_string()));
    assert_pending!(s.poll());
    assert!(rx.close());
    assert!(s.is_woken());
    assert_eq!(assert_ready!(s.poll()).unwrap_err().0, "kept");
}

#[test]
fn close_drains_buffer_before_reporting_closed() {
    let (tx, rx) = chan::<i32>(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    tx.close();
    assert!(rx.is_closed());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
}

#[test]
fn send_on_closed_returns_the_value() {
    let (tx, rx) = chan::<Vec<u8>>(1);
    rx.close();
    let err = assert_ready!(spawn(tx.send(vec![1, 2])).poll()).unwrap_err();
    assert_eq!(err.into_inner(), vec![1, 2]);
    assert_eq!(err_string(), "send on closed channel");
}

fn err_string() -> String {
    csp_core::SendError(()).to_string()
}

#[test]
fn dropping_every_sender_closes() {
    let (tx, rx) = chan::<i32>(1);
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "one sender is still alive");
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn dropping_every_receiver_fails_sends_with_the_value() {
    let (tx, rx) = chan::<i32>(0);
    let mut parked = spawn(tx.send(1));
    assert_pending!(parked.poll());
    drop(rx);
    assert!(parked.is_woken());
    assert_eq!(assert_ready!(parked.poll()).unwrap_err().0, 1);
    assert_eq!(tx.try_send(2), Err(TrySendError::Closed(2)));
}

/// Counts drops, to prove values are neither lost nor duplicated.
#[derive(Debug)]
struct Tracked(Arc<AtomicUsize>);
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropped_send_future_drops_its_value_unseen() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = chan::<Tracked>(0);
    let mut s = spawn(tx.send(Tracked(drops.clone())));
    assert_pending!(s.poll());
    drop(s);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped with the future");
    assert!(
        matches!(rx.try_recv(), Err(TryRecvError::Empty)),
        "no receiver sees it"
    );
}

#[test]
fn send_cancel_gives_the_value_back() {
    let (tx, _rx) = chan::<i32>(0);
    let mut s = spawn(tx.send(5));
    assert_pending!(s.poll());
    assert_eq!(s.enter(|_, fut| fut.cancel()), Some(5));
}

#[test]
fn dropped_recv_future_gives_a_handed_value_back() {
    let (tx, rx) = chan::<i32>(0);
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll());
    tx.try_send(1).unwrap(); // handed to the parked receive
    tx.try_send(2).unwrap_err(); // nobody waiting now
    drop(r); // never returned its value
             // The value went back to the head of the channel, ahead of later ones.
    let mut s = spawn(tx.send(3));
    assert_pending!(s.poll());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn debug_shows_len_capacity_closed() {
    let (tx, rx) = chan::<i32>(2);
    tx.try_send(1).unwrap();
    assert_eq!(
        format!("{tx:?}"),
        "Sender { len: 1, capacity: 2, closed: false }"
    );
    rx.close();
    assert_eq!(
        format!("{rx:?}"),
        "Receiver { len: 1, capacity: 2, closed: true }"
    );
}

#[test]
fn handles_are_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<csp_core::Sender<String>>();
    check::<csp_core::Receiver<String>>();
}

#[tokio::test]
async fn receiver_is_a_stream_ending_at_close() {
    within(async {
        let (tx, rx) = chan::<i32>(0);
        tokio::spawn(async move {
            for i in 0..5 {
                tx.send(i).await.unwrap();
            }
        });
        let got: Vec<i32> = rx.collect().await;
        assert_eq!(got, vec![0, 1, 2, 3, 4]);
    })
    .await;
}

#[tokio::test]
async fn timeouts_return_the_value() {
    within(async {
        let (tx, rx) = chan::<i32>(0);
        let err = tx
            .send_timeout(9, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert_eq!(err, SendTimeoutError::Timeout(9));
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(20)).await,
            Err(RecvTimeoutError::Timeout)
        );
        let t = tokio::spawn(async move { tx.send_timeout(4, LIMIT).await });
        assert_eq!(rx.recv_timeout(LIMIT).await, Ok(4));
        t.await.unwrap().unwrap();
        // The sender was dropped with its task: closed.
        assert_eq!(rx.recv_timeout(LIMIT).await, Err(RecvTimeoutError::Closed));
    })
    .await;
}

#[test]
fn blocking_variants_talk_across_threads() {
    common::within(|| {
        let (tx, rx) = chan::<i32>(0);
        let (back_tx, back_rx) = chan::<i32>(0);
        let t = std::thread::spawn(move || {
            while let Some(v) = rx.recv_blocking() {
                back_tx.send_blocking(v * 10).unwrap();
            }
        });
        for i in 0..100 {
            tx.send_blocking(i).unwrap();
            assert_eq!(back_rx.recv_blocking(), Some(i * 10));
        }
        drop(tx);
        t.join().unwrap();
        assert_eq!(back_rx.recv_blocking(), None);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_variants_work_inside_spawn_blocking() {
    within(async {
        let (tx, rx) = chan::<i32>(0);
        let t = tokio::task::spawn_blocking(move || rx.recv_blocking());
        tx.send(3).await.unwrap();
        assert_eq!(t.await.unwrap(), Some(3));
    })
    .await;
}

#[test]
fn always_ready_loop_spends_coop_budget() {
    // A send/receive loop over an always-ready channel still yields, so another
    // task on the same (single) worker gets to run: Go preempts such a loop.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let rounds = rt.block_on(within(async {
        let (tx, rx) = chan::<u8>(1);
        let flag = Arc::new(AtomicUsize::new(0));
        let f = flag.clone();
        let _other = tokio::spawn(async move { f.store(1, Ordering::SeqCst) });
        for round in 0..100_000 {
            tx.send(0).await.unwrap();
            rx.recv().await.unwrap();
            if flag.load(Ordering::SeqCst) == 1 {
                return Some(round);
            }
        }
        None
    }));
    let rounds = rounds.expect("the other task never ran: no cooperative yield");
    // Tokio grants 128 units per poll; channel operations spend one unit per
    // 2 (see `chan::budget`): the loop yields within 256 operations, which
    // is 128 send + receive rounds (plus what other tests left in this
    // thread's counter).
    assert!(rounds <= 128 + 2, "yielded only after {rounds} rounds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_sink_forwards_a_stream_and_reports_close() {
    use futures::{stream, SinkExt};
    within(async {
        let (tx, rx) = chan::<i32>(0);
        let producer =
            tokio::spawn(async move { stream::iter(0..100).map(Ok).forward(tx.into_sink()).await });
        let got: Vec<i32> = rx.collect().await; // ends: the sink's sender dropped
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        producer.await.unwrap().unwrap();

        let (tx, rx) = chan::<i32>(1);
        let mut sink = tx.into_sink();
        sink.send(1).await.unwrap();
        rx.close();
        assert_eq!(sink.send(2).await.unwrap_err().0, 2, "the value comes back");
    })
    .await;
}
