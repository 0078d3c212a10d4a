//! Runs the logic of `examples/cakes_select.rs` and checks its output
//! invariant: every cake packed exactly once, each flavor in baking order, each
//! close seen exactly once and after that flavor's last cake; with receipts,
//! every cake's receipt reached its producer. The example's own `main` runs
//! in a child process (this binary re-executed), its printed output checked.
#[allow(dead_code)]
#[path = "../examples/cakes_select.rs"]
mod cakes;
mod common;

use std::time::Duration;

use common::{as_child, run_child};

const COUNT: usize = 50;

fn check(lines: &[String], count: usize) {
    assert_eq!(lines.len(), 2 * count + 2, "{lines:#?}");
    for flavor in ["Strawberry", "Chocolate"] {
        let packed: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with(&format!("Packing {flavor} Cake ")))
            .collect();
        let expected: Vec<String> = (1..=count)
            .map(|i| format!("Packing {flavor} Cake {i}"))
            .collect();
        assert_eq!(packed, expected.iter().collect::<Vec<_>>(), "{flavor}");
        let closed = format!("... {flavor} channel closed!");
        let at: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == closed).collect();
        assert_eq!(at.len(), 1, "{flavor} close seen once");
        let last = lines
            .iter()
            .position(|l| *l == expected[count - 1])
            .unwrap();
        assert!(at[0] > last, "{flavor} closed after its last cake");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_every_cake_once_and_sees_both_closes() {
    let (lines, s, c) = tokio::time::timeout(Duration::from_secs(30), cakes::run(COUNT, false))
        .await
        .expect("cakes hung");
    check(&lines, COUNT);
    assert!(s.is_empty() && c.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_go_back_on_the_same_channel() {
    let (lines, s, c) = tokio::time::timeout(Duration::from_secs(30), cakes::run(COUNT, true))
        .await
        .expect("cakes hung");
    check(&lines, COUNT);
    for (flavor, receipts) in [("Strawberry", s), ("Chocolate", c)] {
        let expected: Vec<String> = (1..=COUNT)
            .map(|i| format!("receipt for {flavor} Cake {i}"))
            .collect();
        assert_eq!(receipts, expected);
    }
}

/// The child side: the example's `main`; a no-op in the parent's own run.
#[test]
fn child() {
    as_child(|name| {
        assert_eq!(name, "cakes_select");
        cakes::main();
    });
}

#[test]
fn the_example_prints_the_packing() {
    let lines: Vec<String> = run_child("child", "cakes_select")
        .lines()
        .map(String::from)
        .collect();
    check(&lines, cakes::CAKES);
}
