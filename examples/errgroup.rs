//! A request handler that fans out to three backends with `errgroup`, as in
//! x/sync's `ExampleGroup_justErrors` and `ExampleGroup_parallel`: the group
//! shares a context, runs at most two calls at once, and the first failure
//! cancels the calls still running.
//!
//! ```go
//! func handle(ctx context.Context) error {
//!     g, ctx := errgroup.WithContext(ctx)
//!     g.SetLimit(2)
//!     for _, b := range backends {
//!         g.Go(func() error {
//!             select {
//!             case <-time.After(b.latency):
//!                 if b.fails {
//!                     return fmt.Errorf("%s: backend unavailable", b.name)
//!                 }
//!                 log.Printf("%s: ok", b.name)
//!                 return nil
//!             case <-ctx.Done():
//!                 log.Printf("%s: %v", b.name, ctx.Err())
//!                 return ctx.Err()
//!             }
//!         })
//!     }
//!     return g.Wait()
//! }
//! ```
//!
//! With the limit of two, `recommendations` starts only when `users`
//! finishes; `orders` then fails and `recommendations` sees the
//! cancellation. The log is collected in order so a test can check it.
//! Run: `cargo run --example errgroup`.

use std::sync::Arc;
use std::time::Duration;

use csp::context::{self, Context};
use csp::errgroup::Group;
use csp::prelude::*;

/// One backend the handler calls.
#[derive(Clone, Copy, Debug)]
pub struct Backend {
    /// Its name in the log.
    pub name: &'static str,
    /// How long it takes to answer.
    pub latency: Duration,
    /// Whether its answer is an error.
    pub fails: bool,
}

/// The three backends of the request.
pub const BACKENDS: [Backend; 3] = [
    Backend {
        name: "users",
        latency: Duration::from_millis(20),
        fails: false,
    },
    Backend {
        name: "orders",
        latency: Duration::from_millis(60),
        fails: true,
    },
    Backend {
        name: "recommendations",
        latency: Duration::from_secs(5),
        fails: false,
    },
];

/// How many backend calls run at once.
pub const LIMIT: usize = 2;

/// Calls one backend, logging how it ended.
async fn call(ctx: Context, backend: Backend, log: Arc<Mutex<Vec<String>>>) -> Result<(), String> {
    select! {
        recv(after(backend.latency)) -> _ => {
            if backend.fails {
                return Err(format!("{}: backend unavailable", backend.name));
            }
            log.lock().await.push(format!("{}: ok", backend.name));
            Ok(())
        }
        recv(ctx.done()) -> _ => {
            let err = ctx.err().expect("done means cancelled");
            log.lock().await.push(format!("{}: {err}", backend.name));
            Err(err.to_string())
        }
    }
}

/// Handles one request: the log of the backend calls, then the handler's
/// result.
pub async fn handle(parent: &Context, backends: &[Backend]) -> (Vec<String>, Result<(), String>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (g, ctx) = Group::<String>::with_context(parent);
    g.set_limit(Some(LIMIT)).expect("no goroutine runs yet");
    for &backend in backends {
        g.go(call(ctx.clone(), backend, log.clone())).await;
    }
    let result = g.wait().await;
    let log = std::mem::take(&mut *log.lock().await);
    (log, result)
}

#[csp::main]
async fn main() {
    let (log, result) = handle(&context::background(), &BACKENDS).await;
    for line in log {
        println!("{line}");
    }
    match result {
        Ok(()) => println!("handler: ok"),
        Err(err) => println!("handler error: {err}"),
    }
}
