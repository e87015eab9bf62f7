//! Turning run inputs into episode jobs, and loading their transcripts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use podgraph_core::config::{FetchConfig, IngestConfig};
use podgraph_core::pipeline::{EpisodeLoader, Stage};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_ingest::loader::{LocalTranscripts, TranscriptLoader};
use podgraph_ingest::sources::collect_jobs;
use support::{Reply, TestServer};

mod support;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn fetcher() -> Arc<HttpFetcher> {
    Arc::new(HttpFetcher::new(FetchConfig::default()).unwrap())
}

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(from), to).unwrap();
}

#[tokio::test]
async fn feed_file_gives_one_job_per_item() {
    let feed = fixture("rss/real/podverse__partytime/pc20rss.xml")
        .display()
        .to_string();
    let sources = collect_jobs(&[feed], fetcher().as_ref(), &IngestConfig::default()).await;

    assert!(sources.failures.is_empty(), "{:?}", sources.failures);
    assert_eq!(sources.feeds, 1);
    assert_eq!(sources.jobs.len(), 56);
    assert_eq!(sources.jobs[0].podcast.title, "Podcasting 2.0");
    assert_eq!(sources.jobs[0].episode.title, "Episode 57: Rebel Rubes");
}

#[tokio::test]
async fn same_feed_twice_gives_each_episode_once() {
    let feed = fixture("rss/real/podverse__partytime/pc20rss.xml")
        .display()
        .to_string();
    let sources = collect_jobs(
        &[feed.clone(), feed],
        fetcher().as_ref(),
        &IngestConfig::default(),
    )
    .await;
    assert_eq!(sources.jobs.len(), 56);
}

#[tokio::test]
async fn broken_feed_is_reported_and_others_continue() {
    let broken = fixture("rss/edge/feed-rs__feed-rs/rss_2.0_invalid_1.xml")
        .display()
        .to_string();
    let good = fixture("rss/real/feed-rs__feed-rs/rss_2.0_nightvale.xml")
        .display()
        .to_string();
    let missing = "/nonexistent/feed.xml".to_owned();
    let sources = collect_jobs(
        &[broken.clone(), good, missing.clone()],
        fetcher().as_ref(),
        &IngestConfig::default(),
    )
    .await;

    assert_eq!(sources.failures.len(), 2);
    assert_eq!(sources.failures[0].source, broken);
    assert_eq!(sources.failures[0].stage, Stage::FeedParse);
    assert!(
        sources.failures[0].reason.contains("rss_2.0_invalid_1.xml"),
        "{}",
        sources.failures[0].reason
    );
    assert_eq!(sources.failures[1].source, missing);
    assert_eq!(sources.failures[1].stage, Stage::FeedFetch);
    assert!(!sources.jobs.is_empty());
}

#[tokio::test]
async fn transcript_directory_gives_a_podcast_per_folder() {
    let dir = tempfile::tempdir().unwrap();
    copy(
        "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
        &dir.path().join("buzzcast/buzzcast.srt"),
    );
    copy(
        "transcripts/json/stevencrader__transcriptator/podnews_weekly_review_2023-05-05.json",
        &dir.path().join("podnews/2023-05-05.json"),
    );
    copy(
        "transcripts/vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt",
        &dir.path().join("podnews/2024-01-19.vtt"),
    );
    std::fs::write(dir.path().join("podnews/README.md"), "not a transcript").unwrap();
    std::fs::write(dir.path().join("podnews/cover.jpg"), [0xFF, 0xD8]).unwrap();

    let input = dir.path().display().to_string();
    let sources = collect_jobs(&[input], fetcher().as_ref(), &IngestConfig::default()).await;

    assert!(sources.failures.is_empty());
    let readme = sources
        .skipped
        .iter()
        .find(|skipped| skipped.source.ends_with("README.md"));
    assert!(readme.is_some(), "{:?}", sources.skipped);
    let titles: Vec<(&str, &str)> = sources
        .jobs
        .iter()
        .map(|j| (j.podcast.title.as_str(), j.episode.title.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            ("buzzcast", "buzzcast"),
            ("podnews", "2023 05 05"),
            ("podnews", "2024 01 19")
        ]
    );
    assert_ne!(sources.jobs[0].podcast.id, sources.jobs[1].podcast.id);
    assert_eq!(sources.jobs[1].podcast.id, sources.jobs[2].podcast.id);
}

