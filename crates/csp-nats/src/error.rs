//! Errors of csp-nats, one type per failure shape: setting up a connection or
//! a channel ([`ConnectError`], [`ChanError`]) and what a bridge goroutine
//! reports while it runs ([`BridgeError`]).
//!
//! # Invariants
//! A bridge never panics and never drops a value silently: every value it
//! cannot deliver becomes a [`BridgeError`] naming the channel.
//!
//! # Locking
//! None.

use std::fmt;

use crate::name::NameError;

/// [`Remote::connect`](crate::Remote::connect) could not reach the server.
///
/// Go has no counterpart (its channels need no connection).
#[derive(Debug)]
pub struct ConnectError(pub(crate) async_nats::ConnectError);

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to NATS: {}", self.0)
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// [`Remote::chan`](crate::Remote::chan) could not open the channel.
///
/// Go's `make(chan T, n)` cannot fail; a remote channel can, before any value
/// moves.
#[derive(Debug)]
#[non_exhaustive]
pub enum ChanError {
    /// The name cannot name a remote channel.
    Name(NameError),
    /// Another process opened the channel with a different capacity.
    CapacityMismatch {
        /// The channel's name.
        name: String,
        /// The capacity it has on the server.
        existing: usize,
        /// The capacity this process asked for.
        requested: usize,
    },
    /// [`Remote::close`](crate::Remote::close): no process opened a channel
    /// of that name on this server.
    NotFound {
        /// The channel's name.
        name: String,
    },
    /// The server refused or did not answer (JetStream disabled, timeout, ...).
    Server {
        /// The channel's name.
        name: String,
        /// What the client reported.
        message: String,
    },
}

impl fmt::Display for ChanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChanError::Name(e) => e.fmt(f),
            ChanError::CapacityMismatch {
                name,
                existing,
                requested,
            } => write!(
                f,
                "remote channel {name:?} exists with capacity {existing}, not {requested}"
            ),
            ChanError::NotFound { name } => {
                write!(f, "no remote channel {name:?} on this server")
            }
            ChanError::Server { name, message } => {
                write!(f, "cannot open remote channel {name:?}: {message}")
            }
        }
    }
}

impl std::error::Error for ChanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChanError::Name(e) => Some(e),
            _ => None,
        }
    }
}

impl From<NameError> for ChanError {
    fn from(e: NameError) -> Self {
        ChanError::Name(e)
    }
}

/// Something a bridge goroutine could not do, reported on
/// [`Remote::errors`](crate::Remote::errors) and logged with `tracing` at
/// error level.
///
/// Go has no counterpart: in one process nothing can go wrong between a send
/// and a receive.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BridgeError {
    /// A message on the channel does not deserialize into the receiver's `T`
    /// (another program, or another version of this one, sent it). It is
    /// acknowledged, so it is reported once and does not block the channel.
    BadPayload {
        /// The channel's name.
        channel: String,
        /// The message's stream sequence (0 for a value a capacity-0 channel
        /// handed over directly, outside the stream).
        sequence: u64,
        /// The deserializer's message.
        error: String,
    },
    /// A value taken from a local sender does not serialize; it was not sent.
    Encode {
        /// The channel's name.
        channel: String,
        /// The serializer's message.
        error: String,
    },
    /// A local send completed just as another process closed the channel: the
    /// bridge held the value and the closed channel refused it.
    SendAfterClose {
        /// The channel's name.
        channel: String,
    },
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BridgeError::BadPayload {
                channel,
                sequence,
                error,
            } => write!(
                f,
                "remote channel {channel:?}: message {sequence} does not deserialize: {error}"
            ),
            BridgeError::Encode { channel, error } => {
                write!(f, "remote channel {channel:?}: value does not serialize: {error}")
            }
            BridgeError::SendAfterClose { channel } => write!(
                f,
                "remote channel {channel:?}: a value was sent as another process closed the channel; it was refused"
            ),
        }
    }
}

impl std::error::Error for BridgeError {}
