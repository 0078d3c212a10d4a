//! Property test: random `try_select`s (Go's `select` with `default`) over a
//! few buffered channels, mixed with plain operations and closes, checked
//! against a sequential model: the chosen case was ready in the model, its
//! effect matches the model's, and `default` is taken only when no enabled
//! case was ready. Disabled (nil) cases never fire.
use std::collections::VecDeque;

use std::pin::Pin;

use csp_core::select::{try_select, RecvCase, SelectCase, SendCase};
use csp_core::{chan, Receiver, SendError, Sender, TryRecvError, TrySendError};
use proptest::prelude::*;

const CHANNELS: usize = 3;
const MAX_OPS: usize = 40;

#[derive(Clone, Debug)]
enum Case {
    Recv(usize),
    Send(usize, u32),
    Disabled,
}

#[derive(Clone, Debug)]
enum Op {
    Select(Vec<Case>),
    TrySend(usize, u32),
    TryRecv(usize),
    Close(usize),
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        3 => (0..CHANNELS).prop_map(Case::Recv),
        3 => (0..CHANNELS, any::<u32>()).prop_map(|(c, v)| Case::Send(c, v)),
        1 => Just(Case::Disabled),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => proptest::collection::vec(case(), 0..5).prop_map(Op::Select),
        2 => (0..CHANNELS, any::<u32>()).prop_map(|(c, v)| Op::TrySend(c, v)),
        2 => (0..CHANNELS).prop_map(Op::TryRecv),
        1 => (0..CHANNELS).prop_map(Op::Close),
    ]
}

/// One channel as Go's `hchan` with no parked goroutines.
struct Model {
    buf: VecDeque<u32>,
    cap: usize,
    closed: bool,
}

impl Model {
    fn ready(&self, case: &Case) -> bool {
        match case {
            Case::Recv(_) => !self.buf.is_empty() || self.closed,
            Case::Send(..) => self.closed || self.buf.len() < self.cap,
            Case::Disabled => false,
        }
    }
}

/// The typed case objects for one select, built from the plan.
enum Built<'a> {
    Recv(Pin<Box<RecvCase<'a, u32>>>),
    Send(Pin<Box<SendCase<'a, u32>>>),
}

fn run(caps: Vec<usize>, ops: Vec<Op>) {
    let chans: Vec<(Sender<u32>, Receiver<u32>)> = caps.iter().map(|&c| chan(c)).collect();
    let mut models: Vec<Model> = caps
        .iter()
        .map(|&cap| Model {
            buf: VecDeque::new(),
            cap,
            closed: false,
        })
        .collect();
    for op in ops {
        match op {
            Op::TrySend(c, v) => {
                let m = &mut models[c];
                let want = if m.closed {
                    Err(TrySendError::Closed(v))
                } else if m.buf.len() < m.cap {
                    m.buf.push_back(v);
                    Ok(())
                } else {
                    Err(TrySendError::Full(v))
                };
                assert_eq!(chans[c].0.try_send(v), want);
            }
            Op::TryRecv(c) => {
                let m = &mut models[c];
                let want = match m.buf.pop_front() {
                    Some(v) => Ok(v),
                    None if m.closed => Err(TryRecvError::Closed),
                    None => Err(TryRecvError::Empty),
                };
                assert_eq!(chans[c].1.try_recv(), want);
            }
            Op::Close(c) => {
                assert_eq!(chans[c].0.close(), !models[c].closed);
                models[c].closed = true;
            }
            Op::Select(plan) => {
                let mut built: Vec<Built<'_>> = plan
                    .iter()
                    .map(|case| match *case {
                        Case::Recv(c) => Built::Recv(Box::pin(RecvCase::new(&chans[c].1))),
                        Case::Send(c, v) => Built::Send(Box::pin(SendCase::new(&chans[c].0, v))),
                        Case::Disabled => {
                            Built::Recv(Box::pin(RecvCase::new(None::<&Receiver<u32>>)))
                        }
                    })
                    .collect();
                let mut refs: Vec<Pin<&mut dyn SelectCase>> = built
                    .iter_mut()
                    .map(|b| match b {
                        Built::Recv(r) => r.as_mut() as Pin<&mut dyn SelectCase>,
                        Built::Send(s) => s.as_mut() as Pin<&mut dyn SelectCase>,
                    })
                    .collect();
                let chosen = try_select(&mut refs);
                drop(refs);
                let any_ready = plan.iter().any(|case| match case {
                    Case::Recv(c) | Case::Send(c, _) => models[*c].ready(case),
                    Case::Disabled => false,
                });
                let Some(chosen) = chosen else {
                    assert!(!any_ready, "default taken while a case was ready: {plan:?}");
                    continue;
                };
                let case = &plan[chosen];
                assert!(!matches!(case, Case::Disabled), "a nil case fired");
                let (Case::Recv(c) | Case::Send(c, _)) = *case else {
                    unreachable!()
                };
                let m = &mut models[c];
                assert!(
                    m.ready(case),
                    "case {chosen} fired but was not ready: {plan:?}"
                );
                match (case, &mut built[chosen]) {
                    (Case::Recv(_), Built::Recv(r)) => {
                        assert_eq!(r.as_mut().take_output(), m.buf.pop_front());
                    }
                    (Case::Send(_, v), Built::Send(s)) => {
                        if m.closed {
                            assert_eq!(s.as_mut().take_output(), Err(SendError(*v)));
                        } else {
                            assert_eq!(s.as_mut().take_output(), Ok(()));
                            m.buf.push_back(*v);
                        }
                    }
                    _ => unreachable!("built from the same plan"),
                }
            }
        }
        for (c, m) in models.iter().enumerate() {
            assert_eq!(chans[c].1.len(), m.buf.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn try_select_matches_model(
        caps in proptest::collection::vec(1..4usize, CHANNELS),
        ops in proptest::collection::vec(op(), 1..MAX_OPS),
    ) {
        run(caps, ops);
    }
}
