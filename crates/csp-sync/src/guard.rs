//! The one definition of the lock futures ([`Lock`](crate::Lock),
//! [`Read`](crate::Read), [`Write`](crate::Write)) and of the guards
//! ([`MutexGuard`](crate::MutexGuard), [`RwMutexReadGuard`](crate::RwMutexReadGuard),
//! [`RwMutexWriteGuard`](crate::RwMutexWriteGuard)) of the data-holding
//! locks, as macros: each lock type has a `raw: RawRwLock` engine and a
//! `data: UnsafeCell<T>`, and only the names, the access and the docs differ.
//!
//! # Invariants
//! - A guard exists only while the engine counts a hold of its access for
//!   it (its future completed), and its drop is the only release of that
//!   hold. A shared hold excludes writers; the exclusive hold excludes
//!   everyone else: that is what makes the guards' `Deref`/`DerefMut` sound.
//!
//! # Locking
//! None here: the futures poll the engine's [`Acquire`](crate::raw::Acquire)
//! (see `raw.rs`).

/// A future that polls the engine's `Acquire` and yields a guard.
macro_rules! lock_future {
    ($(#[$meta:meta])* $name:ident, $lock:ident, $guard:ident) => {
        $(#[$meta])*
        #[must_use = "futures do nothing unless awaited"]
        pub struct $name<'a, T: ?Sized> {
            lock: &'a $lock<T>,
            acquire: $crate::raw::Acquire<'a>,
        }

        impl<'a, T: ?Sized> ::std::future::Future for $name<'a, T> {
            type Output = $guard<'a, T>;

            fn poll(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Self::Output> {
                let lock = self.lock;
                ::std::pin::Pin::new(&mut self.acquire)
                    .poll(cx)
                    .map(|()| $guard { lock })
            }
        }

        impl<T: ?Sized> ::std::fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

/// A guard of one `$access` hold on a `$lock`: `Deref` to the data,
/// `Debug` as the data, and the release on drop.
macro_rules! lock_guard {
    ($(#[$meta:meta])* $guard:ident, $lock:ident, $access:expr) => {
        $(#[$meta])*
        pub struct $guard<'a, T: ?Sized> {
            lock: &'a $lock<T>,
        }

        impl<T: ?Sized> ::std::ops::Deref for $guard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                // SAFETY: the guard stands for a hold that excludes writers
                // (module invariant of `guard.rs`).
                unsafe { &*self.lock.data.get() }
            }
        }

        impl<T: ?Sized> Drop for $guard<'_, T> {
            fn drop(&mut self) {
                self.lock.raw.release($access);
            }
        }

        impl<T: ?Sized + ::std::fmt::Debug> ::std::fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&**self, f)
            }
        }
    };
}

/// `DerefMut` for a guard of the exclusive hold.
macro_rules! exclusive_guard {
    ($guard:ident) => {
        impl<T: ?Sized> ::std::ops::DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: the exclusive hold excludes everyone else, and
                // `&mut self` makes this the only borrow through the guard.
                unsafe { &mut *self.lock.data.get() }
            }
        }
    };
}

pub(crate) use {exclusive_guard, lock_future, lock_guard};