#[tokio::test]
async fn same_named_folders_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = "transcripts/srt/stevencrader__transcriptator/buzzcast.srt";
    copy(transcript, &dir.path().join("w1/show/episode.srt"));
    copy(transcript, &dir.path().join("w2/show/episode.srt"));

    let inputs = [
        dir.path().join("w1").display().to_string(),
        dir.path().join("w2").display().to_string(),
    ];
    let sources = collect_jobs(&inputs, fetcher().as_ref(), &IngestConfig::default()).await;

    assert!(sources.failures.is_empty(), "{:?}", sources.failures);
    assert_eq!(sources.feeds, 2);
    assert_eq!(sources.jobs.len(), 2);
    assert_eq!(sources.jobs[0].podcast.title, "show");
    assert_eq!(sources.jobs[1].podcast.title, "show");
    assert_ne!(sources.jobs[0].podcast.id, sources.jobs[1].podcast.id);
    assert_ne!(sources.jobs[0].episode.id, sources.jobs[1].episode.id);
}

#[tokio::test]
async fn file_alone_joins_its_folder_podcast() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("show/episode.srt");
    copy(
        "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
        &file,
    );

    let folder = dir.path().display().to_string();
    let whole = collect_jobs(&[folder], fetcher().as_ref(), &IngestConfig::default()).await;
    let alone = collect_jobs(
        &[file.display().to_string()],
        fetcher().as_ref(),
        &IngestConfig::default(),
    )
    .await;

    assert_eq!(whole.jobs.len(), 1);
    assert_eq!(alone.jobs.len(), 1);
    assert_eq!(whole.jobs[0].podcast.id, alone.jobs[0].podcast.id);
    assert_eq!(whole.jobs[0].episode.id, alone.jobs[0].episode.id);
}

#[tokio::test]
async fn loader_reads_and_segments_a_directory_transcript() {
    let dir = tempfile::tempdir().unwrap();
    copy(
        "transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
        &dir.path().join("pc20/episode-124.srt"),
    );
    let sources = collect_jobs(
        &[dir.path().display().to_string()],
        fetcher().as_ref(),
        &IngestConfig::default(),
    )
    .await;
    let job = &sources.jobs[0];
    let loader = TranscriptLoader::new(fetcher(), IngestConfig::default());

    let raw = loader.fetch_transcript(job).await.unwrap().unwrap();
    assert_eq!(raw.hash.len(), 64);
    let prepared = loader.prepare(job, &raw).unwrap();

    assert!(
        prepared.transcript.segments.len() > 50,
        "{}",
        prepared.transcript.segments.len()
    );
    assert_eq!(
        prepared.transcript.speakers.first().map(String::as_str),
        Some("Adam Curry")
    );
    assert!(
        prepared
            .transcript
            .speakers
            .iter()
            .any(|s| s == "Dave Jones"),
        "{:?}",
        prepared.transcript.speakers
    );
}

#[tokio::test]
async fn local_transcripts_match_feed_items_by_enclosure_name() {
    let feed = fixture("rss/real/podverse__partytime/pc20rss.xml")
        .display()
        .to_string();
    let sources = collect_jobs(&[feed], fetcher().as_ref(), &IngestConfig::default()).await;
    let job = sources
        .jobs
        .iter()
        .find(|j| j.episode.title.starts_with("Episode 57"))
        .unwrap();
    let enclosure = job.episode.enclosure.as_ref().unwrap().url.clone();
    let stem = enclosure
        .rsplit('/')
        .next()
        .unwrap()
        .rsplit_once('.')
        .unwrap()
        .0
        .to_owned();

    let dir = tempfile::tempdir().unwrap();
    copy(
        "transcripts/srt/Podcastindex-org__podcast-namespace/example.srt",
        &dir.path().join(format!("{stem}.srt")),
    );
    let local = LocalTranscripts::scan(dir.path()).unwrap();
    assert_eq!(local.len(), 1);
    let loader =
        TranscriptLoader::new(fetcher(), IngestConfig::default()).with_local_transcripts(local);

    let raw = loader.fetch_transcript(job).await.unwrap().unwrap();
    assert!(
        raw.location.ends_with(&format!("{stem}.srt")),
        "{}",
        raw.location
    );
    let other = sources
        .jobs
        .iter()
        .find(|j| j.episode.title.starts_with("Episode 56"))
        .unwrap();
    assert!(
        LocalTranscripts::scan(dir.path())
            .unwrap()
            .find(&other.episode)
            .is_none()
    );
}

