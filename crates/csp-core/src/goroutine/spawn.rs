//! Spawning goroutines: [`go`], and the wrapper future every goroutine runs in.
//!
//! # Invariants
//! - Every goroutine, main included, is a [`Goroutine`] wrapper around the
//!   user's future. The wrapper owns the registry entry (through an
//!   `EntryGuard`), so the entry is listed exactly as long as the goroutine
//!   lives.
//! - Each poll runs inside a `park::PollMark` (cleared on unwind too) and,
//!   when a `tracing` subscriber was interested at spawn, inside the
//!   goroutine's span `goroutine{id, at}`; the entry's state is written only
//!   when the park record differs from the previous poll's.
//! - The wrapper is the future plus 32 bytes (entry, last park record,
//!   rare parts); the rest of a goroutine's bookkeeping lives in its
//!   registry entry (see `registry::Entry`).
//! - `trace!` events inside the span: `goroutine spawned`, `goroutine parked`
//!   (reason, blocking call) on each `Pending` poll with a park record,
//!   `goroutine unparked` when polled again after one, `goroutine exited`.
//! - The user's future is polled with the goroutine's own waker
//!   (`waker::lend`), which forwards to the task's and tells the deadlock
//!   detector which of its clones live outside csp.
//! - Once the registry's run epoch moves past the goroutine's (main
//!   returned, the runtime is dropped), the wrapper returns `Pending` without
//!   polling the future: no goroutine runs after main. A main goroutine's
//!   polls hold back the wakes they make (`waker::MainPoll`), delivered when
//!   main parks and dropped when it returns, so main's teardown (its locals
//!   dropped, channels closing) wakes no one.
//! - Panics are caught only when the runtime's policy asks for Go's crash
//!   ([`PanicMode::Exit`]) or a test report ([`PanicMode::Report`]); otherwise
//!   they unwind into Tokio, which surfaces them through the handle.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use pin_project::pin_project;

use super::handle::JoinHandle;
use super::park::{self, ParkRecord};
use super::registry::{self, EntryGuard, Registry, Role};
use super::waker::{self, MainPoll};
use crate::loom::Arc;
use crate::runtime::context::PanicMode;

/// Starts a goroutine: runs `fut` concurrently with the caller.
///
/// Mirrors Go's `go f(x)`, written `go(f(x))`. The goroutine is registered
/// (id, spawn location, state; see [`goroutines()`](crate::goroutines)) and
/// runs in a `tracing` span `goroutine{id, at}` when a subscriber wants it. The returned [`JoinHandle`]
/// may be awaited for the output or simply dropped (fire-and-forget, as in Go).
///
/// Works on csp's own [`Runtime`](crate::Runtime) and on any multi-thread or
/// current-thread Tokio runtime (e.g. under `#[tokio::main]`), so a service can
/// adopt csp piece by piece. GOMAXPROCS, the crash-on-panic policy and
/// deadlock detection need csp's own runtime.
///
/// # Panics
///
/// Panics if called outside a Tokio runtime, with a message pointing to
/// `csp::run` / `#[csp::main]`.
///
/// If the goroutine itself panics on a csp runtime with the default
/// [`PanicPolicy::Exit`](crate::runtime::PanicPolicy::Exit), the program
/// prints Go's report (`panic: ...`, `goroutine 7 [running]:`, the spawn
/// location) and exits with status 2. With
/// [`PanicPolicy::Propagate`](crate::runtime::PanicPolicy::Propagate), or on a
/// Tokio runtime csp did not build, the panic surfaces as a
/// [`JoinError`](crate::JoinError) from the handle instead.
///
/// # Examples
///
/// ```
/// use csp_core::{go, run};
///
/// run(async {
///     go(async { println!("hello from a goroutine") }); // fire and forget
///     let answer = go(async { 42 }).await.unwrap();      // or keep the handle
///     assert_eq!(answer, 42);
/// });
/// ```
#[track_caller]
pub fn go<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let at = Location::caller();
    let handle = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "csp::go called outside a runtime (at {at}): start goroutines from the \
             main goroutine of `csp::run(...)` or `#[csp::main] async fn main()`, \
             or from inside any Tokio runtime"
        ),
    };
    spawn_on(&handle, fut, at, Role::Spawned, registry::current())
}

/// Spawns a wrapped goroutine on `handle` into `registry`; a `Role::Main`
/// asks for id 1.
pub(crate) fn spawn_on<F>(
    handle: &tokio::runtime::Handle,
    fut: F,
    at: &'static Location<'static>,
    role: Role,
    registry: Arc<Registry>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let wrapped = Goroutine::new(fut, registry, at, role);
    let id = wrapped.guard.entry().id;
    JoinHandle {
        inner: handle.spawn(wrapped),
        id,
    }
}

/// A goroutine: the user's future plus its registry entry.
///
/// Kept small (32 bytes beside the future): Tokio's task cell grows in
/// 128-byte steps, so every byte here may cost a step. What the wrapper
/// needs beyond these lives in the registry entry (one block per goroutine
/// either way) or, only for a main goroutine or when a `tracing` subscriber
/// wants goroutine spans, in `extra`.
#[pin_project]
pub(crate) struct Goroutine<F> {
    #[pin]
    fut: F,
    guard: EntryGuard,
    /// The park record of the previous poll (`None`: running).
    last: Option<ParkRecord>,
    /// What only some goroutines need; `None` for most.
    extra: Option<Box<Extra>>,
}

