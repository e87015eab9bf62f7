//! API keys, rate limits, body size, CORS and the SLO freeze of seeding.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use chrono::{TimeZone, Utc};
use podgraph_api::{ApiConfig, ApiKeyConfig, RateLimitConfig};
use podgraph_slo::{Event, ManualClock, PolicyEngine, SloSpec, SloTracker, events};
use support::{Options, TestApp, get, into_json, post_json};

fn keyed_config() -> ApiConfig {
    ApiConfig {
        keys: vec![
            ApiKeyConfig::from_secret("ci", "ci-secret"),
            ApiKeyConfig::from_secret("ops", "ops-secret"),
        ],
        ..ApiConfig::default()
    }
}

fn with_header(path: &str, name: &str, value: &str) -> Request<Body> {
    Request::get(path)
        .header(name, value)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn keys_are_required_when_configured() {
    let app = TestApp::with(Options {
        config: keyed_config(),
        ..Options::default()
    });

    let (status, headers, body) = into_json(app.send(get("/api/v1/stats")).await).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-unauthorized")
    );
    assert!(body["detail"].as_str().unwrap().contains("x-api-key"));

    let bearer = with_header("/api/v1/stats", "authorization", "Bearer ci-secret");
    assert_eq!(app.send(bearer).await.status(), 200);
    let header = with_header("/api/v1/stats", "x-api-key", "ops-secret");
    assert_eq!(app.send(header).await.status(), 200);

    let wrong = with_header("/api/v1/stats", "authorization", "Bearer ci-secreT");
    let (status, _, body) = into_json(app.send(wrong).await).await;
    assert_eq!(status, 401);
    assert!(body["detail"].as_str().unwrap().contains("not valid"));
}

#[tokio::test]
async fn probes_and_docs_need_no_key() {
    let app = TestApp::with(Options {
        config: keyed_config(),
        ..Options::default()
    });
    for path in [
        "/health",
        "/ready",
        "/live",
        "/api-docs/openapi.json",
        "/docs/",
    ] {
        let status = app.send(get(path)).await.status();
        assert_eq!(status, 200, "{path}");
    }
    // Metrics need a key unless configured public.
    assert_eq!(app.send(get("/metrics")).await.status(), 401);

    let public = TestApp::with(Options {
        config: ApiConfig {
            metrics_public: true,
            ..keyed_config()
        },
        ..Options::default()
    });
    // No metrics handle here, so the open route reports 404 rather than 401.
    assert_eq!(public.send(get("/metrics")).await.status(), 404);
}

#[tokio::test]
async fn rate_limit_is_per_key_with_retry_after() {
    let app = TestApp::with(Options {
        config: ApiConfig {
            rate_limit: RateLimitConfig {
                per_second: 0.5,
                burst: 3,
            },
            ..keyed_config()
        },
        ..Options::default()
    });
    for _ in 0..3 {
        let request = with_header("/api/v1/stats", "x-api-key", "ci-secret");
        assert_eq!(app.send(request).await.status(), 200);
    }
    let request = with_header("/api/v1/stats", "x-api-key", "ci-secret");
    let (status, headers, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 429);
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-rate-limited")
    );

    // Another key has its own bucket, and probes are not limited.
    let other = with_header("/api/v1/stats", "x-api-key", "ops-secret");
    assert_eq!(app.send(other).await.status(), 200);
    assert_eq!(app.send(get("/live")).await.status(), 200);
}

#[tokio::test]
async fn body_over_limit_is_rejected() {
    let app = TestApp::with(Options {
        config: ApiConfig {
            body_limit_bytes: 256,
            ..ApiConfig::default()
        },
        ..Options::default()
    });
    let feeds: Vec<String> = (0..20)
        .map(|i| format!("https://example.org/{i}.xml"))
        .collect();
    let request = post_json("/api/v1/seed", &serde_json::json!({ "feeds": feeds }));
    let (status, _, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-payload-too-large")
    );
}