#[tokio::test]
async fn episode_without_transcript_links_has_nothing_to_fetch() {
    let feed = fixture("rss/real/feed-rs__feed-rs/rss_2.0_nightvale.xml")
        .display()
        .to_string();
    let sources = collect_jobs(&[feed], fetcher().as_ref(), &IngestConfig::default()).await;
    let loader = TranscriptLoader::new(fetcher(), IngestConfig::default());
    for job in &sources.jobs {
        assert!(job.episode.transcripts.is_empty());
        assert!(loader.fetch_transcript(job).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn remote_documents_cannot_point_at_local_files() {
    let feed = r#"<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Remote</title>
<item><title>One</title><guid>1</guid>
<podcast:transcript url="file:///etc/passwd" type="text/plain"/>
<podcast:transcript url="/etc/hostname" type="text/plain"/>
<podcast:chapters url="file:///etc/passwd" type="application/json+chapters"/>
</item></channel></rss>"#;
    let opml = r#"<opml version="2.0"><body>
<outline type="rss" text="local" xmlUrl="file:///etc/passwd"/>
<outline type="rss" text="path" xmlUrl="/etc/passwd"/>
</body></opml>"#;
    let server = TestServer::start(move |request| match request.path() {
        "/feed.xml" => Reply::ok(feed).header("content-type", "application/rss+xml"),
        "/list.opml" => Reply::ok(opml).header("content-type", "text/x-opml"),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = HttpFetcher::new(FetchConfig {
        allow_loopback: true,
        ..FetchConfig::default()
    })
    .unwrap();

    let inputs = [server.url("/feed.xml"), server.url("/list.opml")];
    let sources = collect_jobs(&inputs, &fetcher, &IngestConfig::default()).await;

    assert_eq!(sources.jobs.len(), 1);
    let episode = &sources.jobs[0].episode;
    // A relative link resolves against the feed URL, so it stays on the web server.
    let kept: Vec<&str> = episode
        .transcripts
        .iter()
        .map(|link| link.url.as_str())
        .collect();
    assert_eq!(kept, [server.url("/etc/hostname")]);
    assert!(episode.chapters_link.is_none());
    let refused = sources
        .warnings
        .iter()
        .filter(|(_, w)| w.code == "local-link-refused")
        .count();
    assert_eq!(refused, 4, "{:?}", sources.warnings);
    assert!(server.requests().iter().all(|r| r.path() != "/etc/passwd"));
}

#[tokio::test]
async fn missing_transcript_failure_names_url_once() {
    let feed = r#"<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Remote</title>
<item><title>One</title><guid>1</guid>
<podcast:transcript url="/missing.vtt" type="text/vtt"/>
</item></channel></rss>"#;
    let server = TestServer::start(move |request| match request.path() {
        "/feed.xml" => Reply::ok(feed).header("content-type", "application/rss+xml"),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = Arc::new(
        HttpFetcher::new(FetchConfig {
            allow_loopback: true,
            ..FetchConfig::default()
        })
        .unwrap(),
    );
    let sources = collect_jobs(
        &[server.url("/feed.xml")],
        fetcher.as_ref(),
        &IngestConfig::default(),
    )
    .await;
    let loader = TranscriptLoader::new(fetcher, IngestConfig::default());

    let error = loader.fetch_transcript(&sources.jobs[0]).await.unwrap_err();

    let url = server.url("/missing.vtt");
    assert_eq!(
        error.message.matches(url.as_str()).count(),
        1,
        "{}",
        error.message
    );
    assert!(error.message.contains("404"), "{}", error.message);
}
