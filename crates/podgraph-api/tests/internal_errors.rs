//! A store failure becomes a generic 500 problem, and its cause is logged once at ERROR
//! with the request id.
//!
//! This binary has one test: a test without the subscriber running at the same time
//! could make tracing cache the log callsite as disabled.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use support::{TestApp, into_json};

/// Log output shared between the subscriber and the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn store_failure_is_a_generic_500_logged_once() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let (status, body) = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let app = TestApp::seeded();
            // Break the store under the server: the topic listing's table disappears.
            let conn = rusqlite::Connection::open(app.dir.path().join("podgraph.db")).unwrap();
            conn.execute_batch("ALTER TABLE topics RENAME TO topics_gone")
                .unwrap();

            let request = Request::get("/api/v1/topics")
                .header("x-request-id", "broken-store-1")
                .body(Body::empty())
                .unwrap();
            let (status, _, body) = into_json(app.send(request).await).await;

            // A client error on the same server is not logged at ERROR.
            let (client_status, _, _) = app.get_json("/api/v1/entities?limit=0").await;
            assert_eq!(client_status, 400);
            (status, body)
        })
    });

    assert_eq!(status, 500, "{body}");
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-internal")
    );
    assert_eq!(body["request_id"], "broken-store-1");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        !detail.contains("topics"),
        "the cause stays out of the response: {detail}"
    );

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "one ERROR line:\n{text}");
    assert!(errors[0].contains("broken-store-1"), "{}", errors[0]);
    assert!(errors[0].contains("no such table"), "{}", errors[0]);
}
