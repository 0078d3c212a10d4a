//! Demand on a channel: a way for a bridge (csp-nats moves values between a
//! local channel and a network) to learn that a goroutine waits on one side
//! of a channel *without* taking part in the operation. Go has no such
//! thing: in Go, only a peer operation can observe a parked one, and it
//! commits on the spot. A bridge needs to look first, so that it takes a
//! local value only once the value has somewhere to go, and asks the network
//! for a value only while a local receiver wants one.
//!
//! [`watched`] makes a channel that carries a watch in its state (the slot
//! timer channels use for their value source, `chan::timed`): parking
//! a send or a receive on it tells the watch, which wakes the [`Demand`]
//! future waiting for that side. Every other channel has no watch, so a send
//! or receive that does not use this pays one `Option` check when it parks,
//! and nothing when it does not park (no atomic, no lock).
//!
//! # Invariants
//! - The truth is the channel's queues, read under the channel lock: a side
//!   is *waiting* while its queue holds a hook whose token still waits (a
//!   plain operation or a select case). The watch only says when to look
//!   again.
//! - A [`WaitFor`] future that finds its side not waiting stores its waker
//!   in the watch in the same critical section, so a park that follows takes
//!   the lock after it and finds the waker (no lost wake-up).
//! - Closing the channel drops the watch (after the lock is released), which
//!   wakes both watchers; a closed channel answers `false` at once.
//!
//! # Locking
//! The watch lives in the channel state and is only touched under the
//! channel lock. The one exception to "nobody wakes under a channel lock":
//! a park wakes the watcher of its side from inside the critical section (the
//! park path cannot carry a waker out of a select's multi-lock section). The
//! waker is the watching goroutine's; waking it runs no user code and takes
//! no csp lock.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::core::Chan;
use super::state::State;
use super::timed::TimedSource;
use super::{Receiver, Sender};
use crate::goroutine::{record_park, WaitReason};
use crate::loom::Arc;

/// Makes a channel whose demand can be watched: Go's `make(chan T,
/// capacity)` plus a [`Demand`] handle that tells when a goroutine waits to
/// receive or to send.
///
/// The channel behaves exactly as one from [`chan`](crate::chan()); the
/// handle neither sends nor receives and does not keep the channel open.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// let (tx, rx, demand) = csp_core::chan::watched::<u32>(0);
/// assert!(!demand.receiver_waiting_now());
/// csp_core::go(async move { rx.recv().await });
/// // Resolves once the goroutine is parked in `recv`: a send now completes.
/// assert!(demand.receiver_waiting().await);
/// tx.send(7).await.unwrap();
/// # });
/// ```
pub fn watched<T>(capacity: usize) -> (Sender<T>, Receiver<T>, Demand<T>) {
    let (tx, rx) = crate::chan(capacity);
    tx.chan.lock().timer = Some(Box::new(Watch::default()));
    let demand = Demand {
        chan: tx.chan.clone(),
    };
    (tx, rx, demand)
}

/// Watches the demand on a channel made by [`watched`]: whether a goroutine
/// is parked receiving (plain or in a `select!` case) or sending.
///
/// Go has no counterpart (see the module docs): it exists for bridges that
/// connect a channel to something outside the process and must not take a
/// value, or fetch one, that nobody local is waiting for.
///
/// # Examples
/// ```
/// # csp_core::runtime_for_doctest(async {
/// let (tx, rx, demand) = csp_core::chan::watched::<&str>(0);
/// csp_core::go(async move { tx.send("job").await });
/// assert!(demand.sender_waiting().await); // a value is ready, nobody took it
/// assert_eq!(rx.try_recv(), Ok("job"));
/// # });
/// ```
pub struct Demand<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Clone for Demand<T> {
    fn clone(&self) -> Self {
        Demand {
            chan: self.chan.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Demand<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demand").finish_non_exhaustive()
    }
}

/// Which side of the channel a [`WaitFor`] watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Receivers,
    Senders,
}

