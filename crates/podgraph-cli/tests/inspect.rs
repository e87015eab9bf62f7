//! `podgraph inspect` on real feeds, an OPML list, transcripts in every format, a chapters
//! file and a truncated feed. Expected counts are read from the fixture files themselves.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Run, Workspace, fixture, str_of};

const PC20_FEED: &str = "rss/real/podverse__partytime/pc20rss.xml";
const PODNEWS_VTT: &str =
    "transcripts/vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt";
const BUZZCAST_SRT: &str = "transcripts/srt/stevencrader__transcriptator/buzzcast.srt";
const BUZZCAST_JSON: &str = "transcripts/json/stevencrader__transcriptator/buzzcast.json";
const BUZZCAST_HTML: &str = "transcripts/html/stevencrader__transcriptator/buzzcast.html";
const CHAPTERS: &str = "chapters/Podcastindex-org__podcast-namespace/exampleComplex.json";
const TRUNCATED_FEED: &str = "rss/edge/feed-rs__feed-rs/rss_2.0_invalid_1.xml";

/// The speakers of the Buzzcast episode, in order of first appearance.
const BUZZCAST_SPEAKERS: [&str; 5] = ["Alban", "Kevin", "Travis", "Tom", "Dave"];

fn inspect(work: &Workspace, path: &Path, extra: &[&str]) -> Run {
    let mut command = work.command(["inspect", "--json"]);
    command.arg(path).args(extra);
    work.run_command(command, support::SHORT)
}

fn inspect_json(path: &Path) -> Value {
    inspect(&Workspace::new(), path, &[]).expect_code(0).json()
}

fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {value}"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(fixture(relative)).expect("read the fixture")
}

/// Returns the timing lines (`start --> end`) of a WebVTT or SRT file.
fn timing_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|line| line.contains("-->")).collect()
}

