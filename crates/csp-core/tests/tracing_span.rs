//! Every goroutine runs inside a `tracing` span `goroutine{id, at}`.
//!
//! Its own test binary: it installs a global subscriber (goroutines run on
//! worker threads, so a thread-local default would not see them).

mod common;

use std::cell::RefCell;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
        let current = ENTERED.with(|e| e.borrow().last().copied());
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

#[test]
fn goroutines_run_in_a_goroutine_span_with_id_and_spawn_location() {
    let recorder = Recorder::default();
    let events = recorder.events.clone();
    tracing::subscriber::set_global_default(recorder).expect("first subscriber");

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