/// A goroutine's rarely needed parts, boxed so that others pay one word.
#[derive(Default)]
struct Extra {
    /// The goroutine's `tracing` span, if a subscriber is interested.
    span: Option<tracing::Span>,
    /// `Some` exactly for a main goroutine (`run`/`block_on`), which is
    /// never frozen and whose completion ends the run epoch.
    main: Option<MainPart>,
}

/// What only a main goroutine keeps.
struct MainPart {
    /// Its buffer of held-back wakes (see `waker::MainPoll`).
    held: Vec<std::task::Waker>,
    /// `Role::Main` (`run`) or `Role::BlockOn`: whose panic rule applies
    /// (`Registry::catches`); every other goroutine is `Role::Spawned`.
    role: Role,
}

impl<F: Future> Goroutine<F> {
    /// Registers a goroutine; it counts as live from now on.
    pub(crate) fn new(
        fut: F,
        registry: Arc<Registry>,
        at: &'static Location<'static>,
        role: Role,
    ) -> Self {
        let guard = Registry::register(registry, at, role);
        let span = tracing::info_span!("goroutine", id = guard.entry().id, at = %at);
        tracing::trace!(parent: &span, "goroutine spawned");
        let span = (!span.is_disabled()).then_some(span);
        let main = (role != Role::Spawned).then(|| MainPart {
            held: Vec::new(),
            role,
        });
        let extra = (span.is_some() || main.is_some()).then(|| Box::new(Extra { span, main }));
        Goroutine {
            fut,
            guard,
            last: None,
            extra,
        }
    }
}

impl<F: Future> Future for Goroutine<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let entry = this.guard.entry();
        let (span, main) = match this.extra.as_deref_mut() {
            Some(extra) => (extra.span.as_ref(), extra.main.as_mut()),
            None => (None, None),
        };
        if main.is_none() && entry.registry.epoch_tag() != entry.epoch {
            // Main returned: the program is over for this goroutine (Go never
            // runs a goroutine again once main returns). Runtime shutdown drops it.
            return Poll::Pending;
        }
        let _span = span.map(tracing::Span::enter);
        if this.last.is_some() {
            tracing::trace!("goroutine unparked");
        }
        // SAFETY: the wrapper is the one caller, at the start of a poll.
        unsafe { entry.task.update(cx.waker()) };
        entry.wake.begin_poll();
        let waker = waker::lend(entry);
        let mut gcx = TaskContext::from_waker(&waker);
        let catches = entry
            .registry
            .catches(main.as_ref().map_or(Role::Spawned, |main| main.role));
        let main_poll = main.map(|main| MainPoll::begin(&mut main.held, &entry.registry));
        let mark = park::PollMark::begin();
        let poll = if catches {
            match catch_unwind(AssertUnwindSafe(|| this.fut.as_mut().poll(&mut gcx))) {
                Ok(poll) => poll,
                Err(payload) => {
                    drop(main_poll);
                    mark.end();
                    let (registry, id, at) = (entry.registry.clone(), entry.id, entry.spawned_at);
                    this.guard.unregister();
                    goroutine_panicked(registry.panic_mode(), id, at, payload)
                }
            }
        } else {
            this.fut.as_mut().poll(&mut gcx)
        };
        let record = mark.end();
        entry.wake.end_poll();
        match poll {
            Poll::Ready(out) => {
                drop(main_poll); // main completed: ends the epoch, drops held wakes
                this.guard.unregister();
                tracing::trace!("goroutine exited");
                Poll::Ready(out)
            }
            Poll::Pending => {
                if let Some(main_poll) = main_poll {
                    main_poll.pending();
                }
                if let Some((reason, at)) = record {
                    tracing::trace!(reason = reason.as_str(), at = %at, "goroutine parked");
                }
                if !same_record(*this.last, record) {
                    *this.last = record;
                    this.guard.set_state(record);
                }
                Poll::Pending
            }
        }
    }
}

fn same_record(a: Option<ParkRecord>, b: Option<ParkRecord>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some((ra, la)), Some((rb, lb))) => ra == rb && std::ptr::eq(la, lb),
        _ => false,
    }
}

/// Applies the runtime's panic policy to a caught goroutine panic.
fn goroutine_panicked(
    panic: &PanicMode,
    id: u64,
    at: &'static Location<'static>,
    payload: Box<dyn Any + Send>,
) -> ! {
    let report = go_panic_report(id, at, &*payload);
    match panic {
        PanicMode::Report(report_to) => {
            report_to(report);
            resume_unwind(payload)
        }
        PanicMode::Exit | PanicMode::Propagate => {
            eprintln!("{report}");
            std::process::exit(2)
        }
    }
}

/// Go's crash report for a panicking goroutine.
pub(crate) fn go_panic_report(
    id: u64,
    at: &'static Location<'static>,
    payload: &(dyn Any + Send),
) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    format!("panic: {msg}\n\ngoroutine {id} [running]:\nspawned at {at}")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Goroutine;
    use crate::goroutine::registry::Entry;

    /// The memory budget of a goroutine beside its future (see
    /// `docs/performance.md`, "A goroutine's memory, round 4"): a wrapper
    /// that grows may push the task cell a 128-byte step, and an entry past
    /// 96 bytes (a 104-byte block with its count) no longer fits the holes
    /// glibc leaves beside Tokio's aligned task cells.
    #[test]
    fn wrapper_and_entry_stay_within_budget() {
        type Fut = std::future::Pending<[u64; 8]>;
        assert!(std::mem::size_of::<Goroutine<Fut>>() <= std::mem::size_of::<Fut>() + 32);
        assert!(
            std::mem::size_of::<Entry>() <= 96,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }
}
