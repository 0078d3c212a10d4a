//! Goroutines: the registry (ids, counts, states), `gosched`, `blocking`,
//! panics under each policy, and `go` on foreign Tokio runtimes.

mod common;

use std::future::Future;
use std::panic::{catch_unwind, Location};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{is_child, run_child, within};
use csp_core::goroutine::record_park;
use csp_core::runtime::PanicPolicy;
use csp_core::{
    blocking, go, goroutines, gosched, num_goroutine, GoroutineState, Runtime, WaitReason,
};

/// How many goroutines the counting test starts.
const MANY: usize = 10_000;
/// Iterations of each goroutine in the interleaving tests.
const ROUNDS: usize = 5;

fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .gomaxprocs(workers)
        .on_goroutine_panic(PanicPolicy::Propagate)
        .build()
        .expect("runtime")
}

#[test]
fn num_goroutine_rises_and_falls_with_many_goroutines() {
    within(|| {
        runtime(2).run(async {
            assert_eq!(num_goroutine(), 1, "only main at start");
            let gate = Arc::new(tokio::sync::Semaphore::new(0));
            let handles: Vec<_> = (0..MANY)
                .map(|_| {
                    let gate = gate.clone();
                    go(async move {
                        let _permit = gate.acquire().await.expect("gate open");
                    })
                })
                .collect();
            assert_eq!(num_goroutine(), MANY + 1, "all parked goroutines are live");
            let all = goroutines();
            assert_eq!(all.len(), MANY + 1);
            assert_eq!((all[0].id, all[0].is_main), (1, true));
            let ids: Vec<u64> = all.iter().map(|g| g.id).collect();
            assert_eq!(
                ids,
                (1..=MANY as u64 + 1).collect::<Vec<_>>(),
                "ids 1, 2, 3, ..."
            );
            assert!(all[1..].iter().all(|g| g.spawned_at.file() == file!()));

            gate.add_permits(MANY);
            for h in handles {
                h.await.expect("goroutine finished");
            }
            assert_eq!(num_goroutine(), 1, "finished goroutines are unregistered");
        });
    });
}

/// Exited goroutines' entries wait in the registry's table for their
/// spawning thread to reuse (or are reclaimed in batches): spawners on
/// both workers start waves of goroutines that exit at once or after a
/// brief park while a watcher keeps snapshotting. Every snapshot lists
/// distinct live goroutines and never more than are alive; once the waves
/// are done only main is left, and a last wave reusing the slots counts
/// right.
#[test]
fn snapshots_stay_exact_while_goroutines_exit_and_their_slots_are_reused() {
    const SPAWNERS: usize = 4;
    const WAVES: usize = 3;
    const PER_WAVE: usize = 1_500;
    within(|| {
        runtime(2).run(async {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let watcher = {
                let stop = stop.clone();
                go(async move {
                    let mut snapshots = 0usize;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let all = goroutines();
                        let mut ids: Vec<u64> = all.iter().map(|g| g.id).collect();
                        ids.dedup();
                        assert_eq!(ids.len(), all.len(), "a goroutine listed twice");
                        assert!(all.iter().filter(|g| g.is_main).count() == 1);
                        assert!(all.len() <= 2 + SPAWNERS * (PER_WAVE + 1));
                        assert!(num_goroutine() >= 2, "main and the watcher");
                        snapshots += 1;
                        gosched().await;
                    }
                    snapshots
                })
            };
            let spawners: Vec<_> = (0..SPAWNERS)
                .map(|s| {
                    go(async move {
                        for wave in 0..WAVES {
                            let (tx, rx) = csp_core::chan::<usize>(0);
                            for i in 0..PER_WAVE {
                                let tx = tx.clone();
                                go(async move {
                                    if i % 3 == 0 {
                                        gosched().await;
                                    }
                                    if i % 2 == 0 {
                                        tx.send(i).await.expect("the spawner receives");
                                    }
                                });
                            }
                            drop(tx);
                            let mut got = 0;
                            while rx.recv().await.is_some() {
                                got += 1;
                            }
                            assert_eq!(got, PER_WAVE.div_ceil(2), "spawner {s}, wave {wave}");
                        }
                    })
                })
                .collect();
            for h in spawners {
                h.await.expect("spawner finished");
            }
            // The goroutines that sent nothing may still be finishing.
            while num_goroutine() > 2 {
                gosched().await;
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            assert!(watcher.await.expect("watcher finished") > 0);
            while num_goroutine() > 1 {
                gosched().await;
            }
            assert_eq!(goroutines().len(), 1, "only main is listed");
            let gate = Arc::new(tokio::sync::Semaphore::new(0));
            let parked: Vec<_> = (0..PER_WAVE)
                .map(|_| {
                    let gate = gate.clone();
                    go(async move { drop(gate.acquire().await.expect("gate open")) })
                })
                .collect();
            assert_eq!(num_goroutine(), PER_WAVE + 1);
            assert_eq!(goroutines().len(), PER_WAVE + 1);
            gate.add_permits(PER_WAVE);
            for h in parked {
                h.await.expect("parked goroutine finished");
            }
            assert_eq!(num_goroutine(), 1);
        });
    });
}

