//! Misuse fuzzer (issue #21): random operation sequences from several
//! goroutines on a multi-worker csp runtime, then a ledger of every value.
//!
//! Each case makes a few channels (capacity 0 to 3) and up to
//! [`MAX_GOROUTINES`] goroutines, on csp's runtime or (a quarter of the
//! cases) on a plain Tokio runtime, holding clones of every handle, each running
//! its own random list of operations: sends and receives awaited, tried, under
//! `tokio::time::timeout`, in `tokio::select!` against a Tokio sleep, with
//! csp's own deadlines, polled once and then dropped or cancelled; selects
//! over random case sets (receives, sends, nil cases of both kinds, `after`
//! and a `Timer`), with `default`, awaited, timed out or dropped after one
//! poll; closes from either side; drops of senders and receivers; timer
//! resets and stops. When the goroutines stall, main closes every channel,
//! and if they still stall, aborts them (dropping whatever they were waiting
//! in); it then drains the channels it kept a receiver of.
//!
//! Every value is a [`Tok`] with a unique id that reports its fate to the
//! [`Ledger`]: received (by whom and from which channel), returned to its
//! sender (`SendError`, `take_unsent`, `cancel`, `*_timeout`), or dropped
//! (inside a dropped future or a dead channel). Afterwards every value must
//! have exactly one fate (none: leaked; two: duplicated), a value its sender
//! saw sent must have been received (or, on a channel nobody kept a receiver
//! of, dropped with it), and nothing may panic or hang (a deadline per case).
//!
//! Cases: `CSP_FUZZ_CASES` (default [`DEFAULT_CASES`]). `CSP_FUZZ_STATS=1`
//! prints running totals of the values' fates, and main's rescue stages
//! (1: close every channel, 2: abort the goroutines), with `--nocapture`.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use csp_core::runtime::{PanicPolicy, Runtime};
use csp_core::select::{select, try_select, RecvCase, SelectCase, SendCase};
use csp_core::time::{after, Timer};
use csp_core::{
    chan, go, gosched, JoinHandle, Receiver, SendError, SendTimeoutError, Sender, TrySendError,
};
use proptest::prelude::*;

const CHANNELS: usize = 3;
const MAX_GOROUTINES: usize = 4;
const MAX_OPS: usize = 24;
/// Cases per run without `CSP_FUZZ_CASES`.
const DEFAULT_CASES: u32 = 512;
/// How long main lets the goroutines make no progress before it closes
/// every channel, and then again before it aborts them.
const STALL: Duration = Duration::from_millis(10);
/// A case still running after this long has hung.
const CASE_DEADLINE: Duration = Duration::from_secs(20);

/// How a send or receive (or a select, for the relevant kinds) is made.
#[derive(Clone, Copy, Debug)]
enum How {
    Await,
    Try,
    /// `tokio::time::timeout` around it.
    Timeout(u8),
    /// Polled once, left registered for a while (peers may commit to it
    /// meanwhile), then dropped if it was pending.
    PollOnce(u8),
    /// As `PollOnce`, then `Send::cancel`led (a receive or select: dropped).
    Cancel(u8),
    /// csp's own `send_timeout` / `recv_timeout`.
    Deadline(u8),
    /// `tokio::select!` against a Tokio sleep.
    TokioSelect(u8),
}

#[derive(Clone, Copy, Debug)]
enum Case {
    Recv(usize),
    Send(usize),
    /// A receive case on a nil channel.
    Nil,
    /// A send case on a nil channel (its value must come back).
    NilSend,
    After(u8),
    Timer,
}

#[derive(Clone, Debug)]
enum Op {
    Send(usize, How),
    Recv(usize, How),
    Select(Vec<Case>, bool, How),
    /// Close through the sender (`true`) or the receiver.
    Close(usize, bool),
    DropSender(usize),
    DropReceiver(usize),
    /// 0: re-arm an hour out (and check no stale value is left).
    TimerReset(u8),
    TimerStop,
    Yield,
}

