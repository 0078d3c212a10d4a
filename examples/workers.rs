//! The worker-pool problem both ways, as Go's "Share Memory By Communicating"
//! compares them: a shared pool of tasks under a lock, then tasks over channels.
//!
//! ```go
//! for { pool.mu.Lock(); t := pool.tasks[0]; pool.tasks = pool.tasks[1:]; pool.mu.Unlock(); work(t) } // shared memory
//! for t := range pending { done <- work(t) }                                                       // communicating
//! ```
//!
//! Both give the same results; the channel version needs no lock, and the
//! channels' close tells each side when to stop. Run: `cargo run --example workers`.

use std::sync::Arc;

use csp::prelude::*;

/// Tasks in the pool: the numbers `1..=TASKS`.
pub const TASKS: u64 = 1_000;
/// Workers sharing them.
pub const WORKERS: usize = 4;

/// A finished task: the number and its Collatz stopping time.
pub type Done = (u64, u32);

/// The work: how many Collatz steps take `n` to 1.
pub fn work(n: u64) -> Done {
    let (mut x, mut steps) = (n, 0);
    while x != 1 {
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        steps += 1;
    }
    (n, steps)
}

/// Way 1, shared memory: workers take tasks from a `Mutex`-guarded pool and
/// put results in another, until the pool is empty. Results sorted by task.
pub async fn with_mutex(tasks: u64, workers: usize) -> Vec<Done> {
    let pool = Arc::new(Mutex::new((1..=tasks).collect::<Vec<u64>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for _ in 0..workers {
        let (pool, results) = (pool.clone(), results.clone());
        wg.add(1);
        let wg = wg.clone();
        go(async move {
            loop {
                let task = pool.lock().await.pop(); // lock, take one, unlock
                let Some(task) = task else { break };
                let done = work(task);
                results.lock().await.push(done);
                gosched().await; // let the other workers at the lock
            }
            wg.done(); // defer wg.Done()
        });
    }
    wg.wait().await;
    let mut results = std::mem::take(&mut *results.lock().await);
    results.sort_unstable();
    results
}

/// Way 2, communicating: tasks arrive on `pending`, results leave on `done`.
/// Nobody shares the task list; closing `pending` stops the workers, and a
/// closer goroutine closes `done` once the WaitGroup says they have returned.
pub async fn with_channels(tasks: u64, workers: usize) -> Vec<Done> {
    let (pending_tx, pending) = chan::<u64>(0);
    let (done_tx, done) = chan::<Done>(0);
    go(async move {
        for task in 1..=tasks {
            pending_tx
                .send(task)
                .await
                .expect("workers take every task");
        }
        // pending_tx drops here: close(pending)
    });
    let wg = WaitGroup::new();
    for _ in 0..workers {
        let (pending, done_tx) = (pending.clone(), done_tx.clone());
        wg.add(1);
        let wg = wg.clone();
        go(async move {
            while let Some(task) = pending.recv().await {
                done_tx.send(work(task)).await.expect("main collects");
            }
            wg.done();
        });
    }
    go(async move {
        // go func() { wg.Wait(); close(done) }()
        wg.wait().await;
        done_tx.close();
    });
    let mut results = Vec::new();
    while let Some(r) = done.recv().await {
        results.push(r);
    }
    results.sort_unstable();
    results
}

/// The program; `pub` so `tests/examples.rs` can include this file.
#[csp::main]
pub async fn main() {
    let a = with_mutex(TASKS, WORKERS).await;
    let b = with_channels(TASKS, WORKERS).await;
    let longest = a.iter().max_by_key(|&&(_, steps)| steps).expect("tasks");
    println!("{} tasks, {WORKERS} workers", a.len());
    println!("shared pool under a Mutex: {} results", a.len());
    println!("tasks over channels:       {} results", b.len());
    println!("same results both ways:    {}", a == b);
    println!("longest: {} takes {} steps", longest.0, longest.1);
}
