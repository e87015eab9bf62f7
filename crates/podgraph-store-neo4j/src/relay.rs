//! A loopback relay between neo4rs and the server that sends requests without delay.
//!
//! neo4rs 0.9.0-rc.11 opens its TCP connections itself, leaves Nagle's algorithm on
//! (no `TCP_NODELAY`) and writes through an 8 KiB buffer. A request larger than the
//! buffer leaves in several writes: the chunk header, the body and the end marker. The
//! kernel delays each write until the previous one is acknowledged, and the receiver
//! delays acknowledgements, by 40 ms on Linux. So every request over 8 KiB waited about
//! 40 ms however little work it asked for, and batches had to stay small.
//!
//! The relay listens on an ephemeral port of 127.0.0.1, and neo4rs connects there
//! instead of to the server. For each connection it opens one to the server with
//! `TCP_NODELAY` and copies bytes both ways. On the side facing neo4rs it acknowledges
//! every read at once (`TCP_QUICKACK`, re-armed before each read because the kernel
//! clears it), so neo4rs's held-back writes leave after a loopback round trip. The
//! bytes themselves are not looked at: authentication and the Bolt protocol pass
//! through unchanged.
//!
//! Only plain-text URIs use the relay, because a TLS client checks the server name and
//! the relay's address would not match it. `TCP_QUICKACK` exists on Linux only, so
//! other systems connect directly.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use url::Url;

const TARGET: &str = "podgraph::store::neo4j";
/// Bolt's registered port, used when the URI names none.
const DEFAULT_BOLT_PORT: u16 = 7687;
/// Bytes copied per read; a Bolt chunk is at most 64 KiB.
const COPY_BUFFER_BYTES: usize = 64 * 1024;
/// Minimum time between two warnings about an unreachable server.
const WARNING_INTERVAL: Duration = Duration::from_secs(10);
/// Age after which a recorded connect error no longer explains a lost connection.
const UPSTREAM_ERROR_LIFETIME: Duration = Duration::from_secs(60);

/// Failed connections to the server: the last error, and the rate limit of warnings.
#[derive(Debug, Default)]
struct UpstreamFailures {
    last_error: Option<(Instant, String)>,
    last_warning: Option<Instant>,
    suppressed: u64,
}

impl UpstreamFailures {
    /// Records `error` and logs it, at most once per [`WARNING_INTERVAL`] with the number
    /// of failures not logged since.
    fn record(&mut self, upstream: &Upstream, error: &std::io::Error) {
        let now = Instant::now();
        self.last_error = Some((now, error.to_string()));
        let due = self
            .last_warning
            .is_none_or(|logged| now.duration_since(logged) >= WARNING_INTERVAL);
        if !due {
            self.suppressed = self.suppressed.saturating_add(1);
            return;
        }
        tracing::warn!(
            target: TARGET,
            host = %upstream.host,
            port = upstream.port,
            %error,
            not_logged_since_last_warning = self.suppressed,
            "failed to connect to the Neo4j server"
        );
        self.last_warning = Some(now);
        self.suppressed = 0;
    }
}

