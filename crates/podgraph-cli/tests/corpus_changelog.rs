//! `podgraph seed` on the Changelog transcript corpus: Markdown transcripts in one folder
//! per show, each turn starting with `**Speaker Name:**`, no timestamps.
//!
//! Runs only when `PODGRAPH_CORPUS_DIR` names the corpus (with a `changelog/` folder).
//! Expected values come from reading the files: the show folders, the files in them and
//! the speaker labels of each file.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{Graph, LONG, Workspace, corpus_dir, str_of};

/// Labels that mark a section of the transcript, not a speaker.
const SECTION_LABELS: [&str; 3] = ["Break", "Jingle", "Outro"];

/// One transcript file of the corpus.
struct Transcript {
    show: String,
    /// The episode title podgraph derives from the file name (`go-time-1.md` is
    /// "go time 1").
    title: String,
    /// Speaker labels in order of first appearance.
    labels: Vec<String>,
}

/// Reads every Markdown file of every show folder.
fn read_corpus(root: &Path) -> Vec<Transcript> {
    let mut transcripts = Vec::new();
    for show in sorted_entries(root).into_iter().filter(|p| p.is_dir()) {
        let show_name = file_name(&show);
        for file in sorted_entries(&show) {
            if file.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("read a transcript");
            let mut labels: Vec<String> = Vec::new();
            for line in text.lines() {
                let Some(rest) = line.strip_prefix("**") else {
                    continue;
                };
                let Some(end) = rest.find(":**") else {
                    continue;
                };
                let label = &rest[..end];
                if !label.contains('*') && !labels.iter().any(|l| l == label) {
                    labels.push(label.to_owned());
                }
            }
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a file stem");
            transcripts.push(Transcript {
                show: show_name.clone(),
                title: stem.replace(['-', '_'], " "),
                labels,
            });
        }
    }
    transcripts
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read a corpus folder")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 name")
        .to_owned()
}

/// Returns the shows whose transcripts have `name` as a speaker label.
fn shows_with_speaker<'a>(corpus: &'a [Transcript], name: &str) -> BTreeSet<&'a str> {
    corpus
        .iter()
        .filter(|t| t.labels.iter().any(|l| l == name))
        .map(|t| t.show.as_str())
        .collect()
}

/// Returns the podcast titles of the segments SPOKEN_BY the only Person named `name`.
fn shows_spoken_in<'a>(graph: &'a Graph, name: &str) -> BTreeSet<&'a str> {
    let person = graph.person_id(name);
    let segment_episode = graph.segment_episodes();
    let episode_podcast = graph.episode_podcasts();
    graph
        .relationships_of("SPOKEN_BY")
        .filter(|rel| rel["to"] == person)
        .map(|rel| {
            let podcast = episode_podcast[segment_episode[str_of(&rel["from"])]];
            graph.property(podcast, "title").expect("podcast title")
        })
        .collect()
}

/// Checks that `part` appears in `whole` in the same relative order.
fn is_subsequence(part: &[&str], whole: &[&str]) -> bool {
    let mut rest = whole.iter();
    part.iter()
        .all(|item| rest.any(|candidate| candidate == item))
}

#[test]
fn changelog_corpus() {
    let Some(root) = corpus_dir("changelog") else {
        return;
    };
    let corpus = read_corpus(&root);
    let shows: BTreeSet<&str> = corpus.iter().map(|t| t.show.as_str()).collect();
    assert!(
        corpus.len() > 100,
        "only {} transcripts found",
        corpus.len()
    );

    let work = Workspace::new();
    let started = std::time::Instant::now();
    let summary = work.seed_within([&root], LONG).expect_code(0).json();
    eprintln!(
        "seeded {} transcripts in {:?}",
        corpus.len(),
        started.elapsed()
    );
    assert_eq!(summary["processed"], corpus.len(), "{summary}");
    assert_eq!(summary["without_transcript"], 0);
    assert_eq!(summary["failures"], Value::Array(Vec::new()));

    // One podcast per show folder, named after it, with one episode per file.
    let stats = work.stats();
    assert_eq!(stats.node("Podcast"), shows.len() as u64);
    assert_eq!(stats.node("Episode"), corpus.len() as u64);
    let timer = std::time::Instant::now();
    let graph = work.graph();
    eprintln!("exported in {:?}", timer.elapsed());
    let mut episodes_per_show: BTreeMap<&str, usize> = BTreeMap::new();
    for podcast in graph.episode_podcasts().values() {
        let title = graph.property(podcast, "title").expect("podcast title");
        *episodes_per_show.entry(title).or_default() += 1;
    }
    let mut files_per_show: BTreeMap<&str, usize> = BTreeMap::new();
    for transcript in &corpus {
        *files_per_show.entry(transcript.show.as_str()).or_default() += 1;
    }
    assert_eq!(episodes_per_show, files_per_show);

    let timer = std::time::Instant::now();
    check_speakers(&work, &graph, &corpus);
    eprintln!("speakers checked in {:?}", timer.elapsed());
    check_people_across_shows(&work, &graph, &corpus);
    eprintln!("people checked in {:?}", timer.elapsed());
    check_search(&work);
}

