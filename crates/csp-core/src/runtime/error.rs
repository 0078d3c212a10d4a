//! The one error type of runtime construction: [`RuntimeError`].
//!
//! # Invariants
//! - A misconfiguration is an error, never a silent default: an invalid
//!   `GOMAXPROCS` value or an out-of-range `Builder::gomaxprocs(n)` is reported
//!   with the variable (or method) and the offending value, verbatim.

use std::fmt;

/// Why a [`Runtime`](crate::Runtime) could not be built.
///
/// Go ignores an invalid `GOMAXPROCS` and silently uses the number of cores;
/// csp refuses to start instead, so a typo in a deployment is seen at once.
///
/// # Examples
///
/// ```
/// use csp_core::{Runtime, RuntimeError};
///
/// let err = Runtime::builder().gomaxprocs(0).build().unwrap_err();
/// assert!(matches!(err, RuntimeError::InvalidGomaxprocs { value: 0 }));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RuntimeError {
    /// An environment variable (`GOMAXPROCS`) holds a value that is not a
    /// whole number from 1 to [`MAX_GOMAXPROCS`](crate::runtime::MAX_GOMAXPROCS).
    InvalidEnv {
        /// The variable's name, e.g. `"GOMAXPROCS"`.
        var: &'static str,
        /// The value as found (lossily decoded if it was not UTF-8).
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// `Builder::gomaxprocs(n)` was given 0 or more than
    /// [`MAX_GOMAXPROCS`](crate::runtime::MAX_GOMAXPROCS).
    InvalidGomaxprocs {
        /// The value passed to the builder.
        value: usize,
    },
    /// Tokio could not start the runtime (e.g. threads could not be spawned).
    Build(std::io::Error),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::InvalidEnv {
                var,
                value,
                expected,
            } => write!(f, "invalid {var}={value:?}: expected {expected}"),
            RuntimeError::InvalidGomaxprocs { value } => write!(
                f,
                "invalid gomaxprocs({value}): expected a whole number from 1 to {}",
                super::MAX_GOMAXPROCS
            ),
            RuntimeError::Build(e) => write!(f, "cannot start the csp runtime: {e}"),
        }
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Build(e) => Some(e),
            _ => None,
        }
    }
}
