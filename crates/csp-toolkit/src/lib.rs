//! csp-toolkit: Go's service toolkit for csp — `context`, and
//! `golang.org/x/sync`'s `errgroup`, `semaphore` and `singleflight`.
//!
//! Users reach these through the facade as `csp::context`, `csp::errgroup`,
//! `csp::semaphore` and `csp::singleflight`.
//!
//! | Go | csp |
//! |---|---|
//! | `context.Context` and its constructors | [`context`] ([`context::Context`], [`context::with_cancel`], ...) |
//! | `errgroup.Group` | [`errgroup::Group`] |
//! | `semaphore.Weighted` | [`semaphore::Weighted`] |
//! | `singleflight.Group` | [`singleflight::Group`] |
//!
//! Everything here is built on csp-core's channels and goroutines, so a
//! goroutine waiting on a context's done channel is seen by the deadlock
//! detector as Go's runtime would see it. One concept per module.

pub mod context;
pub mod errgroup;
pub mod semaphore;
pub mod singleflight;
mod sync;

#[cfg(all(test, loom))]
mod loom_semaphore;
