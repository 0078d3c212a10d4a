//! Two cake producers and one packer, selecting over both channels until both
//! are closed: the Go tutorial's `makeCakeAndSend` / `receiveCakeAndPack`
//! (<https://go.dev/tour/concurrency/5> style `select`), in csp.
//!
//! The packer detects each close (a receive case yields `None`) and then sets
//! that case's channel to `None`: Go's idiom of setting a channel to nil so its
//! case never fires again. With `--receipts`, the packer also sends a receipt
//! back on the same channel and each producer waits for it before baking on.
//!
//! Run: `cargo run --example cakes_select [-- --receipts]`.

use csp::{chan, go, select, Receiver, Sender};

/// Cakes each producer makes.
pub const CAKES: usize = 3;

/// What travels on a flavor's channel: cakes one way, receipts the other.
#[derive(Debug)]
pub enum Msg {
    /// A cake, from a producer.
    Cake(String),
    /// A receipt for a cake, from the packer.
    Receipt(String),
}

/// Go's `makeCakeAndSend`: bakes `count` cakes, sends each on `ch`, then
/// closes it. With `receipts`, waits for the packer's receipt after each cake
/// and returns them.
async fn make_cakes(
    ch: (Sender<Msg>, Receiver<Msg>),
    flavor: &str,
    count: usize,
    receipts: bool,
) -> Vec<String> {
    let (tx, rx) = ch;
    let mut got = Vec::new();
    for i in 1..=count {
        tx.send(Msg::Cake(format!("{flavor} Cake {i}")))
            .await
            .expect("the packer is there");
        if receipts {
            match rx.recv().await {
                Some(Msg::Receipt(r)) => got.push(r),
                other => panic!("expected a receipt, got {other:?}"),
            }
        }
    }
    tx.close();
    got
}

/// Go's `receiveCakeAndPack`: selects over both channels until both are
/// closed. Returns the lines it prints, in order.
async fn pack_cakes(
    strawberry: (Sender<Msg>, Receiver<Msg>),
    chocolate: (Sender<Msg>, Receiver<Msg>),
    receipts: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let (straw_tx, straw_rx) = strawberry;
    let (choc_tx, choc_rx) = chocolate;
    // `None` = Go's nil channel: the case is disabled.
    let mut straw = Some(straw_rx);
    let mut choc = Some(choc_rx);
    while straw.is_some() || choc.is_some() {
        let (flavor, msg) = select! {
            recv(&straw) -> msg => {
                if msg.is_none() {
                    straw = None;
                }
                ("Strawberry", msg)
            }
            recv(&choc) -> msg => {
                if msg.is_none() {
                    choc = None;
                }
                ("Chocolate", msg)
            }
        };
        match msg {
            None => lines.push(format!("... {flavor} channel closed!")),
            Some(Msg::Cake(cake)) => {
                lines.push(format!("Packing {cake}"));
                if receipts {
                    let tx = if flavor == "Strawberry" {
                        &straw_tx
                    } else {
                        &choc_tx
                    };
                    tx.send(Msg::Receipt(format!("receipt for {cake}")))
                        .await
                        .expect("the producer waits for its receipt");
                }
            }
            Some(Msg::Receipt(r)) => panic!("the packer got its own receipt back: {r}"),
        }
    }
    lines
}

/// Runs both producers and the packer. Returns the packer's lines and the
/// receipts each producer collected (strawberry, chocolate).
pub async fn run(count: usize, receipts: bool) -> (Vec<String>, Vec<String>, Vec<String>) {
    let strawberry = chan::<Msg>(0);
    let chocolate = chan::<Msg>(0);
    let s = go({
        let ch = strawberry.clone();
        async move { make_cakes(ch, "Strawberry", count, receipts).await }
    });
    let c = go({
        let ch = chocolate.clone();
        async move { make_cakes(ch, "Chocolate", count, receipts).await }
    });
    let lines = pack_cakes(strawberry, chocolate, receipts).await;
    (
        lines,
        s.await.expect("producer"),
        c.await.expect("producer"),
    )
}

/// The program; `pub` so `tests/cakes_select.rs` can run it.
#[csp::main]
pub async fn main() {
    let receipts = std::env::args().any(|a| a == "--receipts");
    let (lines, straw, choc) = run(CAKES, receipts).await;
    for line in lines {
        println!("{line}");
    }
    for r in straw.iter().chain(&choc) {
        println!("producer got {r}");
    }
}