#[test]
fn feed_counts_and_people() {
    let inspected = inspect_json(&fixture(PC20_FEED));
    assert_eq!(inspected["kind"], "feed");
    assert_eq!(inspected["format"], "Rss2");
    assert_eq!(inspected["encoding"], "UTF-8");
    assert_eq!(inspected["podcast"]["title"], "Podcasting 2.0");
    assert_eq!(
        inspected["podcast"]["guid"],
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    );
    assert!(inspected["warnings"].is_array());

    let text = read(PC20_FEED);
    let episodes = array(&inspected["episodes"]);
    assert_eq!(episodes.len(), text.matches("<item>").count());
    let with_transcripts = episodes
        .iter()
        .filter(|e| !array(&e["transcripts"]).is_empty())
        .count();
    assert_eq!(
        with_transcripts,
        text.matches("<podcast:transcript ").count()
    );

    let newest = &episodes[0];
    assert_eq!(newest["title"], "Episode 57: Rebel Rubes");
    assert_eq!(newest["guid"], "PC2057");
    assert_eq!(
        newest["transcripts"][0]["url"],
        "https://mp3s.nashownotes.com/PC20-57-Captions.srt"
    );
    let people: Vec<(&str, &str)> = array(&newest["persons"])
        .iter()
        .map(|p| (str_of(&p["name"]), str_of(&p["role"])))
        .collect();
    assert_eq!(
        people,
        [
            ("Adam Curry", "host"),
            ("Dave Jones", "host"),
            ("Brian of London", "guest")
        ]
    );

    // The table output names the podcast and the episode count.
    let work = Workspace::new();
    let mut command = work.command(["inspect"]);
    command.arg(fixture(PC20_FEED));
    let run = work.run_command(command, support::SHORT).expect_code(0);
    assert!(
        run.stdout.contains("podcast: Podcasting 2.0"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("56 episodes, 47 with transcript links"),
        "{}",
        run.stdout
    );
}

#[test]
fn opml_lists_feeds_with_folders() {
    let work = Workspace::new();
    let opml = work.join("subscriptions.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Podcast subscriptions</title></head>
  <body>
    <outline text="Technology">
      <outline type="rss" text="Podcasting 2.0" xmlUrl="https://feeds.podcastindex.org/pc20.xml" htmlUrl="https://podcastindex.org"/>
      <outline type="rss" text="Changing the Tide" xmlUrl="https://example.com/tide.xml"/>
    </outline>
    <outline type="rss" text="Welcome to Night Vale" title="Night Vale" xmlUrl="http://feeds.nightvalepresents.com/welcometonightvalepodcast"/>
    <outline text="A note without a feed"/>
    <outline type="rss" text="Broken entry" xmlUrl=""/>
    <outline type="rss"/>
  </body>
</opml>
"#,
    )
    .expect("write the OPML file");

    let inspected = inspect(&work, &opml, &[]).expect_code(0).json();
    assert_eq!(inspected["kind"], "opml");
    let feeds: Vec<(&str, Option<&str>, Option<&str>)> = array(&inspected["feeds"])
        .iter()
        .map(|f| {
            (
                str_of(&f["url"]),
                f["title"].as_str(),
                f["category"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        feeds,
        [
            (
                "https://feeds.podcastindex.org/pc20.xml",
                Some("Podcasting 2.0"),
                Some("Technology")
            ),
            (
                "https://example.com/tide.xml",
                Some("Changing the Tide"),
                Some("Technology")
            ),
            (
                "http://feeds.nightvalepresents.com/welcometonightvalepodcast",
                Some("Night Vale"),
                None
            ),
        ]
    );

    // Feed outlines without a URL are reported with their line and skipped.
    let warnings = array(&inspected["warnings"]);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0]["code"], "missing-url");
    assert_eq!(warnings[0]["position"]["line"], 11);
    assert_eq!(
        warnings[0]["message"],
        "outline \"Broken entry\" of type rss has no xmlUrl; skipped"
    );
    assert_eq!(warnings[1]["position"]["line"], 12);
    assert_eq!(
        warnings[1]["message"],
        "an outline of type rss has no xmlUrl; skipped"
    );
}

#[test]
fn webvtt_with_repaired_timings() {
    let inspected = inspect_json(&fixture(PODNEWS_VTT));
    assert_eq!(inspected["kind"], "transcript");
    assert_eq!(inspected["format"], "webvtt");
    assert_eq!(inspected["timed"], true);
    let text = read(PODNEWS_VTT);
    let timings = timing_lines(&text);
    assert_eq!(inspected["cue_count"], timings.len());
    let segments = array(&inspected["segments"]);
    assert_eq!(inspected["segment_count"], segments.len());
    assert!(!segments.is_empty());
    // Generic diarisation labels are kept as speakers of the transcript.
    assert_eq!(
        inspected["speakers"],
        serde_json::json!(["SPEAKER_1", "SPEAKER_2", "SPEAKER_3", "SPEAKER_4"])
    );

    // Times like `0.000` or `1:04.620` are not valid WebVTT (minutes and seconds need two
    // digits): each such line is repaired with a warning. The list keeps the first ones
    // with their line and sums up the rest in one entry.
    let malformed = timings
        .iter()
        .filter(|line| {
            line.split("-->")
                .any(|time| !is_webvtt_time(time.split_whitespace().next().unwrap_or("")))
        })
        .count();
    assert!(malformed > 100, "only {malformed} malformed timing lines");
    let warnings = array(&inspected["warnings"]);
    let listed = warnings
        .iter()
        .filter(|w| w["position"].is_object())
        .count();
    let summary = warnings
        .iter()
        .find(|w| w["position"].is_null())
        .expect("a summary of the warnings not listed");
    assert_eq!(
        summary["message"],
        format!(
            "{} more warnings with this code were not listed",
            malformed - listed
        )
    );
    for warning in warnings {
        assert_eq!(warning["code"], "timing-repaired");
    }
    let first = &warnings[0];
    assert_eq!(first["position"]["line"], 3);
    assert!(
        str_of(&first["message"]).contains("`0.000 --> 3.480`"),
        "{first}"
    );
}

/// Checks for `hh:mm:ss.ttt` or `mm:ss.ttt`, with two-digit minutes and seconds.
fn is_webvtt_time(time: &str) -> bool {
    let (clock, millis) = time.split_once('.').unwrap_or((time, ""));
    let fields: Vec<&str> = clock.split(':').collect();
    let digits =
        |field: &str, min: usize| field.len() >= min && field.chars().all(|c| c.is_ascii_digit());
    let fields_ok = match fields.as_slice() {
        [minutes, seconds] => {
            minutes.len() == 2 && digits(minutes, 2) && seconds.len() == 2 && digits(seconds, 2)
        }
        [hours, minutes, seconds] => {
            digits(hours, 2)
                && minutes.len() == 2
                && digits(minutes, 2)
                && seconds.len() == 2
                && digits(seconds, 2)
        }
        _ => false,
    };
    fields_ok && millis.len() == 3 && digits(millis, 3)
}

#[test]
fn srt_json_and_html_agree() {
    let srt = inspect_json(&fixture(BUZZCAST_SRT));
    assert_eq!(srt["format"], "srt");
    assert_eq!(srt["cue_count"], timing_lines(&read(BUZZCAST_SRT)).len());
    assert_eq!(srt["warnings"], serde_json::json!([]));

    let json = inspect_json(&fixture(BUZZCAST_JSON));
    assert_eq!(json["format"], "json");
    let document: Value = serde_json::from_str(&read(BUZZCAST_JSON)).expect("valid JSON");
    assert_eq!(json["cue_count"], array(&document["segments"]).len());
    assert_eq!(json["metadata"]["version"], document["version"]);

    let html = inspect_json(&fixture(BUZZCAST_HTML));
    assert_eq!(html["format"], "html");
    assert_eq!(
        html["cue_count"],
        read(BUZZCAST_HTML).matches("<cite>").count()
    );

    // The same episode in three formats: the same speakers in the same order.
    for inspected in [&srt, &json, &html] {
        assert_eq!(
            inspected["speakers"],
            serde_json::json!(BUZZCAST_SPEAKERS),
            "{}",
            inspected["format"]
        );
        assert_eq!(inspected["timed"], true);
        let segments = array(&inspected["segments"]);
        assert_eq!(segments[0]["speaker"], "Alban");
        assert!(str_of(&segments[0]["text"]).starts_with("It is so stinking nice"));
    }

    // `--cues` adds the cues as parsed.
    let work = Workspace::new();
    let with_cues = inspect(&work, &fixture(BUZZCAST_SRT), &["--cues"])
        .expect_code(0)
        .json();
    let cues = array(&with_cues["cues"]);
    assert_eq!(cues.len(), timing_lines(&read(BUZZCAST_SRT)).len());
    assert_eq!(cues[0]["start_ms"], 0);
    assert_eq!(cues[0]["end_ms"], 4799);
    assert_eq!(cues[0]["speaker"], "Alban");
}

#[test]
fn chapters_file() {
    let inspected = inspect_json(&fixture(CHAPTERS));
    assert_eq!(inspected["kind"], "chapters");
    assert_eq!(inspected["warnings"], serde_json::json!([]));
    let document: Value = serde_json::from_str(&read(CHAPTERS)).expect("valid JSON");
    let expected = array(&document["chapters"]);
    let chapters = array(&inspected["chapters"]);
    assert_eq!(chapters.len(), expected.len());
    for (chapter, source) in chapters.iter().zip(expected) {
        // The untitled location marker (`"toc": false`) gets an empty title.
        assert_eq!(chapter["title"], source["title"].as_str().unwrap_or(""));
        assert_eq!(chapter["toc"], source["toc"].as_bool().unwrap_or(true));
        let start_s = source["startTime"].as_f64().expect("a start time");
        assert_eq!(
            chapter["start_ms"].as_f64(),
            Some(start_s * 1000.0),
            "{chapter}"
        );
    }
    // A chapter of the table of contents ends where the next one starts. The location
    // marker outside the table of contents does not cut the chapter it falls into.
    let toc: Vec<&Value> = chapters.iter().filter(|c| c["toc"] == true).collect();
    assert_eq!(toc.len(), chapters.len() - 1);
    for pair in toc.windows(2) {
        assert_eq!(pair[0]["end_ms"], pair[1]["start_ms"]);
    }
}

#[test]
fn truncated_feed_names_file_and_position() {
    let work = Workspace::new();
    let path = fixture(TRUNCATED_FEED);
    for json in [true, false] {
        let mut command = work.command(["inspect"]);
        if json {
            command.arg("--json");
        }
        command.arg(&path);
        let run = work.run_command(command, support::SHORT).expect_code(1);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        let expected = format!(
            "podgraph: {}: cannot parse feed at line 19, column 85",
            path.display()
        );
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
        assert!(run.stderr.contains("truncated"), "{}", run.stderr);
    }

    let missing = work.join("missing.vtt");
    let run = inspect(&work, &missing, &[]).expect_code(1);
    assert!(
        run.stderr.contains(&missing.display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn config_file_limits_apply() {
    let work = Workspace::new();
    std::fs::write(work.join("podgraph.toml"), "[ingest.xml]\nmax_items = 2\n")
        .expect("write podgraph.toml");

    let inspected = inspect(&work, &fixture(PC20_FEED), &[])
        .expect_code(0)
        .json();

    let episodes = array(&inspected["episodes"]);
    assert_eq!(episodes.len(), 2, "max_items of podgraph.toml was ignored");
    let warnings = serde_json::to_string(&inspected["warnings"]).expect("serialise warnings");
    assert!(warnings.contains("max_items"), "{warnings}");
}

#[test]
fn environment_limits_apply() {
    let work = Workspace::new();
    let mut command = work.command(["inspect", "--json"]);
    command
        .arg(fixture(PC20_FEED))
        .env("PODGRAPH_FETCH_MAX_BODY_BYTES", "1000");

    let run = work.run_command(command, support::SHORT).expect_code(1);

    assert!(
        run.stderr.contains("max_body_bytes"),
        "the size limit of PODGRAPH_FETCH_MAX_BODY_BYTES was not applied: {}",
        run.stderr
    );
}

#[test]
fn control_characters_in_errors_escaped() {
    let work = Workspace::new();
    let path = work.join("esc.srt");
    std::fs::write(&path, "\u{1b}]0;pwned\u{7}\u{1b}[2J evil\n").expect("write the file");

    let mut command = work.command(["inspect"]);
    command.arg(&path);
    let run = work.run_command(command, support::SHORT);

    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("podgraph: "), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(!run.stderr.contains('\u{7}'), "{:?}", run.stderr);
}