impl<T> Demand<T> {
    /// Waits until a receive is parked on the channel (so a send would be
    /// taken at once): `true`, or `false` once the channel is closed.
    ///
    /// A receiver may give up right after this resolves (a timeout, another
    /// `select!` case): a send made then parks as usual.
    ///
    /// # Cancel safety
    /// Cancel safe: it only waits.
    #[track_caller]
    pub fn receiver_waiting(&self) -> WaitFor<'_, T> {
        WaitFor {
            chan: &self.chan,
            side: Side::Receivers,
            at: Location::caller(),
        }
    }

    /// Waits until a send is parked on the channel (so a receive would take
    /// its value at once): `true`, or `false` once the channel is closed.
    ///
    /// # Cancel safety
    /// Cancel safe: it only waits.
    #[track_caller]
    pub fn sender_waiting(&self) -> WaitFor<'_, T> {
        WaitFor {
            chan: &self.chan,
            side: Side::Senders,
            at: Location::caller(),
        }
    }

    /// Whether a receive is parked on the channel now.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx, demand) = csp_core::chan::watched::<u8>(0);
    /// assert!(!demand.receiver_waiting_now());
    /// assert!(tx.try_send(1).is_err()); // what a send would find
    /// ```
    pub fn receiver_waiting_now(&self) -> bool {
        waiting(&self.chan.lock(), Side::Receivers)
    }

    /// Whether a send is parked on the channel now (a buffered value does
    /// not count: no sender waits for it).
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx, demand) = csp_core::chan::watched::<u8>(1);
    /// tx.try_send(1).unwrap(); // buffered
    /// assert!(!demand.sender_waiting_now());
    /// ```
    pub fn sender_waiting_now(&self) -> bool {
        waiting(&self.chan.lock(), Side::Senders)
    }
}

/// Whether `side`'s queue holds a hook that still waits.
fn waiting<T>(state: &State<T>, side: Side) -> bool {
    let queue = match side {
        Side::Receivers => &state.recvq,
        Side::Senders => &state.sendq,
    };
    queue.iter().any(|ptr| {
        // SAFETY: the caller holds the channel lock and `ptr` is in its
        // queue: its owner keeps the hook alive and in place (the lifetime
        // protocol of `crate::waiter`); reading the token touches no slot.
        unsafe { ptr.get() }.is_waiting()
    })
}

/// The future of [`Demand::receiver_waiting`] and
/// [`Demand::sender_waiting`].
#[must_use = "futures do nothing unless polled"]
pub struct WaitFor<'a, T> {
    chan: &'a Chan<T>,
    side: Side,
    at: &'static Location<'static>,
}

impl<T> Future for WaitFor<'_, T> {
    type Output = bool;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut state = self.chan.lock();
        if state.snapshot().is_closed() {
            return Poll::Ready(false);
        }
        if waiting(&state, self.side) {
            return Poll::Ready(true);
        }
        let Some(watch) = state.timer.as_mut().and_then(|t| t.as_watch()) else {
            // Not a watched channel (cannot happen through `watched`):
            // nothing would ever wake us.
            return Poll::Ready(false);
        };
        let slot = match self.side {
            Side::Receivers => &mut watch.receivers,
            Side::Senders => &mut watch.senders,
        };
        crate::goroutine::store_queue_waker(slot, cx.waker());
        drop(state);
        // Waiting for the other side of the channel, as an operation on
        // this side would.
        let reason = match self.side {
            Side::Receivers => WaitReason::ChanSend,
            Side::Senders => WaitReason::ChanReceive,
        };
        record_park(reason, self.at);
        Poll::Pending
    }
}

/// The watch a [`watched`] channel carries in its state: the wakers of the
/// goroutines waiting for each side.
#[derive(Default)]
pub(crate) struct Watch {
    receivers: Option<Waker>,
    senders: Option<Waker>,
}

impl Drop for Watch {
    /// The channel closed (or went away): both watchers learn it.
    fn drop(&mut self) {
        for waker in [self.receivers.take(), self.senders.take()]
            .into_iter()
            .flatten()
        {
            crate::goroutine::waker::wake(waker);
        }
    }
}

