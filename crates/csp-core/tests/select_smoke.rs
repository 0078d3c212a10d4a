//! Quick checks of the select engine.
use csp_core::chan;
use csp_core::select::{select, try_select, RecvCase, SendCase, DEFAULT};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_send_recv_pairs_do_not_deadlock() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (tx1, rx1) = chan::<u32>(0);
        let (tx2, rx2) = chan::<u32>(0);
        let a = tokio::spawn(async move {
            let mut got = 0;
            for i in 0..10_000 {
                let mut s = SendCase::new(&tx1, i);
                let mut r = RecvCase::new(&rx2);
                match select(&mut [&mut s, &mut r]).await {
                    0 => s.into_output().unwrap(),
                    _ => {
                        r.into_output().unwrap();
                        got += 1;
                    }
                }
            }
            got
        });
        let b = tokio::spawn(async move {
            let mut got = 0;
            for i in 0..10_000 {
                let mut s = SendCase::new(&tx2, i);
                let mut r = RecvCase::new(&rx1);
                match select(&mut [&mut s, &mut r]).await {
                    0 => s.into_output().unwrap(),
                    _ => {
                        r.into_output().unwrap();
                        got += 1;
                    }
                }
            }
            got
        });
        let (ga, gb) = (a.await.unwrap(), b.await.unwrap());
        // Every commit is a pair: a's sends are b's receives and vice versa.
        assert_eq!(ga + gb, 10_000);
    })
    .await
    .unwrap();
}

#[test]
fn default_when_nothing_ready() {
    let (tx, rx) = chan::<u32>(1);
    let mut r = RecvCase::new(&rx);
    assert_eq!(try_select(&mut [&mut r]), DEFAULT);
    tx.try_send(3).unwrap();
    let mut r = RecvCase::new(&rx);
    assert_eq!(try_select(&mut [&mut r]), 0);
    assert_eq!(r.into_output(), Some(3));
}
