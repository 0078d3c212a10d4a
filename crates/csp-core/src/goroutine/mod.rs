//! Goroutines: spawning ([`go`]), the registry of live goroutines and their
//! wait reasons, and the handle to a goroutine's result.
//!
//! - `park`: how a csp primitive records why a goroutine waits.
//! - `registry`: the table of live goroutines ([`goroutines()`], [`num_goroutine()`]).
//! - `spawn`: [`go`] and the wrapper every goroutine runs in.
//! - `handle`: [`JoinHandle`] and [`JoinError`].
//! - `deadlock`: the deadlock detector and [`ExternalWaker`] (its module
//!   header states the rule).
//! - `dump`: [`dump()`], Go's goroutine dump format.

pub(crate) mod deadlock;
pub(crate) mod dump;
mod entry_ref;
mod handle;
pub(crate) mod park;
pub(crate) mod registry;
pub(crate) mod spawn;
mod table;
pub(crate) mod waker;

pub use deadlock::{external_waker, ExternalWaker};
pub use dump::dump;
pub use handle::{JoinError, JoinHandle};
pub use park::WaitReason;
#[doc(hidden)] // the park protocol between csp primitives and the goroutine wrapper
pub use park::{begin_poll, end_poll, in_goroutine_poll, record_park, ParkRecord};
pub use registry::{goroutines, num_goroutine, GoroutineInfo, GoroutineState};
pub use spawn::go;
#[doc(hidden)] // for csp's own wait queues (csp-sync): see `waker`
pub use waker::{queue_clone, queue_waker_matches, store_queue_waker, wake};
