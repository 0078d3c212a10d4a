//! The README's porting guide says what `break` does inside a `select!` arm:
//! it leaves the enclosing loop (in Go it leaves only the `select`), and a
//! labeled block gives Go's meaning. These tests hold the guide to it.

use csp::prelude::*;

/// `break` in an arm ends the `loop` around the `select!`.
#[csp::test(timeout_secs = 10)]
async fn break_in_an_arm_leaves_the_enclosing_loop() {
    let (tx, rx) = chan::<u32>(4);
    for v in [1, 2, 3] {
        tx.send(v).await.unwrap();
    }
    let mut seen = Vec::new();
    loop {
        select! {
            recv(&rx) -> v => {
                let v = v.unwrap();
                seen.push(v);
                if v == 2 {
                    break; // Go: leaves the select only, the loop goes on
                }
            }
        }
    }
    assert_eq!(seen, [1, 2], "the loop ended at the first break");
    assert_eq!(rx.try_recv().ok(), Some(3), "3 is still buffered");
}

/// A labeled block around the `select!` gives Go's `break`: the arm ends,
/// the loop goes on.
#[csp::test(timeout_secs = 10)]
async fn break_to_a_labeled_block_leaves_only_the_select() {
    let (tx, rx) = chan::<u32>(4);
    for v in [1, 2, 3] {
        tx.send(v).await.unwrap();
    }
    drop(tx);
    let mut seen = Vec::new();
    let mut closed = false;
    while !closed {
        'select: {
            select! {
                recv(&rx) -> v => {
                    let Some(v) = v else {
                        closed = true;
                        break 'select;
                    };
                    if v == 2 {
                        break 'select; // Go's `break` inside a select
                    }
                    seen.push(v);
                }
            }
        }
    }
    assert_eq!(
        seen,
        [1, 3],
        "2 skipped by the break, the loop went on to 3"
    );
}
