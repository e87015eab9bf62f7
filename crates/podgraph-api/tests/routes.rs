//! Every route through the router without a socket: responses, pagination, filters and
//! problem details.

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use support::{TestApp, get, into_json, post_json};

/// Fills the path parameters of an OpenAPI path with ids from the seeded store.
async fn concrete_path(app: &TestApp, template: &str) -> String {
    let (_, _, entities) = app.get_json("/api/v1/entities?limit=1").await;
    let (_, _, episodes) = app.get_json("/api/v1/episodes?limit=1").await;
    let entity = entities["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let episode = episodes["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id = if template.starts_with("/api/v1/episodes") {
        episode
    } else if template.starts_with("/api/v1/jobs") {
        "00000000-0000-0000-0000-000000000000".to_owned()
    } else {
        entity
    };
    template.replace("{id}", &id)
}

#[tokio::test]
async fn every_documented_route_answers() {
    let app = TestApp::seeded();
    let doc = podgraph_api::openapi();
    let mut checked = BTreeSet::new();
    for (template, item) in &doc.paths.paths {
        let path = concrete_path(&app, template).await;
        let mut methods = Vec::new();
        if item.get.is_some() {
            methods.push("GET");
        }
        if item.post.is_some() {
            methods.push("POST");
        }
        if item.delete.is_some() {
            methods.push("DELETE");
        }
        for method in methods {
            let request = Request::builder()
                .method(method)
                .uri(&path)
                .header("content-type", "application/json")
                .body(Body::from(if method == "POST" { "{}" } else { "" }))
                .expect("request");
            let (status, headers, body) = into_json(app.send(request).await).await;
            // A documented route never falls through to the "no such route" problem; a
            // 404 is allowed only as a problem about the resource (the job id here).
            let route_missing = status == 404
                && body["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("no route matches"));
            assert!(
                !route_missing,
                "{method} {path} is documented but not routed"
            );
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                status < 500 || template == "/api/v1/slo/status",
                "{method} {path}: {status} {body}"
            );
            assert!(headers.contains_key("x-request-id"), "{method} {path}");
            checked.insert(format!("{method} {template}"));
        }
    }
    assert_eq!(checked.len(), 20, "routes checked: {checked:?}");
}

#[tokio::test]
async fn unknown_route_is_a_problem() {
    let app = TestApp::seeded();
    let response = app.send(get("/api/v1/nothing-here")).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, headers, body) = into_json(response).await;
    assert_eq!(status, 404);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-not-found")
    );
    assert_eq!(body["title"], "Not found");
    assert_eq!(body["status"], 404);
    assert_eq!(body["instance"], "/api/v1/nothing-here");
    assert_eq!(
        body["request_id"].as_str(),
        headers["x-request-id"].to_str().ok()
    );
}

#[tokio::test]
async fn wrong_method_is_a_problem() {
    let app = TestApp::seeded();
    let request = Request::delete("/api/v1/stats")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 405);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-method-not-allowed")
    );
}

#[tokio::test]
async fn client_request_id_is_returned() {
    let app = TestApp::seeded();
    let request = Request::get("/api/v1/nothing")
        .header("x-request-id", "req-12345")
        .body(Body::empty())
        .unwrap();
    let (_, headers, body) = into_json(app.send(request).await).await;
    assert_eq!(headers["x-request-id"], "req-12345");
    assert_eq!(body["request_id"], "req-12345");

    // An id with spaces or control characters is replaced by a generated one.
    let request = Request::get("/live")
        .header("x-request-id", "bad id")
        .body(Body::empty())
        .unwrap();
    let response = app.send(request).await;
    let returned = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(returned, "bad id");
    assert!(uuid::Uuid::parse_str(&returned).is_ok(), "{returned}");
}

#[tokio::test]
async fn invalid_limit_names_the_field() {
    let app = TestApp::seeded();
    for path in [
        "/api/v1/entities?limit=0",
        "/api/v1/entities?limit=1001",
        "/api/v1/entities?limit=abc",
        "/api/v1/podcasts?limit=-1",
        "/api/v1/jobs?limit=1e30",
    ] {
        let (status, _, body) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["field"], "limit", "{path}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("expected an integer from 1 to 1000"),
            "{path}: {body}"
        );
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .ends_with("#problem-validation")
        );
    }
}

#[tokio::test]
async fn invalid_ids_name_the_field() {
    let app = TestApp::seeded();
    let (status, _, body) = app.get_json("/api/v1/entities/not-a-uuid").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "id");

    let (status, _, body) = app.get_json("/api/v1/quotes?entity=nope").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "entity");

    let (status, _, body) = app.get_json("/api/v1/episodes?podcast=xyz").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "podcast");

    let (status, _, body) = app.get_json("/api/v1/entities?kind=planet").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "kind");
}