/// A few hundred microseconds: long enough for peers to act meanwhile.
fn dur(x: u8) -> Duration {
    Duration::from_micros(u64::from(x) * 250)
}

/// The fate of one value, as far as its sender knows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Outcome {
    /// The sender never learned (its future was dropped or aborted).
    #[default]
    Abandoned,
    Sent,
    Returned,
}

#[derive(Debug, Default)]
struct Record {
    chan: usize,
    outcome: Outcome,
    received: u32,
    returned: u32,
    dropped: u32,
}

/// Every value's record, and the violations seen inside goroutines.
#[derive(Default)]
struct Ledger {
    records: Mutex<HashMap<u64, Record>>,
    errors: Mutex<Vec<String>>,
}

impl Ledger {
    fn note(&self, id: u64, f: impl FnOnce(&mut Record)) {
        f(self.records.lock().unwrap().entry(id).or_default());
    }

    fn error(&self, msg: String) {
        self.errors.lock().unwrap().push(msg);
    }

    fn sent(&self, id: u64) {
        self.note(id, |r| r.outcome = Outcome::Sent);
    }

    /// The outcome of an awaited send of `id`.
    fn settle(&self, id: u64, r: Result<(), SendError<Tok>>) {
        match r {
            Ok(()) => self.sent(id),
            Err(SendError(t)) => t.returned(id),
        }
    }
}

/// A value that tells the ledger what became of it.
struct Tok {
    id: u64,
    chan: usize,
    ledger: Arc<Ledger>,
    /// Cleared once its fate is recorded, so its drop records nothing.
    live: bool,
}

impl Tok {
    fn received(mut self, on: usize) {
        self.live = false;
        if self.chan != on {
            self.ledger.error(format!(
                "value {:#x} sent on channel {} was received from channel {on}",
                self.id, self.chan
            ));
        }
        self.ledger.note(self.id, |r| r.received += 1);
    }

    /// Back with its sender, who sent `id`.
    fn returned(mut self, id: u64) {
        self.live = false;
        if self.id != id {
            self.ledger.error(format!(
                "the send of {id:#x} returned a different value, {:#x}",
                self.id
            ));
        }
        self.ledger.note(self.id, |r| {
            r.returned += 1;
            r.outcome = Outcome::Returned;
        });
    }
}

impl Drop for Tok {
    fn drop(&mut self) {
        if self.live {
            self.ledger.note(self.id, |r| r.dropped += 1);
        }
    }
}

/// Polls `f` once with the goroutine's own waker, then, if it is pending,
/// sleeps for `linger` without polling it (peers may complete it meanwhile).
async fn poll_once<F: Future>(mut f: Pin<&mut F>, linger: u8) -> Poll<F::Output> {
    let out = poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await;
    if out.is_pending() && linger > 0 {
        tokio::time::sleep(dur(linger)).await;
    }
    out
}

/// One goroutine's handles and state.
struct G {
    me: u64,
    seq: u64,
    tx: Vec<Option<Sender<Tok>>>,
    rx: Vec<Option<Receiver<Tok>>>,
    timer: Timer,
    ledger: Arc<Ledger>,
    progress: Arc<AtomicU64>,
}

