//! An OTLP receiver inside the test process, for tests of this crate and of others
//! (enable the `testing` feature in `[dev-dependencies]`).
//!
//! [`OtlpReceiver::start_http`] accepts `POST /v1/traces` with a protobuf body on
//! `127.0.0.1`, [`OtlpReceiver::start_grpc`] serves the OTLP `TraceService` over gRPC.
//! Both decode the real protobuf export into [`ReceivedSpan`]s. Each receiver runs on a
//! thread with its own runtime, so it keeps serving while the test thread blocks, for
//! example in a tracer provider shutdown.
//!
//! ```no_run
//! use podgraph_tracing::testing::OtlpReceiver;
//!
//! let receiver = OtlpReceiver::start_http().expect("receiver starts");
//! let config = receiver.tracing_config();
//! // ... start trace export with `config`, create spans, shut down ...
//! let spans = receiver.wait_for_spans(1, std::time::Duration::from_secs(5));
//! assert_eq!(spans[0].name, "pipeline.run");
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use tokio::sync::oneshot;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{Protocol, TracingConfig};

/// An attribute value as received.
#[derive(Clone, Debug, PartialEq)]
pub enum ReceivedValue {
    /// A string.
    String(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Arrays, maps and bytes, in their debug form.
    Other(String),
}

impl ReceivedValue {
    fn from_proto(value: Option<&AnyValue>) -> Self {
        match value.and_then(|value| value.value.as_ref()) {
            Some(any_value::Value::StringValue(text)) => Self::String(text.clone()),
            Some(any_value::Value::IntValue(number)) => Self::Int(*number),
            Some(any_value::Value::DoubleValue(number)) => Self::Double(*number),
            Some(any_value::Value::BoolValue(flag)) => Self::Bool(*flag),
            Some(other) => Self::Other(format!("{other:?}")),
            None => Self::Other(String::new()),
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) => Some(text),
            _ => None,
        }
    }

    /// The integer, when the value is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(number) => Some(*number),
            _ => None,
        }
    }
}

fn attributes_of(attributes: &[KeyValue]) -> BTreeMap<String, ReceivedValue> {
    attributes
        .iter()
        .map(|attribute| {
            (
                attribute.key.clone(),
                ReceivedValue::from_proto(attribute.value.as_ref()),
            )
        })
        .collect()
}

/// A span event as received.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedEvent {
    /// Event name (`exception` for recorded errors).
    pub name: String,
    /// Event attributes.
    pub attributes: BTreeMap<String, ReceivedValue>,
}

/// The status code of a received span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceivedStatus {
    /// No status was set.
    Unset,
    /// Status Ok.
    Ok,
    /// Status Error.
    Error,
}

/// The OTLP span kind of a received span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceivedKind {
    /// Not specified by the sender.
    Unspecified,
    /// Internal.
    Internal,
    /// Server.
    Server,
    /// Client.
    Client,
    /// Producer.
    Producer,
    /// Consumer.
    Consumer,
}

/// A link from a received span to another span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedLink {
    /// Trace id of the linked span in hex.
    pub trace_id: String,
    /// Span id of the linked span in hex.
    pub span_id: String,
}

/// One span decoded from an export request.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedSpan {
    /// Span name.
    pub name: String,
    /// Trace id in hex.
    pub trace_id: String,
    /// Span id in hex.
    pub span_id: String,
    /// Parent span id in hex; `None` for a root span.
    pub parent_span_id: Option<String>,
    /// Span kind.
    pub kind: ReceivedKind,
    /// Span attributes.
    pub attributes: BTreeMap<String, ReceivedValue>,
    /// Span events.
    pub events: Vec<ReceivedEvent>,
    /// Links to other spans, such as an episode's link to its run.
    pub links: Vec<ReceivedLink>,
    /// Status code.
    pub status: ReceivedStatus,
    /// Status description.
    pub status_message: String,
    /// Resource attributes of the exporting process.
    pub resource: BTreeMap<String, ReceivedValue>,
    /// Instrumentation scope name.
    pub scope: String,
}

