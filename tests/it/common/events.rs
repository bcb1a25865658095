//! A capturing `tracing` subscriber (feature `tracing`), for the rejection
//! events, and the one that keeps [`capture_logs`](super::capture_logs)
//! seeing them as log lines.

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex},
};

use tracing::{
    Event, Level, Metadata, Subscriber,
    field::{Field, Visit},
    span,
};

/// One event: its level, target and fields (the message as `message`).
#[derive(Debug, Clone)]
pub struct Captured {
    pub level: Level,
    pub target: String,
    pub fields: BTreeMap<String, String>,
}

impl Captured {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The message, then every other field as `name=value`.
    pub fn line(&self) -> String {
        let mut line = self.field("message").unwrap_or_default().to_owned();
        for (name, value) in self.fields.iter().filter(|(name, _)| *name != "message") {
            line.push_str(&format!(" {name}={value}"));
        }
        line
    }
}

/// The events emitted on this thread while the guard of [`capture`] lives.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<Captured>>>);

impl Events {
    /// The crate's rejection events so far.
    pub fn rejections(&self) -> Vec<Captured> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event.target == "actix_jwt_extended")
            .cloned()
            .collect()
    }

    /// The rejection events so far, forgotten for the next call.
    pub fn take_rejections(&self) -> Vec<Captured> {
        let rejections = self.rejections();
        self.0.lock().unwrap().clear();
        rejections
    }
}

/// Captures every event of this thread (an `actix_web::test` runs on one)
/// until the guard is dropped.
pub fn capture() -> (Events, tracing::subscriber::DefaultGuard) {
    let events = Events::default();
    let sink = events.clone();
    let guard = tracing::subscriber::set_default(Collector(Box::new(move |event| {
        sink.0.lock().unwrap().push(event);
    })));
    (events, guard)
}

/// Every event of every thread as a line of [`logs`](super::logs): once a
/// subscriber is set anywhere, tracing stops handing events to `log`.
pub(super) fn into_logs() {
    let _ = tracing::subscriber::set_global_default(Collector(Box::new(|event| {
        super::LOGS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event.line());
    })));
}

type Sink = Box<dyn Fn(Captured) + Send + Sync>;

struct Collector(Sink);

impl Subscriber for Collector {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        (self.0)(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
        });
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