/// A running relay. Dropping it stops accepting connections; open ones end when
/// either side closes them.
#[derive(Debug)]
pub(crate) struct Relay {
    address: SocketAddr,
    accept: JoinHandle<()>,
    failures: Arc<Mutex<UpstreamFailures>>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// The server the relay forwards to.
#[derive(Clone, Debug)]
struct Upstream {
    host: String,
    port: u16,
    connect_timeout: Duration,
}

impl Relay {
    /// Starts a relay for `uri` when it is a plain-text Bolt URI, this is Linux and a
    /// Tokio runtime is running; returns `None` otherwise, and the caller connects
    /// directly.
    pub(crate) fn start(uri: &str, connect_timeout: Duration) -> Option<Self> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let upstream = upstream_of(uri, connect_timeout)?;
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let listener = match bind_loopback(&runtime) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(
                    target: TARGET,
                    %error,
                    "cannot open the loopback relay for Neo4j; connecting directly, \
                     and requests over 8 KiB may wait about 40 ms each"
                );
                return None;
            }
        };
        let address = listener.local_addr().ok()?;
        let failures = Arc::new(Mutex::new(UpstreamFailures::default()));
        let accept = runtime.spawn(accept_loop(listener, upstream, Arc::clone(&failures)));
        Some(Self {
            address,
            accept,
            failures,
        })
    }

    /// Returns `uri` with its host and port replaced by the relay's address.
    pub(crate) fn rewrite(&self, uri: &str) -> Option<String> {
        let mut url = Url::parse(uri).ok()?;
        url.set_ip_host(self.address.ip()).ok()?;
        url.set_port(Some(self.address.port())).ok()?;
        Some(url.into())
    }

    /// Takes the error of the last failed connection to the server, if it happened within
    /// the last minute. neo4rs only gets a closed connection from the relay, so this
    /// is the cause to report.
    pub(crate) fn take_upstream_error(&self) -> Option<String> {
        let mut failures = self.failures.lock().ok()?;
        let (when, error) = failures.last_error.take()?;
        (when.elapsed() < UPSTREAM_ERROR_LIFETIME).then_some(error)
    }
}

/// Parses the server's host and port from a plain-text Bolt URI.
fn upstream_of(uri: &str, connect_timeout: Duration) -> Option<Upstream> {
    let url = Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "bolt" | "neo4j") {
        return None;
    }
    let host = match url.host()? {
        url::Host::Domain(domain) => domain.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    Some(Upstream {
        host,
        port: url.port().unwrap_or(DEFAULT_BOLT_PORT),
        connect_timeout,
    })
}

fn bind_loopback(runtime: &tokio::runtime::Handle) -> std::io::Result<TcpListener> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let _entered = runtime.enter();
    TcpListener::from_std(listener)
}

async fn accept_loop(
    listener: TcpListener,
    upstream: Upstream,
    failures: Arc<Mutex<UpstreamFailures>>,
) {
    loop {
        match listener.accept().await {
            Ok((inbound, _)) => {
                let upstream = upstream.clone();
                let failures = Arc::clone(&failures);
                tokio::spawn(async move {
                    match connect(&upstream).await {
                        Ok(outbound) => relay_connection(inbound, outbound).await,
                        Err(error) => {
                            // Recorded before `inbound` closes, so that the error is stored
                            // before neo4rs gets the closed connection.
                            if let Ok(mut failures) = failures.lock() {
                                failures.record(&upstream, &error);
                            }
                        }
                    }
                });
            }
            Err(error) => {
                // Accepting fails for lack of file descriptors, among others; waiting
                // a little keeps this loop from spinning until some are free again.
                tracing::warn!(target: TARGET, %error, "the Neo4j relay failed to accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Opens a connection to the server within the connect timeout.
async fn connect(upstream: &Upstream) -> std::io::Result<TcpStream> {
    let connect = TcpStream::connect((upstream.host.as_str(), upstream.port));
    match tokio::time::timeout(upstream.connect_timeout, connect).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "no connection within the connect timeout of {} s",
                upstream.connect_timeout.as_secs()
            ),
        )),
    }
}

/// Copies bytes between neo4rs's connection and the server's until both directions
/// are closed. Errors while copying close the connection, and neo4rs reports them.
async fn relay_connection(inbound: TcpStream, outbound: TcpStream) {
    let configured = inbound
        .set_nodelay(true)
        .and_then(|()| outbound.set_nodelay(true))
        .and_then(|()| socket2::SockRef::from(&inbound).try_clone());
    let quickack = match configured {
        Ok(socket) => socket,
        Err(error) => {
            tracing::warn!(target: TARGET, %error, "failed to configure a relayed Neo4j connection");
            return;
        }
    };

    let (inbound_read, mut inbound_write) = inbound.into_split();
    let (mut outbound_read, mut outbound_write) = outbound.into_split();
    let requests = async {
        let copied = copy_acking(inbound_read, &mut outbound_write, &quickack).await;
        let _ = outbound_write.shutdown().await;
        copied
    };
    let responses = async {
        let copied = tokio::io::copy(&mut outbound_read, &mut inbound_write).await;
        let _ = inbound_write.shutdown().await;
        copied
    };
    let (requests, responses) = tokio::join!(requests, responses);
    for result in [requests, responses] {
        if let Err(error) = result {
            tracing::debug!(target: TARGET, %error, "a relayed Neo4j connection closed with an error");
        }
    }
}

/// Copies `reader` to `writer` until end of file, asking the kernel before each read
/// to acknowledge incoming data at once. Returns the bytes copied.
async fn copy_acking<R, W>(
    mut reader: R,
    writer: &mut W,
    socket: &socket2::Socket,
) -> std::io::Result<u64>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buffer = vec![0_u8; COPY_BUFFER_BYTES];
    let mut copied: u64 = 0;
    loop {
        set_quickack(socket);
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return Ok(copied);
        }
        writer.write_all(&buffer[..read]).await?;
        copied = copied.saturating_add(read as u64);
    }
}

