//! Process exit: a process that sends on a remote channel and returns from
//! main, with no `flush`, loses nothing: another connection receives every
//! value, and a close the process made before returning reaches it. Each
//! sending process is this test binary re-executed with [`CHILD_ENV`].

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

/// The environment variable carrying a child's part: `<url> <name>
/// <capacity> <first> <values> <close|open> <csp|tokio>`.
const CHILD_ENV: &str = "CSP_NATS_EXIT_CHILD";
/// Sending processes, one after the other: each exit is one chance for the
/// last value to be lost.
const ROUNDS: u32 = 4;
/// Values each child sends.
const VALUES: u32 = 20;
/// Bytes each value carries besides its number: a large value stays on its
/// way to the server for longer after its send completed.
const PAD: usize = 256 * 1024;

/// In a child: sends `values` values on the remote channel, closes it when
/// told to, and returns from main with no flush. In the parent: nothing.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let words: Vec<String> = spec.split(' ').map(str::to_owned).collect();
    let (url, name) = (words[0].clone(), words[1].clone());
    let capacity: usize = words[2].parse().unwrap();
    let first: u32 = words[3].parse().unwrap();
    let values: u32 = words[4].parse().unwrap();
    let close = words[5] == "close";
    let main = async move {
        let remote = csp_nats::Remote::connect_with(&url, common::quick_options())
            .await
            .unwrap();
        let (tx, _) = remote
            .chan::<(u32, Vec<u8>)>(&name, capacity)
            .await
            .unwrap();
        for v in first..first + values {
            tx.send((v, vec![7; PAD])).await.unwrap();
        }
        if close {
            tx.close();
        }
        // Returns at once: the last value's trip to the server (and the
        // close) are still on their way.
    };
    if words[6] == "tokio" {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(main);
    } else {
        csp::run(main);
    }
    std::process::exit(0);
}

/// Runs [`ROUNDS`] children one after the other, each sending [`VALUES`]
/// values on `name` and exiting (the last one closing the channel when told
/// to), while this process receives; checks every value arrives once, in
/// order, and (with `close`) that the channel then reads as closed.
async fn senders_exit(capacity: usize, close: bool, runtime: &'static str) {
    let server = common::server();
    let remote = common::connect(&server).await;
    let name = format!("exit_{capacity}_{close}_{runtime}");
    let (_, rx) = remote
        .chan::<(u32, Vec<u8>)>(&name, capacity)
        .await
        .unwrap();
    let url = server.url();
    let children = csp::blocking(move || {
        (0..ROUNDS).all(|round| {
            let last = if close && round + 1 == ROUNDS {
                "close"
            } else {
                "open"
            };
            let first = round * VALUES;
            let spec = format!("{url} {name} {capacity} {first} {VALUES} {last} {runtime}");
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
                .env(CHILD_ENV, spec)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .status()
                .unwrap()
                .success()
        })
    });
    // Capacity 0 needs this receiver while the children send.
    let mut got = Vec::new();
    while got.len() < (ROUNDS * VALUES) as usize {
        match rx.recv_timeout(Duration::from_secs(10)).await {
            Ok((v, pad)) => {
                assert_eq!(pad.len(), PAD);
                got.push(v);
            }
            Err(_) => break,
        }
    }
    assert!(children.await, "a child failed");
    let expected: Vec<u32> = (0..ROUNDS * VALUES).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "capacity {capacity}: values lost at a sender's exit: {:?}",
        expected
            .iter()
            .filter(|v| !got.contains(v))
            .collect::<Vec<_>>()
    );
    assert_eq!(got, expected, "capacity {capacity}: in order, once each");
    if close {
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)).await,
            Err(csp::RecvTimeoutError::Closed),
            "capacity {capacity}: the close made before exit reached the channel"
        );
    } else {
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).await.is_err(),
            "nothing more"
        );
    }
}

#[csp::test(timeout_secs = 60)]
async fn a_buffered_sender_that_returns_from_main_loses_nothing() {
    senders_exit(8, false, "csp").await;
}

#[csp::test(timeout_secs = 60)]
async fn a_sender_on_a_plain_tokio_runtime_that_returns_from_main_loses_nothing() {
    senders_exit(8, true, "tokio").await;
}

#[csp::test(timeout_secs = 60)]
async fn an_unbuffered_sender_that_returns_from_main_loses_nothing() {
    senders_exit(0, false, "csp").await;
}

#[csp::test(timeout_secs = 60)]
async fn a_close_made_just_before_returning_from_main_reaches_the_channel() {
    senders_exit(8, true, "csp").await;
}