#[tokio::test]
async fn malformed_cursor_is_a_client_error() {
    let app = TestApp::seeded();
    let (status, _, body) = app.get_json("/api/v1/entities?cursor=zzzz").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("cursor"));
    assert_eq!(body["errors"][0]["field"], "cursor", "{body}");
}

#[tokio::test]
async fn query_errors_name_the_parameter() {
    let app = TestApp::seeded();
    let (status, _, body) = app.get_json("/api/v1/search").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "q", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("missing"),
        "{body}"
    );

    let cases = [
        ("/api/v1/search?q=rust&limit=x", "limit", "from 1 to 200"),
        ("/api/v1/search?q=rust&limit=500", "limit", "from 1 to 200"),
        (
            "/api/v1/entities/00000000-0000-0000-0000-000000000000/neighbours?depth=-1",
            "depth",
            "from 1 to 4",
        ),
        (
            "/api/v1/entities/00000000-0000-0000-0000-000000000000/neighbours?limit=9e9",
            "limit",
            "from 1 to 500",
        ),
    ];
    for (path, field, range) in cases {
        let (status, _, body) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(range), "{path}: {body}");
    }
}

#[tokio::test]
async fn unknown_entity_is_not_found() {
    let app = TestApp::seeded();
    let id = "00000000-0000-0000-0000-000000000000";
    for path in [
        format!("/api/v1/entities/{id}"),
        format!("/api/v1/entities/{id}/mentions"),
        format!("/api/v1/entities/{id}/neighbours"),
        format!("/api/v1/episodes/{id}"),
        format!("/api/v1/jobs/{id}"),
    ] {
        let (status, _, body) = app.get_json(&path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(id), "{body}");
    }
}

#[tokio::test]
async fn entity_pages_cover_every_entity_once() {
    let app = TestApp::seeded();
    let (_, _, stats) = app.get_json("/api/v1/stats").await;
    // `Entity` counts every entity, persons included.
    let total = stats["nodes"]["Entity"].as_u64().unwrap();

    let mut seen = BTreeSet::new();
    let mut previous_count = u64::MAX;
    let mut path = "/api/v1/entities?limit=7".to_owned();
    let mut pages = 0;
    loop {
        let (status, _, page) = app.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            let count = item["mention_count"].as_u64().unwrap();
            assert!(count <= previous_count, "most mentioned first");
            previous_count = count;
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_owned()),
                "duplicate {item}"
            );
        }
        pages += 1;
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/entities?limit=7&cursor={next}"),
            None => break,
        }
    }
    assert!(pages > 1);
    assert_eq!(seen.len() as u64, total);
}

