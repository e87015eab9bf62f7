//! `podgraph seed` on folders of transcript files, and on feeds whose items are matched to
//! local transcript files with `--transcripts DIR`.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use support::{Workspace, copy_file, fixture, str_of};

/// Copies fixture transcripts into `root` and returns `root`:
///
/// ```text
/// shows/podcasting_20_episode_124.srt     -> podcast "shows" (files directly inside)
/// shows/example.html                      -> podcast "shows"
/// shows/podnews/*.vtt, *.json (4 files)   -> podcast "podnews"
/// shows/buzzcast/buzzcast.srt, how_to_start_a_podcast.json -> podcast "buzzcast"
/// shows/buzzcast/README.md, .hidden.srt, cover.jpg         -> skipped
/// ```
fn transcript_folders(work: &Workspace) -> std::path::PathBuf {
    let root = work.join("shows");
    let files = [
        (
            "transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
            "podcasting_20_episode_124.srt",
        ),
        (
            "transcripts/html/Podcastindex-org__podcast-namespace/example.html",
            "example.html",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt",
            "podnews/podnews_weekly_review_2024-01-19.vtt",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/podnews_daily_2024-01-25.vtt",
            "podnews/podnews_daily_2024-01-25.vtt",
        ),
        (
            "transcripts/json/stevencrader__transcriptator/podnews_weekly_review_2023-06-02.json",
            "podnews/podnews_weekly_review_2023-06-02.json",
        ),
        (
            "transcripts/json/stevencrader__transcriptator/podnews_weekly_review_2023-05-05.json",
            "podnews/podnews_weekly_review_2023-05-05.json",
        ),
        (
            "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
            "buzzcast/buzzcast.srt",
        ),
        (
            "transcripts/json/stevencrader__transcriptator/how_to_start_a_podcast.json",
            "buzzcast/how_to_start_a_podcast.json",
        ),
        // Not transcripts: a read-me, a hidden file and an image are skipped.
        (
            "transcripts/srt/Podcastindex-org__podcast-namespace/example.srt",
            "buzzcast/.hidden.srt",
        ),
        ("ATTRIBUTION.md", "buzzcast/README.md"),
        (
            "chapters/Podcastindex-org__podcast-namespace/example.json",
            "buzzcast/cover.jpg",
        ),
    ];
    for (source, target) in files {
        copy_file(&fixture(source), &root.join(target));
    }
    root
}

#[test]
fn folder_per_podcast_and_loose_files() {
    let work = Workspace::new();
    let root = transcript_folders(&work);

    let summary = work.seed([&root]).expect_code(0).json();
    assert_eq!(summary["processed"], 8, "{summary}");
    assert_eq!(summary["failures"], Value::Array(Vec::new()));

    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), 3);
    assert_eq!(stats.node("Episode"), 8);
    assert_eq!(stats.relationship("HAS_EPISODE"), 8);

    // Podcasts are named after their folder; episodes after their file.
    let graph = work.graph();
    let podcast_titles: BTreeMap<&str, &str> = graph
        .nodes_labelled("Podcast")
        .map(|node| (str_of(&node["id"]), str_of(&node["properties"]["title"])))
        .collect();
    let mut episodes_by_podcast: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for (episode, podcast) in graph.episode_podcasts() {
        let title = graph.property(episode, "title").expect("episode title");
        let format = graph
            .property(episode, "transcript_format")
            .expect("transcript format");
        episodes_by_podcast
            .entry(podcast_titles[podcast])
            .or_default()
            .insert((title, format));
    }
    let expected: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::from([
        (
            "shows",
            BTreeSet::from([("podcasting 20 episode 124", "srt"), ("example", "html")]),
        ),
        (
            "podnews",
            BTreeSet::from([
                ("podnews weekly review 2024 01 19", "webvtt"),
                ("podnews daily 2024 01 25", "webvtt"),
                ("podnews weekly review 2023 06 02", "json"),
                ("podnews weekly review 2023 05 05", "json"),
            ]),
        ),
        (
            "buzzcast",
            BTreeSet::from([("buzzcast", "srt"), ("how to start a podcast", "json")]),
        ),
    ]);
    assert_eq!(episodes_by_podcast, expected);

    // Every episode has segments; the Buzzcast SRT keeps its speaker labels.
    let episodes = work.query(["episodes", "--limit", "100"]);
    let episodes = episodes.as_array().expect("an episode list");
    assert_eq!(episodes.len(), 8);
    for episode in episodes {
        assert!(episode["segment_count"].as_u64() > Some(0), "{episode}");
    }
    let buzzcast = episodes
        .iter()
        .find(|e| e["title"] == "buzzcast")
        .expect("the buzzcast episode is listed");
    let speakers: BTreeSet<&str> = buzzcast["speakers"]
        .as_array()
        .expect("speakers")
        .iter()
        .map(str_of)
        .collect();
    assert_eq!(
        speakers,
        BTreeSet::from(["Alban", "Dave", "Kevin", "Tom", "Travis"])
    );
}