/// A future that parks in "a csp primitive" once (recording `ChanReceive`),
/// until `wake` is set.
struct FakeRecv {
    at: &'static Location<'static>,
    slot: Arc<Mutex<(bool, Option<Waker>)>>,
}

impl Future for FakeRecv {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.slot.lock().unwrap();
        if slot.0 {
            return Poll::Ready(());
        }
        slot.1 = Some(cx.waker().clone());
        record_park(WaitReason::ChanReceive, self.at);
        Poll::Pending
    }
}

#[test]
fn registry_shows_wait_reason_and_blocking_call_of_parked_goroutines() {
    within(|| {
        runtime(1).run(async {
            let slot = Arc::new(Mutex::new((false, None::<Waker>)));
            let at = Location::caller();
            let parked = go(FakeRecv {
                at,
                slot: slot.clone(),
            });
            let sleeper = go(tokio::time::sleep(Duration::from_secs(60)));
            while goroutines().iter().all(|g| g.wait_reason().is_none()) {
                gosched().await;
            }
            let all = goroutines();
            let p = all
                .iter()
                .find(|g| g.id == parked.id())
                .expect("parked is live");
            assert_eq!(p.wait_reason(), Some(WaitReason::ChanReceive));
            assert_eq!(p.blocked_at().map(|l| l.line()), Some(at.line()));
            assert!(p.waiting_since().is_some());
            let s = all
                .iter()
                .find(|g| g.id == sleeper.id())
                .expect("sleeper is live");
            assert_eq!(
                s.state,
                GoroutineState::Running,
                "a timer is not a csp park"
            );

            let waker = {
                let mut slot = slot.lock().unwrap();
                slot.0 = true;
                slot.1.take().expect("parked goroutine left a waker")
            };
            waker.wake();
            parked.await.expect("parked goroutine finished");
            sleeper.abort();
            assert!(sleeper.await.unwrap_err().is_cancelled());
            assert_eq!(num_goroutine(), 1, "aborted goroutine is unregistered");
        });
    });
}

/// CPU-bound goroutines on one worker, one per label, each logging its label
/// `ROUNDS` times; returns the log.
fn cpu_bound(labels: &'static [char], yield_between: bool) -> String {
    runtime(1).run(async move {
        let log = Arc::new(Mutex::new(String::new()));
        let worker = |label: char| {
            let log = log.clone();
            go(async move {
                for _ in 0..ROUNDS {
                    let spin = std::time::Instant::now();
                    while spin.elapsed() < Duration::from_millis(2) {
                        std::hint::spin_loop(); // CPU-bound: never awaits
                    }
                    log.lock().unwrap().push(label);
                    if yield_between {
                        gosched().await;
                    }
                }
            })
        };
        let handles: Vec<_> = labels.iter().map(|&label| worker(label)).collect();
        for h in handles {
            h.await.unwrap();
        }
        let out = log.lock().unwrap().clone();
        out
    })
}

/// Go's tour: `say("world")` and `say("hello")` interleave on GOMAXPROCS=1
/// only because each calls `runtime.Gosched()`.
#[test]
fn gosched_interleaves_cpu_bound_goroutines_on_one_worker() {
    within(|| {
        let with = cpu_bound(&['a', 'b'], true);
        assert_eq!(with.len(), 2 * ROUNDS);
        assert!(
            with.as_bytes().windows(2).all(|w| w[0] != w[1]),
            "with gosched the pair alternates: {with}"
        );
        let without = cpu_bound(&['a', 'b'], false);
        assert!(
            without == "aaaaabbbbb" || without == "bbbbbaaaaa",
            "without gosched one runs to completion first: {without}"
        );
    });
}

