//! Ports of the channel programs in Go's own test suite, written anew for csp.
//! Each test names the Go file that inspired it (under `go/test/chan/`).
//!
//! Not ported yet: `powser1.go`/`powser2.go` (power series), `select2.go`
//! (memory growth), `sendstmt.go`, `zerosize.go`.
use std::pin::pin;
use std::time::Duration;

use csp_core::select::{select, try_select, RecvCase, SendCase};
use csp_core::{chan, go, Receiver, Runtime, Sender, TryRecvError, TrySendError};

const DEADLINE: Duration = Duration::from_secs(30);

fn run<F>(fut: F) -> F::Output
where
    F: std::future::Future + std::marker::Send + 'static,
    F::Output: std::marker::Send + 'static,
{
    let rt = Runtime::builder().gomaxprocs(2).build().unwrap();
    rt.run(async move {
        tokio::time::timeout(DEADLINE, fut)
            .await
            .expect("test hung")
    })
}

/// `sieve1.go`: the concurrent prime sieve, a daisy chain of filters.
#[test]
fn prime_sieve() {
    async fn generate(ch: Sender<u32>) {
        let mut i = 2;
        while ch.send(i).await.is_ok() {
            i += 1;
        }
    }
    async fn filter(input: Receiver<u32>, out: Sender<u32>, prime: u32) {
        while let Some(i) = input.recv().await {
            if i % prime != 0 && out.send(i).await.is_err() {
                return;
            }
        }
    }
    let primes = run(async {
        let (tx, mut rx) = chan::<u32>(0);
        go(generate(tx));
        let mut primes = Vec::new();
        for _ in 0..100 {
            let prime = rx.recv().await.unwrap();
            primes.push(prime);
            let (tx1, rx1) = chan::<u32>(0);
            go(filter(rx, tx1, prime));
            rx = rx1;
        }
        primes
    });
    assert_eq!(&primes[..10], &[2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    assert_eq!(primes[99], 541);
}

/// `goroutines.go`: a long chain of goroutines passing one value along.
#[test]
fn chain_of_ten_thousand_goroutines() {
    const LINKS: usize = 10_000;
    let out = run(async {
        let (first_tx, mut rx) = chan::<usize>(0);
        for _ in 0..LINKS {
            let (tx, next_rx) = chan::<usize>(0);
            let left = rx;
            go(async move {
                let v = left.recv().await.unwrap();
                tx.send(v + 1).await.unwrap();
            });
            rx = next_rx;
        }
        first_tx.send(0).await.unwrap();
        rx.recv().await.unwrap()
    });
    assert_eq!(out, LINKS);
}

/// `fifo.go`: values sent by one goroutine arrive in order, buffered
/// (`AsynchFifo`) and through a chain of unbuffered links (`SynchFifo`).
#[test]
fn fifo_order() {
    const N: usize = 10;
    run(async {
        let (tx, rx) = chan::<usize>(N);
        for i in 0..N {
            tx.send(i).await.unwrap();
        }
        for i in 0..N {
            assert_eq!(rx.recv().await, Some(i));
        }

        // SynchFifo: goroutine i waits for its turn token, sends i, passes the token.
        let (tx, rx) = chan::<usize>(0);
        let (start_tx, mut turn_rx) = chan::<()>(0);
        for i in 0..N {
            let (next_tx, next_rx) = chan::<()>(0);
            let (tx, my_turn) = (tx.clone(), turn_rx);
            go(async move {
                my_turn.recv().await.unwrap();
                tx.send(i).await.unwrap();
                next_tx.send(()).await.unwrap();
            });
            turn_rx = next_rx;
        }
        drop(tx);
        go(async move { start_tx.send(()).await.unwrap() });
        for i in 0..N {
            assert_eq!(rx.recv().await, Some(i));
        }
        turn_rx.recv().await.unwrap();
    });
}

/// `nonblock.go`: non-blocking sends and receives on unbuffered and buffered
/// channels, as Go's `select` with `default`.
#[test]
fn non_blocking_operations() {
    run(async {
        for cap in [0usize, 1, 16] {
            let (tx, rx) = chan::<i32>(cap);
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "cap {cap}");
            let mut r = pin!(RecvCase::new(&rx));
            assert_eq!(try_select(&mut [r.as_mut()]), None);

            // A receiver goroutine parks; the non-blocking send must eventually succeed.
            let (done_tx, done_rx) = chan::<i32>(0);
            let rx2 = rx.clone();
            go(async move {
                let v = rx2.recv().await.unwrap();
                done_tx.send(v).await.unwrap();
            });
            let mut tries = 0;
            loop {
                match tx.try_send(7) {
                    Ok(()) => break,
                    Err(TrySendError::Full(_)) => {
                        tries += 1;
                        assert!(tries < 100_000, "receiver never became ready");
                        csp_core::gosched().await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(done_rx.recv().await, Some(7));

            // A sender goroutine parks (or buffers); the non-blocking receive must succeed.
            let tx2 = tx.clone();
            go(async move { tx2.send(8).await.unwrap() });
            loop {
                let mut r = pin!(RecvCase::new(&rx));
                if try_select(&mut [r.as_mut()]) == Some(0) {
                    assert_eq!(r.take_output(), Some(8));
                    break;
                }
                csp_core::gosched().await;
            }
            // Fill the buffer: non-blocking sends then fail with Full.
            for i in 0..cap {
                tx.try_send(i as i32).unwrap();
            }
            let mut s = pin!(SendCase::new(&tx, 99));
            assert_eq!(try_select(&mut [s.as_mut()]), None);
            assert_eq!(s.take_unsent(), Some(99));
        }
    });
}

/// `doubleselect.go`: senders select-send the same sequence onto several
/// channels; every value arrives exactly once across all receivers.
#[test]
fn double_select() {
    const ITERATIONS: u32 = 10_000;
    const SENDERS: u32 = 4;
    let counts = run(async {
        let (tx1, rx1) = chan::<u32>(0);
        let (tx2, rx2) = chan::<u32>(0);
        let (tx3, rx3) = chan::<u32>(0);
        let (tx4, rx4) = chan::<u32>(0);
        for _ in 0..SENDERS {
            let txs = [tx1.clone(), tx2.clone(), tx3.clone(), tx4.clone()];
            go(async move {
                for i in 0..ITERATIONS {
                    let [a, b, c, d] = &txs;
                    let mut c0 = pin!(SendCase::new(a, i));
                    let mut c1 = pin!(SendCase::new(b, i));
                    let mut c2 = pin!(SendCase::new(c, i));
                    let mut c3 = pin!(SendCase::new(d, i));
                    select(&mut [c0.as_mut(), c1.as_mut(), c2.as_mut(), c3.as_mut()]).await;
                }
            });
        }
        drop((tx1, tx2, tx3, tx4));
        let (count_tx, count_rx) = chan::<Vec<u32>>(0);
        for rx in [rx1, rx2, rx3, rx4] {
            let count_tx = count_tx.clone();
            go(async move {
                let mut seen = vec![0u32; ITERATIONS as usize];
                while let Some(v) = rx.recv().await {
                    seen[v as usize] += 1;
                }
                count_tx.send(seen).await.unwrap();
            });
        }
        drop(count_tx);
        let mut total = vec![0u32; ITERATIONS as usize];
        while let Some(seen) = count_rx.recv().await {
            for (t, s) in total.iter_mut().zip(seen) {
                *t += s;
            }
        }
        total
    });
    assert!(
        counts.iter().all(|&c| c == SENDERS),
        "a value was lost or duplicated"
    );
}