fn speakers_of(episode: &Value) -> Vec<&str> {
    let speakers = episode["speakers"].as_array().expect("speakers");
    speakers.iter().map(str_of).collect()
}

/// Episode speakers follow the file's labels; section labels never become speakers.
fn check_speakers(work: &Workspace, graph: &Graph, corpus: &[Transcript]) {
    let episodes = work.query(["episodes", "--limit", "1000"]);
    let episodes = episodes.as_array().expect("an episode list");
    let listed: BTreeMap<&str, Vec<&str>> = episodes
        .iter()
        .map(|e| (str_of(&e["title"]), speakers_of(e)))
        .collect();
    let speakers_by_id: BTreeMap<&str, Vec<&str>> = episodes
        .iter()
        .map(|e| (str_of(&e["id"]), speakers_of(e)))
        .collect();
    assert_eq!(listed.len(), corpus.len());

    for transcript in corpus {
        let speakers = &listed[transcript.title.as_str()];
        let labels: Vec<&str> = transcript.labels.iter().map(String::as_str).collect();
        assert!(!speakers.is_empty(), "{} has no speakers", transcript.title);
        assert!(
            is_subsequence(speakers, &labels),
            "{}: speakers {speakers:?} are not labels {labels:?} in order",
            transcript.title
        );
        for section in SECTION_LABELS {
            assert!(
                !speakers.contains(&section),
                "{}: {section}",
                transcript.title
            );
        }
    }
    for section in SECTION_LABELS {
        assert!(graph.persons_named(section).is_empty(), "Person {section}");
    }

    // Read by hand: the first turns of these episodes.
    assert_eq!(
        listed["go time 1"],
        ["Erik St. Martin", "Brian Ketelsen", "Carlisia Thompson"]
    );
    assert_eq!(
        listed["js party 106"],
        [
            "Nick Nisi",
            "Divya Sasidharan",
            "Kevin Ball",
            "Mikeal Rogers"
        ]
    );
    assert_eq!(
        listed["the changelog 143"],
        ["Adam Stacoviak", "Darcy Clarke", "Jerod Santo"]
    );

    // All turns of one speaker in one episode are SPOKEN_BY the same Person, or none
    // is, for labels that name nobody ("Audience Member"); those are rare. Every quote
    // is SAID.
    let spoken_by: BTreeMap<&str, &str> = graph
        .relationships_of("SPOKEN_BY")
        .map(|rel| (str_of(&rel["from"]), str_of(&rel["to"])))
        .collect();
    let segment_episode = graph.segment_episodes();
    let mut targets: BTreeMap<(&str, &str), BTreeSet<Option<&str>>> = BTreeMap::new();
    let mut turns = 0;
    for segment in graph.nodes_labelled("Segment") {
        let id = str_of(&segment["id"]);
        let episode = segment_episode[id];
        let Some(speaker) = segment["properties"]["speaker"].as_str() else {
            continue;
        };
        if speakers_by_id[episode].contains(&speaker) {
            turns += 1;
            targets
                .entry((episode, speaker))
                .or_default()
                .insert(spoken_by.get(id).copied());
        }
    }
    for ((episode, speaker), persons) in &targets {
        assert_eq!(persons.len(), 1, "{speaker} in {episode}: {persons:?}");
    }
    assert_eq!(spoken_by.len() + unattributed(&targets, graph), turns);
    assert!(
        spoken_by.len() * 100 >= turns * 99,
        "SPOKEN_BY on too few turns"
    );
    let quotes = graph.nodes_labelled("Quote").count();
    assert!(quotes > 0);
    assert_eq!(graph.relationships_of("SAID").count(), quotes);
}

/// Counts the turns of speakers that have no SPOKEN_BY relationship.
fn unattributed(targets: &BTreeMap<(&str, &str), BTreeSet<Option<&str>>>, graph: &Graph) -> usize {
    let segment_episode = graph.segment_episodes();
    graph
        .nodes_labelled("Segment")
        .filter(|segment| {
            let episode = segment_episode[str_of(&segment["id"])];
            segment["properties"]["speaker"]
                .as_str()
                .and_then(|speaker| targets.get(&(episode, speaker)))
                .is_some_and(|persons| persons.contains(&None))
        })
        .count()
}

