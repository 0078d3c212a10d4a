//! Faults: the server killed and restarted in the middle of a stream, and a
//! consumer process killed while it holds unacknowledged values. Nothing is
//! lost; duplicates, counted and printed, stay within the documented window.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use csp::prelude::*;

/// The environment variable carrying the child's server URL.
const CHILD_ENV: &str = "CSP_NATS_FAULTS_CHILD";
/// Values streamed through the server restart.
const RESTART_VALUES: u32 = 2_000;
/// Capacity of the restart test's channel.
const RESTART_CAPACITY: usize = 16;
/// Values streamed past the killed consumer.
const KILL_VALUES: u32 = 500;
/// Values the doomed consumer takes before it is killed.
const TAKEN_BEFORE_KILL: usize = 50;
/// How many of the last values the killed consumer took may still have had
/// their acknowledgement in flight (the only values that may come again).
const ACK_WINDOW: usize = 8;

#[csp::test(timeout_secs = 90)]
async fn server_killed_and_restarted_mid_stream_loses_nothing() {
    restart_mid_stream(RESTART_CAPACITY).await;
}

/// Capacity 0 hands values over on core NATS, which a crash loses in
/// flight: the confirmation deadline stores them in the stream instead.
#[csp::test(timeout_secs = 90)]
async fn server_killed_and_restarted_mid_rendezvous_loses_nothing() {
    restart_mid_stream(0).await;
}

async fn restart_mid_stream(capacity: usize) {
    let mut server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let (tx, _) = a.chan::<u32>("restart", capacity).await.unwrap();
    let (_, rx) = b.chan::<u32>("restart", capacity).await.unwrap();
    let producer = go(async move {
        for v in 0..RESTART_VALUES {
            tx.send(v).await.unwrap();
        }
        tx.close();
        a.flush().await;
    });
    let mut counts = vec![0u32; RESTART_VALUES as usize];
    let mut received = 0;
    while let Some(v) = rx.recv().await {
        counts[v as usize] += 1;
        received += 1;
        if received == RESTART_VALUES / 3 {
            // A crash: SIGKILL, the store kept; the same port again.
            server.kill();
            sleep(Duration::from_millis(300)).await;
            server.restart().unwrap();
        }
    }
    producer.await.unwrap();
    let lost: Vec<usize> = (0..counts.len()).filter(|&v| counts[v] == 0).collect();
    let duplicates: u32 = counts.iter().map(|&n| n.saturating_sub(1)).sum();
    eprintln!(
        "server restart at capacity {capacity}: {received} received, {} lost, {duplicates} duplicates",
        lost.len()
    );
    assert!(lost.is_empty(), "values lost across the restart: {lost:?}");
    // Only values whose acknowledgement was in flight at the crash can come
    // twice: at most one fetched batch (capacity 0: the one value handed
    // over).
    assert!(
        duplicates as usize <= capacity.max(1),
        "{duplicates} duplicates: more than the values in flight"
    );
}

/// In a child: receives and prints values one by one, then stops receiving
/// after [`TAKEN_BEFORE_KILL`] (its bridge still holds fetched values) and
/// waits to be killed.
#[test]
fn child() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    csp::run(async move {
        let remote = csp_nats::Remote::connect_with(&url, common::quick_options())
            .await
            .unwrap();
        let (_, rx) = remote.chan::<u32>("doomed", 64).await.unwrap();
        for _ in 0..TAKEN_BEFORE_KILL {
            let v = rx.recv().await.unwrap();
            println!("took {v}");
        }
        sleep(Duration::from_secs(600)).await;
    });
}

#[csp::test(timeout_secs = 90)]
async fn a_consumer_killed_holding_unacknowledged_values_loses_none() {
    let server = common::server();
    let remote = common::connect(&server).await;
    let (tx, rx) = remote.chan::<u32>("doomed", 64).await.unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let producer = go(async move {
        for v in 0..KILL_VALUES {
            tx.send(v).await.unwrap();
        }
        tx.close();
    });
    // Read what the child took, then kill it while its bridge holds values.
    let taken = csp::blocking(move || {
        let mut taken = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some((_, v)) = line.split_once("took ") {
                taken.push(v.trim().parse::<u32>().unwrap());
                if taken.len() == TAKEN_BEFORE_KILL {
                    break;
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        taken
    })
    .await;
    let mut counts = vec![0u32; KILL_VALUES as usize];
    for &v in &taken {
        counts[v as usize] += 1;
    }
    while let Some(v) = rx.recv().await {
        counts[v as usize] += 1;
    }
    producer.await.unwrap();
    let lost: Vec<usize> = (0..counts.len()).filter(|&v| counts[v] == 0).collect();
    let duplicates: u32 = counts.iter().map(|&n| n.saturating_sub(1)).sum();
    eprintln!(
        "killed consumer: took {}, {} lost, {duplicates} duplicates",
        taken.len(),
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "values lost with the killed consumer: {lost:?}"
    );
    // The documented window: a value the killed consumer had taken but whose
    // acknowledgement had not reached the server is delivered again. So every
    // duplicate is one of the last few values the child took (a loaded
    // machine can have a few acknowledgements in flight), never another.
    let window = &taken[taken.len().saturating_sub(ACK_WINDOW)..];
    for v in (0..counts.len()).filter(|&v| counts[v] > 1) {
        assert!(
            window.contains(&(v as u32)),
            "value {v} duplicated outside the acknowledgement window {window:?}"
        );
    }
}

#[csp::test(timeout_secs = 90)]
async fn operations_wait_through_an_outage_bounded_by_timeouts_then_resume() {
    let mut server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let (tx, _) = a.chan::<u32>("outage", 4).await.unwrap();
    let (_, rx) = b.chan::<u32>("outage", 4).await.unwrap();
    tx.send(0).await.unwrap();
    assert_eq!(rx.recv().await, Some(0));
    server.kill();
    // A send waits while the server is down (the bridge cannot see room in
    // the stream), unless the bridge's count of free slots from just before
    // the crash is still fresh: then it takes that one value and retries
    // its publish. Either way the next send and any receive wait, bounded
    // by their timeouts.
    let first = tx.send_timeout(1, Duration::from_millis(300)).await;
    let res = tx.send_timeout(2, Duration::from_millis(300)).await;
    assert!(res.is_err(), "a send must wait while the server is down");
    assert!(rx.recv_timeout(Duration::from_millis(300)).await.is_err());
    server.restart().unwrap();
    if first.is_err() {
        tx.send(1).await.unwrap();
    }
    tx.send(2).await.unwrap();
    tx.close();
    let mut got = Vec::new();
    while let Some(v) = rx.recv().await {
        got.push(v);
    }
    // Value 0's acknowledgement may not have been written when the server
    // died right after it: then 0 comes again, the documented duplicate.
    let duplicates = got.iter().filter(|&&v| v == 0).count();
    eprintln!("outage: received {got:?}, {duplicates} duplicate(s) of the value acknowledged just before the crash");
    got.retain(|&v| v != 0);
    assert!(duplicates <= 1);
    assert_eq!(
        got,
        [1, 2],
        "both values arrive once after the outage, in order"
    );
}
