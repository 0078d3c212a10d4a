//! csp: Go's concurrency model for async Rust.
pub use csp_core::*;

pub use csp_macros::select;

/// Paths the `select!` expansion refers to; not public API.
#[doc(hidden)]
pub mod __private {
    pub use csp_core::select::*;
}