/// Hosts who speak on several shows are one Person each.
fn check_people_across_shows(work: &Workspace, graph: &Graph, corpus: &[Transcript]) {
    let episode_podcast: BTreeMap<String, String> = work
        .query(["episodes", "--limit", "1000"])
        .as_array()
        .expect("an episode list")
        .iter()
        .map(|e| {
            (
                str_of(&e["id"]).to_owned(),
                str_of(&e["podcast_id"]).to_owned(),
            )
        })
        .collect();

    for name in ["Jerod Santo", "Adam Stacoviak"] {
        let expected = shows_with_speaker(corpus, name);
        assert!(expected.len() >= 4, "{name} speaks on {expected:?}");
        // `person_id` fails unless exactly one Person node has the name.
        assert_eq!(shows_spoken_in(graph, name), expected, "{name}");
        let person = graph.person_id(name);
        let said = graph
            .relationships_of("SAID")
            .filter(|rel| rel["from"] == person)
            .count();
        assert!(said > 0, "{name} said no quote");

        let entity = work.query(["entity", name, "--mentions", "1000"]);
        assert_eq!(entity["entity"]["name"], name);
        assert_eq!(entity["entity"]["kind"], "person");
        assert_eq!(entity["entity"]["id"], person);
        let podcasts: BTreeSet<&str> = entity["mentions"]
            .as_array()
            .expect("mentions")
            .iter()
            .map(|m| episode_podcast[str_of(&m["episode_id"])].as_str())
            .collect();
        assert!(
            podcasts.len() >= 3,
            "{name} is mentioned on {podcasts:?} only"
        );
    }
}

/// Full-text search finds what the files say, in the right episode and turn.
fn check_search(work: &Workspace) {
    // "the-changelog-436.md" is the conversation with Daniel Stenberg about curl.
    let ids: BTreeMap<String, String> = work
        .query(["episodes", "--limit", "1000"])
        .as_array()
        .expect("an episode list")
        .iter()
        .map(|e| (str_of(&e["id"]).to_owned(), str_of(&e["title"]).to_owned()))
        .collect();
    let hits = work.query(["search", "libcurl", "--limit", "50"]);
    let segment_hits: Vec<&Value> = hits
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["kind"] == "segment")
        .collect();
    assert!(!segment_hits.is_empty(), "{hits}");
    assert!(
        segment_hits
            .iter()
            .any(|h| ids[str_of(&h["episode_id"])] == "the changelog 436"),
        "{hits}"
    );

    let episode = ids
        .iter()
        .find(|(_, title)| *title == "the changelog 436")
        .map(|(id, _)| id.clone())
        .expect("the episode is stored");
    let detail = work.query(["episode", episode.as_str(), "--limit", "0"]);
    let segments = detail["transcript"]["segments"]
        .as_array()
        .expect("segments");
    let asked = segments
        .iter()
        .find(|s| str_of(&s["text"]).contains("Is it Libcurl?"))
        .expect("the question is a segment");
    assert_eq!(asked["speaker"], "Jerod Santo");
}

/// Every speaker label used on several shows should be one Person whose turns are on
/// exactly those shows. Today other people with the same first name are merged into
/// some of them across episodes: Daniel Stenberg and Daniel Thompson into Daniel
/// Whitenack, and Ben Kochie into Ben Johnson. Jared Watts and Dan Mangum become
/// aliases of the one-word persons "Jared" and "Dan".
#[test]
fn changelog_speakers_stay_distinct() {
    let Some(root) = corpus_dir("changelog") else {
        return;
    };
    let corpus = read_corpus(&root);
    let work = Workspace::new();
    work.seed_within([&root], LONG).expect_code(0);
    let graph = work.graph();

    let mut labels_by_show: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for transcript in &corpus {
        for label in &transcript.labels {
            labels_by_show
                .entry(label.as_str())
                .or_default()
                .insert(transcript.show.as_str());
        }
    }
    let mut wrong = Vec::new();
    for (label, shows) in &labels_by_show {
        if shows.len() < 2 || SECTION_LABELS.contains(label) {
            continue;
        }
        let persons = graph.persons_named(label);
        if persons.len() != 1 {
            wrong.push(format!("{label}: {} Person nodes", persons.len()));
        } else if shows_spoken_in(&graph, label) != *shows {
            wrong.push(format!(
                "{label}: speaks on {shows:?}, SPOKEN_BY on {:?}",
                shows_spoken_in(&graph, label)
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
