//! `podgraph seed` on the Talk Python To Me corpus: about one-hour WebVTT transcripts
//! without speaker labels.
//!
//! Runs only when `PODGRAPH_CORPUS_DIR` names the corpus (with a `talkpython/` folder).
//! The facts checked below were read in the transcripts.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{LONG, Workspace, copy_file, corpus_dir, str_of};

/// Lists the `.vtt` files of the corpus, sorted by name.
fn transcripts(corpus: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .expect("read the corpus")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "vtt"))
        .collect();
    files.sort();
    files
}

/// Returns the episode title podgraph derives from a file name.
fn title_of(file: &Path) -> String {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("a file stem");
    stem.replace(['-', '_'], " ")
}

/// Converts a WebVTT time (`hh:mm:ss.ttt` or `mm:ss.ttt`) to milliseconds.
fn millis(time: &str) -> u64 {
    let (clock, fraction) = time.split_once('.').expect("milliseconds");
    let seconds = clock
        .split(':')
        .map(|field| field.parse::<u64>().expect("a number"))
        .fold(0, |total, field| total * 60 + field);
    seconds * 1000 + fraction.parse::<u64>().expect("milliseconds")
}

/// Returns the latest cue end of a WebVTT file, in milliseconds.
fn last_cue_end(file: &Path) -> u64 {
    let text = std::fs::read_to_string(file).expect("read a transcript");
    text.lines()
        .filter_map(|line| line.split_once(" --> "))
        .map(|(_, end)| millis(end.split_whitespace().next().expect("an end time")))
        .max()
        .expect("the file has cues")
}

/// Runs `query search TEXT` and returns its segment hits as (episode id, start ms).
fn segment_hits(work: &Workspace, text: &str) -> Vec<(String, u64)> {
    work.query(["search", text, "--limit", "50"])
        .as_array()
        .expect("hits")
        .iter()
        .filter(|hit| hit["kind"] == "segment")
        .map(|hit| {
            (
                str_of(&hit["episode_id"]).to_owned(),
                hit["start_ms"].as_u64().expect("segment hits have a start"),
            )
        })
        .collect()
}

/// Asserts that `text` is found in a segment of episode `id` that covers `at_ms`.
fn assert_found_at(work: &Workspace, text: &str, id: &str, at_ms: u64) {
    let detail = work.query(["episode", id, "--limit", "0"]);
    let segments = detail["transcript"]["segments"]
        .as_array()
        .expect("segments");
    let covering = segments
        .iter()
        .find(|s| s["start_ms"].as_u64() <= Some(at_ms) && Some(at_ms) < s["end_ms"].as_u64())
        .unwrap_or_else(|| panic!("no segment covers {at_ms} ms"));
    let start = covering["start_ms"].as_u64().expect("a start");
    let hits = segment_hits(work, text);
    assert!(
        hits.contains(&(id.to_owned(), start)),
        "{text:?} not found at {start} ms of {id}: {hits:?}"
    );
}