impl ReceivedSpan {
    /// The string value of attribute `key`.
    pub fn attribute_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(ReceivedValue::as_str)
    }

    /// The integer value of attribute `key`.
    pub fn attribute_i64(&self, key: &str) -> Option<i64> {
        self.attributes.get(key).and_then(ReceivedValue::as_i64)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode_spans(request: &ExportTraceServiceRequest) -> Vec<ReceivedSpan> {
    let mut spans = Vec::new();
    for resource_spans in &request.resource_spans {
        let resource = resource_spans
            .resource
            .as_ref()
            .map(|resource| attributes_of(&resource.attributes))
            .unwrap_or_default();
        for scope_spans in &resource_spans.scope_spans {
            let scope = scope_spans
                .scope
                .as_ref()
                .map(|scope| scope.name.clone())
                .unwrap_or_default();
            for span in &scope_spans.spans {
                let status = span.status.as_ref();
                spans.push(ReceivedSpan {
                    name: span.name.clone(),
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: (!span.parent_span_id.is_empty())
                        .then(|| hex(&span.parent_span_id)),
                    kind: match span.kind {
                        1 => ReceivedKind::Internal,
                        2 => ReceivedKind::Server,
                        3 => ReceivedKind::Client,
                        4 => ReceivedKind::Producer,
                        5 => ReceivedKind::Consumer,
                        _ => ReceivedKind::Unspecified,
                    },
                    attributes: attributes_of(&span.attributes),
                    events: span
                        .events
                        .iter()
                        .map(|event| ReceivedEvent {
                            name: event.name.clone(),
                            attributes: attributes_of(&event.attributes),
                        })
                        .collect(),
                    links: span
                        .links
                        .iter()
                        .map(|link| ReceivedLink {
                            trace_id: hex(&link.trace_id),
                            span_id: hex(&link.span_id),
                        })
                        .collect(),
                    status: match status.map(|status| status.code) {
                        Some(1) => ReceivedStatus::Ok,
                        Some(2) => ReceivedStatus::Error,
                        _ => ReceivedStatus::Unset,
                    },
                    status_message: status
                        .map(|status| status.message.clone())
                        .unwrap_or_default(),
                    resource: resource.clone(),
                    scope: scope.clone(),
                });
            }
        }
    }
    spans
}

/// Spans and request headers stored by the receiver.
#[derive(Debug, Default)]
struct Received {
    spans: Vec<ReceivedSpan>,
    /// Headers (HTTP) or metadata (gRPC) of each request, names in lowercase.
    headers: Vec<BTreeMap<String, String>>,
}

type Shared = Arc<Mutex<Received>>;

fn store(shared: &Shared, request: &ExportTraceServiceRequest, headers: BTreeMap<String, String>) {
    let mut received = shared.lock().unwrap_or_else(PoisonError::into_inner);
    received.spans.extend(decode_spans(request));
    received.headers.push(headers);
}

/// An OTLP receiver on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    protocol: Protocol,
    address: SocketAddr,
    received: Shared,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl OtlpReceiver {
    /// Starts an OTLP/HTTP receiver (`POST /v1/traces`, protobuf) on `127.0.0.1`.
    ///
    /// # Errors
    /// Fails when no loopback port can be bound or the thread cannot start.
    pub fn start_http() -> std::io::Result<Self> {
        Self::start(Protocol::HttpProtobuf)
    }

    /// Starts an OTLP/gRPC receiver (`TraceService/Export`) on `127.0.0.1`.
    ///
    /// # Errors
    /// Fails when no loopback port can be bound or the thread cannot start.
    pub fn start_grpc() -> std::io::Result<Self> {
        Self::start(Protocol::Grpc)
    }

    fn start(protocol: Protocol) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let received = Shared::default();
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::clone(&received);
        let thread = std::thread::Builder::new()
            .name("otlp-receiver".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    match protocol {
                        Protocol::HttpProtobuf => serve_http(listener, shared, stopped).await,
                        Protocol::Grpc => serve_grpc(listener, shared, stopped).await,
                    }
                });
            })?;
        Ok(Self {
            protocol,
            address,
            received,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The base URL, such as `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A tracing configuration that exports to this receiver, enabled, with a short
    /// scheduled delay and export timeout so that tests finish quickly.
    pub fn tracing_config(&self) -> TracingConfig {
        TracingConfig {
            enabled: true,
            service_name: "podgraph-test".to_owned(),
            endpoint: Some(self.endpoint()),
            protocol: self.protocol,
            scheduled_delay_ms: 50,
            export_timeout_ms: 2_000,
            ..TracingConfig::default()
        }
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.lock().spans.clone()
    }

    /// Headers of every export request so far, names in lowercase.
    pub fn request_headers(&self) -> Vec<BTreeMap<String, String>> {
        self.lock().headers.clone()
    }

    /// Waits until at least `count` spans arrived or `timeout` passed, and returns the
    /// spans received by then.
    pub fn wait_for_spans(&self, count: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if spans.len() >= count || Instant::now() >= deadline {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_http(
    listener: tokio::net::TcpListener,
    shared: Shared,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(handle_http(request, &shared).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle_http(request: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let respond = |status: StatusCode, body: Bytes| {
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        response
    };
    if request.method() != Method::POST || request.uri().path() != "/v1/traces" {
        return respond(StatusCode::NOT_FOUND, Bytes::new());
    }
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let Ok(body) = request.into_body().collect().await else {
        return respond(StatusCode::BAD_REQUEST, Bytes::new());
    };
    match ExportTraceServiceRequest::decode(body.to_bytes()) {
        Ok(decoded) => {
            store(shared, &decoded, headers);
            let answer = ExportTraceServiceResponse::default().encode_to_vec();
            let mut response = respond(StatusCode::OK, Bytes::from(answer));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/x-protobuf"),
            );
            response
        }
        Err(_) => respond(StatusCode::BAD_REQUEST, Bytes::new()),
    }
}

#[derive(Debug)]
struct GrpcReceiver {
    shared: Shared,
}

#[async_trait::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request
            .metadata()
            .clone()
            .into_headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        store(&self.shared, request.get_ref(), headers);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn serve_grpc(
    listener: tokio::net::TcpListener,
    shared: Shared,
    stopped: oneshot::Receiver<()>,
) {
    let incoming = tokio_stream_from(listener);
    let _ = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(GrpcReceiver { shared }))
        .serve_with_incoming_shutdown(incoming, async {
            let _ = stopped.await;
        })
        .await;
}

/// Turns a listener into the stream of connections that tonic's server takes.
fn tokio_stream_from(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| stream);
        Some((accepted, listener))
    })
}

/// A log writer that keeps every line in memory, for asserting on log output.
#[derive(Clone, Debug, Default)]
pub struct CapturedLogs {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl CapturedLogs {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, as text.
    pub fn contents(&self) -> String {
        let buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// The writer handed out by [`CapturedLogs`].
#[derive(Debug)]
pub struct CapturedWriter {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl Write for CapturedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'writer> MakeWriter<'writer> for CapturedLogs {
    type Writer = CapturedWriter;

    fn make_writer(&'writer self) -> Self::Writer {
        CapturedWriter {
            buffer: Arc::clone(&self.buffer),
        }
    }
}
