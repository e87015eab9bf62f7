//! A scripted HTTP/1.1 server on loopback for the fetcher tests.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the test server received it.
#[derive(Clone, Debug)]
pub(crate) struct RecordedRequest {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// Returns the request target without its query string.
    pub(crate) fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }

    /// Returns the first header with this name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Body framing of a scripted response on the wire.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Framing {
    /// `Content-Length` equal to the body length.
    ContentLength,
    /// `Content-Length: n` whatever the body length is.
    ClaimedLength(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Transfer-Encoding: chunked` plus a false `Content-Length: n`, which the client
    /// must ignore in favour of the chunked framing.
    ChunkedWithClaimedLength(u64),
    /// No length at all: the body ends when the server closes the connection.
    CloseDelimited,
}

/// A scripted response.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
    /// Pause before the status line.
    head_delay: Duration,
    /// Pause after the first half of the body.
    body_delay: Duration,
}

impl Reply {
    pub(crate) fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            framing: Framing::ContentLength,
            head_delay: Duration::ZERO,
            body_delay: Duration::ZERO,
        }
    }

    pub(crate) fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::ok(Vec::new())
        }
    }

    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    pub(crate) fn head_delay(mut self, delay: Duration) -> Self {
        self.head_delay = delay;
        self
    }

    pub(crate) fn body_delay(mut self, delay: Duration) -> Self {
        self.body_delay = delay;
        self
    }
}

pub(crate) type Handler = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

/// An HTTP/1.1 server on `127.0.0.1` that responds to every request with the reply its
/// handler scripts and records what it received. Every response closes the connection.
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    connections: Arc<AtomicUsize>,
}

impl TestServer {
    pub(crate) async fn start(
        handler: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test server on loopback");
        let addr = listener.local_addr().expect("test server address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Handler = Arc::new(handler);

        let recorded = Arc::clone(&requests);
        let accepted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let handler = Arc::clone(&handler);
                let recorded = Arc::clone(&recorded);
                tokio::spawn(serve_connection(stream, handler, recorded));
            }
        });

        Self {
            addr,
            requests,
            connections,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("request log").clone()
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    handler: Handler,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    recorded.lock().expect("request log").push(request.clone());
    let reply = handler(&request);
    // The client hangs up early after a limit or timeout error, so write errors are expected.
    let _ = write_reply(&mut stream, &reply).await;
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    while !buffer.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }

    let head = String::from_utf8_lossy(&buffer);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Some(RecordedRequest {
        method,
        target,
        headers,
    })
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    tokio::time::sleep(reply.head_delay).await;

    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\nConnection: close\r\n",
        reply.status
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match reply.framing {
        Framing::ContentLength => {
            head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
        }
        Framing::ClaimedLength(length) => head.push_str(&format!("Content-Length: {length}\r\n")),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
        Framing::ChunkedWithClaimedLength(length) => {
            head.push_str(&format!(
                "Content-Length: {length}\r\nTransfer-Encoding: chunked\r\n"
            ));
        }
        Framing::CloseDelimited => {}
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;

    let wire = match reply.framing {
        Framing::Chunked | Framing::ChunkedWithClaimedLength(_) => chunked(&reply.body),
        _ => reply.body.clone(),
    };
    let (first, rest) = wire.split_at(wire.len() / 2);
    stream.write_all(first).await?;
    stream.flush().await?;
    tokio::time::sleep(reply.body_delay).await;
    stream.write_all(rest).await?;
    stream.shutdown().await
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for piece in body.chunks(4096) {
        wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}