/// Items of the "Changing the Tide" feed (15 items) and the "Welcome to Night Vale" feed
/// (1 item) used below.
const TIDE_FEED: &str = "rss/real/podverse__partytime/changing-the-tide.xml";
const NIGHTVALE_FEED: &str = "rss/real/feed-rs__feed-rs/rss_2.0_nightvale.xml";
/// Matched by its guid `baffe8902e8478c8c8482fd094cedd8c`.
const ANDY_SCHRODER: &str = "0.00000015: Andy Schroder, Distributed Charge + A0";
/// Matched by its title.
const DESIREE_DICKERSON: &str = "0.00000013: Desiree Dickerson, Lightning to THNDR";
/// Matched by its enclosure file name `nv221_intro.mp3`.
const GLOW_CLOUD: &str = "221 - The Glow Cloud, Explained";

#[test]
fn transcripts_dir_matches_feed_items() {
    // Neither feed links to transcripts or chapters, so the run reads local files only.
    for feed in [TIDE_FEED, NIGHTVALE_FEED] {
        let text = std::fs::read_to_string(fixture(feed)).expect("read the feed");
        assert!(
            !text.contains("podcast:transcript"),
            "{feed} links transcripts"
        );
        assert!(!text.contains("podcast:chapters"), "{feed} links chapters");
    }

    let work = Workspace::new();
    let local = work.join("local");
    let files = [
        (
            "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
            "baffe8902e8478c8c8482fd094cedd8c.srt",
        ),
        (
            "transcripts/json/stevencrader__transcriptator/how_to_start_a_podcast.json",
            "0.00000013 - Desiree Dickerson, Lightning to THNDR.json",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/podnews_daily_2024-01-25.vtt",
            "nv221_intro.vtt",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/kde_express-16_kde_en_telegram.vtt",
            "an unrelated episode.vtt",
        ),
    ];
    for (source, target) in files {
        copy_file(&fixture(source), &local.join(target));
    }

    let run = work
        .seed([
            fixture(TIDE_FEED).as_os_str(),
            fixture(NIGHTVALE_FEED).as_os_str(),
            "--transcripts".as_ref(),
            local.as_os_str(),
        ])
        .expect_code(0);
    let summary = run.json();
    assert_eq!(summary["processed"], 3, "{summary}");
    assert_eq!(summary["without_transcript"], 13, "{summary}");
    assert_eq!(summary["failures"], Value::Array(Vec::new()));

    // Items without a transcript are stored too, without facts.
    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), 2);
    assert_eq!(stats.node("Episode"), 16);

    // Each matched item keeps its feed title and gets the local file's format and text.
    let graph = work.graph();
    let formats: BTreeMap<&str, &str> = graph
        .nodes_labelled("Episode")
        .filter(|node| node["properties"].get("transcript_format").is_some())
        .map(|node| {
            (
                str_of(&node["properties"]["title"]),
                str_of(&node["properties"]["transcript_format"]),
            )
        })
        .collect();
    assert_eq!(
        formats,
        BTreeMap::from([
            (ANDY_SCHRODER, "srt"),
            (DESIREE_DICKERSON, "json"),
            (GLOW_CLOUD, "webvtt"),
        ])
    );
    let episodes = work.query(["episodes", "--limit", "100"]);
    let andy = episodes
        .as_array()
        .expect("an episode list")
        .iter()
        .find(|e| e["title"] == ANDY_SCHRODER)
        .expect("the guid-matched episode is stored");
    assert_eq!(andy["speakers"][0], "Alban", "the Buzzcast SRT was used");

    // The unmatched file was not read as an episode of its own.
    let hits = work.query(["search", "KDE"]);
    assert_eq!(
        hits,
        Value::Array(Vec::new()),
        "the unmatched file was read"
    );
}