#[cfg(target_os = "linux")]
fn set_quickack(socket: &socket2::Socket) {
    // A failure only brings the acknowledgement delay back, so it is not worth a log line
    // per read.
    let _ = socket.set_tcp_quickack(true);
}

#[cfg(not(target_os = "linux"))]
fn set_quickack(_socket: &socket2::Socket) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_uris_have_an_upstream() {
        let timeout = Duration::from_secs(1);
        let upstream = upstream_of("bolt://db.example:7999", timeout).unwrap();
        assert_eq!(upstream.host, "db.example");
        assert_eq!(upstream.port, 7999);
        let upstream = upstream_of("neo4j://127.0.0.1", timeout).unwrap();
        assert_eq!(upstream.port, DEFAULT_BOLT_PORT);
        let upstream = upstream_of("bolt://[::1]:7687", timeout).unwrap();
        assert_eq!(upstream.host, "::1");
    }

    #[test]
    fn tls_uris_have_no_upstream() {
        let timeout = Duration::from_secs(1);
        for uri in ["bolt+s://db.example", "neo4j+ssc://db.example:7687"] {
            assert!(upstream_of(uri, timeout).is_none(), "{uri}");
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn relay_copies_both_ways() {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = server.local_addr().unwrap().port();
        let echo = tokio::spawn(async move {
            let (mut socket, _) = server.accept().await.unwrap();
            let mut received = Vec::new();
            socket.read_to_end(&mut received).await.unwrap();
            socket.write_all(&received).await.unwrap();
        });
        let relay = Relay::start(&format!("bolt://127.0.0.1:{port}"), Duration::from_secs(5))
            .expect("a relay on Linux inside a runtime");
        let rewritten = relay.rewrite(&format!("bolt://127.0.0.1:{port}")).unwrap();
        assert_eq!(
            rewritten,
            format!("bolt://127.0.0.1:{}", relay.address.port())
        );

        // Large enough to need several reads and writes on each side.
        let request: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
        let mut client = TcpStream::connect(relay.address).await.unwrap();
        client.write_all(&request).await.unwrap();
        client.shutdown().await.unwrap();
        let mut response = Vec::new();
        client.read_to_end(&mut response).await.unwrap();
        echo.await.unwrap();
        assert_eq!(response, request);
        assert!(relay.take_upstream_error().is_none());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn unreachable_server_is_recorded() {
        // A port that was free a moment ago: nothing listens there.
        let port = {
            let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            probe.local_addr().unwrap().port()
        };
        let relay =
            Relay::start(&format!("bolt://127.0.0.1:{port}"), Duration::from_secs(5)).unwrap();
        let mut client = TcpStream::connect(relay.address).await.unwrap();
        let mut response = Vec::new();
        let read = client.read_to_end(&mut response).await;
        assert!(
            read.is_ok_and(|bytes| bytes == 0),
            "the relay closes the connection"
        );
        let error = relay.take_upstream_error().expect("the connect error");
        assert!(error.to_lowercase().contains("refused"), "{error}");
    }
}