#[test]
fn talkpython_corpus() {
    let Some(corpus) = corpus_dir("talkpython") else {
        return;
    };
    let files = transcripts(&corpus);
    assert!(files.len() > 50, "only {} transcripts", files.len());

    let work = Workspace::new();
    let started = std::time::Instant::now();
    let summary = work.seed_within([&corpus], LONG).expect_code(0).json();
    eprintln!(
        "seeded {} transcripts in {:?}",
        files.len(),
        started.elapsed()
    );
    assert_eq!(summary["processed"], files.len(), "{summary}");
    assert_eq!(summary["failures"], Value::Array(Vec::new()));

    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), 1);
    assert_eq!(stats.node("Episode"), files.len() as u64);

    // Every episode has segments, and they reach the end of the last cue.
    let episodes = work.query(["episodes", "--limit", "1000"]);
    let ids: BTreeMap<String, String> = episodes
        .as_array()
        .expect("an episode list")
        .iter()
        .map(|e| {
            assert!(e["segment_count"].as_u64() > Some(0), "{e}");
            (str_of(&e["title"]).to_owned(), str_of(&e["id"]).to_owned())
        })
        .collect();
    assert_eq!(ids.len(), files.len());
    for file in &files {
        let id = &ids[&title_of(file)];
        let detail = work.query(["episode", id.as_str(), "--limit", "0"]);
        let segments = detail["transcript"]["segments"]
            .as_array()
            .expect("segments");
        let end = segments.iter().filter_map(|s| s["end_ms"].as_u64()).max();
        assert_eq!(end, Some(last_cue_end(file)), "{}", file.display());
    }

    // Episode 0 announces the guests to come: Jesse Davis of MongoDB at 1:39.700, and
    // the Eve REST framework at 2:02.080.
    let intro = &ids["000 tptm introducing the show"];
    assert_found_at(&work, "Jesse Davis from MongoDB", intro, 99_700);
    assert_found_at(&work, "EVE open source REST API", intro, 122_080);
    assert_found_at(&work, "March 21st, 2015", intro, 1);

    // Episode 48 names its guest in the opening (0:15.400) and the closing (47:29.520).
    let flask = &ids["048 flask with miguel grinberg"];
    assert_found_at(&work, "Miguel Grinberg", flask, 15_400);
    assert_found_at(&work, "Miguel Grinberg", flask, 2_849_520);

    // The host introduces himself by name in every episode.
    let host = work.query(["entity", "Michael Kennedy", "--mentions", "1000"]);
    assert_eq!(host["entity"]["name"], "Michael Kennedy");
    assert_eq!(host["entity"]["kind"], "person");
    let with_full_name: BTreeSet<&str> = host["mentions"]
        .as_array()
        .expect("mentions")
        .iter()
        .filter(|m| m["surface"] == "Michael Kennedy")
        .map(|m| str_of(&m["episode_id"]))
        .collect();
    let expected: BTreeSet<&str> = files
        .iter()
        .filter(|file| {
            std::fs::read_to_string(file)
                .expect("read a transcript")
                .contains("Michael Kennedy")
        })
        .map(|file| ids[&title_of(file)].as_str())
        .collect();
    assert!(
        expected.len() * 10 >= files.len() * 9,
        "{} files",
        expected.len()
    );
    assert_eq!(with_full_name, expected);
}

/// Episode 6 records "Michael" as an alias of the host Michael Kennedy. Episode 144 has
/// the guests Michaela Paganini and Michael Kagan: "Michael" and "Michaela" merge there
/// (Jaro-Winkler 0.975), and the entity "Michaela Paganini" then matches the stored
/// alias "Michael" and becomes an alias of Michael Kennedy.
#[test]
fn different_guests_stay_apart_from_host() {
    let Some(corpus) = corpus_dir("talkpython") else {
        return;
    };
    let work = Workspace::new();
    for (name, folder) in [
        (
            "006_Requests_PyCon_and_Pythons_future_with_Kenneth_Rietz.vtt",
            "first",
        ),
        (
            "144-machine-learning-at-the-large-hadron-collider.vtt",
            "second",
        ),
    ] {
        copy_file(&corpus.join(name), &work.join(folder).join(name));
    }
    work.seed([work.join("first")]).expect_code(0);
    work.seed([work.join("second")]).expect_code(0);

    let guest = work.query(["entity", "Michaela Paganini", "--mentions", "1"]);
    assert_eq!(guest["entity"]["name"], "Michaela Paganini", "{guest}");
    let host = work.query(["entity", "Michael Kennedy", "--mentions", "1"]);
    let aliases: Vec<&str> = host["aliases"]
        .as_array()
        .expect("aliases")
        .iter()
        .map(str_of)
        .collect();
    assert!(!aliases.contains(&"Michaela Paganini"), "{aliases:?}");
}
