//! The goroutine dump on `SIGQUIT` (feature `signal`, Unix only).
//!
//! # Invariants
//! - The listener is a plain Tokio task on the runtime, not a goroutine: it
//!   is not in the dump, and the deadlock detector counts it as csp's own.
//! - It prints and goes on listening; the process does not exit (Go exits).

use std::time::Instant;

use tokio::signal::unix::{signal, SignalKind};

use super::context::Context;
use crate::goroutine::dump::format_dump;

/// Installs the `SIGQUIT` handler on `rt` and starts the listener task.
pub(crate) fn dump_on_sigquit(rt: &tokio::runtime::Runtime, ctx: &Context) -> std::io::Result<()> {
    let mut quit = {
        let _enter = rt.enter();
        signal(SignalKind::quit())?
    };
    let registry = ctx.registry.clone();
    if let Some(detector) = &ctx.detector {
        detector.add_own_task();
    }
    rt.spawn(async move {
        while quit.recv().await.is_some() {
            use std::io::Write;
            let text = format_dump(&registry.snapshot(), Instant::now());
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "SIGQUIT: goroutine dump\n\n{text}");
            let _ = stderr.flush();
        }
    });
    Ok(())
}
