//! GOMAXPROCS: how many worker threads run goroutines at once, and the CPU count.
//!
//! # Invariants
//! - The value of a csp [`Runtime`](crate::Runtime) is fixed when it is built:
//!   `Builder::gomaxprocs(n)` if given, else the `GOMAXPROCS` environment
//!   variable if set and non-empty, else [`num_cpu()`]. It is always in
//!   `1..=MAX_GOMAXPROCS` and equals the runtime's Tokio `worker_threads`.
//! - An empty `GOMAXPROCS` counts as unset (as in Go); any other value that is
//!   not a whole number in `1..=MAX_GOMAXPROCS` is a [`RuntimeError`], never a
//!   silent fallback.

use super::context;
use super::RuntimeError;

/// The environment variable read by [`Runtime::new`](crate::Runtime::new), as in Go.
pub const GOMAXPROCS_ENV: &str = "GOMAXPROCS";

/// The largest GOMAXPROCS csp accepts (Go's historical `_MaxGomaxprocs`).
///
/// Larger values are almost always a typo; each is a real OS thread here.
pub const MAX_GOMAXPROCS: usize = 1024;

/// The number of logical CPUs usable by this process.
///
/// Mirrors Go's `runtime.NumCPU()`; it is `std::thread::available_parallelism`
/// (which honours CPU affinity and cgroup quotas), or 1 if that is unknown.
///
/// # Examples
///
/// ```
/// assert!(csp_core::num_cpu() >= 1);
/// ```
pub fn num_cpu() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The number of goroutines that can run at the same time.
///
/// Mirrors Go's `runtime.GOMAXPROCS(0)` (the query form; csp fixes the value
/// when the runtime is built, see [`Builder::gomaxprocs`](crate::runtime::Builder::gomaxprocs)).
///
/// - Inside a csp [`Runtime`](crate::Runtime) (in a goroutine, or in
///   `block_on`): that runtime's value, which is its worker-thread count.
/// - Inside a Tokio runtime csp did not build: its worker count (1 for a
///   current-thread runtime).
/// - Outside any runtime: what [`Runtime::new`](crate::Runtime::new) would
///   use, i.e. `GOMAXPROCS` if valid, else [`num_cpu()`]. An invalid
///   `GOMAXPROCS` is reported by `Runtime::new`, not by this query.
///
/// # Examples
///
/// ```
/// let rt = csp_core::Runtime::builder().gomaxprocs(3).build().unwrap();
/// rt.block_on(async { assert_eq!(csp_core::gomaxprocs(), 3) });
/// ```
pub fn gomaxprocs() -> usize {
    if let Some(ctx) = context::current() {
        return ctx.gomaxprocs;
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        return handle.metrics().num_workers();
    }
    from_env().ok().flatten().unwrap_or_else(num_cpu)
}

/// Reads `GOMAXPROCS`: `Ok(None)` when unset or empty.
pub(crate) fn from_env() -> Result<Option<usize>, RuntimeError> {
    match std::env::var_os(GOMAXPROCS_ENV) {
        None => Ok(None),
        Some(raw) if raw.is_empty() => Ok(None),
        Some(raw) => parse(&raw.to_string_lossy()).map(Some),
    }
}

/// Parses a `GOMAXPROCS` value: a whole number in `1..=MAX_GOMAXPROCS`.
pub(crate) fn parse(value: &str) -> Result<usize, RuntimeError> {
    let err = |expected| RuntimeError::InvalidEnv {
        var: GOMAXPROCS_ENV,
        value: value.to_owned(),
        expected,
    };
    let all_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if !all_digits {
        return Err(err("a whole number of at least 1"));
    }
    match value.parse::<usize>() {
        Ok(0) => Err(err("a whole number of at least 1")),
        Ok(n) if n <= MAX_GOMAXPROCS => Ok(n),
        _ => Err(err("a whole number of at most 1024")),
    }
}

/// Checks a builder-supplied value.
pub(crate) fn check(value: usize) -> Result<usize, RuntimeError> {
    if (1..=MAX_GOMAXPROCS).contains(&value) {
        Ok(value)
    } else {
        Err(RuntimeError::InvalidGomaxprocs { value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_whole_numbers_in_range() {
        assert_eq!(parse("1").unwrap(), 1);
        assert_eq!(parse("3").unwrap(), 3);
        assert_eq!(parse("1024").unwrap(), MAX_GOMAXPROCS);
    }

    #[test]
    fn parse_rejects_with_variable_and_value_in_message() {
        for (value, msg) in [
            (
                "0",
                r#"invalid GOMAXPROCS="0": expected a whole number of at least 1"#,
            ),
            (
                "-2",
                r#"invalid GOMAXPROCS="-2": expected a whole number of at least 1"#,
            ),
            (
                "abc",
                r#"invalid GOMAXPROCS="abc": expected a whole number of at least 1"#,
            ),
            (
                " 4",
                r#"invalid GOMAXPROCS=" 4": expected a whole number of at least 1"#,
            ),
            (
                "1025",
                r#"invalid GOMAXPROCS="1025": expected a whole number of at most 1024"#,
            ),
            (
                "99999999999999999999999",
                r#"invalid GOMAXPROCS="99999999999999999999999": expected a whole number of at most 1024"#,
            ),
        ] {
            assert_eq!(parse(value).unwrap_err().to_string(), msg);
        }
    }

    #[test]
    fn check_bounds() {
        assert!(check(0).is_err());
        assert!(check(MAX_GOMAXPROCS + 1).is_err());
        assert_eq!(check(2).unwrap(), 2);
    }
}
