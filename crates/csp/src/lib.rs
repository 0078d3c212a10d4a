//! csp: Go's concurrency model for async Rust.
pub use csp_core::*;
