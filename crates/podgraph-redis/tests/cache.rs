//! The Redis cache against a real server: values, expiry, failing open, and a pipeline
//! run that goes on while the server is paused, killed and restarted.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use podgraph_core::ErrorKind;
use podgraph_core::ProviderResult;
use podgraph_core::config::IngestConfig;
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{Episode, Podcast, TranscriptLink};
use podgraph_core::pipeline::{CancelToken, EpisodeJob, Pipeline, PipelineConfig};
use podgraph_core::provider::{Cache, CacheKey, FetchRequest, FetchResponse, Fetcher, GraphStore};
use podgraph_extract::{LocalExtractor, StoreResolver};
use podgraph_ingest::loader::TranscriptLoader;
use podgraph_mocks::{MemoryGraphStore, StaticDocument, StaticFetcher};
use podgraph_redis::{CachingFetcher, RedisCache, RedisConfig, RedisConnection};

fn key(name: &str) -> CacheKey {
    CacheKey::from_parts([b"test".as_slice(), name.as_bytes()])
}

async fn cache(config: &RedisConfig) -> RedisCache {
    let connection = RedisConnection::lazy(config).unwrap();
    RedisCache::new(connection, &config.cache)
}

#[tokio::test]
async fn values_round_trip_and_expire() {
    let Some(config) = support::shared_config("cache_values") else {
        return;
    };
    let cache = cache(&config).await;
    let long = Duration::from_secs(60);

    assert_eq!(cache.get(&key("missing")).await.unwrap(), None);
    cache
        .set(&key("a"), Bytes::from_static(b"\x00binary\xff"), long)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key("a")).await.unwrap(),
        Some(Bytes::from_static(b"\x00binary\xff"))
    );

    cache.set(&key("empty"), Bytes::new(), long).await.unwrap();
    assert_eq!(cache.get(&key("empty")).await.unwrap(), Some(Bytes::new()));

    cache
        .set(&key("a"), Bytes::from_static(b"replaced"), long)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key("a")).await.unwrap(),
        Some(Bytes::from_static(b"replaced"))
    );

    cache.delete(&key("a")).await.unwrap();
    cache.delete(&key("a")).await.unwrap();
    assert_eq!(cache.get(&key("a")).await.unwrap(), None);

    cache
        .set(
            &key("short"),
            Bytes::from_static(b"x"),
            Duration::from_millis(150),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(cache.get(&key("short")).await.unwrap(), None);

    cache
        .set(&key("zero"), Bytes::from_static(b"x"), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(cache.get(&key("zero")).await.unwrap(), None);
}

#[tokio::test]
async fn oversized_value_is_rejected() {
    let Some(mut config) = support::shared_config("cache_oversized") else {
        return;
    };
    config.cache.max_value_bytes = 4;
    let cache = cache(&config).await;
    let error = cache
        .set(
            &key("big"),
            Bytes::from_static(b"12345"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert_eq!(cache.get(&key("big")).await.unwrap(), None);
}

#[tokio::test]
async fn unreachable_server_is_a_quick_miss() {
    let mut config = RedisConfig::with_url(format!("redis://127.0.0.1:{}/", support::free_port()));
    config.connect_timeout_ms = 200;
    config.operation_timeout_ms = 500;
    let cache = cache(&config).await;

    let started = Instant::now();
    assert_eq!(cache.get(&key("a")).await.unwrap(), None);
    cache
        .set(&key("a"), Bytes::from_static(b"x"), Duration::from_secs(5))
        .await
        .unwrap();
    cache.delete(&key("a")).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "three calls took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn paused_server_times_out_as_a_miss() {
    let Some(server) = support::PrivateServer::start("cache_paused") else {
        return;
    };
    let config = server.config("cache_paused");
    let cache = cache(&config).await;
    cache
        .set(&key("a"), Bytes::from_static(b"x"), Duration::from_secs(60))
        .await
        .unwrap();

    server.pause();
    let started = Instant::now();
    assert_eq!(cache.get(&key("a")).await.unwrap(), None);
    let waited = started.elapsed();
    server.resume();
    assert!(waited < Duration::from_secs(2), "get waited {waited:?}");

    // Once the server runs again the value is back.
    let mut value = None;
    for _ in 0..20 {
        value = cache.get(&key("a")).await.unwrap();
        if value.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(value, Some(Bytes::from_static(b"x")));
}

#[tokio::test]
async fn document_cache_serves_the_second_fetch() {
    let Some(config) = support::shared_config("cache_documents") else {
        return;
    };
    let documents = Arc::new(StaticFetcher::new());
    documents.insert(
        "https://podcasts.example/ep-1.vtt",
        StaticDocument::new(transcript(1), "text/vtt"),
    );
    let fetcher = CachingFetcher::new(
        Arc::clone(&documents) as Arc<dyn Fetcher>,
        Arc::new(cache(&config).await),
        Duration::from_secs(60),
    );
    let request = FetchRequest::new("https://podcasts.example/ep-1.vtt");

    let first = fetcher.fetch(&request).await.unwrap();
    let second = fetcher.fetch(&request).await.unwrap();
    assert_eq!(second.body, first.body);
    assert_eq!(second.content_type.as_deref(), Some("text/vtt"));
    assert_eq!(
        documents.requests().len(),
        1,
        "second fetch reached the source"
    );
}

fn transcript(episode: usize) -> String {
    format!(
        "WEBVTT\n\n00:00:00.000 --> 00:00:06.000\n<v Alice Example>Welcome to episode {episode}. \
         Today we talk about Rust and Tokio with Bob Builder.\n\n00:00:06.000 --> 00:00:12.000\n\
         <v Bob Builder>Tokio is an async runtime, and Mozilla started Rust.\n"
    )
}

/// Runs a test action before the n-th fetch returns.
struct HookFetcher {
    inner: StaticFetcher,
    fetches: AtomicUsize,
    hook: Box<dyn Fn(usize) + Send + Sync>,
}

#[async_trait]
impl Fetcher for HookFetcher {
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse> {
        let count = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        (self.hook)(count);
        self.inner.fetch(request).await
    }
}

fn jobs(count: usize) -> Vec<EpisodeJob> {
    let podcast = Arc::new(Podcast::new(
        Some("cache-outage-test".to_owned()),
        None,
        "Outage Radio",
    ));
    (1..=count)
        .map(|index| {
            let mut episode = Episode::new(
                podcast.id,
                EpisodeKey::Guid {
                    guid: format!("episode-{index}"),
                },
                format!("Episode {index}"),
            );
            episode.transcripts.push(TranscriptLink {
                url: format!("https://podcasts.example/ep-{index}.vtt"),
                mime_type: Some("text/vtt".to_owned()),
                language: Some("en".to_owned()),
                rel: None,
            });
            EpisodeJob {
                podcast: Arc::clone(&podcast),
                episode,
            }
        })
        .collect()
}

fn backend_errors(recorder: &DebuggingRecorder) -> u64 {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, ..)| key.key().name() == "podgraph_cache_backend_errors_total")
        .map(|(.., value)| match value {
            DebugValue::Counter(count) => count,
            _ => 0,
        })
        .sum()
}

#[tokio::test]
async fn pipeline_continues_through_pause_kill_and_restart() {
    let Some(server) = support::PrivateServer::start("cache_outage") else {
        return;
    };
    let recorder = DebuggingRecorder::new();
    let _local = metrics::set_default_local_recorder(&recorder);
    let config = server.config("cache_outage");
    let server = Arc::new(Mutex::new(server));

    let episodes = 10;
    let documents = StaticFetcher::new();
    for index in 1..=episodes {
        documents.insert(
            format!("https://podcasts.example/ep-{index}.vtt"),
            StaticDocument::new(transcript(index), "text/vtt"),
        );
    }
    // Fetch 3 pauses the server, so the cache write after it and the next lookup time
    // out. Fetch 5 resumes it, fetch 6 kills it and fetch 8 starts it again empty.
    let controlled = Arc::clone(&server);
    let hooked = HookFetcher {
        inner: documents,
        fetches: AtomicUsize::new(0),
        hook: Box::new(move |count| {
            let mut server = controlled.lock().unwrap();
            match count {
                3 => server.pause(),
                5 => server.resume(),
                6 => server.kill(),
                8 => server.restart(),
                _ => {}
            }
        }),
    };
    let fetcher = Arc::new(CachingFetcher::new(
        Arc::new(hooked),
        Arc::new(cache(&config).await),
        Duration::from_secs(600),
    ));

    let store = Arc::new(MemoryGraphStore::new());
    let pipeline = Pipeline::new(
        Arc::clone(&store) as Arc<dyn GraphStore>,
        Arc::new(TranscriptLoader::new(fetcher, IngestConfig::default())),
        Arc::new(LocalExtractor::default()),
        Arc::new(StoreResolver),
        PipelineConfig {
            concurrency: 1,
            episode_deadline: Duration::from_secs(30),
            force: false,
        },
    );
    let started = Instant::now();
    let summary = pipeline.run(jobs(episodes), &CancelToken::new()).await;

    assert_eq!(summary.failed(), 0, "{:?}", summary.failures);
    assert_eq!(summary.processed, episodes);
    let stats = store.stats().await.unwrap();
    let stored = stats.nodes.iter().find(|(label, _)| label == "Episode");
    assert_eq!(stored.map(|(_, count)| *count), Some(episodes as u64));
    assert!(
        backend_errors(&recorder) >= 2,
        "cache failures were not counted"
    );
    // Each failed cache call costs at most the operation timeout of 500 ms.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "run took {:?}",
        started.elapsed()
    );
}