/// A select case as built, with what is needed to settle it.
enum Built<'a> {
    /// A receive case on channel `Some(c)`, or a nil one.
    Recv(Option<usize>, Pin<Box<RecvCase<'a, Tok>>>),
    /// A send case of value `id`.
    Send(u64, Pin<Box<SendCase<'a, Tok>>>),
    Time(Pin<Box<RecvCase<'a, Instant>>>),
}

impl G {
    fn mint(&mut self, chan: usize) -> Tok {
        let id = (self.me << 32) | self.seq;
        self.seq += 1;
        self.ledger.note(id, |r| r.chan = chan);
        Tok {
            id,
            chan,
            ledger: self.ledger.clone(),
            live: true,
        }
    }

    async fn run(mut self, ops: Vec<Op>) {
        for op in ops {
            match op {
                Op::Send(c, how) => self.send(c, how).await,
                Op::Recv(c, how) => self.recv(c, how).await,
                Op::Select(cases, default, how) => self.select(&cases, default, how).await,
                Op::Close(c, by_sender) => {
                    if by_sender {
                        if let Some(tx) = &self.tx[c] {
                            tx.close();
                        }
                    } else if let Some(rx) = &self.rx[c] {
                        rx.close();
                    }
                }
                Op::DropSender(c) => self.tx[c] = None,
                Op::DropReceiver(c) => self.rx[c] = None,
                Op::TimerReset(0) => {
                    self.timer.reset(Duration::from_secs(3600));
                    self.no_stale_timer_value("reset");
                }
                Op::TimerReset(x) => {
                    self.timer.reset(dur(x));
                }
                Op::TimerStop => {
                    self.timer.stop();
                    self.no_stale_timer_value("stop");
                }
                Op::Yield => gosched().await,
            }
            self.progress.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Go 1.23: after `Stop` or `Reset` returns, no value of the earlier
    /// arming can be received.
    fn no_stale_timer_value(&self, what: &str) {
        if let Ok(at) = self.timer.c.try_recv() {
            self.ledger
                .error(format!("Timer::{what} left a stale value behind: {at:?}"));
        }
    }

    async fn send(&mut self, c: usize, how: How) {
        if self.tx[c].is_none() {
            return;
        }
        let tok = self.mint(c);
        let id = tok.id;
        let (tx, l) = (self.tx[c].as_ref().unwrap(), &*self.ledger);
        match how {
            How::Await => l.settle(id, tx.send(tok).await),
            How::Try => match tx.try_send(tok) {
                Ok(()) => l.sent(id),
                Err(TrySendError::Full(t) | TrySendError::Closed(t)) => t.returned(id),
            },
            How::Timeout(d) => {
                if let Ok(r) = tokio::time::timeout(dur(d), tx.send(tok)).await {
                    l.settle(id, r);
                }
            }
            How::PollOnce(linger) => {
                let mut f = pin!(tx.send(tok));
                if let Poll::Ready(r) = poll_once(f.as_mut(), linger).await {
                    l.settle(id, r);
                }
            }
            How::Cancel(linger) => {
                let mut f = pin!(tx.send(tok));
                match poll_once(f.as_mut(), linger).await {
                    Poll::Ready(r) => l.settle(id, r),
                    Poll::Pending => match f.as_mut().cancel() {
                        Some(t) => t.returned(id),
                        None => l.sent(id),
                    },
                }
            }
            How::Deadline(d) => match tx.send_timeout(tok, dur(d)).await {
                Ok(()) => l.sent(id),
                Err(SendTimeoutError::Timeout(t) | SendTimeoutError::Closed(t)) => {
                    t.returned(id);
                }
            },
            How::TokioSelect(d) => tokio::select! {
                r = tx.send(tok) => l.settle(id, r),
                () = tokio::time::sleep(dur(d)) => {}
            },
        }
    }

    async fn recv(&mut self, c: usize, how: How) {
        let Some(rx) = &self.rx[c] else {
            return;
        };
        let got = match how {
            How::Await => rx.recv().await,
            How::Try => rx.try_recv().ok(),
            How::Timeout(d) => tokio::time::timeout(dur(d), rx.recv()).await.ok().flatten(),
            How::PollOnce(linger) | How::Cancel(linger) => {
                let mut f = pin!(rx.recv());
                match poll_once(f.as_mut(), linger).await {
                    Poll::Ready(v) => v,
                    Poll::Pending => None,
                }
            }
            How::Deadline(d) => rx.recv_timeout(dur(d)).await.ok(),
            How::TokioSelect(d) => tokio::select! {
                v = rx.recv() => v,
                () = tokio::time::sleep(dur(d)) => None,
            },
        };
        if let Some(t) = got {
            t.received(c);
        }
    }

    async fn select(&mut self, plan: &[Case], default: bool, how: How) {
        // Values first (minting needs `&mut self`), then the cases borrowing
        // the handles.
        let mut values: Vec<Option<Tok>> = plan
            .iter()
            .map(|case| match *case {
                Case::Send(c) => Some(self.mint(c)),
                Case::NilSend => Some(self.mint(usize::MAX)),
                _ => None,
            })
            .collect();
        let mut built: Vec<Built<'_>> = plan
            .iter()
            .zip(&mut values)
            .map(|(case, value)| match *case {
                Case::Recv(c) => Built::Recv(Some(c), Box::pin(RecvCase::new(self.rx[c].as_ref()))),
                Case::Nil => Built::Recv(None, Box::pin(RecvCase::new(None::<&Receiver<Tok>>))),
                Case::Send(c) => {
                    let t = value.take().unwrap();
                    Built::Send(t.id, Box::pin(SendCase::new(self.tx[c].as_ref(), t)))
                }
                Case::NilSend => {
                    let t = value.take().unwrap();
                    Built::Send(t.id, Box::pin(SendCase::new(None::<&Sender<Tok>>, t)))
                }
                Case::After(d) => Built::Time(Box::pin(RecvCase::new(after(dur(d))))),
                Case::Timer => Built::Time(Box::pin(RecvCase::new(&self.timer.c))),
            })
            .collect();
        let mut refs: Vec<Pin<&mut dyn SelectCase>> = built
            .iter_mut()
            .map(|b| match b {
                Built::Recv(_, r) => r.as_mut() as Pin<&mut dyn SelectCase>,
                Built::Send(_, s) => s.as_mut() as Pin<&mut dyn SelectCase>,
                Built::Time(t) => t.as_mut() as Pin<&mut dyn SelectCase>,
            })
            .collect();
        // `None` with `default`: default taken; without: the select was dropped.
        let chosen = if default {
            try_select(&mut refs)
        } else {
            match how {
                How::Await => Some(select(&mut refs).await),
                How::Timeout(d) | How::Deadline(d) => {
                    tokio::time::timeout(dur(d), select(&mut refs)).await.ok()
                }
                How::Try => match poll_once(pin!(select(&mut refs)), 0).await {
                    Poll::Ready(i) => Some(i),
                    Poll::Pending => None,
                },
                How::PollOnce(linger) | How::Cancel(linger) => {
                    match poll_once(pin!(select(&mut refs)), linger).await {
                        Poll::Ready(i) => Some(i),
                        Poll::Pending => None,
                    }
                }
                How::TokioSelect(d) => tokio::select! {
                    i = select(&mut refs) => Some(i),
                    () = tokio::time::sleep(dur(d)) => None,
                },
            }
        };
        drop(refs);
        let dropped = chosen.is_none() && !default;
        let l = &*self.ledger;
        for (i, b) in built.iter_mut().enumerate() {
            match b {
                Built::Recv(c, case) if chosen == Some(i) => match c {
                    None => l.error(format!("a nil receive case fired: {plan:?}")),
                    Some(c) => {
                        if let Some(t) = case.as_mut().take_output() {
                            t.received(*c);
                        }
                    }
                },
                Built::Send(id, case) if chosen == Some(i) => {
                    if matches!(plan[i], Case::NilSend) {
                        l.error(format!("a nil send case fired: {plan:?}"));
                    }
                    l.settle(*id, case.as_mut().take_output());
                }
                Built::Send(id, case) => match case.as_mut().take_unsent() {
                    Some(t) => t.returned(*id),
                    None if dropped => {} // committed before the drop, or dropped with it
                    None => l.error(format!(
                        "send case {i} lost its value {id:#x} though case {chosen:?} was chosen: {plan:?}"
                    )),
                },
                Built::Time(case) if chosen == Some(i) => {
                    let _ = case.as_mut().take_output();
                }
                Built::Recv(..) | Built::Time(_) => {}
            }
        }
    }
}

/// Everything one case does.
#[derive(Clone, Debug)]
struct Plan {
    caps: Vec<usize>,
    /// Whether main keeps a receiver of each channel (else the channel dies
    /// with the goroutines' receivers, buffered values with it).
    keep_rx: Vec<bool>,
    goroutines: Vec<Vec<Op>>,
    /// Run on a plain multi-thread Tokio runtime instead of csp's.
    on_tokio: bool,
}

/// Runs `plan` as the main goroutine; `Err` for a hang or a panic.
async fn run_case(plan: Plan, ledger: Arc<Ledger>) -> Result<(), String> {
    let chans: Vec<(Sender<Tok>, Receiver<Tok>)> = plan.caps.iter().map(|&c| chan(c)).collect();
    let progress = Arc::new(AtomicU64::new(0));
    let handles: Vec<JoinHandle<()>> = plan
        .goroutines
        .into_iter()
        .enumerate()
        .map(|(me, ops)| {
            let g = G {
                me: me as u64,
                seq: 0,
                tx: chans.iter().map(|c| Some(c.0.clone())).collect(),
                rx: chans.iter().map(|c| Some(c.1.clone())).collect(),
                timer: Timer::new(Duration::from_millis(1)),
                ledger: ledger.clone(),
                progress: progress.clone(),
            };
            go(g.run(ops))
        })
        .collect();
    let (txs, rxs): (Vec<_>, Vec<_>) = chans.into_iter().unzip();
    let rxs: Vec<Option<Receiver<Tok>>> = rxs
        .into_iter()
        .zip(&plan.keep_rx)
        .map(|(rx, &keep)| keep.then_some(rx))
        .collect();
    let start = Instant::now();
    let (mut seen, mut quiet_since, mut stage) = (0, Instant::now(), 0);
    while !handles.iter().all(JoinHandle::is_finished) {
        if start.elapsed() > CASE_DEADLINE {
            return Err(format!(
                "hang: goroutines still running after {CASE_DEADLINE:?}\n{}",
                csp_core::dump()
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        let now = progress.load(Ordering::Relaxed);
        if now != seen {
            (seen, quiet_since) = (now, Instant::now());
        } else if quiet_since.elapsed() >= STALL {
            quiet_since = Instant::now();
            stage += 1;
            if std::env::var_os("CSP_FUZZ_STATS").is_some() {
                eprintln!("STAGE {stage}");
            }
            match stage {
                1 => txs.iter().for_each(|tx| {
                    tx.close();
                }),
                2 => handles.iter().for_each(JoinHandle::abort),
                _ => {}
            }
        }
    }
    for h in handles {
        if let Err(e) = h.await {
            if !e.is_cancelled() {
                return Err(format!("a goroutine panicked: {e}"));
            }
        }
    }
    for (c, rx) in rxs.iter().enumerate() {
        if let Some(rx) = rx {
            rx.close();
            while let Ok(t) = rx.try_recv() {
                t.received(c);
            }
        }
    }
    Ok(())
}

/// Checks every value's fate once all handles are gone.
fn audit(ledger: &Ledger, keep_rx: &[bool]) -> Result<(), String> {
    let mut problems: Vec<String> = ledger.errors.lock().unwrap().clone();
    let records = ledger.records.lock().unwrap();
    for (id, r) in records.iter() {
        let fates = r.received + r.returned + r.dropped;
        let lost = r.outcome == Outcome::Sent
            && r.received == 0
            && !(r.dropped == 1 && r.chan < keep_rx.len() && !keep_rx[r.chan]);
        if fates != 1 || lost || (r.outcome == Outcome::Returned) != (r.returned == 1) {
            problems.push(format!("value {id:#x}: {r:?}"));
        }
    }
    if std::env::var_os("CSP_FUZZ_STATS").is_some() {
        // Running totals over the cases so far: [received, returned,
        // dropped, seen sent, abandoned by their sender, cases].
        static TOTALS: Mutex<[u64; 6]> = Mutex::new([0; 6]);
        let mut t = TOTALS.lock().unwrap();
        for r in records.values() {
            t[0] += u64::from(r.received);
            t[1] += u64::from(r.returned);
            t[2] += u64::from(r.dropped);
            t[3] += u64::from(r.outcome == Outcome::Sent);
            t[4] += u64::from(r.outcome == Outcome::Abandoned);
        }
        t[5] += 1;
        eprintln!(
            "STATS received {} returned {} dropped {} sent {} abandoned {} cases {}",
            t[0], t[1], t[2], t[3], t[4], t[5]
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort();
        problems.truncate(20);
        Err(problems.join("\n"))
    }
}

/// The csp runtime the cases share: several workers, panics as `JoinError`s.
fn csp_runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        Runtime::builder()
            .gomaxprocs(3)
            .on_goroutine_panic(PanicPolicy::Propagate)
            .build()
            .expect("a 3-worker csp runtime")
    })
}

/// The plain Tokio runtime the other cases share (goroutines, channels and
/// select work there too; csp did not build it).
fn tokio_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .enable_all()
            .build()
            .expect("a 3-worker Tokio runtime")
    })
}

/// Runs one case with a hang deadline and audits it.
fn check(plan: Plan) -> Result<(), String> {
    let ledger = Arc::new(Ledger::default());
    let keep_rx = plan.keep_rx.clone();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let l = ledger.clone();
    std::thread::spawn(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if plan.on_tokio {
                tokio_runtime().block_on(run_case(plan, l))
            } else {
                csp_runtime().run(run_case(plan, l))
            }
        }));
        let _ = done_tx.send(out);
    });
    match done_rx.recv_timeout(CASE_DEADLINE + Duration::from_secs(10)) {
        Ok(Ok(out)) => out?,
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            return Err(format!("main panicked: {msg}"));
        }
        Err(_) => return Err("hang: the case's thread never returned".into()),
    }
    audit(&ledger, &keep_rx)
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![
        3 => Just(How::Await),
        2 => Just(How::Try),
        1 => (0..8u8).prop_map(How::Timeout),
        2 => (0..8u8).prop_map(How::PollOnce),
        2 => (0..8u8).prop_map(How::Cancel),
        1 => (0..8u8).prop_map(How::Deadline),
        1 => (0..8u8).prop_map(How::TokioSelect),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        3 => (0..CHANNELS).prop_map(Case::Recv),
        3 => (0..CHANNELS).prop_map(Case::Send),
        1 => Just(Case::Nil),
        1 => Just(Case::NilSend),
        1 => (0..8u8).prop_map(Case::After),
        1 => Just(Case::Timer),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CHANNELS, how()).prop_map(|(c, h)| Op::Send(c, h)),
        4 => (0..CHANNELS, how()).prop_map(|(c, h)| Op::Recv(c, h)),
        4 => (proptest::collection::vec(case(), 0..5), proptest::bool::weighted(0.3), how())
            .prop_map(|(cases, default, h)| Op::Select(cases, default, h)),
        1 => (0..CHANNELS, any::<bool>()).prop_map(|(c, s)| Op::Close(c, s)),
        1 => (0..CHANNELS).prop_map(Op::DropSender),
        1 => (0..CHANNELS).prop_map(Op::DropReceiver),
        1 => (0..8u8).prop_map(Op::TimerReset),
        1 => Just(Op::TimerStop),
        1 => Just(Op::Yield),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        proptest::collection::vec(0..4usize, CHANNELS),
        proptest::collection::vec(proptest::bool::weighted(0.75), CHANNELS),
        proptest::collection::vec(
            proptest::collection::vec(op(), 0..MAX_OPS),
            1..=MAX_GOROUTINES,
        ),
        proptest::bool::weighted(0.25),
    )
        .prop_map(|(caps, keep_rx, goroutines, on_tokio)| Plan {
            caps,
            keep_rx,
            goroutines,
            on_tokio,
        })
}

fn cases() -> u32 {
    std::env::var("CSP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    })]

    #[test]
    fn misuse_keeps_every_value_accounted_for(plan in plan()) {
        if let Err(e) = check(plan) {
            prop_assert!(false, "{}", e);
        }
    }
}
