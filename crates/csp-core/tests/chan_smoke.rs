//! Quick end-to-end checks of channel semantics on a Tokio runtime.
use csp_core::chan;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mpmc_exactly_once() {
    tokio::time::timeout(Duration::from_secs(20), async {
        for cap in [0usize, 1, 64] {
            let (tx, rx) = chan::<(usize, usize)>(cap);
            let mut hs = vec![];
            for p in 0..4 {
                let tx = tx.clone();
                hs.push(tokio::spawn(async move {
                    for i in 0..20_000 {
                        tx.send((p, i)).await.unwrap();
                    }
                }));
            }
            drop(tx);
            let mut cs = vec![];
            for _ in 0..4 {
                let rx = rx.clone();
                cs.push(tokio::spawn(async move {
                    let mut last = [None::<usize>; 4];
                    let mut n = 0;
                    while let Some((p, i)) = rx.recv().await {
                        assert!(last[p].map_or(true, |l| l < i));
                        last[p] = Some(i);
                        n += 1;
                    }
                    n
                }));
            }
            let mut total = 0;
            for c in cs {
                total += c.await.unwrap();
            }
            assert_eq!(total, 80_000, "cap {cap}");
        }
    })
    .await
    .unwrap();
}
