//! The `/metrics` server on a loopback socket, spoken to with plain HTTP/1.1.

mod support;

use std::net::SocketAddr;

use podgraph_metrics::{
    MetricsConfig, MetricsError, TEXT_FORMAT_CONTENT_TYPE, build, serve, serve_listener,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

async fn request(addr: SocketAddr, method: &str, path: &str) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("server accepts");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request is sent");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("response is read");
    let text = String::from_utf8(raw).expect("response is UTF-8");

    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("response has a header block");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}

#[tokio::test]
async fn metrics_served_with_text_format() {
    let (_recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback port");
    let addr = listener.local_addr().expect("bound address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, handle, async {
        let _ = stopped.await;
    }));

    let response = request(addr, "GET", "/metrics").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some(TEXT_FORMAT_CONTENT_TYPE)
    );
    let exposition = support::parse(&response.body).expect("body parses");
    assert!(exposition.families.contains_key("podgraph_build_info"));

    let head = request(addr, "HEAD", "/metrics").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    assert_eq!(request(addr, "GET", "/other").await.status, 404);
    assert_eq!(request(addr, "POST", "/metrics").await.status, 405);

    stop.send(()).expect("server is running");
    server
        .await
        .expect("server task finishes")
        .expect("server stops cleanly");
}

#[tokio::test]
async fn busy_address_is_reported() {
    let (_recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
    let occupied = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback port");
    let addr = occupied.local_addr().expect("bound address");

    let error = serve(addr, handle, std::future::ready(()))
        .await
        .expect_err("the port is taken");
    assert!(
        matches!(error, MetricsError::Bind { addr: a, .. } if a == addr),
        "{error:?}"
    );
    assert!(error.to_string().contains(&addr.to_string()), "{error}");
}
