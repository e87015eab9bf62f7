//! Behaviour of `HttpFetcher` against a scripted HTTP/1.1 server on loopback, against
//! local files, and of the address guard, URL redaction and charset helpers.
//!
//! Every network test talks only to a scripted server (`support`) that the test starts
//! on `127.0.0.1`. Tests of private and link-local targets use literal IPs that the guard
//! rejects before any connection is attempted.

mod support;

use std::io::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use podgraph_core::config::FetchConfig;
use podgraph_core::provider::{FetchRequest, FetchStatus, Fetcher, Validators};
use podgraph_core::{ErrorKind, ProviderError};
use podgraph_ingest::fetch::{
    AddressClass, AddressPolicy, HttpFetcher, charset_of, classify, redact_url,
};
use tokio::net::TcpListener;

use support::{Framing, Reply, TestServer};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const FEED_FIXTURE: &str =
    "tests/fixtures/rss/spec/Podcastindex-org__podcast-namespace/example.xml";

fn fixture_feed() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FEED_FIXTURE);
    std::fs::read(&path).expect("read the fixture feed")
}

/// Limits for tests against the loopback server: loopback allowed, short timeouts.
fn loopback_config() -> FetchConfig {
    FetchConfig {
        connect_timeout_ms: 2_000,
        total_timeout_ms: 5_000,
        allow_loopback: true,
        ..FetchConfig::default()
    }
}

fn fetcher(config: FetchConfig) -> HttpFetcher {
    HttpFetcher::new(config).expect("valid fetch configuration")
}

