//! Go's `select`: wait on several channel operations, commit exactly one.
//!
//! Contents:
//! 1. `case`: [`RecvCase`] and [`SendCase`], typed cases the engine drives
//!    through the object-safe [`SelectCase`] trait; `None` channels make
//!    disabled cases (Go's nil channel).
//! 2. `engine`: the three passes (try in random order, register under all
//!    locks, withdraw the losers): [`select`] and [`try_select`].
//!
//! The `select!` macro (in `csp`) expands to these functions; they are also
//! the dynamic API for a number of cases known only at run time, as Go's
//! `reflect.Select`: build the cases, pin them (`std::pin::pin!`, or
//! `Box::pin` for a `Vec` of them), and pass `Pin<&mut dyn SelectCase>`s.
//! Pinning is what lets a waiting select link each case into its channel's
//! queue in place, so neither a select nor a plain operation allocates to wait.

mod case;
mod engine;

pub use case::{IntoRecvCase, IntoSendCase, RecvCase, SelectCase, SendCase};
pub use engine::{select, try_select, Select};
