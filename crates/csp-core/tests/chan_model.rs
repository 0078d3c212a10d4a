//! Property test: random sequences of channel operations from one thread,
//! checked step by step against a tiny sequential model of Go's `hchan`
//! (a `VecDeque` buffer, FIFO queues of parked senders and receivers, a flag).
use std::collections::VecDeque;

use csp_core::{chan, Recv, Send, SendError, TryRecvError, TrySendError};
use proptest::prelude::*;
use tokio_test::task::{spawn, Spawn};

const MAX_OPS: usize = 60;

#[derive(Clone, Debug)]
enum Op {
    TrySend(u32),
    TryRecv,
    Close,
    StartSend(u32),
    StartRecv,
    PollSend(usize),
    PollRecv(usize),
    DropSend(usize),
    DropRecv(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<u32>().prop_map(Op::TrySend),
        3 => Just(Op::TryRecv),
        1 => Just(Op::Close),
        3 => any::<u32>().prop_map(Op::StartSend),
        3 => Just(Op::StartRecv),
        2 => (0..8usize).prop_map(Op::PollSend),
        2 => (0..8usize).prop_map(Op::PollRecv),
        1 => (0..8usize).prop_map(Op::DropSend),
        1 => (0..8usize).prop_map(Op::DropRecv),
    ]
}

/// What the model says a started operation's future will return.
#[derive(Clone, Debug, PartialEq)]
enum Fate<R> {
    Parked,
    Done(R),
}

#[derive(Default)]
struct Model {
    cap: usize,
    buf: VecDeque<u32>,
    closed: bool,
    /// Parked senders: (future index, value).
    sendq: VecDeque<(usize, u32)>,
    /// Parked receivers: future index.
    recvq: VecDeque<usize>,
    sends: Vec<Fate<Result<(), u32>>>,
    recvs: Vec<Fate<Option<u32>>>,
}

impl Model {
    fn offer(&mut self, v: u32) -> Result<(), TrySendError<u32>> {
        if self.closed {
            return Err(TrySendError::Closed(v));
        }
        if let Some(r) = self.recvq.pop_front() {
            self.recvs[r] = Fate::Done(Some(v));
            return Ok(());
        }
        if self.buf.len() < self.cap {
            self.buf.push_back(v);
            return Ok(());
        }
        Err(TrySendError::Full(v))
    }

    fn take(&mut self) -> Result<u32, TryRecvError> {
        if let Some(v) = self.buf.pop_front() {
            if let Some((s, sv)) = self.sendq.pop_front() {
                self.buf.push_back(sv);
                self.sends[s] = Fate::Done(Ok(()));
            }
            return Ok(v);
        }
        if let Some((s, sv)) = self.sendq.pop_front() {
            self.sends[s] = Fate::Done(Ok(()));
            return Ok(sv);
        }
        if self.closed {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        for r in self.recvq.drain(..) {
            self.recvs[r] = Fate::Done(None);
        }
        for (s, v) in self.sendq.drain(..) {
            self.sends[s] = Fate::Done(Err(v));
        }
    }

    fn give_back(&mut self, v: u32) {
        match self.recvq.pop_front() {
            Some(r) => self.recvs[r] = Fate::Done(Some(v)),
            None => self.buf.push_front(v),
        }
    }
}

fn run(cap: usize, ops: Vec<Op>) {
    let (tx, rx) = chan::<u32>(cap);
    let mut m = Model {
        cap,
        ..Model::default()
    };
    let mut sends: Vec<Option<Spawn<Send<'_, u32>>>> = Vec::new();
    let mut recvs: Vec<Option<Spawn<Recv<'_, u32>>>> = Vec::new();
    for op in ops {
        match op {
            Op::TrySend(v) => assert_eq!(tx.try_send(v), m.offer(v)),
            Op::TryRecv => assert_eq!(rx.try_recv(), m.take()),
            Op::Close => {
                let was = m.closed;
                m.close();
                assert_eq!(tx.close(), !was);
            }
            Op::StartSend(v) => {
                let mut f = spawn(tx.send(v));
                let fate = match m.offer(v) {
                    Ok(()) => Fate::Done(Ok(())),
                    Err(TrySendError::Closed(v)) => Fate::Done(Err(v)),
                    Err(TrySendError::Full(v)) => {
                        m.sendq.push_back((m.sends.len(), v));
                        Fate::Parked
                    }
                };
                let polled = f.poll();
                match &fate {
                    Fate::Parked => assert!(polled.is_pending()),
                    Fate::Done(r) => {
                        assert_eq!(
                            polled.map(|x| x.map_err(|SendError(v)| v)),
                            std::task::Poll::Ready(*r)
                        )
                    }
                }
                let done = !matches!(fate, Fate::Parked);
                m.sends.push(fate);
                sends.push(if done { None } else { Some(f) });
            }
            Op::StartRecv => {
                let mut f = spawn(rx.recv());
                let fate = match m.take() {
                    Ok(v) => Fate::Done(Some(v)),
                    Err(TryRecvError::Closed) => Fate::Done(None),
                    Err(TryRecvError::Empty) => {
                        m.recvq.push_back(m.recvs.len());
                        Fate::Parked
                    }
                };
                let polled = f.poll();
                match &fate {
                    Fate::Parked => assert!(polled.is_pending()),
                    Fate::Done(r) => assert_eq!(polled, std::task::Poll::Ready(*r)),
                }
                let done = !matches!(fate, Fate::Parked);
                m.recvs.push(fate);
                recvs.push(if done { None } else { Some(f) });
            }
            Op::PollSend(i) => {
                if let Some(Some(f)) = sends.get_mut(i) {
                    let polled = f.poll().map(|x| x.map_err(|SendError(v)| v));
                    match &m.sends[i] {
                        Fate::Parked => assert!(polled.is_pending()),
                        Fate::Done(r) => {
                            assert_eq!(polled, std::task::Poll::Ready(*r));
                            sends[i] = None;
                        }
                    }
                }
            }
            Op::PollRecv(i) => {
                if let Some(Some(f)) = recvs.get_mut(i) {
                    let polled = f.poll();
                    match &m.recvs[i] {
                        Fate::Parked => assert!(polled.is_pending()),
                        Fate::Done(r) => {
                            assert_eq!(polled, std::task::Poll::Ready(*r));
                            recvs[i] = None;
                        }
                    }
                }
            }
            Op::DropSend(i) => {
                if let Some(slot) = sends.get_mut(i) {
                    if slot.take().is_some() && m.sends[i] == Fate::Parked {
                        m.sendq.retain(|&(s, _)| s != i);
                    }
                }
            }
            Op::DropRecv(i) => {
                if let Some(slot) = recvs.get_mut(i) {
                    if slot.take().is_some() {
                        match m.recvs[i].clone() {
                            Fate::Parked => m.recvq.retain(|&r| r != i),
                            Fate::Done(Some(v)) => m.give_back(v),
                            Fate::Done(None) => {}
                        }
                    }
                }
            }
        }
        assert_eq!(rx.len(), m.buf.len());
        assert_eq!(rx.is_closed(), m.closed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unbuffered_matches_model(ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run(0, ops);
    }

    #[test]
    fn buffered_matches_model(cap in 1..4usize, ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run(cap, ops);
    }
}
