//! `podgraph seed` on the real Podcasting 2.0 feed, served with its transcripts and chapters
//! by an HTTP server inside the test.
//!
//! The feed's `podcast:transcript` and `podcast:chapters` links point at hosts on the
//! internet. The test rewrites every one of them to the local server before serving the
//! feed and checks that no other link of those kinds is left, so the run never leaves
//! the machine.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use support::{Graph, StaticServer, Workspace, fixture, str_of};

const FEED: &str = "rss/real/podverse__partytime/pc20rss.xml";
const FEED_PATH: &str = "/feed.xml";
/// `podcast:guid` of the Podcasting 2.0 feed.
const PODCAST_GUID: &str = "917393e3-1b1e-5cef-ace4-edaa54e1f810";

/// The four newest items of the feed (by `pubDate`), which `--max-episodes 4` selects.
const EPISODE_57: &str = "Episode 57: Rebel Rubes";
const EPISODE_56: &str = "Episode 56: Rocket in your Pocket";
const EPISODE_55: &str = "Episode 55: All Jacked Up";
const EPISODE_54: &str = "Episode 54: Power to the People";

/// Rewrites the `url` attribute of every `<ELEMENT ...>` tag with `rewrite`.
fn rewrite_urls(feed: &str, element: &str, rewrite: impl Fn(&str) -> String) -> String {
    let open = format!("<{element} ");
    let mut out = String::with_capacity(feed.len());
    let mut rest = feed;
    while let Some(start) = rest.find(&open) {
        let tag_end = start + rest[start..].find('>').expect("tag is closed");
        let tag = &rest[start..tag_end];
        let value_start = tag.find("url=\"").expect("tag has a url") + "url=\"".len();
        let value_end = value_start + tag[value_start..].find('"').expect("url is quoted");
        out.push_str(&rest[..start]);
        out.push_str(&tag[..value_start]);
        out.push_str(&rewrite(&tag[value_start..value_end]));
        out.push_str(&tag[value_end..]);
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// Returns the `url` attributes of every `<ELEMENT ...>` tag.
fn urls_of(feed: &str, element: &str) -> Vec<String> {
    let open = format!("<{element} ");
    feed.match_indices(&open)
        .map(|(start, _)| {
            let tag = &feed[start..start + feed[start..].find('>').expect("tag is closed")];
            let value = &tag[tag.find("url=\"").expect("tag has a url") + 5..];
            value[..value.find('"').expect("url is quoted")].to_owned()
        })
        .collect()
}

/// Returns the last path segment of `url`, reduced to letters, digits, `-` and `.`.
fn local_name(url: &str) -> String {
    let last = url.rsplit('/').next().unwrap_or(url);
    last.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect()
}

/// Returns the real feed with its transcript and chapters links moved to `server`:
/// `/transcripts/<file name>` and `/chapters/<item id>.json`.
fn local_feed(server: &StaticServer) -> Vec<u8> {
    let original = std::fs::read_to_string(fixture(FEED)).expect("read the feed fixture");
    let feed = rewrite_urls(&original, "podcast:transcript", |url| {
        server.url(&format!("/transcripts/{}", local_name(url)))
    });
    let feed = rewrite_urls(&feed, "podcast:chapters", |url| {
        server.url(&format!("/chapters/{}.json", local_name(url)))
    });

    // Nothing the run could fetch may point outside the test server.
    let local = server.url("/");
    for element in ["podcast:transcript", "podcast:chapters"] {
        let urls = urls_of(&feed, element);
        assert!(!urls.is_empty(), "the feed has no {element} links");
        for url in urls {
            assert!(
                url.starts_with(&local),
                "{element} link {url} was not rewritten"
            );
        }
    }
    feed.into_bytes()
}

/// Serves the feed, three of the four newest episodes' transcripts (SRT, SRT and WebVTT)
/// and the newest episode's chapters. Episode 54's transcript is missing (404).
fn serve_feed_with_transcripts() -> StaticServer {
    let server = StaticServer::start();
    server.serve(FEED_PATH, "application/rss+xml", local_feed(&server));
    server.serve_file(
        "/transcripts/PC20-57-Captions.srt",
        "application/srt",
        &fixture("transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt"),
    );
    server.serve_file(
        "/transcripts/PC20-56-Captions.srt",
        "application/srt",
        &fixture("transcripts/srt/stevencrader__transcriptator/buzzcast.srt"),
    );
    // A server may send another format than the link announces; its Content-Type wins.
    server.serve_file(
        "/transcripts/PC20-55-Captions.srt",
        "text/vtt; charset=utf-8",
        &fixture(
            "transcripts/vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt",
        ),
    );
    server.serve_file(
        "/chapters/PC2057.json",
        "application/json+chapters",
        &fixture("chapters/Podcastindex-org__podcast-namespace/example.json"),
    );
    server
}

fn seed_args(server: &StaticServer) -> Vec<String> {
    vec![
        server.url(FEED_PATH),
        "--allow-loopback".to_owned(),
        "--max-episodes".to_owned(),
        "4".to_owned(),
    ]
}

fn count(summary: &Value, key: &str) -> u64 {
    summary[key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary without `{key}`: {summary}"))
}

fn failures(summary: &Value) -> &Vec<Value> {
    summary["failures"]
        .as_array()
        .unwrap_or_else(|| panic!("summary without failures: {summary}"))
}

/// Maps episode titles to node ids.
fn episodes_by_title(graph: &Graph) -> BTreeMap<&str, &str> {
    graph
        .nodes_labelled("Episode")
        .map(|node| (str_of(&node["properties"]["title"]), str_of(&node["id"])))
        .collect()
}

/// Returns the names of the persons with a `kind` relationship to node `target`.
fn persons_related_to<'a>(graph: &'a Graph, kind: &'a str, target: &str) -> BTreeSet<&'a str> {
    graph
        .relationships_of(kind)
        .filter(|rel| rel["to"] == target)
        .map(|rel| {
            graph
                .property(str_of(&rel["from"]), "name")
                .expect("the person exists")
        })
        .collect()
}

#[test]
fn feed_over_http_with_missing_transcript() {
    let server = serve_feed_with_transcripts();
    let work = Workspace::new();
    let args = seed_args(&server);

    let first = work.seed(&args).expect_code(3);
    let summary = first.json();
    assert_eq!(count(&summary, "processed"), 3, "{summary}");
    assert_eq!(count(&summary, "unchanged"), 0);
    assert_eq!(count(&summary, "without_transcript"), 0);
    assert_eq!(count(&summary, "cancelled"), 0);

    // Episode 54's transcript is not served: it fails at the fetch and names the URL.
    let failed = failures(&summary);
    assert_eq!(failed.len(), 1, "{summary}");
    assert_eq!(failed[0]["stage"], "transcript.fetch");
    assert_eq!(failed[0]["title"], EPISODE_54);
    let reason = str_of(&failed[0]["reason"]);
    let missing_url = server.url("/transcripts/PC20-54-Captions.srt");
    assert!(
        reason.contains(&missing_url),
        "reason without the URL: {reason}"
    );
    assert!(
        reason.contains("404"),
        "reason without the status: {reason}"
    );

    // `--max-episodes 4` reads only the four newest items' transcripts and chapters.
    let requested: BTreeSet<String> = server.requests().into_iter().collect();
    let expected: BTreeSet<String> = [
        FEED_PATH,
        "/transcripts/PC20-57-Captions.srt",
        "/transcripts/PC20-56-Captions.srt",
        "/transcripts/PC20-55-Captions.srt",
        "/transcripts/PC20-54-Captions.srt",
        "/chapters/PC2057.json",
        "/chapters/PC2056.json",
        "/chapters/PC2055.json",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(requested, expected);

    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), 1);
    assert_eq!(stats.node("Episode"), 3);
    assert_eq!(stats.node("Chapter"), 9, "the 9 chapters of episode 57");
    assert_eq!(stats.relationship("HAS_CHAPTER"), 9);
    assert_eq!(stats.relationship("HAS_EPISODE"), 3);

    let graph = work.graph();
    let podcasts: Vec<&Value> = graph.nodes_labelled("Podcast").collect();
    assert_eq!(podcasts.len(), 1);
    assert_eq!(podcasts[0]["properties"]["title"], "Podcasting 2.0");
    assert_eq!(podcasts[0]["properties"]["guid"], PODCAST_GUID);
    let podcast_id = str_of(&podcasts[0]["id"]);

    let episodes = episodes_by_title(&graph);
    let titles: BTreeSet<&str> = episodes.keys().copied().collect();
    assert_eq!(titles, BTreeSet::from([EPISODE_57, EPISODE_56, EPISODE_55]));
    assert_eq!(
        graph.property(episodes[EPISODE_55], "transcript_format"),
        Some("webvtt")
    );
    assert_eq!(
        graph.property(episodes[EPISODE_57], "transcript_format"),
        Some("srt")
    );

    // The `podcast:person` hosts of the items host the podcast, each as one Person node.
    let hosts = persons_related_to(&graph, "HOSTS", podcast_id);
    assert_eq!(hosts, BTreeSet::from(["Adam Curry", "Dave Jones"]));
    assert_eq!(graph.relationships_of("HOSTS").count(), 2);
    assert_eq!(
        persons_related_to(&graph, "GUEST_OF", episodes[EPISODE_57]),
        BTreeSet::from(["Brian of London"])
    );
    assert_eq!(
        persons_related_to(&graph, "GUEST_OF", episodes[EPISODE_56]),
        BTreeSet::from(["Graham Krizek"])
    );
    assert!(
        graph.persons_named("Hass McCook").is_empty(),
        "episode 54 failed"
    );

    check_speakers(&graph, &episodes);

    // A second identical run finds every written episode unchanged and changes nothing.
    let export_before = work.export("jsonl");
    let second = work.seed(&args).expect_code(3);
    let summary = second.json();
    assert_eq!(count(&summary, "processed"), 0, "{summary}");
    assert_eq!(count(&summary, "unchanged"), 3);
    assert_eq!(failures(&summary).len(), 1);
    assert_eq!(work.stats(), stats);
    assert_eq!(work.export("jsonl"), export_before);

    // Once the transcript is served, only episode 54 is processed and the run succeeds.
    server.serve_file(
        "/transcripts/PC20-54-Captions.srt",
        "application/srt",
        &fixture("transcripts/srt/Podcastindex-org__podcast-namespace/example.srt"),
    );
    let third = work.seed(&args).expect_code(0);
    let summary = third.json();
    assert_eq!(count(&summary, "processed"), 1, "{summary}");
    assert_eq!(count(&summary, "unchanged"), 3);
    assert!(failures(&summary).is_empty(), "{summary}");
    let graph = work.graph();
    let episodes = episodes_by_title(&graph);
    assert_eq!(episodes.len(), 4);
    assert_eq!(
        persons_related_to(&graph, "GUEST_OF", episodes[EPISODE_54]),
        BTreeSet::from(["Hass McCook"])
    );
    assert_eq!(graph.relationships_of("HOSTS").count(), 2);
}

/// Speaker labels become Person nodes linked from their segments by `SPOKEN_BY`.
fn check_speakers(graph: &Graph, episodes: &BTreeMap<&str, &str>) {
    let segment_episode = graph.segment_episodes();
    let spoken_by: BTreeMap<&str, &str> = graph
        .relationships_of("SPOKEN_BY")
        .map(|rel| (str_of(&rel["from"]), str_of(&rel["to"])))
        .collect();
    assert_eq!(
        spoken_by.len(),
        graph.relationships_of("SPOKEN_BY").count(),
        "a segment has more than one SPOKEN_BY relationship"
    );

    // Every segment with a named speaker has SPOKEN_BY to a Person; generic labels
    // (`Unknown` in the SRT, `SPEAKER_1` in the WebVTT file) have none.
    let mut named_segments = 0;
    for segment in graph.nodes_labelled("Segment") {
        let id = str_of(&segment["id"]);
        let speaker = segment["properties"]["speaker"].as_str();
        let generic = speaker.is_none_or(|s| s == "Unknown" || s.starts_with("SPEAKER_"));
        match spoken_by.get(id) {
            Some(person) => {
                assert!(
                    !generic,
                    "segment {id} of speaker {speaker:?} has SPOKEN_BY"
                );
                let labels = &graph.node(person).expect("the person exists")["labels"];
                assert!(
                    labels
                        .as_array()
                        .is_some_and(|l| l.iter().any(|l| l == "Person"))
                );
                named_segments += 1;
            }
            None => assert!(
                generic,
                "segment {id} of speaker {speaker:?} lacks SPOKEN_BY"
            ),
        }
    }
    assert!(
        named_segments > 100,
        "only {named_segments} segments have a speaker"
    );

    // The hosts' speaker labels in episode 57's transcript are the same nodes as the
    // `podcast:person` hosts.
    let adam = graph.person_id("Adam Curry");
    let dave = graph.person_id("Dave Jones");
    for (name, person) in [("Adam Curry", adam), ("Dave Jones", dave)] {
        let segments = graph
            .nodes_labelled("Segment")
            .filter(|s| s["properties"]["speaker"] == name)
            .filter(|s| segment_episode[str_of(&s["id"])] == episodes[EPISODE_57])
            .count();
        let edges = spoken_by
            .iter()
            .filter(|(segment, target)| {
                **target == person && segment_episode[*segment] == episodes[EPISODE_57]
            })
            .count();
        assert!(segments > 10, "{name} speaks in only {segments} segments");
        assert_eq!(edges, segments, "SPOKEN_BY edges of {name} in episode 57");
        let said = graph
            .relationships_of("SAID")
            .filter(|rel| rel["from"] == person)
            .count();
        assert!(said > 0, "{name} said no quote");
    }

    // The Buzzcast transcript's speakers become persons of episode 56.
    for name in ["Alban", "Kevin", "Tom", "Travis"] {
        let person = graph.person_id(name);
        let in_episode_56 = spoken_by.iter().any(|(segment, target)| {
            *target == person && segment_episode[segment] == episodes[EPISODE_56]
        });
        assert!(in_episode_56, "{name} has no SPOKEN_BY in episode 56");
    }
}

#[test]
fn loopback_feed_rejected_without_flag() {
    let server = serve_feed_with_transcripts();
    let work = Workspace::new();
    let feed_url = server.url(FEED_PATH);

    let run = work.seed([feed_url.as_str()]).expect_code(3);
    let summary = run.json();
    assert_eq!(count(&summary, "processed"), 0);
    let failed = failures(&summary);
    assert_eq!(failed.len(), 1, "{summary}");
    assert_eq!(failed[0]["stage"], "feed.fetch");
    assert_eq!(failed[0]["title"], feed_url.as_str());
    let reason = str_of(&failed[0]["reason"]);
    assert!(reason.contains("loopback"), "reason: {reason}");
    assert!(
        reason.contains("allow_loopback"),
        "reason names no setting: {reason}"
    );
    assert!(
        server.requests().is_empty(),
        "the guard let a request through"
    );
}

#[test]
fn local_transcript_preferred_over_link() {
    let server = serve_feed_with_transcripts();
    let work = Workspace::new();
    // Episode 57's guid is `PC2057`; the local file wins over its transcript link.
    let local = work.join("local");
    support::copy_file(
        &fixture("transcripts/json/stevencrader__transcriptator/buzzcast.json"),
        &local.join("PC2057.json"),
    );

    let run = work
        .seed([
            server.url(FEED_PATH).as_str(),
            "--allow-loopback",
            "--max-episodes",
            "1",
            "--transcripts",
            local.to_str().expect("a UTF-8 path"),
        ])
        .expect_code(0);
    let summary = run.json();
    assert_eq!(count(&summary, "processed"), 1, "{summary}");
    assert!(
        !server
            .requests()
            .contains(&"/transcripts/PC20-57-Captions.srt".to_owned()),
        "the transcript link was fetched: {:?}",
        server.requests()
    );

    let graph = work.graph();
    let episodes = episodes_by_title(&graph);
    assert_eq!(episodes.len(), 1);
    assert_eq!(
        graph.property(episodes[EPISODE_57], "transcript_format"),
        Some("json")
    );
    // The chapters link is still read for the locally matched episode.
    assert_eq!(graph.relationships_of("HAS_CHAPTER").count(), 9);
}
