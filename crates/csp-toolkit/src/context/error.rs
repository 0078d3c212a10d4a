//! Why a context ended: Go's `context.Canceled` and
//! `context.DeadlineExceeded`.
//!
//! # Invariants
//! - [`Error::code`] is never 0: 0 means "live" in the tree's atomic.

use std::fmt;

/// Why a context ended (Go's `context.Canceled` and
/// `context.DeadlineExceeded`), as returned by
/// [`Context::err`](super::Context::err).
///
/// # Examples
/// ```
/// use csp_toolkit::context::Error;
/// assert_eq!(Error::Canceled.to_string(), "context canceled");
/// assert_eq!(Error::DeadlineExceeded.to_string(), "context deadline exceeded");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// Cancelled by a cancel function or a cancelled parent.
    Canceled,
    /// Its deadline (or an ancestor's) passed.
    DeadlineExceeded,
}

impl Error {
    pub(crate) fn code(self) -> u8 {
        match self {
            Error::Canceled => 1,
            Error::DeadlineExceeded => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => None,
            1 => Some(Error::Canceled),
            _ => Some(Error::DeadlineExceeded),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Error {}