/// A goroutine that yields goes behind every goroutine runnable on its
/// worker, not just the one woken last: three take turns in a fixed order.
#[test]
fn gosched_round_robins_every_runnable_goroutine() {
    within(|| {
        let log = cpu_bound(&['a', 'b', 'c'], true);
        assert_eq!(log.len(), 3 * ROUNDS);
        let first: String = log.chars().take(3).collect();
        let mut sorted: Vec<char> = first.chars().collect();
        sorted.sort_unstable();
        assert_eq!(sorted, ['a', 'b', 'c'], "each runs once per turn: {log}");
        assert_eq!(
            log,
            first.repeat(ROUNDS),
            "the same order every turn: {log}"
        );
    });
}

/// A goroutine spinning on `gosched` does not starve the timer driver: on one
/// worker, a sleeping goroutine still wakes and ends the spin.
#[test]
fn gosched_loop_lets_timers_fire_on_one_worker() {
    within(|| {
        runtime(1).run(async {
            let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = done.clone();
            go(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            // Fails by `within`'s deadline if the driver never runs.
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                gosched().await;
            }
        });
    });
}

#[test]
fn blocking_does_not_stall_goroutines_on_one_worker() {
    within(|| {
        runtime(1).run(async {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            // The closure waits for a goroutine that needs the only worker:
            // if `blocking` ran on the worker this would never complete.
            let waiting = blocking(move || rx.recv_timeout(Duration::from_secs(5)).is_ok());
            go(async move { tx.send(()).expect("receiver alive") });
            assert!(
                waiting.await,
                "goroutine ran while the blocking call waited"
            );
        });
    });
}

#[test]
fn blocking_panic_resumes_in_the_caller() {
    within(|| {
        let rt = runtime(1);
        let err = catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.run(async { blocking(|| panic!("blocking boom")).await })
        }))
        .unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"blocking boom"));
    });
}

#[test]
fn go_outside_a_runtime_panics_naming_csp_run() {
    let err = catch_unwind(|| {
        go(async {}); // fire-and-forget: no must_use warning
    })
    .unwrap_err();
    let msg = err.downcast_ref::<String>().expect("formatted message");
    assert!(msg.contains("outside a runtime"), "{msg}");
    assert!(
        msg.contains("csp::run") && msg.contains("#[csp::main]"),
        "{msg}"
    );
    assert!(msg.contains(file!()), "names the call site: {msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_works_on_a_plain_tokio_runtime() {
    tokio::time::timeout(Duration::from_secs(5), async {
        let gate = Arc::new(tokio::sync::Notify::new());
        let waiter = {
            let gate = gate.clone();
            go(async move { gate.notified().await })
        };
        assert!(
            goroutines().iter().any(|g| g.id == waiter.id()),
            "registered"
        );
        assert!(num_goroutine() >= 1);
        assert_eq!(go(async { 6 * 7 }).await.unwrap(), 42);
        gate.notify_one();
        let waiter_id = waiter.id();
        waiter.await.unwrap();
        assert!(
            goroutines().iter().all(|g| g.id != waiter_id),
            "an exited goroutine is no longer listed"
        );
        // Waves past the registry's reclaim batch: exited goroutines stay
        // unlisted whether their entries wait for reuse or were reclaimed.
        let mut exited = std::collections::HashSet::new();
        for _ in 0..2 {
            let wave: Vec<_> = (0..1_500).map(|i| go(async move { i })).collect();
            for h in wave {
                exited.insert(h.id());
                h.await.unwrap();
            }
        }
        assert!(goroutines().iter().all(|g| !exited.contains(&g.id)));
        // Tokio's panic behaviour on a runtime csp did not build.
        let err = go(async { panic!("foreign boom") }).await.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("panicked"));
    })
    .await
    .expect("test timed out");
}

#[test]
fn propagate_policy_surfaces_a_goroutine_panic_through_the_handle() {
    within(|| {
        runtime(2).run(async {
            let h = go(async { panic!("boom") });
            let id = h.id();
            let err = h.await.unwrap_err();
            assert!(err.is_panic());
            assert_eq!(err.id(), id);
            let payload = err.try_into_panic().unwrap();
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
            assert_eq!(num_goroutine(), 1, "the panicked goroutine is unregistered");
        });
    });
}

