//! What `podgraph seed` does with inputs that give no facts: feeds without transcripts,
//! files a transcript folder cannot use, empty transcripts, and documents that are
//! neither feeds nor transcripts.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{Workspace, copy_file, fixture, str_of};

/// A feed whose items link no transcript, with channel and item `podcast:person` entries.
const FEED_WITHOUT_TRANSCRIPTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>Audio Only Show</title>
    <link>https://example.com/audio-only</link>
    <podcast:person role="host">Hannah Host</podcast:person>
    <item>
      <title>First audio episode</title>
      <guid>audio-only-1</guid>
      <enclosure url="https://example.com/audio-only/1.mp3" type="audio/mpeg" length="1000"/>
      <podcast:person role="guest">Gail Guest</podcast:person>
    </item>
    <item>
      <title>Second audio episode</title>
      <guid>audio-only-2</guid>
      <enclosure url="https://example.com/audio-only/2.mp3" type="audio/mpeg" length="1000"/>
    </item>
  </channel>
</rss>
"#;

fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {value}"))
}

#[test]
fn feed_without_transcripts_stores_nodes() {
    let work = Workspace::new();
    std::fs::write(work.join("feed.xml"), FEED_WITHOUT_TRANSCRIPTS).expect("write the feed");

    let summary = work.seed(["feed.xml"]).expect_code(0).json();

    assert_eq!(summary["without_transcript"], 2, "{summary}");
    assert_eq!(summary["processed"], 0);
    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), 1);
    assert_eq!(stats.node("Episode"), 2);
    assert_eq!(stats.node("Segment"), 0);
    let graph = work.graph();
    let mut people: Vec<&str> = graph
        .nodes_labelled("Person")
        .map(|node| str_of(&node["properties"]["name"]))
        .collect();
    people.sort_unstable();
    assert_eq!(people, ["Gail Guest", "Hannah Host"]);
    assert!(
        graph.relationships_of("GUEST_OF").count() >= 1,
        "the guest is not linked to the episode"
    );

    // A second run stores nothing new and reports the episodes again.
    let again = work.seed(["feed.xml"]).expect_code(0).json();
    assert_eq!(again["without_transcript"], 2, "{again}");
    assert_eq!(work.stats().node("Episode"), 2);
}

#[test]
fn unusable_folder_entries_listed_as_skipped() {
    let work = Workspace::new();
    let root = work.join("shows");
    copy_file(
        &fixture("transcripts/srt/stevencrader__transcriptator/buzzcast.srt"),
        &root.join("buzzcast/buzzcast.srt"),
    );
    copy_file(
        &fixture("transcripts/vtt/stevencrader__transcriptator/podnews_daily_2024-01-25.vtt"),
        &root.join("buzzcast/season2/deep.vtt"),
    );
    copy_file(
        &fixture("chapters/Podcastindex-org__podcast-namespace/example.json"),
        &root.join("buzzcast/cover.jpg"),
    );
    std::fs::write(root.join("buzzcast/header_only.vtt"), "WEBVTT\n\n").expect("write");
    std::fs::write(root.join("buzzcast/blank.srt"), "").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("nowhere.vtt"), root.join("broken.vtt"))
        .expect("create a broken symbolic link");

    let summary = work.seed([&root]).expect_code(0).json();

    assert_eq!(summary["processed"], 1, "{summary}");
    assert_eq!(summary["empty_transcript"], 2, "{summary}");
    let skipped: BTreeMap<String, String> = array(&summary["skipped_inputs"])
        .iter()
        .map(|entry| {
            let source = str_of(&entry["source"]);
            let name = source.rsplit('/').next().unwrap_or(source).to_owned();
            (name, str_of(&entry["reason"]).to_owned())
        })
        .collect();
    let names: Vec<&str> = skipped.keys().map(String::as_str).collect();
    let mut expected = vec!["cover.jpg", "season2"];
    if cfg!(unix) {
        expected.insert(0, "broken.vtt");
    }
    assert_eq!(names, expected, "{summary}");
    assert!(skipped["cover.jpg"].contains(".vtt"), "{summary}");
    assert!(skipped["season2"].contains("nested too deep"), "{summary}");
}

#[test]
fn html_page_rejected_as_input() {
    let work = Workspace::new();
    let page = "<!DOCTYPE html>\n<html><head><title>Our show</title></head>\n\
                <body><h1>Welcome</h1><p>Subscribe to our podcast!</p></body></html>\n";
    std::fs::write(work.join("index.html"), page).expect("write the page");

    let summary = work.seed(["index.html"]).expect_code(3).json();

    assert_eq!(summary["processed"], 0, "{summary}");
    let failures = array(&summary["failures"]);
    assert_eq!(failures.len(), 1, "{summary}");
    assert_eq!(failures[0]["title"], "index.html");
    assert_eq!(failures[0]["stage"], "feed.parse");
    let reason = str_of(&failures[0]["reason"]);
    assert!(reason.starts_with("index.html: "), "{reason}");
    assert!(reason.contains("an RSS, RDF or Atom feed"), "{reason}");
    assert!(reason.contains("HTML page"), "{reason}");
}

