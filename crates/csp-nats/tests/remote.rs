//! A remote channel behaves as a csp channel within one process and between
//! two connections: send, recv, close, timeouts, select!, names, capacity,
//! bad input; on csp's runtime and on a plain Tokio runtime.

mod common;

use std::time::Duration;

use csp::prelude::*;
use csp_nats::{BridgeError, ChanError};

#[csp::test(timeout_secs = 30)]
async fn values_cross_between_two_connections_in_order_then_close_drains() {
    let server = common::server();
    let a = common::connect(&server).await;
    let b = common::connect(&server).await;
    let (tx, _) = a.chan::<(u32, String)>("basic", 4).await.unwrap();
    let (_, rx) = b.chan::<(u32, String)>("basic", 4).await.unwrap();
    for i in 0..4 {
        tx.send((i, format!("v{i}"))).await.unwrap();
    }
    let producer = go(async move {
        for i in 4..10 {
            tx.send((i, format!("v{i}"))).await.unwrap();
        }
        tx.close();
        tx
    });
    for i in 0..10 {
        assert_eq!(rx.recv().await, Some((i, format!("v{i}"))));
    }
    assert_eq!(rx.recv().await, None, "closed and drained");
    let tx = producer.await.unwrap();
    assert!(tx.send((99, String::new())).await.is_err(), "send after close");
}
