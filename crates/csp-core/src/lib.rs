//! csp-core: the runtime under csp.
//!
//! Goroutines ([`go`]), Go-semantic channels ([`chan`]), the select engine,
//! timers as channels and the goroutine registry. Users depend on the `csp`
//! facade, which re-exports this crate; see its docs for the Go → csp table.

pub(crate) mod loom;

pub mod goroutine;