#[tokio::test]
async fn cors_is_closed_by_default() {
    let app = TestApp::seeded();
    let request = Request::get("/api/v1/stats")
        .header("origin", "https://example.org")
        .body(Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let open = TestApp::with(Options {
        config: ApiConfig {
            cors_origins: vec!["https://example.org".to_owned()],
            ..ApiConfig::default()
        },
        ..Options::default()
    });
    let preflight = Request::options("/api/v1/stats")
        .header("origin", "https://example.org")
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .unwrap();
    let response = open.send(preflight).await;
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://example.org"
    );
    let other = Request::get("/api/v1/stats")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let response = open.send(other).await;
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn freeze_refuses_seeding_with_retry_after() {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap(),
    ));
    let tracker = Arc::new(SloTracker::new(SloSpec::default_spec().unwrap(), clock));
    // 10 failed episodes out of 200 overspend the episode-success budget, and 200 valid
    // events meet the freeze policy's minimum sample.
    for index in 0..200 {
        tracker.record(&Event::outcome(events::EPISODE_PROCESSED, index >= 10));
    }
    let engine = Arc::new(PolicyEngine::new(tracker));
    engine.evaluate().await;
    assert!(!engine.admission().is_allowed(), "the freeze is active");

    let app = TestApp::with(Options {
        slo: Some(Arc::clone(&engine)),
        ..Options::default()
    });
    let request = post_json(
        "/api/v1/seed",
        &serde_json::json!({ "feeds": ["https://example.org/feed.xml"] }),
    );
    let (status, headers, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 503, "{body}");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 60, "{retry_after}");
    assert!(
        body["detail"].as_str().unwrap().contains("frozen"),
        "{body}"
    );

    // The status route shows the freeze, and health reports the SLO component degraded.
    let (status, _, slo) = app.get_json("/api/v1/slo/status").await;
    assert_eq!(status, 200);
    assert_eq!(slo["admission"]["decision"], "frozen");
    let (status, _, health) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "degraded");
}

#[tokio::test]
async fn api_requests_are_slo_events() {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap(),
    ));
    let tracker = Arc::new(SloTracker::new(SloSpec::default_spec().unwrap(), clock));
    let engine = Arc::new(PolicyEngine::new(Arc::clone(&tracker)));
    let app = TestApp::with(Options {
        slo: Some(engine),
        ..Options::default()
    });
    for _ in 0..3 {
        assert_eq!(app.send(get("/api/v1/stats")).await.status(), 200);
    }
    // Probes are not API events.
    assert_eq!(app.send(get("/health")).await.status(), 200);

    let status = tracker.evaluate();
    let availability = status
        .slos
        .iter()
        .find(|s| s.budget.total_events.is_some() && s.windows.iter().any(|w| w.total == Some(3)))
        .expect("an SLO counted the three API requests");
    assert_eq!(availability.budget.bad_events, Some(0));
}

#[tokio::test(start_paused = true)]
async fn slow_request_times_out() {
    let app = TestApp::with(Options {
        config: ApiConfig {
            timeout_secs: 1,
            ..ApiConfig::default()
        },
        ..Options::default()
    });
    // A body that never arrives keeps the handler waiting past the timeout.
    let body = Body::from_stream(futures::stream::pending::<
        Result<axum::body::Bytes, std::io::Error>,
    >());
    let request = Request::post("/api/v1/seed")
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    let (status, _, problem) = into_json(app.send(request).await).await;
    assert_eq!(status, 503, "{problem}");
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-timeout")
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("1 s"),
        "{problem}"
    );
}

#[tokio::test]
async fn failed_keys_are_rate_limited_per_address() {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;

    let app = TestApp::with(Options {
        config: keyed_config(),
        ..Options::default()
    });
    let from = |addr: &str, key: &str| {
        let mut request = with_header("/api/v1/stats", "x-api-key", key);
        let peer: SocketAddr = addr.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };

    let burst = podgraph_api::auth::AUTH_FAILURE_BURST;
    for attempt in 0..burst {
        let status = app.send(from("192.0.2.1:4000", "guess")).await.status();
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let (status, headers, body) = into_json(app.send(from("192.0.2.1:4000", "guess")).await).await;
    assert_eq!(status, 429, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-rate-limited")
    );

    // A valid key from the same address and failures from another address are unaffected.
    let valid = app.send(from("192.0.2.1:4001", "ci-secret")).await.status();
    assert_eq!(valid, 200);
    let other = app.send(from("192.0.2.2:4000", "guess")).await.status();
    assert_eq!(other, 401);
}

#[tokio::test]
async fn failed_keys_without_peer_share_a_bucket() {
    let app = TestApp::with(Options {
        config: keyed_config(),
        ..Options::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..=podgraph_api::auth::AUTH_FAILURE_BURST {
        let request = with_header("/api/v1/stats", "x-api-key", "guess");
        statuses.push(app.send(request).await.status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let failures = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        failures,
        podgraph_api::auth::AUTH_FAILURE_BURST as usize,
        "{statuses:?}"
    );
}