async fn fetch_error(fetcher: &HttpFetcher, location: &str) -> ProviderError {
    match fetcher.fetch(&FetchRequest::new(location)).await {
        Ok(response) => panic!(
            "expected an error for {location}, got status {:?} with {} bytes",
            response.status,
            response.body.len()
        ),
        Err(error) => error,
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("zlib in memory");
    encoder.finish().expect("zlib in memory")
}

// ---------------------------------------------------------------------------------------
// Fetching over HTTP
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn fetches_fixture_feed_over_loopback() {
    let feed = fixture_feed();
    let served = feed.clone();
    let server = TestServer::start(move |request| match request.path() {
        "/feed.xml" => Reply::ok(served.clone())
            .header("Content-Type", "application/rss+xml; charset=UTF-8")
            .header("ETag", "\"abc\"")
            .header("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = fetcher(loopback_config());

    let mut request = FetchRequest::new(server.url("/feed.xml"));
    request.accept = Some("application/rss+xml, application/xml;q=0.9".to_owned());
    let response = fetcher.fetch(&request).await.expect("fetch the feed");

    assert_eq!(response.status, FetchStatus::Fetched);
    assert_eq!(response.body.as_ref(), feed.as_slice());
    assert_eq!(response.final_location, server.url("/feed.xml"));
    assert!(response.redirects.is_empty());
    let content_type = response.content_type.as_deref().expect("content type");
    assert_eq!(content_type, "application/rss+xml; charset=UTF-8");
    assert_eq!(charset_of(content_type), Some("UTF-8"));
    assert_eq!(response.validators.etag.as_deref(), Some("\"abc\""));
    assert_eq!(
        response.validators.last_modified.as_deref(),
        Some("Wed, 01 Jan 2025 00:00:00 GMT")
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    let user_agent = requests[0].header("user-agent").expect("user agent sent");
    assert!(
        user_agent.starts_with("podgraph/"),
        "user agent {user_agent}"
    );
    assert_eq!(
        requests[0].header("accept"),
        Some("application/rss+xml, application/xml;q=0.9")
    );
    assert!(requests[0].header("if-none-match").is_none());
}

#[tokio::test]
async fn loopback_literal_rejected_without_connecting() {
    let server = TestServer::start(|_| Reply::ok("never served")).await;
    let fetcher = fetcher(FetchConfig {
        allow_loopback: false,
        ..loopback_config()
    });

    let error = fetch_error(&fetcher, &server.url("/feed.xml")).await;

    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(error.operation(), "fetch.get");
    assert!(!error.is_temporary());
    let message = error.message();
    assert!(message.contains("127.0.0.1"), "{message}");
    assert!(message.contains("loopback"), "{message}");
    assert!(message.contains("fetch.allow_loopback"), "{message}");
    assert_eq!(server.connections(), 0);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn loopback_name_rejected_by_resolver() {
    let server = TestServer::start(|_| Reply::ok("never served")).await;
    let fetcher = fetcher(FetchConfig {
        allow_loopback: false,
        ..loopback_config()
    });
    let url = format!("http://localhost:{}/feed.xml", server.addr.port());

    let error = fetch_error(&fetcher, &url).await;

    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    let message = error.message();
    assert!(
        message.contains("host `localhost` resolves to"),
        "{message}"
    );
    assert!(message.contains("fetch.allow_loopback"), "{message}");
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn loopback_name_allowed_when_configured() {
    let server = TestServer::start(|_| Reply::ok("served")).await;
    let fetcher = fetcher(loopback_config());
    let url = format!("http://localhost:{}/feed.xml", server.addr.port());

    let response = fetcher.fetch(&FetchRequest::new(url)).await.expect("fetch");

    assert_eq!(response.body.as_ref(), b"served");
}

#[tokio::test]
async fn allow_private_also_allows_loopback() {
    let server = TestServer::start(|_| Reply::ok("served")).await;
    let fetcher = fetcher(FetchConfig {
        allow_loopback: false,
        allow_private: true,
        ..loopback_config()
    });

    let response = fetcher
        .fetch(&FetchRequest::new(server.url("/")))
        .await
        .expect("fetch");

    assert_eq!(response.body.as_ref(), b"served");
}

// ---------------------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn redirect_chain_recorded_in_order() {
    let server = TestServer::start(|request| {
        let host = request.header("host").unwrap_or_default().to_owned();
        match request.path() {
            "/a" => Reply::redirect(301, "/b?step=2"),
            "/b" => Reply::redirect(302, &format!("http://{host}/c")),
            "/c" => Reply::redirect(303, "d"),
            "/d" => Reply::redirect(307, "/dir/e"),
            "/dir/e" => Reply::redirect(308, "../final"),
            "/final" => Reply::ok("arrived"),
            _ => Reply::status(404),
        }
    })
    .await;
    let fetcher = fetcher(loopback_config());

    let response = fetcher
        .fetch(&FetchRequest::new(server.url("/a")))
        .await
        .expect("follow the chain");

    assert_eq!(response.body.as_ref(), b"arrived");
    assert_eq!(
        response.redirects,
        vec![
            server.url("/b?step=2"),
            server.url("/c"),
            server.url("/d"),
            server.url("/dir/e"),
            server.url("/final"),
        ]
    );
    assert_eq!(response.final_location, server.url("/final"));
    assert_eq!(server.requests().len(), 6);
}

#[tokio::test]
async fn redirects_beyond_limit_rejected() {
    let server = TestServer::start(|request| match request.path() {
        "/1" => Reply::redirect(302, "/2"),
        "/2" => Reply::redirect(302, "/3"),
        "/3" => Reply::redirect(302, "/4"),
        "/4" => Reply::ok("end"),
        _ => Reply::status(404),
    })
    .await;

    let within = fetcher(FetchConfig {
        max_redirects: 3,
        ..loopback_config()
    });
    let response = within
        .fetch(&FetchRequest::new(server.url("/1")))
        .await
        .expect("three redirects are allowed");
    assert_eq!(response.redirects.len(), 3);

    let strict = fetcher(FetchConfig {
        max_redirects: 2,
        ..loopback_config()
    });
    let error = fetch_error(&strict, &server.url("/1")).await;
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    let message = error.message();
    assert!(message.contains("fetch.max_redirects"), "{message}");
    assert!(message.contains("(2)"), "{message}");
    assert!(message.contains("/4"), "{message}");
}

#[tokio::test]
async fn redirect_loop_stops_at_limit() {
    let server = TestServer::start(|_| Reply::redirect(302, "/loop")).await;
    let fetcher = fetcher(FetchConfig {
        max_redirects: 4,
        ..loopback_config()
    });

    let error = fetch_error(&fetcher, &server.url("/loop")).await;

    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn zero_redirects_allowed_rejects_first() {
    let server = TestServer::start(|request| match request.path() {
        "/old" => Reply::redirect(301, "/new"),
        _ => Reply::ok("new"),
    })
    .await;
    let fetcher = fetcher(FetchConfig {
        max_redirects: 0,
        ..loopback_config()
    });

    let error = fetch_error(&fetcher, &server.url("/old")).await;

    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn redirect_to_non_public_address_rejected() {
    let cases = [
        ("http://10.0.0.1/feed.xml", "10.0.0.1"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://192.168.1.1:8080/", "192.168.1.1"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://[fd00::1]/", "fd00::1"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
    ];

    for (target, address) in cases {
        let location = target.to_owned();
        let server = TestServer::start(move |_| Reply::redirect(302, &location)).await;
        let fetcher = fetcher(loopback_config());

        let error = fetch_error(&fetcher, &server.url("/start")).await;

        assert_eq!(error.kind(), ErrorKind::PermissionDenied, "{target}");
        assert!(error.message().contains(address), "{target}: {error}");
        assert!(
            error.message().contains("fetch.allow_private"),
            "{target}: {error}"
        );
        assert_eq!(server.requests().len(), 1, "{target}");
    }
}

#[tokio::test]
async fn numeric_loopback_forms_rejected() {
    let server = TestServer::start(|_| Reply::ok("never served")).await;
    let fetcher = fetcher(FetchConfig {
        allow_loopback: false,
        ..loopback_config()
    });
    let port = server.addr.port();
    // The WHATWG URL parser turns each of these into 127.0.0.1.
    let hosts = ["2130706433", "0x7f.1", "127.1", "0177.0.0.1"];

    for host in hosts {
        let error = fetch_error(&fetcher, &format!("http://{host}:{port}/")).await;

        assert_eq!(error.kind(), ErrorKind::PermissionDenied, "{host}");
        assert!(error.message().contains("127.0.0.1"), "{host}: {error}");
    }
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn redirect_to_file_url_not_followed() {
    let server = TestServer::start(|_| Reply::redirect(302, "file:///etc/passwd")).await;
    let fetcher = fetcher(loopback_config());

    let error = fetch_error(&fetcher, &server.url("/start")).await;

    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("file:///etc/passwd"), "{error}");
    assert!(error.message().contains("only http and https"), "{error}");
}

#[tokio::test]
async fn redirect_without_location_is_unexpected() {
    let server = TestServer::start(|_| Reply::status(302)).await;
    let fetcher = fetcher(loopback_config());

    let error = fetch_error(&fetcher, &server.url("/start")).await;

    assert_eq!(error.kind(), ErrorKind::Unexpected);
    assert!(error.message().contains("Location"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Body size limit
// ---------------------------------------------------------------------------------------

const SMALL_LIMIT: u64 = 1_000;

fn limited_config() -> FetchConfig {
    FetchConfig {
        max_body_bytes: SMALL_LIMIT,
        ..loopback_config()
    }
}

fn assert_body_limit_error(error: &ProviderError, url: &str) {
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(!error.is_temporary());
    let message = error.message();
    assert!(message.contains("max_body_bytes"), "{message}");
    assert!(message.contains("1000 bytes"), "{message}");
    assert!(message.contains(url), "{message}");
}

#[tokio::test]
async fn body_at_limit_accepted() {
    let server = TestServer::start(|_| Reply::ok(vec![b'a'; 1_000])).await;
    let fetcher = fetcher(limited_config());

    let response = fetcher
        .fetch(&FetchRequest::new(server.url("/exact")))
        .await
        .expect("a body of exactly the limit is allowed");

    assert_eq!(response.body.len(), 1_000);
}

#[tokio::test]
async fn body_limit_enforced_for_every_framing() {
    let framings = [
        ("content-length", Framing::ContentLength),
        ("chunked", Framing::Chunked),
        ("close-delimited", Framing::CloseDelimited),
        ("false-length", Framing::ChunkedWithClaimedLength(10)),
    ];

    for (name, framing) in framings {
        let server =
            TestServer::start(move |_| Reply::ok(vec![b'x'; 50_000]).framing(framing)).await;
        let fetcher = fetcher(limited_config());
        let url = server.url(&format!("/{name}"));

        let error = fetch_error(&fetcher, &url).await;

        assert_body_limit_error(&error, &url);
    }
}

#[tokio::test]
async fn declared_length_over_limit_rejected_before_body() {
    // The server declares a large body and then stalls; waiting for the body would end in
    // the total timeout instead of the limit error.
    let server = TestServer::start(|_| {
        Reply::ok(vec![b'x'; 10])
            .framing(Framing::ClaimedLength(5_000_000))
            .body_delay(Duration::from_secs(10))
    })
    .await;
    let fetcher = fetcher(FetchConfig {
        total_timeout_ms: 2_000,
        ..limited_config()
    });
    let url = server.url("/huge");

    let error = fetch_error(&fetcher, &url).await;

    assert_body_limit_error(&error, &url);
    assert!(
        error.message().contains("Content-Length` 5000000"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------
// Content encodings
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn gzip_body_decoded_transparently() {
    let feed = fixture_feed();
    let compressed = gzip(&feed);
    let server = TestServer::start(move |_| {
        Reply::ok(compressed.clone())
            .header("Content-Encoding", "gzip")
            .header("Content-Type", "application/xml")
    })
    .await;
    let fetcher = fetcher(loopback_config());

    let response = fetcher
        .fetch(&FetchRequest::new(server.url("/feed.xml.gz")))
        .await
        .expect("fetch gzip body");

    assert_eq!(response.body.as_ref(), feed.as_slice());
    let accept_encoding = server.requests()[0]
        .header("accept-encoding")
        .unwrap_or_default()
        .to_owned();
    assert!(accept_encoding.contains("gzip"), "{accept_encoding}");
    assert!(accept_encoding.contains("br"), "{accept_encoding}");
    assert!(accept_encoding.contains("deflate"), "{accept_encoding}");
}

#[tokio::test]
async fn deflate_body_decoded_transparently() {
    let feed = fixture_feed();
    let compressed = zlib(&feed);
    let server = TestServer::start(move |_| {
        Reply::ok(compressed.clone()).header("Content-Encoding", "deflate")
    })
    .await;
    let fetcher = fetcher(loopback_config());

    let response = fetcher
        .fetch(&FetchRequest::new(server.url("/feed.xml")))
        .await
        .expect("fetch deflate body");

    assert_eq!(response.body.as_ref(), feed.as_slice());
}

#[tokio::test]
async fn decompression_bomb_stopped_by_limit() {
    let limit: u64 = 64 * 1024;
    let bomb = gzip(&vec![0_u8; 16 * 1024 * 1024]);
    assert!(
        (bomb.len() as u64) < limit,
        "the compressed body ({} bytes) must fit the limit for this test to mean anything",
        bomb.len()
    );
    let server =
        TestServer::start(move |_| Reply::ok(bomb.clone()).header("Content-Encoding", "gzip"))
            .await;
    let fetcher = fetcher(FetchConfig {
        max_body_bytes: limit,
        ..loopback_config()
    });

    let error = fetch_error(&fetcher, &server.url("/bomb")).await;

    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(error.message().contains("max_body_bytes"), "{error}");
}

#[tokio::test]
async fn corrupt_gzip_body_is_unexpected() {
    let server = TestServer::start(|_| {
        Reply::ok(b"this is not gzip data at all".to_vec()).header("Content-Encoding", "gzip")
    })
    .await;
    let fetcher = fetcher(loopback_config());

    let error = fetch_error(&fetcher, &server.url("/corrupt")).await;

    assert_eq!(error.kind(), ErrorKind::Unexpected, "{error}");
}

// ---------------------------------------------------------------------------------------
// Timeouts and connection failures
// ---------------------------------------------------------------------------------------

fn fast_timeout_config() -> FetchConfig {
    FetchConfig {
        total_timeout_ms: 200,
        ..loopback_config()
    }
}

#[tokio::test]
async fn total_timeout_covers_slow_headers() {
    let server = TestServer::start(|_| Reply::ok("late").head_delay(Duration::from_secs(5))).await;
    let fetcher = fetcher(fast_timeout_config());
    let started = Instant::now();

    let error = fetch_error(&fetcher, &server.url("/slow")).await;

    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.is_temporary());
    assert!(
        error.message().contains("fetch.total_timeout_ms"),
        "{error}"
    );
    assert!(error.message().contains("200 ms"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn total_timeout_covers_slow_body() {
    let server =
        TestServer::start(|_| Reply::ok(vec![b'x'; 100]).body_delay(Duration::from_secs(5))).await;
    let fetcher = fetcher(fast_timeout_config());
    let started = Instant::now();

    let error = fetch_error(&fetcher, &server.url("/stalled")).await;

    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn total_timeout_spans_all_redirect_hops() {
    // Each hop alone fits the timeout; the chain of four does not.
    let server = TestServer::start(|request| {
        let delay = Duration::from_millis(80);
        match request.path() {
            "/1" => Reply::redirect(302, "/2").head_delay(delay),
            "/2" => Reply::redirect(302, "/3").head_delay(delay),
            "/3" => Reply::redirect(302, "/4").head_delay(delay),
            _ => Reply::ok("end").head_delay(delay),
        }
    })
    .await;
    let fetcher = fetcher(fast_timeout_config());

    let error = fetch_error(&fetcher, &server.url("/1")).await;

    assert_eq!(error.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn refused_connection_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let fetcher = fetcher(loopback_config());

    let error = fetch_error(&fetcher, &format!("http://{addr}/feed.xml")).await;

    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.is_temporary());
    assert!(error.message().contains("cannot connect"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Conditional requests
// ---------------------------------------------------------------------------------------

const ETAG: &str = "\"v2\"";
const LAST_MODIFIED: &str = "Tue, 04 Mar 2025 10:00:00 GMT";

#[tokio::test]
async fn matching_validators_give_not_modified() {
    let server = TestServer::start(|request| {
        if request.header("if-none-match") == Some(ETAG) {
            Reply::status(304).header("ETag", ETAG)
        } else {
            Reply::ok("<rss/>")
                .header("ETag", ETAG)
                .header("Last-Modified", LAST_MODIFIED)
        }
    })
    .await;
    let fetcher = fetcher(loopback_config());
    let url = server.url("/feed.xml");

    let first = fetcher
        .fetch(&FetchRequest::new(url.clone()))
        .await
        .expect("first fetch");
    assert_eq!(first.status, FetchStatus::Fetched);

    let mut request = FetchRequest::new(url.clone());
    request.validators = Some(first.validators.clone());
    let second = fetcher.fetch(&request).await.expect("conditional fetch");

    assert_eq!(second.status, FetchStatus::NotModified);
    assert!(second.body.is_empty());
    assert_eq!(second.final_location, url);
    assert_eq!(second.validators.etag.as_deref(), Some(ETAG));
    assert_eq!(
        second.validators.last_modified.as_deref(),
        Some(LAST_MODIFIED),
        "a 304 without Last-Modified keeps the request's value"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("if-none-match"), Some(ETAG));
    assert_eq!(requests[1].header("if-modified-since"), Some(LAST_MODIFIED));
}

#[tokio::test]
async fn changed_content_fetched_despite_validators() {
    let server = TestServer::start(|_| Reply::ok("new").header("ETag", "\"v3\"")).await;
    let fetcher = fetcher(loopback_config());
    let mut request = FetchRequest::new(server.url("/feed.xml"));
    request.validators = Some(Validators {
        etag: Some(ETAG.to_owned()),
        last_modified: None,
    });

    let response = fetcher.fetch(&request).await.expect("fetch");

    assert_eq!(response.status, FetchStatus::Fetched);
    assert_eq!(response.body.as_ref(), b"new");
    assert_eq!(response.validators.etag.as_deref(), Some("\"v3\""));
    assert_eq!(response.validators.last_modified, None);
    assert!(server.requests()[0].header("if-modified-since").is_none());
}

// ---------------------------------------------------------------------------------------
// Status mapping
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn error_statuses_map_to_kinds() {
    let cases = [
        (404, ErrorKind::NotFound, false),
        (410, ErrorKind::NotFound, false),
        (401, ErrorKind::PermissionDenied, false),
        (403, ErrorKind::PermissionDenied, false),
        (429, ErrorKind::LimitExceeded, true),
        (400, ErrorKind::InvalidInput, false),
        (418, ErrorKind::InvalidInput, false),
        (408, ErrorKind::Timeout, true),
        (500, ErrorKind::Unavailable, true),
        (502, ErrorKind::Unavailable, true),
        (503, ErrorKind::Unavailable, true),
        (300, ErrorKind::Unexpected, false),
    ];
    let server = TestServer::start(|request| {
        let status = request
            .path()
            .trim_start_matches('/')
            .parse()
            .unwrap_or(500);
        Reply::status(status)
    })
    .await;
    let fetcher = fetcher(loopback_config());

    for (status, kind, temporary) in cases {
        let url = server.url(&format!("/{status}"));

        let error = fetch_error(&fetcher, &url).await;

        assert_eq!(error.kind(), kind, "status {status}: {error}");
        assert_eq!(error.is_temporary(), temporary, "status {status}");
        assert_eq!(error.operation(), "fetch.get");
        let message = error.message();
        assert!(message.contains(&url), "status {status}: {message}");
        assert!(
            message.contains(&format!("returned {status}")),
            "status {status}: {message}"
        );
        assert_eq!(message, message.to_lowercase(), "messages are lowercase");
    }
}

#[tokio::test]
async fn too_many_requests_repeats_retry_after() {
    let server = TestServer::start(|request| match request.path() {
        "/seconds" => Reply::status(429).header("Retry-After", "120"),
        "/date" => Reply::status(429).header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        _ => Reply::status(429),
    })
    .await;
    let fetcher = fetcher(loopback_config());

    let seconds = fetch_error(&fetcher, &server.url("/seconds")).await;
    assert_eq!(seconds.kind(), ErrorKind::LimitExceeded);
    assert!(seconds.is_temporary());
    assert!(
        seconds.message().contains("retry after 120 seconds"),
        "{seconds}"
    );

    let date = fetch_error(&fetcher, &server.url("/date")).await;
    assert!(
        date.message()
            .contains("retry after Wed, 21 Oct 2015 07:28:00 GMT"),
        "{date}"
    );

    let bare = fetch_error(&fetcher, &server.url("/none")).await;
    assert!(bare.message().contains("retry later"), "{bare}");
}

// ---------------------------------------------------------------------------------------
// Credentials never appear in errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn credentials_absent_from_status_errors() {
    let server = TestServer::start(|_| Reply::status(404)).await;
    let fetcher = fetcher(loopback_config());
    let url = format!(
        "http://alice:hunter2@{}/feed.xml?token=tok123&page=2&api_key=k-456",
        server.addr
    );

    let error = fetch_error(&fetcher, &url).await;

    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("alice"), "{shown}");
    assert!(!shown.contains("tok123"), "{shown}");
    assert!(!shown.contains("k-456"), "{shown}");
    assert!(shown.contains("page=2"), "{shown}");
    assert!(shown.contains("404"), "{shown}");
}

#[tokio::test]
async fn credentials_absent_from_connection_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let fetcher = fetcher(loopback_config());
    let url = format!("http://alice:hunter2@{addr}/feed.xml?signature=sig789");

    let error = fetch_error(&fetcher, &url).await;

    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("sig789"), "{shown}");
}

#[tokio::test]
async fn credentials_absent_from_guard_rejections() {
    let fetcher = fetcher(FetchConfig::default());

    let error = fetch_error(&fetcher, "https://bob:s3cret@10.1.2.3/feed?auth=zz9").await;

    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!shown.contains("bob"), "{shown}");
    assert!(!shown.contains("zz9"), "{shown}");
    assert!(shown.contains("https://10.1.2.3/feed?auth=***"), "{shown}");
}

#[test]
fn redact_url_removes_credentials() {
    let cases = [
        (
            "https://user:pass@example.com/feed.xml",
            "https://example.com/feed.xml",
        ),
        (
            "https://user@example.com/feed.xml",
            "https://example.com/feed.xml",
        ),
        (
            "https://example.com/feed?token=abc&page=2",
            "https://example.com/feed?token=***&page=2",
        ),
        (
            "https://example.com/f?key=1&api_key=2&auth=3&signature=4&sig=5&password=6&secret=7",
            "https://example.com/f?key=***&api_key=***&auth=***&signature=***&sig=***&password=***&secret=***",
        ),
        (
            "https://example.com/f?access_token=a&X-Amz-Signature=b&apiKey=c&clientSecret=d",
            "https://example.com/f?access_token=***&X-Amz-Signature=***&apiKey=***&clientSecret=***",
        ),
        (
            "https://example.com/f?TOKEN=a&Api-Key=b",
            "https://example.com/f?TOKEN=***&Api-Key=***",
        ),
        (
            "https://example.com/f?q=rust&format=rss&page=3",
            "https://example.com/f?q=rust&format=rss&page=3",
        ),
        (
            "https://example.com/callback#access_token=xyz&state=1",
            "https://example.com/callback#access_token=***&state=1",
        ),
        (
            "https://example.com/f?flag&token",
            "https://example.com/f?flag&token",
        ),
        (
            "http://user:pw@exa mple.com/f?token=t&a=b",
            "http://exa mple.com/f?token=***&a=b",
        ),
        ("/var/feeds/show.xml", "/var/feeds/show.xml"),
        (
            "feeds/show?token=literal-name.xml",
            "feeds/show?token=literal-name.xml",
        ),
        (r"C:\feeds\show.xml", r"C:\feeds\show.xml"),
        ("", ""),
    ];

    for (input, expected) in cases {
        assert_eq!(redact_url(input), expected, "input {input:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Locations: local files and schemes
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn local_absolute_path_read() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("feed.xml");
    std::fs::write(&path, b"<rss version=\"2.0\"/>").expect("write file");
    let fetcher = fetcher(FetchConfig::default());

    let response = fetcher
        .fetch(&FetchRequest::new(path.display().to_string()))
        .await
        .expect("read local file");

    assert_eq!(response.status, FetchStatus::Fetched);
    assert_eq!(response.body.as_ref(), b"<rss version=\"2.0\"/>");
    assert_eq!(response.final_location, path.display().to_string());
    assert!(response.redirects.is_empty());
    assert_eq!(response.content_type, None);
    assert_eq!(response.validators, Validators::default());
}

#[tokio::test]
async fn local_relative_path_read() {
    // Integration tests run with the package root as the current directory.
    let fetcher = fetcher(FetchConfig::default());

    let response = fetcher
        .fetch(&FetchRequest::new(FEED_FIXTURE))
        .await
        .expect("read relative path");

    assert_eq!(response.body.as_ref(), fixture_feed().as_slice());
}

#[tokio::test]
async fn file_url_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FEED_FIXTURE);
    let url = url::Url::from_file_path(&path).expect("absolute path");
    let fetcher = fetcher(FetchConfig::default());

    let response = fetcher
        .fetch(&FetchRequest::new(url.to_string()))
        .await
        .expect("read file URL");

    assert_eq!(response.body.as_ref(), fixture_feed().as_slice());
    assert_eq!(response.final_location, path.display().to_string());
}

#[tokio::test]
async fn missing_local_file_not_found() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("missing.xml");
    let fetcher = fetcher(FetchConfig::default());
    let file_url = url::Url::from_file_path(&path)
        .expect("absolute path")
        .to_string();

    for location in [path.display().to_string(), file_url] {
        let error = fetch_error(&fetcher, &location).await;

        assert_eq!(error.kind(), ErrorKind::NotFound, "{location}");
        assert_eq!(error.operation(), "fetch.read_file");
        assert!(error.message().contains("missing.xml"), "{error}");
        assert!(error.message().contains("not found"), "{error}");
    }
}

#[tokio::test]
async fn local_file_over_limit_rejected() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let exact = directory.path().join("exact.xml");
    let over = directory.path().join("over.xml");
    std::fs::write(&exact, [b'a'; 10]).expect("write file");
    std::fs::write(&over, [b'a'; 11]).expect("write file");
    let fetcher = fetcher(FetchConfig {
        max_body_bytes: 10,
        ..FetchConfig::default()
    });

    let response = fetcher
        .fetch(&FetchRequest::new(exact.display().to_string()))
        .await
        .expect("a file of exactly the limit is allowed");
    assert_eq!(response.body.len(), 10);

    let error = fetch_error(&fetcher, &over.display().to_string()).await;
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(error.message().contains("fetch.max_body_bytes"), "{error}");
    assert!(error.message().contains("over.xml"), "{error}");
}

#[tokio::test]
async fn directory_is_not_a_document() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let fetcher = fetcher(FetchConfig::default());

    let error = fetch_error(&fetcher, &directory.path().display().to_string()).await;

    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("directory"), "{error}");
}

#[cfg(unix)]
#[tokio::test]
async fn device_file_is_not_read() {
    let fetcher = fetcher(FetchConfig::default());

    let error = fetch_error(&fetcher, "/dev/zero").await;

    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("not a regular file"), "{error}");
}

#[tokio::test]
async fn unsupported_schemes_rejected() {
    let fetcher = fetcher(FetchConfig::default());
    let cases = [
        ("ftp://example.com/feed.xml", "ftp"),
        ("gopher://example.com/", "gopher"),
        ("data:text/plain,hello", "data"),
        ("javascript:alert(1)", "javascript"),
        ("mailto:host@example.com", "mailto"),
        ("ws://example.com/socket", "ws"),
    ];

    for (location, scheme) in cases {
        let error = fetch_error(&fetcher, location).await;

        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{location}");
        assert!(
            error
                .message()
                .contains(&format!("unsupported URL scheme `{scheme}`")),
            "{location}: {error}"
        );
    }
}

#[tokio::test]
async fn malformed_locations_rejected() {
    let fetcher = fetcher(FetchConfig::default());
    let cases = [
        "",
        "   ",
        "http://",
        "https://exa mple.com/",
        "http://[::1/",
    ];

    for location in cases {
        let error = fetch_error(&fetcher, location).await;

        assert_eq!(
            error.kind(),
            ErrorKind::InvalidInput,
            "{location:?}: {error}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn file_url_with_remote_host_rejected() {
    let fetcher = fetcher(FetchConfig::default());

    let error = fetch_error(&fetcher, "file://fileserver/share/feed.xml").await;

    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("not a local file URL"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_configuration_rejected() {
    let cases = [
        (
            FetchConfig {
                connect_timeout_ms: 0,
                ..FetchConfig::default()
            },
            "fetch.connect_timeout_ms",
        ),
        (
            FetchConfig {
                total_timeout_ms: 0,
                ..FetchConfig::default()
            },
            "fetch.total_timeout_ms",
        ),
        (
            FetchConfig {
                user_agent: "bad\nagent".to_owned(),
                ..FetchConfig::default()
            },
            "fetch.user_agent",
        ),
    ];

    for (config, key) in cases {
        let error = HttpFetcher::new(config).expect_err("invalid configuration");

        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{key}");
        assert!(error.message().contains(key), "{key}: {error}");
    }
}

#[tokio::test]
async fn invalid_accept_header_rejected_before_sending() {
    let server = TestServer::start(|_| Reply::ok("never served")).await;
    let fetcher = fetcher(loopback_config());
    let mut request = FetchRequest::new(server.url("/feed.xml"));
    request.accept = Some("text/xml\r\nX-Injected: 1".to_owned());

    let error = fetcher.fetch(&request).await.expect_err("invalid header");

    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("accept"), "{error}");
    assert_eq!(server.connections(), 0);
}

// ---------------------------------------------------------------------------------------
// Address guard
// ---------------------------------------------------------------------------------------

#[test]
fn classify_covers_every_address_class() {
    use AddressClass::*;
    let cases: &[(&str, AddressClass)] = &[
        // IPv4
        ("8.8.8.8", Public),
        ("1.1.1.1", Public),
        ("9.255.255.255", Public),
        ("11.0.0.0", Public),
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Reserved),
        ("10.0.0.1", Private),
        ("10.255.255.255", Private),
        ("100.63.255.255", Public),
        ("100.64.0.1", SharedAddressSpace),
        ("100.127.255.255", SharedAddressSpace),
        ("100.128.0.0", Public),
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("169.254.169.254", LinkLocal),
        ("169.254.0.1", LinkLocal),
        ("172.15.255.255", Public),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("172.32.0.0", Public),
        ("192.0.0.8", Reserved),
        ("192.0.2.1", Documentation),
        ("192.88.99.1", Reserved),
        ("192.168.1.1", Private),
        ("198.17.255.255", Public),
        ("198.18.0.1", Benchmarking),
        ("198.19.255.255", Benchmarking),
        ("198.20.0.0", Public),
        ("198.51.100.7", Documentation),
        ("203.0.113.9", Documentation),
        ("223.255.255.255", Public),
        ("224.0.0.1", Multicast),
        ("239.255.255.250", Multicast),
        ("240.0.0.1", Reserved),
        ("255.255.255.254", Reserved),
        ("255.255.255.255", Broadcast),
        // IPv6
        ("::", Unspecified),
        ("::1", Loopback),
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:10.0.0.1", Private),
        ("::ffff:169.254.169.254", LinkLocal),
        ("::ffff:100.64.0.1", SharedAddressSpace),
        ("::ffff:0.0.0.0", Unspecified),
        ("::ffff:8.8.8.8", Public),
        ("::127.0.0.1", Reserved),
        ("64:ff9b::10.0.0.1", Private),
        ("64:ff9b::8.8.8.8", Public),
        ("64:ff9b:1::1", Private),
        ("100::1", Reserved),
        ("2001::1", Reserved),
        ("2001:1ff::1", Reserved),
        ("2001:2::1", Benchmarking),
        ("2001:db8::1", Documentation),
        ("2002:a00:1::1", Private),
        ("2002:7f00:1::1", Loopback),
        ("2002:808:808::1", Public),
        ("3fff::1", Documentation),
        ("2606:4700:4700::1111", Public),
        ("2a00:1450:4001::1", Public),
        ("4000::1", Reserved),
        ("5f00::1", Reserved),
        ("fc00::1", Private),
        ("fd12:3456::1", Private),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("fec0::1", Private),
        ("ff02::1", Multicast),
        ("ff0e::1", Multicast),
    ];

    for (text, expected) in cases {
        let ip: IpAddr = text.parse().expect("valid IP in the table");
        assert_eq!(classify(ip), *expected, "{text}");
    }
}

#[test]
fn policy_allows_by_configuration() {
    let strict = AddressPolicy::default();
    let loopback = AddressPolicy {
        allow_loopback: true,
        allow_private: false,
    };
    let private = AddressPolicy {
        allow_loopback: false,
        allow_private: true,
    };
    let cases: &[(&str, AddressPolicy, bool)] = &[
        ("93.184.215.14", strict, true),
        ("2606:4700::1", strict, true),
        ("127.0.0.1", strict, false),
        ("::1", strict, false),
        ("10.0.0.1", strict, false),
        ("169.254.169.254", strict, false),
        ("127.0.0.1", loopback, true),
        ("::1", loopback, true),
        ("::ffff:127.0.0.1", loopback, true),
        ("10.0.0.1", loopback, false),
        ("169.254.169.254", loopback, false),
        ("0.0.0.0", loopback, false),
        ("127.0.0.1", private, true),
        ("10.0.0.1", private, true),
        ("fd00::1", private, true),
        ("169.254.169.254", private, true),
        ("8.8.8.8", private, true),
    ];

    for (text, policy, allowed) in cases {
        let ip: IpAddr = text.parse().expect("valid IP in the table");
        assert_eq!(policy.check(ip).is_ok(), *allowed, "{text} with {policy:?}");
    }
}

#[test]
fn policy_from_config_copies_flags() {
    let config = FetchConfig {
        allow_loopback: true,
        allow_private: false,
        ..FetchConfig::default()
    };

    let policy = AddressPolicy::from_config(&config);

    assert!(policy.allow_loopback);
    assert!(!policy.allow_private);
    assert_eq!(
        AddressPolicy::from_config(&FetchConfig::default()),
        AddressPolicy::default()
    );
}

#[test]
fn class_names_the_config_key() {
    assert_eq!(
        AddressClass::Loopback.allowing_config_key(),
        "fetch.allow_loopback"
    );
    assert_eq!(
        AddressClass::Private.allowing_config_key(),
        "fetch.allow_private"
    );
    assert_eq!(
        AddressClass::LinkLocal.allowing_config_key(),
        "fetch.allow_private"
    );
    assert_eq!(AddressClass::LinkLocal.to_string(), "link-local");
}

// ---------------------------------------------------------------------------------------
// Content-Type charset
// ---------------------------------------------------------------------------------------

#[test]
fn charset_of_extracts_parameter() {
    let cases = [
        ("text/xml; charset=utf-8", Some("utf-8")),
        ("text/xml;charset=ISO-8859-1", Some("ISO-8859-1")),
        ("text/xml; CHARSET=\"windows-1252\"", Some("windows-1252")),
        ("text/html; boundary=x; charset = koi8-r ", Some("koi8-r")),
        ("application/rss+xml", None),
        ("text/plain; charset=", None),
        ("text/plain; charset=\"\"", None),
        ("text/plain; format=flowed", None),
        ("charset=utf-8", None),
        ("", None),
    ];

    for (content_type, expected) in cases {
        assert_eq!(charset_of(content_type), expected, "{content_type:?}");
    }
}