/// A watch is no value source: it never has a value or a deadline; it only
/// hears parks.
impl<T> TimedSource<T> for Watch {
    fn pending(&self) -> bool {
        false
    }
    fn take_due(&mut self, _now: tokio::time::Instant) -> Option<T> {
        None
    }
    fn untake(&mut self, _deadline: Option<tokio::time::Instant>) {}
    fn deadline(&self) -> Option<tokio::time::Instant> {
        None
    }
    /// A receive parked.
    fn arm(&mut self) {
        if let Some(waker) = self.receivers.take() {
            crate::goroutine::waker::wake(waker);
        }
    }
    fn disarm(&mut self) {}
    fn stop(&mut self) -> bool {
        false
    }
    fn reset(&mut self, _: tokio::time::Instant, _: Option<std::time::Duration>) -> bool {
        false
    }
    /// Every value a dropped receive gives back goes back to the channel:
    /// a watched channel's values are the senders', never stale.
    fn is_current(&self, _value: &T) -> bool {
        true
    }
    fn sender_parked(&mut self) {
        if let Some(waker) = self.senders.take() {
            crate::goroutine::waker::wake(waker);
        }
    }
    fn as_watch(&mut self) -> Option<&mut Watch> {
        Some(self)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::pin::{pin, Pin};
    use std::time::Duration;

    use super::watched;
    use crate::select::{select, RecvCase, SelectCase};

    #[test]
    fn sees_a_parked_receiver_and_a_parked_select_case() {
        crate::runtime_for_doctest(async {
            let (tx, rx, demand) = watched::<u32>(0);
            let idle = tokio::time::timeout(Duration::from_millis(50), demand.receiver_waiting());
            assert!(idle.await.is_err(), "nobody receives yet");
            let rx2 = rx.clone();
            let plain = tokio::spawn(async move { rx2.recv().await });
            let seen = tokio::time::timeout(Duration::from_secs(5), demand.receiver_waiting());
            assert!(seen.await.unwrap());
            tx.send(1).await.unwrap();
            assert_eq!(plain.await.unwrap(), Some(1));
            assert!(
                !demand.receiver_waiting_now(),
                "the receiver left with its value"
            );
            // A select's receive case counts as well, and stops counting once
            // another case wins.
            let (_other_tx, other_rx) = crate::chan::<u32>(0);
            let sel = tokio::spawn(async move {
                let mut a = pin!(RecvCase::new(&rx));
                let mut b = pin!(RecvCase::new(&other_rx));
                let mut cases: [Pin<&mut dyn SelectCase>; 2] = [a.as_mut(), b.as_mut()];
                tokio::time::timeout(Duration::from_millis(100), select(&mut cases)).await
            });
            let seen = tokio::time::timeout(Duration::from_secs(5), demand.receiver_waiting());
            assert!(seen.await.unwrap());
            assert!(sel.await.unwrap().is_err(), "timed out");
            assert!(!demand.receiver_waiting_now());
        });
    }

    #[test]
    fn sees_a_parked_sender_and_close() {
        crate::runtime_for_doctest(async {
            let (tx, rx, demand) = watched::<u32>(1);
            tx.send(1).await.unwrap(); // buffered: no sender waits
            assert!(!demand.sender_waiting_now());
            let tx2 = tx.clone();
            let sender = tokio::spawn(async move { tx2.send(2).await });
            let seen = tokio::time::timeout(Duration::from_secs(5), demand.sender_waiting());
            assert!(seen.await.unwrap());
            assert_eq!(rx.recv().await, Some(1));
            sender.await.unwrap().unwrap();
            let demand2 = demand.clone();
            let watcher = tokio::spawn(async move { demand2.receiver_waiting().await });
            tokio::time::sleep(Duration::from_millis(20)).await;
            tx.close();
            let woke = tokio::time::timeout(Duration::from_secs(5), watcher);
            assert!(!woke.await.unwrap().unwrap(), "closed: false");
            assert!(!demand.sender_waiting().await);
        });
    }

    /// A bridge's shape on csp's own runtime, with its deadlock detector:
    /// a goroutine waits for demand and sends only then, while main receives
    /// inside `tokio::select!` beside a Tokio sleep. The receive is seen, the
    /// value arrives, and nothing is reported while either side waits.
    #[test]
    fn a_goroutine_answers_demand_beside_tokio_select_on_csps_runtime() {
        let rt = crate::Runtime::new().unwrap();
        rt.block_on(async {
            let (tx, rx, demand) = watched::<u32>(0);
            let bridge = crate::go(async move {
                while demand.receiver_waiting().await {
                    if tx.try_send(7).is_ok() {
                        return true;
                    }
                    crate::gosched().await;
                }
                false
            });
            tokio::time::sleep(Duration::from_millis(20)).await; // the bridge parks first
            let got = tokio::select! {
                v = rx.recv() => v,
                () = tokio::time::sleep(Duration::from_secs(5)) => None,
            };
            assert_eq!(got, Some(7), "the parked receive drew the value");
            let sent = tokio::time::timeout(Duration::from_secs(5), bridge).await;
            assert!(sent.expect("the bridge finishes").unwrap());
        });
    }
}
