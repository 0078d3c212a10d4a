//! RwMutex rules (Go's `sync/rwmutex_test.go`: TestParallelReaders,
//! TestRWMutex, writer preference).
//!
//! Not ported: TestRLocker (no `Locker` interface in csp).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use csp_sync::RwMutex;

const DEADLINE: Duration = Duration::from_secs(20);
const READERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_readers_at_once() {
    tokio::time::timeout(DEADLINE, async {
        let rw = Arc::new(RwMutex::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let all_in = Arc::new(csp_sync::WaitGroup::new());
        all_in.add(READERS as isize);
        let mut handles = Vec::new();
        for _ in 0..READERS {
            let (rw, inside, all_in) = (rw.clone(), inside.clone(), all_in.clone());
            handles.push(tokio::spawn(async move {
                let _r = rw.read().await;
                inside.fetch_add(1, Ordering::SeqCst);
                all_in.done();
                all_in.wait().await; // every reader holds the lock at once
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(inside.load(Ordering::SeqCst), READERS);
    })
    .await
    .expect("hang: readers excluded each other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_excludes_readers_and_writers() {
    tokio::time::timeout(DEADLINE, async {
        let rw = Arc::new(RwMutex::new(0u64));
        let mut handles = Vec::new();
        for i in 0..20 {
            let rw = rw.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..200 {
                    if i % 4 == 0 {
                        let mut w = rw.write().await;
                        let v = *w;
                        tokio::task::yield_now().await;
                        *w = v + 1;
                    } else {
                        let r = rw.read().await;
                        let v = *r;
                        tokio::task::yield_now().await;
                        assert_eq!(*r, v, "a writer ran while a reader held the lock");
                    }
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*rw.read().await, 5 * 200);
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_writer_blocks_new_readers() {
    tokio::time::timeout(DEADLINE, async {
        let rw = Arc::new(RwMutex::new(0));
        let first = rw.read().await;
        let w = rw.clone();
        let writer = tokio::spawn(async move {
            *w.write().await = 1;
        });
        tokio::time::sleep(Duration::from_millis(20)).await; // the writer is queued
        assert!(
            rw.try_read().is_none(),
            "a queued writer must block new readers"
        );
        let r = rw.clone();
        let late_reader = tokio::spawn(async move { *r.read().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !late_reader.is_finished(),
            "late reader overtook the writer"
        );
        drop(first);
        writer.await.unwrap();
        assert_eq!(
            late_reader.await.unwrap(),
            1,
            "the late reader ran after the writer"
        );
    })
    .await
    .expect("hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_queued_writer_unblocks_readers() {
    tokio::time::timeout(DEADLINE, async {
        let rw = RwMutex::new(0);
        let first = rw.read().await;
        let mut writer = tokio_test::task::spawn(rw.write());
        assert!(writer.poll().is_pending());
        let mut reader = tokio_test::task::spawn(rw.read());
        assert!(reader.poll().is_pending(), "queued behind the writer");
        drop(writer); // the writer gives up: the reader may join `first`
        assert!(reader.is_woken());
        assert!(reader.poll().is_ready());
        drop(first);
    })
    .await
    .expect("hang");
}

/// Go's TestRWMutex shape under both lock modes: writers that yield inside
/// the lock (so waiters lose for more than 1 ms and the lock switches to
/// hand-off) and readers that check no writer is half-way. Everyone
/// finishes, and no reader ever sees a write in progress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_yielding_writers_all_finish() {
    const WRITERS: usize = 4;
    const ROUNDS: usize = 200;
    tokio::time::timeout(DEADLINE, async {
        let rw = Arc::new(RwMutex::new(0usize));
        let mut handles = Vec::new();
        for _ in 0..WRITERS {
            let rw = rw.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    let mut w = rw.write().await;
                    *w += 1; // odd: a write in progress
                    tokio::task::yield_now().await;
                    *w += 1;
                }
            }));
        }
        for _ in 0..READERS {
            let rw = rw.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    let r = rw.read().await;
                    assert_eq!(*r % 2, 0, "a reader saw a write in progress");
                    drop(r);
                    tokio::task::yield_now().await;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*rw.read().await, 2 * WRITERS * ROUNDS);
    })
    .await
    .expect("hang");
}
