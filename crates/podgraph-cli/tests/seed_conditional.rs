//! Conditional feed requests across runs: `podgraph seed` stores each web feed's `ETag`
//! and `Last-Modified`, sends them with the next request, and does not parse a feed the
//! server reports unchanged. The server is a small HTTP/1.1 server on a loopback port
//! inside the test that counts the conditional requests it returns 304 to.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;
use support::{Workspace, fixture};

/// The entity tag of the served feed.
const ETAG: &str = "\"feed-v1\"";
/// The `Last-Modified` date of the served feed.
const LAST_MODIFIED: &str = "Mon, 01 Jan 2024 00:00:00 GMT";

/// What the server saw.
#[derive(Debug, Default)]
struct Log {
    /// Requests by path.
    requests: BTreeMap<String, usize>,
    /// Feed requests that carried `If-None-Match` or `If-Modified-Since`.
    conditional: usize,
    /// Conditional feed requests that received 304 Not Modified.
    not_modified: usize,
}

/// Serves `/feed.xml` with validators and the transcripts in `files`, one request per
/// connection.
struct FeedServer {
    port: u16,
    log: Arc<Mutex<Log>>,
    _thread: JoinHandle<()>,
}

impl FeedServer {
    fn start(files: BTreeMap<String, Vec<u8>>, feed: impl Fn(u16) -> String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let feed = feed(port).into_bytes();
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Arc::clone(&log);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                respond(stream, &feed, &files, &shared);
            }
        });
        Self {
            port,
            log,
            _thread: thread,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn respond(stream: TcpStream, feed: &[u8], files: &BTreeMap<String, Vec<u8>>, log: &Mutex<Log>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line.trim().is_empty() => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':') {
                    headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
                }
            }
        }
    }

    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
    *log.requests.entry(path.clone()).or_default() += 1;
    let (status, content_type, body): (&str, &str, &[u8]) = if path == "/feed.xml" {
        let if_none_match = headers.get("if-none-match");
        let if_modified_since = headers.get("if-modified-since");
        if if_none_match.is_some() || if_modified_since.is_some() {
            log.conditional += 1;
        }
        if if_none_match.is_some_and(|tag| tag == ETAG) {
            log.not_modified += 1;
            ("304 Not Modified", "application/rss+xml", b"")
        } else {
            ("200 OK", "application/rss+xml", feed)
        }
    } else if let Some(body) = files.get(&path) {
        ("200 OK", "application/srt", body)
    } else {
        ("404 Not Found", "text/plain", b"not found")
    };
    drop(log);

    let mut stream = reader.into_inner();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         ETag: {ETAG}\r\nLast-Modified: {LAST_MODIFIED}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// Builds a feed of two episodes whose transcripts are at `/t/1.srt` and `/t/2.srt` of
/// the server on `port`.
fn feed(port: u16) -> String {
    let mut items = String::new();
    for number in 1..=2 {
        items.push_str(&format!(
            r#"<item><title>Episode {number}</title><guid>conditional-{number}</guid>
<podcast:transcript url="http://127.0.0.1:{port}/t/{number}.srt" type="application/srt"/></item>
"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Conditional Show</title>
{items}</channel></rss>
"#
    )
}

fn transcripts(numbers: &[u32]) -> BTreeMap<String, Vec<u8>> {
    let sources = [
        "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
        "transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
    ];
    numbers
        .iter()
        .map(|&number| {
            let source = sources[(number as usize - 1) % sources.len()];
            let body = std::fs::read(fixture(source)).expect("read a transcript fixture");
            (format!("/t/{number}.srt"), body)
        })
        .collect()
}

fn seed(work: &Workspace, server: &FeedServer, extra: &[&str]) -> (Option<i32>, Value) {
    let mut command = work.seed_command([server.url("/feed.xml").as_str(), "--allow-loopback"]);
    command.args(extra);
    let run = work.run_command(command, support::SHORT);
    let summary = run.json();
    (run.code, summary)
}

#[test]
fn unchanged_feed_answered_not_modified() {
    let server = FeedServer::start(transcripts(&[1, 2]), feed);
    let work = Workspace::new();
    let feed_url = server.url("/feed.xml");

    let (code, first) = seed(&work, &server, &[]);
    assert_eq!(code, Some(0), "{first}");
    assert_eq!(first["processed"], 2, "{first}");
    assert_eq!(
        server.log().conditional,
        0,
        "the first request was conditional"
    );

    let (code, second) = seed(&work, &server, &[]);
    assert_eq!(code, Some(0), "{second}");
    assert_eq!(second["feeds_not_modified"], serde_json::json!([feed_url]));
    assert_eq!(second["processed"], 0, "{second}");
    assert_eq!(
        second["unchanged"], 0,
        "the feed was parsed again: {second}"
    );
    {
        let log = server.log();
        assert_eq!(log.conditional, 1, "{log:?}");
        assert_eq!(log.not_modified, 1, "{log:?}");
        assert_eq!(
            log.requests["/t/1.srt"], 1,
            "transcript fetched again: {log:?}"
        );
    }

    // The validators stay stored after a 304, so the next run requests conditionally again.
    let (_, third) = seed(&work, &server, &[]);
    assert_eq!(third["feeds_not_modified"], serde_json::json!([feed_url]));
    assert_eq!(server.log().not_modified, 2);

    // `--force` reads the feed in full.
    let (code, forced) = seed(&work, &server, &["--force"]);
    assert_eq!(code, Some(0), "{forced}");
    assert_eq!(forced["processed"], 2, "{forced}");
    assert_eq!(forced["feeds_not_modified"], serde_json::json!([]));
    assert_eq!(server.log().conditional, 2, "--force sent validators");
}

#[test]
fn incomplete_feed_read_in_full_next_run() {
    // The second transcript is missing: its episode fails, so the feed must be read
    // again next time to retry it.
    let server = FeedServer::start(transcripts(&[1]), feed);
    let work = Workspace::new();

    let (code, first) = seed(&work, &server, &[]);
    assert_eq!(code, Some(3), "{first}");
    assert_eq!(first["processed"], 1, "{first}");

    let (code, second) = seed(&work, &server, &[]);
    assert_eq!(code, Some(3), "{second}");
    assert_eq!(second["feeds_not_modified"], serde_json::json!([]));
    assert_eq!(second["unchanged"], 1, "{second}");
    assert_eq!(
        server.log().conditional,
        0,
        "validators of an incomplete feed were sent"
    );
    assert_eq!(
        server.log().requests["/t/2.srt"],
        2,
        "the failed episode was not retried"
    );
}

#[test]
fn selected_episodes_do_not_store_validators() {
    let server = FeedServer::start(transcripts(&[1, 2]), feed);
    let work = Workspace::new();

    let (code, first) = seed(&work, &server, &["--max-episodes", "1"]);
    assert_eq!(code, Some(0), "{first}");
    assert_eq!(first["processed"], 1, "{first}");

    let (_, second) = seed(&work, &server, &[]);
    assert_eq!(
        second["processed"], 1,
        "the unselected episode was skipped: {second}"
    );
    assert_eq!(second["unchanged"], 1, "{second}");
}
