//! Every csp-sync waiting path tells the goroutine registry why it parks and
//! where the user's call is (the contract of `csp_core::goroutine::record_park`
//! that the deadlock detector and goroutine dumps rely on).
use std::future::Future;
use std::panic::Location;

use csp_core::goroutine::{begin_poll, end_poll, WaitReason};
use csp_sync::{Cond, Mutex, Once, RwMutex, WaitGroup};

/// Polls `fut` once as the goroutine wrapper would and returns the record,
/// checking the future stayed pending.
fn park_record<F: Future>(fut: F) -> (WaitReason, &'static Location<'static>) {
    let mut task = tokio_test::task::spawn(fut);
    begin_poll();
    let pending = task.poll().is_pending();
    let record = end_poll();
    assert!(pending, "expected the future to park");
    record.expect("a parked csp-sync future must call record_park")
}

#[track_caller]
fn here() -> &'static Location<'static> {
    Location::caller()
}

fn assert_at(got: &Location<'_>, want: &Location<'_>) {
    assert_eq!((got.file(), got.line()), (want.file(), want.line()));
}

#[test]
fn every_wait_records_reason_and_caller() {
    let mu = Mutex::new(());
    let _held = mu.try_lock().unwrap();
    let (fut, at) = (mu.lock(), here());
    let (reason, loc) = park_record(fut);
    assert_eq!(reason, WaitReason::MutexLock);
    assert_at(loc, at);

    let rw = RwMutex::new(());
    let w = rw.try_write().unwrap();
    let (fut, at) = (rw.read(), here());
    let (reason, loc) = park_record(fut);
    assert_eq!(reason, WaitReason::RwMutexRLock);
    assert_at(loc, at);
    let (fut, at) = (rw.write(), here());
    let (reason, loc) = park_record(fut);
    assert_eq!(reason, WaitReason::RwMutexLock);
    assert_at(loc, at);
    drop(w);

    let wg = WaitGroup::new();
    wg.add(1);
    let (fut, at) = (wg.wait(), here());
    let (reason, loc) = park_record(fut);
    assert_eq!(reason, WaitReason::WaitGroupWait);
    assert_at(loc, at);

    let once = Once::new();
    let mut runner = tokio_test::task::spawn(once.call_once(std::future::pending));
    assert!(runner.poll().is_pending());
    let (fut, at) = (once.call_once(|| async {}), here());
    let (reason, loc) = park_record(fut);
    assert_eq!(reason, WaitReason::OnceWait);
    assert_at(loc, at);

    let m = Mutex::new(());
    let cond = Cond::new();
    let g = m.try_lock().unwrap();
    let (fut, at) = (cond.wait(g), here());
    let (reason, loc) = park_record(fut);
    assert_eq!(reason, WaitReason::CondWait);
    assert_at(loc, at);
}
