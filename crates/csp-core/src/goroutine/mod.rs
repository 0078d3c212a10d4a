//! Goroutines: spawning, the registry of live goroutines and their wait reasons.

mod park;

pub use park::{begin_poll, end_poll, in_goroutine_poll, record_park, ParkRecord, WaitReason};
