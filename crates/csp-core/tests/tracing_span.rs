//! Every goroutine runs inside a `tracing` span `goroutine{id, at}`, with
//! `trace!` events for spawn, park, unpark and exit; a deadlock report is an
//! `error!` event.
//!
//! Its own test binary: it installs a global subscriber (goroutines run on
//! worker threads, so a thread-local default would not see them), once, for
//! every test here.

mod common;

use std::cell::RefCell;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use csp_core::runtime::PanicPolicy;
use csp_core::{go, Runtime};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records each span's name and fields, and for each event the span it ran in.
#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    spans: Mutex<Vec<(u64, String)>>,
    events: Arc<Mutex<Vec<String>>>,
}

thread_local! {
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if !self.0.is_empty() {
            self.0.push_str(", ");
        }
        self.0.push_str(&format!("{}={value:?}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        let text = format!("{}{{{}}}", attrs.metadata().name(), fields.0);
        self.spans.lock().unwrap().push((id, text));
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let current = event
            .parent()
            .map(Id::into_u64)
            .or_else(|| ENTERED.with(|e| e.borrow().last().copied()));
        let span = current
            .and_then(|id| {
                let spans = self.spans.lock().unwrap();
                spans.iter().find(|(i, _)| *i == id).map(|(_, s)| s.clone())
            })
            .unwrap_or_else(|| "<no span>".into());
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.events
            .lock()
            .unwrap()
            .push(format!("{span}: {}", fields.0));
    }
    fn enter(&self, id: &Id) {
        ENTERED.with(|e| e.borrow_mut().push(id.into_u64()));
    }
    fn exit(&self, _: &Id) {
        ENTERED.with(|e| e.borrow_mut().pop());
    }
}

/// The events recorded by the global subscriber, installed on first use.
fn events() -> Arc<Mutex<Vec<String>>> {
    static EVENTS: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    EVENTS
        .get_or_init(|| {
            let recorder = Recorder::default();
            let events = recorder.events.clone();
            tracing::subscriber::set_global_default(recorder).expect("first subscriber");
            events
        })
        .clone()
}

#[test]
fn goroutines_run_in_a_goroutine_span_with_id_and_spawn_location() {
    let events = events();

    let line = common::within(|| {
        let rt = Runtime::builder()
            .gomaxprocs(1)
            .on_goroutine_panic(PanicPolicy::Propagate)
            .build()
            .unwrap();
        rt.run(async {
            let line = line!() + 1;
            go(async { tracing::info!("inside") }).await.unwrap();
            line
        })
    });
    let events = events.lock().unwrap();
    let expected = format!(
        "goroutine{{id=2, at={}:{line}:13}}: message=inside",
        file!()
    );
    assert!(events.contains(&expected), "{events:?} lacks {expected}");
}

#[test]
fn spawn_park_unpark_and_exit_are_trace_events_in_the_goroutine_span() {
    let events = events();
    let (spawn_line, park_line) = common::within(|| {
        let rt = Runtime::builder().gomaxprocs(1).build().unwrap();
        rt.run(async {
            let (tx, rx) = csp_core::chan::<()>(0);
            let spawn_line = line!() + 1;
            let g = go(async move {
                let park_line = line!() + 1;
                rx.recv().await;
                park_line
            });
            while !csp_core::goroutines()
                .iter()
                .any(|g| g.wait_reason().is_some())
            {
                csp_core::gosched().await;
            }
            tx.send(()).await.unwrap();
            (spawn_line, g.await.unwrap())
        })
    });
    let events = events.lock().unwrap();
    let span = format!("goroutine{{id=2, at={}:{spawn_line}:21}}", file!());
    let ours: Vec<&String> = events.iter().filter(|e| e.starts_with(&span)).collect();
    let parked = format!(
        "{span}: message=goroutine parked, reason=\"chan receive\", at={}:{park_line}:20",
        file!()
    );
    for expected in [
        format!("{span}: message=goroutine spawned"),
        parked,
        format!("{span}: message=goroutine unparked"),
        format!("{span}: message=goroutine exited"),
    ] {
        assert!(ours.contains(&&expected), "{ours:?} lacks {expected}");
    }
}

#[test]
fn a_deadlock_report_is_an_error_event() {
    let events = events();
    let config = csp_core::runtime::TestConfig {
        timeout_secs: 20,
        gomaxprocs: Some(1),
    };
    let failed = std::panic::catch_unwind(|| {
        csp_core::runtime::run_test(config, || async {
            let (tx, _rx) = csp_core::chan::<u8>(0);
            tx.send(1).await.unwrap();
        })
    });
    let payload = failed.expect_err("a deadlocked test fails");
    let message = payload.downcast_ref::<String>().expect("a String panic");
    assert!(message.starts_with("fatal error: all goroutines are asleep - deadlock!\n\n"));
    let events = events.lock().unwrap();
    assert!(
        events.iter().any(|e| e.contains("goroutines=1")
            && e.contains("all goroutines are asleep - deadlock!")
            && e.contains("goroutine 1 [chan send]:")),
        "{events:?}"
    );
}
