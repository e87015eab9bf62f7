//! Shared setup of the integration tests: a receiver, a trace export pointed at it and a
//! thread-local subscriber with the OpenTelemetry layer.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use podgraph_tracing::testing::{OtlpReceiver, ReceivedSpan};
use podgraph_tracing::{Protocol, TraceExport, TracingConfig};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::layer::SubscriberExt as _;

/// How long a test waits for spans that should arrive.
pub const ARRIVAL: Duration = Duration::from_secs(10);

pub struct Harness {
    pub receiver: OtlpReceiver,
    pub export: TraceExport,
    _subscriber: DefaultGuard,
}

impl Harness {
    /// Starts a receiver for `protocol`, an export with `adjust` applied to the
    /// receiver's configuration, and installs the subscriber on this thread.
    pub fn start(protocol: Protocol, adjust: impl FnOnce(&mut TracingConfig)) -> Self {
        let receiver = match protocol {
            Protocol::HttpProtobuf => OtlpReceiver::start_http(),
            Protocol::Grpc => OtlpReceiver::start_grpc(),
        }
        .expect("receiver starts");
        let mut config = receiver.tracing_config();
        adjust(&mut config);
        let export = TraceExport::start(&config).expect("export starts");
        let subscriber = tracing_subscriber::registry().with(export.layer());
        let guard = tracing::subscriber::set_default(subscriber);
        Self {
            receiver,
            export,
            _subscriber: guard,
        }
    }

    pub fn http() -> Self {
        Self::start(Protocol::HttpProtobuf, |_| {})
    }

    /// Shuts the export down (flushing every queued span) and returns what arrived.
    pub fn finish(&mut self) -> Vec<ReceivedSpan> {
        self.export.shutdown();
        self.receiver.spans()
    }
}

pub fn find<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span named {name} among {:?}", names(spans)))
}

pub fn names(spans: &[ReceivedSpan]) -> Vec<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}