#[test]
fn arbitrary_xml_rejected_as_input() {
    let work = Workspace::new();
    let xml =
        "<?xml version=\"1.0\"?>\n<catalog><book id=\"1\"><title>Rust</title></book></catalog>\n";
    std::fs::write(work.join("books.xml"), xml).expect("write the document");

    let summary = work.seed(["books.xml"]).expect_code(3).json();

    assert_eq!(summary["processed"], 0, "{summary}");
    let failures = array(&summary["failures"]);
    assert_eq!(failures.len(), 1, "{summary}");
    let reason = str_of(&failures[0]["reason"]);
    assert!(reason.starts_with("books.xml: "), "{reason}");
    assert!(reason.contains("root element <catalog>"), "{reason}");
    assert_eq!(work.stats().node("Episode"), 0);
}

#[test]
fn html_transcript_still_accepted() {
    let work = Workspace::new();
    let transcript = work.join("buzzcast.html");
    copy_file(
        &fixture("transcripts/html/stevencrader__transcriptator/buzzcast.html"),
        &transcript,
    );

    let summary = work.seed([&transcript]).expect_code(0).json();

    assert_eq!(summary["processed"], 1, "{summary}");
}

/// Lists the names in the workspace, without the files that hold command output.
fn workspace_entries(work: &Workspace) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(work.path())
        .expect("read the workspace")
        .map(|entry| entry.expect("read an entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !name.starts_with(".run-"))
        .collect();
    names.sort();
    names
}

#[test]
fn db_that_is_not_a_database_creates_nothing() {
    let work = Workspace::new();
    std::fs::write(
        work.join("notadb.md"),
        "# Notes\n\nThis is not a database.\n",
    )
    .expect("write the notes");
    std::fs::create_dir(work.join("folder")).expect("create the folder");
    std::fs::write(
        work.join("show.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\nHi\n",
    )
    .expect("write the transcript");
    let before = workspace_entries(&work);

    for db in ["notadb.md", "folder"] {
        let mut command = work.command(["seed", "--json", "--db", db]);
        command.arg("show.srt");
        let run = work.run_command(command, std::time::Duration::from_secs(60));

        assert_eq!(run.code, Some(1), "--db {db}: {}", run.stderr);
        assert_eq!(workspace_entries(&work), before, "--db {db}");
    }
    let mut command = work.command(["seed", "--db", "notadb.md", "show.srt"]);
    command.env("NO_COLOR", "1");
    let run = work.run_command(command, std::time::Duration::from_secs(60));
    assert!(
        run.stderr.contains("notadb.md is not a SQLite database"),
        "{}",
        run.stderr
    );
}

#[test]
fn zero_max_episodes_rejected() {
    let work = Workspace::new();

    let run = work.seed(["--max-episodes", "0", "."]).expect_code(2);

    assert!(run.stderr.contains("--max-episodes"), "{}", run.stderr);
    assert!(run.stderr.contains("0 is not in 1.."), "{}", run.stderr);
}

#[test]
fn feed_without_items_exits_one() {
    let work = Workspace::new();
    let feed = work.join("empty.rss");
    std::fs::write(
        &feed,
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Nothing Yet</title></channel></rss>\n",
    )
    .expect("write the feed");

    let run = work.seed([&feed]).expect_code(1);
    let expected = format!("no episodes found in {}", feed.display());
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("<item>"), "{}", run.stderr);
}

#[test]
fn empty_folder_exits_one() {
    let work = Workspace::new();
    let folder = work.join("shows");
    std::fs::create_dir(&folder).expect("create the folder");

    let run = work.seed([&folder]).expect_code(1);
    let expected = format!("no episodes found in {}", folder.display());
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("transcript files"), "{}", run.stderr);
}

#[test]
fn untitled_feeds_stay_separate_podcasts() {
    let work = Workspace::new();
    let mut feeds = Vec::new();
    for number in 1..=3 {
        let feed = work.join(&format!("untitled-{number}.rss"));
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>\
             <item><title>Episode {number}</title><guid>untitled-{number}</guid></item>\
             </channel></rss>\n"
        );
        std::fs::write(&feed, xml).expect("write the feed");
        feeds.push(feed);
    }

    work.seed(&feeds).expect_code(0);
    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), 3, "{stats:?}");
    assert_eq!(stats.node("Episode"), 3, "{stats:?}");

    // Seeding the same files again finds the same three podcasts.
    work.seed(&feeds).expect_code(0);
    assert_eq!(work.stats().node("Podcast"), 3);
}
