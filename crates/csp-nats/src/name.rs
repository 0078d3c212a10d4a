//! Channel names: what may name a remote channel, and the NATS names derived
//! from it.
//!
//! # Invariants
//! A valid name is 1 to [`MAX_NAME_LEN`] bytes of `A-Z a-z 0-9 _ -`: no `.`,
//! `*`, `>`, whitespace or `/`, so it is one NATS subject token and a legal
//! JetStream stream name, and two different names never share a subject.
//!
//! # Locking
//! None: pure functions.

use std::fmt;

/// The longest channel name accepted (JetStream stream names are short
/// file-system names; the stream name adds a 4-byte prefix).
pub const MAX_NAME_LEN: usize = 64;

/// A channel name that cannot name a remote channel.
///
/// Go has no counterpart: a Go channel has no name. Returned by
/// [`Remote::chan`](crate::Remote::chan) before anything reaches the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    name: String,
    reason: &'static str,
}

impl NameError {
    /// The rejected name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid remote channel name {:?}: {} (use 1 to {} characters of A-Z a-z 0-9 _ -)",
            self.name, self.reason, MAX_NAME_LEN
        )
    }
}

impl std::error::Error for NameError {}

/// Checks that `name` can name a remote channel.
pub(crate) fn validate(name: &str) -> Result<(), NameError> {
    let fail = |reason| {
        Err(NameError {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return fail("it is too long");
    }
    if name.contains(['.', '*', '>']) {
        return fail("`.`, `*` and `>` are NATS subject syntax");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return fail("it has a character outside A-Z a-z 0-9 _ -");
    }
    Ok(())
}

/// The JetStream stream that holds the channel's values.
pub(crate) fn stream_name(name: &str) -> String {
    format!("CSP_{name}")
}

/// The subjects the channel's stream listens on while the channel is open:
/// each value (or reservation, see [`crate::send`]) on its own
/// [`value_subject`].
pub(crate) fn data_subject(name: &str) -> String {
    format!("csp.chan.{name}.*")
}

/// The subject value `id` (a message id: no dots, no wildcards) is published
/// on; a reservation for it uses the same subject, which the value replaces.
pub(crate) fn value_subject(name: &str, id: &str) -> String {
    format!("csp.chan.{name}.{id}")
}

/// The subject the stream listens on once closed (nobody publishes there),
/// so a publish to a [`value_subject`] finds no stream.
pub(crate) fn closed_subject(name: &str) -> String {
    format!("csp.closed.{name}")
}

/// The core-NATS subject a closing process announces the close on, so
/// bridges learn it without polling.
pub(crate) fn control_subject(name: &str) -> String {
    format!("csp.ctl.{name}")
}

/// The core-NATS subject a receiving bridge pings after each
/// acknowledgement: a slot is free, a waiting sender may retry now.
pub(crate) fn free_subject(name: &str) -> String {
    format!("csp.free.{name}")
}

/// Capacity 0: the core-NATS subject a receiving bridge asks for a value
/// on; sending bridges with a parked local send listen in one queue group.
pub(crate) fn want_subject(name: &str) -> String {
    format!("csp.want.{name}")
}

/// Capacity 0: the core-NATS subject a sending bridge announces a parked
/// local send on, so waiting receiving bridges ask again.
pub(crate) fn have_subject(name: &str) -> String {
    format!("csp.have.{name}")
}

/// Capacity 0: the core-NATS subject a receiving bridge withdraws a want
/// on (`<inbox> <want number>`) when its local receivers gave up; every
/// sending bridge listens.
pub(crate) fn cancel_subject(name: &str) -> String {
    format!("csp.cancel.{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for name in ["jobs", "a", "Results_2", "x-y", &"n".repeat(MAX_NAME_LEN)] {
            assert_eq!(validate(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_subject_syntax_and_odd_characters() {
        for name in [
            "",
            "a.b",
            "jobs.*",
            "jobs>",
            "a b",
            "a/b",
            "tab\t",
            "é",
            &"n".repeat(MAX_NAME_LEN + 1),
        ] {
            let err = validate(name).unwrap_err();
            assert_eq!(err.name(), name);
            assert!(err.to_string().contains("invalid remote channel name"));
        }
    }
}