/// Child: a goroutine panics on a default-policy runtime.
#[test]
fn child_goroutine_panic_with_default_policy() {
    if !is_child("child_goroutine_panic_with_default_policy") {
        return;
    }
    csp_core::run(async {
        go(async {}).await.unwrap(); // goroutine 2
        go(async { panic!("boom from goroutine") }); // goroutine 3
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    println!("REPORT survived=true");
}

/// Child: the main goroutine panics on a default-policy runtime.
#[test]
fn child_main_panic_with_default_policy() {
    if !is_child("child_main_panic_with_default_policy") {
        return;
    }
    csp_core::run(async { panic!("boom from main") });
}

#[test]
fn default_policy_crashes_like_go_with_status_2() {
    let out = run_child("child_goroutine_panic_with_default_policy", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains("panic: boom from goroutine\n\ngoroutine 3 [running]:\nspawned at "));
    assert!(
        stderr.contains(&format!("spawned at {}:", file!())),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("survived"));

    let out = run_child("child_main_panic_with_default_policy", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("panic: boom from main\n\ngoroutine 1 [running]:"),
        "{stderr}"
    );
}

/// Child: on a default-policy (`Exit`) runtime, `block_on`'s future
/// panics, then a second `block_on` (not id 1) does; both resume in the
/// caller, while a goroutine's panic still crashes like Go.
#[test]
fn child_block_on_panics_resume_in_the_caller() {
    if !is_child("child_block_on_panics_resume_in_the_caller") {
        return;
    }
    let rt = csp_core::Runtime::builder().gomaxprocs(2).build().unwrap();
    for round in 0..2 {
        let caught = catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async { panic!("boom from block_on") })
        }));
        let payload = caught.expect_err("the panic resumes in the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom from block_on"));
        println!("REPORT resumed={round}");
    }
    rt.block_on(async {
        go(async { panic!("boom from a goroutine") });
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    println!("REPORT survived=true");
}

#[test]
fn block_on_panics_resume_in_the_caller_and_goroutines_still_crash() {
    let out = run_child("child_block_on_panics_resume_in_the_caller", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("REPORT resumed=0") && stdout.contains("REPORT resumed=1"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("panic: boom from a goroutine\n\ngoroutine "),
        "{stderr}"
    );
    assert!(!stdout.contains("survived"), "{stdout}");
}

#[test]
fn block_on_registers_main_and_counts_it() {
    within(|| {
        let rt = runtime(1);
        rt.block_on(async {
            assert_eq!(num_goroutine(), 1);
            assert_eq!(goroutines()[0].id, 1);
            let h = go(async { goroutines().len() });
            assert_eq!(h.id(), 2);
            assert_eq!(h.await.unwrap(), 2);
        });
        assert_eq!(rt.block_on(async { num_goroutine() }), 1);
    });
}

/// A goroutine ranging over a receiver as a `Stream` (`rx.next().await`,
/// the call `futures::StreamExt` users write) is reported at the user's line.
#[test]
fn a_goroutine_parked_in_next_reports_the_users_line() {
    // In scope on purpose: `rx.next()` still resolves to the inherent method.
    #[allow(unused_imports)]
    use futures::StreamExt as _;
    within(|| {
        runtime(2).run(async {
            let (tx, mut rx) = csp_core::chan::<u32>(0);
            let (line_tx, line_rx) = csp_core::chan::<u32>(1);
            let ranger = go(async move {
                line_tx.send(line!() + 1).await.unwrap();
                while let Some(v) = rx.next().await {
                    assert_eq!(v, 1);
                }
            });
            let line = line_rx.recv().await.unwrap();
            let parked = loop {
                let all = goroutines();
                if let Some(g) = all
                    .iter()
                    .find(|g| g.id == ranger.id() && g.blocked_at().is_some())
                {
                    break *g;
                }
                gosched().await;
            };
            assert_eq!(parked.wait_reason(), Some(WaitReason::ChanReceive));
            let at = parked.blocked_at().unwrap();
            assert_eq!((at.file(), at.line()), (file!(), line), "blocked at {at}");
            tx.send(1).await.unwrap();
            drop(tx);
            ranger.await.unwrap();
        });
    });
}

/// A goroutine that panics on a plain Tokio runtime (the panic unwinds into
/// Tokio's `JoinError`) leaves its thread no longer "inside a goroutine", so
/// `*_blocking` calls and `block_on` made there afterwards are not refused.
#[test]
fn a_panicking_goroutine_on_plain_tokio_clears_its_poll_mark() {
    within(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let handle = csp_core::go(async { panic!("boom") });
            assert!(handle.await.is_err(), "the panic surfaces as a JoinError");
            assert!(
                !csp_core::goroutine::in_goroutine_poll(),
                "the block_on thread that ran the goroutine is not inside one any more"
            );
        });
        let (tx, rx) = csp_core::chan::<u8>(1);
        tx.send_blocking(7).unwrap();
        assert_eq!(rx.recv_blocking(), Some(7));
    });
}
