//! The fetcher's debug events: one per HTTP request, with the documented fields and
//! without credentials.
//!
//! This test has its own binary because `tracing` caches per call site whether any
//! subscriber is interested. A test that installs a thread-local subscriber while other
//! threads of the same process hit the same call sites can miss events.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use podgraph_core::config::FetchConfig;
use podgraph_core::provider::{FetchRequest, Fetcher};
use podgraph_ingest::fetch::HttpFetcher;

use support::{Reply, TestServer};

/// A subscriber that records every event's fields, to check what the fetcher logs.
#[derive(Default)]
struct EventRecorder {
    events: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
}

struct FieldVisitor<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for FieldVisitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for EventRecorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = BTreeMap::new();
        fields.insert("target".to_owned(), event.metadata().target().to_owned());
        event.record(&mut FieldVisitor(&mut fields));
        self.events.lock().expect("event log").push(fields);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(String::as_str)
}

#[tokio::test]
async fn debug_events_carry_fields_without_secrets() {
    let server = TestServer::start(|request| match request.path() {
        "/start" => Reply::redirect(302, "/feed.xml?token=second-secret"),
        _ => Reply::ok("<rss/>"),
    })
    .await;
    let fetcher = HttpFetcher::new(FetchConfig {
        allow_loopback: true,
        total_timeout_ms: 5_000,
        ..FetchConfig::default()
    })
    .expect("valid fetch configuration");
    let recorder = EventRecorder::default();
    let events = Arc::clone(&recorder.events);
    let url = format!("http://carol:first-secret@{}/start", server.addr);

    let guard = tracing::subscriber::set_default(recorder);
    fetcher
        .fetch(&FetchRequest::new(url))
        .await
        .expect("fetch with credentials");
    drop(guard);

    let events = events.lock().expect("event log").clone();
    let requests: Vec<_> = events
        .iter()
        .filter(|fields| field(fields, "target") == Some("podgraph_ingest::fetch"))
        .filter(|fields| fields.contains_key("status"))
        .collect();
    assert_eq!(requests.len(), 2, "one event per request: {events:?}");
    assert_eq!(field(requests[0], "status"), Some("302"));
    assert_eq!(field(requests[1], "status"), Some("200"));
    assert_eq!(field(requests[1], "bytes"), Some("6"));
    assert!(
        field(requests[1], "url").is_some_and(|url| url.ends_with("/feed.xml?token=***")),
        "{:?}",
        requests[1]
    );
    for fields in &requests {
        assert_eq!(field(fields, "method"), Some("GET"));
        assert!(fields.contains_key("elapsed_ms"), "{fields:?}");
    }
    let everything = format!("{events:?}");
    assert!(!everything.contains("first-secret"), "{everything}");
    assert!(!everything.contains("carol"), "{everything}");
    assert!(!everything.contains("second-secret"), "{everything}");
}