#[tokio::test]
async fn entity_filters_by_kind_and_name() {
    let app = TestApp::seeded();
    let (_, _, people) = app.get_json("/api/v1/entities?kind=person&limit=100").await;
    let items = people["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["kind"] == "person"));

    let (_, _, spotify) = app.get_json("/api/v1/entities?name=spot").await;
    let names: Vec<&str> = spotify["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(names.contains(&"Spotify"), "{names:?}");
}

#[tokio::test]
async fn entity_detail_has_aliases_and_mentions() {
    let app = TestApp::seeded();
    let (_, _, list) = app.get_json("/api/v1/entities?limit=1").await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let (status, _, detail) = app.get_json(&format!("/api/v1/entities/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["entity"]["id"], id);
    assert!(detail["aliases"].is_array());
    let mentions = detail["mentions"]["items"].as_array().unwrap();
    assert!(!mentions.is_empty());
    let first = &mentions[0];
    assert!(first["episode_id"].is_string());
    assert!(first["segment_id"].is_string());
    assert!(first["start_ms"].is_u64());
    assert!(first.get("speaker").is_some());

    let (status, _, page) = app
        .get_json(&format!("/api/v1/entities/{id}/mentions?limit=2"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn neighbours_start_with_the_entity() {
    let app = TestApp::seeded();
    let (_, _, list) = app.get_json("/api/v1/entities?limit=1").await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let (status, _, graph) = app
        .get_json(&format!(
            "/api/v1/entities/{id}/neighbours?depth=2&limit=10"
        ))
        .await;
    assert_eq!(status, 200, "{graph}");
    assert_eq!(graph["nodes"][0]["id"], id);
    assert!(graph["nodes"].as_array().unwrap().len() <= 10);
    assert!(!graph["edges"].as_array().unwrap().is_empty());

    let (status, _, body) = app
        .get_json(&format!("/api/v1/entities/{id}/neighbours?depth=9"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "depth");
}

#[tokio::test]
async fn episode_detail_has_segments_and_speakers() {
    let app = TestApp::seeded();
    let (_, _, stats) = app.get_json("/api/v1/stats").await;
    let (_, _, list) = app.get_json("/api/v1/episodes?limit=50").await;
    let episodes = list["items"].as_array().unwrap();
    assert_eq!(
        Some(episodes.len() as u64),
        stats["nodes"]["Episode"].as_u64()
    );
    let with_speakers = episodes
        .iter()
        .find(|e| !e["speakers"].as_array().unwrap().is_empty())
        .expect("an episode with speakers");
    let id = with_speakers["id"].as_str().unwrap();
    let (status, _, detail) = app.get_json(&format!("/api/v1/episodes/{id}")).await;
    assert_eq!(status, 200);
    let segments = detail["segments"].as_array().unwrap();
    assert_eq!(
        segments.len() as u64,
        with_speakers["segment_count"].as_u64().unwrap()
    );
    assert!(
        segments
            .windows(2)
            .all(|w| w[0]["index"].as_u64() < w[1]["index"].as_u64())
    );
    assert!(!detail["speakers"].as_array().unwrap().is_empty());
    assert!(detail["podcast"]["title"].is_string());

    let podcast = with_speakers["podcast_id"].as_str().unwrap();
    let (_, _, filtered) = app
        .get_json(&format!("/api/v1/episodes?podcast={podcast}"))
        .await;
    assert!(
        filtered["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["podcast_id"] == podcast)
    );
}

#[tokio::test]
async fn quotes_filter_by_episode_and_speaker() {
    let app = TestApp::seeded();
    let (_, _, all) = app.get_json("/api/v1/quotes?limit=5").await;
    let quote = &all["items"][0];
    let episode = quote["episode_id"].as_str().unwrap();
    let (_, _, by_episode) = app
        .get_json(&format!("/api/v1/quotes?episode={episode}&limit=100"))
        .await;
    let items = by_episode["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|q| q["episode_id"] == episode));

    if let Some(speaker) = items.iter().find_map(|q| q["speaker"].as_str()) {
        let encoded = speaker.replace(' ', "%20");
        let (status, _, by_speaker) = app
            .get_json(&format!("/api/v1/quotes?speaker={encoded}"))
            .await;
        assert_eq!(status, 200);
        assert!(
            by_speaker["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|q| q["speaker"] == speaker)
        );
    }
}

#[tokio::test]
async fn topics_are_listed_and_filtered() {
    let app = TestApp::seeded();
    let (status, _, topics) = app.get_json("/api/v1/topics?limit=3").await;
    assert_eq!(status, 200);
    let items = topics["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(topics["next"].is_string());
    let counts: Vec<u64> = items
        .iter()
        .map(|t| t["episode_count"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");

    let (_, _, filtered) = app.get_json("/api/v1/topics?phrase=POD").await;
    let phrases: Vec<&str> = filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["phrase"].as_str())
        .collect();
    assert!(!phrases.is_empty());
    assert!(
        phrases
            .iter()
            .all(|p| p.to_ascii_lowercase().starts_with("pod")),
        "{phrases:?}"
    );
}

#[tokio::test]
async fn search_finds_segments_and_checks_limits() {
    let app = TestApp::seeded();
    let (status, _, results) = app.get_json("/api/v1/search?q=moon&limit=5").await;
    assert_eq!(status, 200);
    let hits = results["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.len() <= 5);
    assert!(hits.iter().any(|h| h["kind"] == "segment"));

    let (status, _, body) = app.get_json("/api/v1/search").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "q", "{body}");

    let (status, _, body) = app.get_json("/api/v1/search?q=x&limit=201").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "limit");

    for query in ["", "%20", "%20%09"] {
        let (status, _, body) = app.get_json(&format!("/api/v1/search?q={query}")).await;
        assert_eq!(status, 400, "q={query:?}: {body}");
        assert_eq!(body["errors"][0]["field"], "q", "q={query:?}: {body}");
    }
}

#[tokio::test]
async fn operations_routes_report_state() {
    let app = TestApp::seeded();
    let (status, _, health) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    let store = &health["components"][0];
    assert_eq!(store["name"], "store");
    assert!(store["latency_ms"].as_f64().unwrap() >= 0.0);

    let (status, _, ready) = app.get_json("/ready").await;
    assert_eq!(status, 200);
    assert_eq!(ready["ready"], true);

    let response = app.send(get("/live")).await;
    assert_eq!(response.status(), 200);

    // Without a metrics handle or SLO engine the routes return 404 and 503.
    let (status, _, _) = app.get_json("/metrics").await;
    assert_eq!(status, 404);
    let (status, _, body) = app.get_json("/api/v1/slo/status").await;
    assert_eq!(status, 503);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#problem-unavailable")
    );
}

#[tokio::test]
async fn openapi_and_swagger_ui_are_served() {
    let app = TestApp::seeded();
    let (status, _, doc) = app.get_json("/api-docs/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/seed"]["post"].is_object());

    let response = app.send(get("/docs/")).await;
    assert_eq!(response.status(), 200);
    let html = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert!(String::from_utf8_lossy(&html).contains("swagger"));
}

#[tokio::test]
async fn seed_body_errors_are_problems() {
    let app = TestApp::seeded();
    let (status, _, body) = into_json(
        app.send(post_json(
            "/api/v1/seed",
            &serde_json::json!({"feeds": ["file:///etc/passwd"]}),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "feeds[0]");

    let (status, _, body) = into_json(
        app.send(post_json(
            "/api/v1/seed",
            &serde_json::json!({"feeds": "x", "extra": 1}),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"][0]["field"].is_string());

    let request = Request::post("/api/v1/seed")
        .body(Body::from("{}"))
        .unwrap();
    let (status, _, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 415, "{body}");

    let request = Request::post("/api/v1/seed")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let (status, _, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "body");
}

#[tokio::test]
async fn no_traceparent_without_trace_export() {
    let app = TestApp::seeded();
    let request = Request::get("/api/v1/stats")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("traceparent").is_none());
}

#[tokio::test]
async fn seed_rejects_feed_credentials() {
    let app = TestApp::seeded();
    let body = serde_json::json!({"feeds": ["http://user:pw@127.0.0.1:1/feed.xml"]});
    let (status, _, body) = into_json(app.send(post_json("/api/v1/seed", &body)).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "feeds[0]");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("remove the user name and password"),
        "{message}"
    );
    assert!(!body.to_string().contains("pw@"), "{body}");
}

#[tokio::test]
async fn stored_feed_credentials_are_redacted() {
    let app = TestApp::seeded();
    let db = rusqlite::Connection::open(app.dir.path().join("podgraph.db")).unwrap();
    db.execute(
        "UPDATE podcasts SET feed_url = 'https://user:pw@example.org/feed.xml'",
        [],
    )
    .unwrap();
    drop(db);

    let (status, _, body) = app.get_json("/api/v1/podcasts").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for podcast in items {
        assert_eq!(podcast["feed_url"], "https://user:***@example.org/feed.xml");
    }
}

#[tokio::test]
async fn job_ids_must_be_uuids() {
    let app = TestApp::seeded();
    let (status, _, body) = app.get_json("/api/v1/jobs/bad").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "id");
    assert!(body["detail"].as_str().unwrap().contains("UUID"), "{body}");

    let request = Request::delete("/api/v1/jobs/bad")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = into_json(app.send(request).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "id");

    let unknown = "/api/v1/jobs/7d0c4a52-9f3e-4b8a-8c1d-2e5f6a7b8c9d";
    let (status, _, body) = app.get_json(unknown).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn seed_rejects_bad_opml_and_urls() {
    let app = TestApp::seeded();
    let body = serde_json::json!({"opml": "garbage <<"});
    let (status, _, body) = into_json(app.send(post_json("/api/v1/seed", &body)).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "opml");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("OPML"),
        "{body}"
    );

    let opml = r#"<opml version="2.0"><body>
<outline type="rss" text="Private" xmlUrl="https://user:pw@example.org/feed.xml"/>
</body></opml>"#;
    let body = serde_json::json!({ "opml": opml });
    let (status, _, body) = into_json(app.send(post_json("/api/v1/seed", &body)).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "opml");
    assert!(!body.to_string().contains("pw@"), "{body}");

    let body = serde_json::json!({"feeds": ["https://example.org/ok.xml", "http://[::1"]});
    let (status, _, body) = into_json(app.send(post_json("/api/v1/seed", &body)).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "feeds[1]");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn job_without_readable_feeds_fails() {
    let app = TestApp::seeded();
    let opml = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Local only</title></head><body>
<outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
</body></opml>"#;
    let body = serde_json::json!({"opml": opml});
    let (status, _, job) = into_json(app.send(post_json("/api/v1/seed", &body)).await).await;
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap();

    let job = support::wait_for_job(&app, id, std::time::Duration::from_secs(30)).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(
        job["error"].as_str().unwrap().contains("no readable feed"),
        "{job}"
    );
    assert_eq!(job["failures"][0]["source"], "file:///etc/passwd", "{job}");
}
