//! `podgraph query` and `podgraph export` on a database seeded from two real SRT
//! transcripts: Podcasting 2.0 episode 124 (speakers Adam Curry and Dave Jones) and a
//! Buzzcast episode (speakers Alban, Dave, Kevin, Tom and Travis).
//!
//! Results that depend on the extractor's choices are checked against each other and
//! against the transcript text (every mention's span reads its surface form, every
//! count matches the export), so that the checks stay exact without fixing the extractor.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::Event;
use serde_json::Value;
use support::{Graph, Workspace, copy_file, fixture, str_of};

const PC20_TITLE: &str = "podcasting 20 episode 124";
const BUZZCAST_TITLE: &str = "buzzcast";

/// Seeds a new workspace with both transcripts as the podcast "shows".
fn seeded() -> Workspace {
    let work = Workspace::new();
    let shows = work.join("shows");
    for name in ["podcasting_20_episode_124.srt", "buzzcast.srt"] {
        copy_file(
            &fixture(&format!(
                "transcripts/srt/stevencrader__transcriptator/{name}"
            )),
            &shows.join(name),
        );
    }
    let summary = work.seed([&shows]).expect_code(0).json();
    assert_eq!(summary["processed"], 2, "{summary}");
    work
}

fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {value}"))
}

fn u64_of(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("expected a number, found {value}"))
}

/// Maps episode titles to ids with `query episodes`.
fn episode_ids(work: &Workspace) -> BTreeMap<String, String> {
    array(&work.query(["episodes"]))
        .iter()
        .map(|e| (str_of(&e["title"]).to_owned(), str_of(&e["id"]).to_owned()))
        .collect()
}

#[test]
fn episodes_and_episode_detail() {
    let work = seeded();
    let graph = work.graph();

    let episodes = work.query(["episodes"]);
    let episodes = array(&episodes);
    assert_eq!(episodes.len(), 2);
    let segment_episode = graph.segment_episodes();
    for episode in episodes {
        let id = str_of(&episode["id"]);
        let segments = segment_episode.values().filter(|e| **e == id).count();
        assert_eq!(
            u64_of(&episode["segment_count"]),
            segments as u64,
            "{episode}"
        );
    }
    let speakers_of = |title: &str| -> Vec<&str> {
        let episode = episodes
            .iter()
            .find(|e| e["title"] == title)
            .unwrap_or_else(|| panic!("episode {title:?} is not listed"));
        array(&episode["speakers"]).iter().map(str_of).collect()
    };
    // In order of first appearance in the transcript.
    assert_eq!(
        speakers_of(PC20_TITLE),
        ["Adam Curry", "Unknown", "Dave Jones"]
    );
    assert_eq!(
        speakers_of(BUZZCAST_TITLE),
        ["Alban", "Kevin", "Travis", "Tom", "Dave"]
    );

    let ids = episode_ids(&work);
    let detail = work.query(["episode", ids[PC20_TITLE].as_str(), "--limit", "0"]);
    assert_eq!(detail["podcast"]["title"], "shows");
    assert_eq!(detail["episode"]["title"], PC20_TITLE);
    assert_eq!(detail["transcript"]["format"], "srt");
    let segments = array(&detail["transcript"]["segments"]);
    let text = str_of(&detail["transcript"]["text"]);

    // The first cue opens the transcript: "Adam Curry: podcasting 2.0 March..." at 0.780 s.
    assert_eq!(segments[0]["start_ms"], 780);
    assert_eq!(segments[0]["speaker"], "Adam Curry");
    assert!(str_of(&segments[0]["text"]).starts_with("podcasting 2.0 March 4 2023 Episode 124"));

    // Segments are in time order, and each one's span reads its text.
    let mut previous_start = 0;
    for (index, segment) in segments.iter().enumerate() {
        assert_eq!(u64_of(&segment["index"]), index as u64);
        let start = u64_of(&segment["start_ms"]);
        assert!(
            start >= previous_start,
            "segment {index} starts before the previous one"
        );
        assert!(u64_of(&segment["end_ms"]) >= start);
        previous_start = start;
        let span = &segment["span"];
        let (from, to) = (
            u64_of(&span["start"]) as usize,
            u64_of(&span["end"]) as usize,
        );
        assert_eq!(&text[from..to], str_of(&segment["text"]), "segment {index}");
    }
}

#[test]
fn episode_errors() {
    let work = seeded();
    let run = work
        .run(["query", "--db", path(work.db()), "episode", "not-a-uuid"])
        .expect_code(1);
    assert!(
        run.stderr.contains("invalid episode id \"not-a-uuid\""),
        "{}",
        run.stderr
    );

    let unknown = "00000000-0000-5000-8000-000000000000";
    let run = work
        .run(["query", "--db", path(work.db()), "episode", unknown])
        .expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("no episode with id {unknown}")),
        "{}",
        run.stderr
    );
}

fn path(path: &std::path::Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn search_hits_carry_timestamps() {
    let work = seeded();
    let ids = episode_ids(&work);

    // "golf ball sized hail" is in the cue at 00:02:10,620 --> 00:02:13,620, inside a
    // turn of Adam Curry.
    let hits = work.query(["search", "golf ball sized hail", "--limit", "5"]);
    let hits = array(&hits);
    let segment_hits: Vec<&Value> = hits.iter().filter(|h| h["kind"] == "segment").collect();
    assert_eq!(segment_hits.len(), 1, "{hits:?}");
    let hit = segment_hits[0];
    assert_eq!(hit["episode_id"], ids[PC20_TITLE].as_str());
    assert!(str_of(&hit["snippet"]).contains("hail"), "{hit}");

    let detail = work.query(["episode", ids[PC20_TITLE].as_str(), "--limit", "0"]);
    let segment = array(&detail["transcript"]["segments"])
        .iter()
        .find(|s| s["id"] == hit["id"])
        .expect("the hit is a segment of the episode");
    assert_eq!(hit["start_ms"], segment["start_ms"]);
    assert!(u64_of(&segment["start_ms"]) <= 130_620);
    assert!(u64_of(&segment["end_ms"]) >= 133_620);
    assert_eq!(segment["speaker"], "Adam Curry");
    assert!(str_of(&segment["text"]).contains("golf ball sized hail"));

    // Every word must match: a phrase that is in neither transcript finds nothing, and
    // operators are taken literally.
    let none = work.query(["search", "golf ball sized zeppelin"]);
    assert!(array(&none).is_empty(), "{none}");
    let literal = work.query(["search", "hail OR NOT \"*"]);
    assert!(array(&literal).is_empty(), "{literal}");
}

#[test]
fn entity_explain_and_mentions() {
    let work = seeded();
    let graph = work.graph();

    let entity = work.query(["entity", "Dave Jones", "--explain", "--mentions", "1000"]);
    assert_eq!(entity["entity"]["name"], "Dave Jones");
    assert_eq!(entity["entity"]["kind"], "person");
    let id = str_of(&entity["entity"]["id"]);
    assert_eq!(id, graph.person_id("Dave Jones"));

    // Each merged alias has a decision with its rule and reason.
    let aliases: BTreeSet<&str> = array(&entity["aliases"]).iter().map(str_of).collect();
    assert!(aliases.contains("Dave"), "{aliases:?}");
    let decisions = array(&entity["merge_decisions"]);
    let decided: BTreeSet<&str> = decisions.iter().map(|d| str_of(&d["alias"])).collect();
    assert_eq!(decided, aliases);
    for decision in decisions {
        assert!(!str_of(&decision["rule"]).is_empty(), "{decision}");
        assert!(str_of(&decision["reason"]).contains("Dave"), "{decision}");
    }

    // All mentions are listed, each pointing at its surface form in the episode text.
    let mentions = array(&entity["mentions"]);
    let node = graph.node(id).expect("the entity is exported");
    assert_eq!(
        mentions.len() as u64,
        u64_of(&entity["entity"]["mention_count"])
    );
    assert_eq!(
        node["properties"]["mention_count"],
        entity["entity"]["mention_count"]
    );
    let mut texts = BTreeMap::new();
    for mention in mentions {
        let episode = str_of(&mention["episode_id"]);
        let text = texts.entry(episode.to_owned()).or_insert_with(|| {
            let detail = work.query(["episode", episode, "--limit", "0"]);
            str_of(&detail["transcript"]["text"]).to_owned()
        });
        let span = &mention["span"];
        let (from, to) = (
            u64_of(&span["start"]) as usize,
            u64_of(&span["end"]) as usize,
        );
        assert_eq!(&text[from..to], str_of(&mention["surface"]), "{mention}");
        let surface = str_of(&mention["surface"]);
        assert!(
            surface == "Dave Jones" || aliases.contains(surface),
            "{mention}"
        );
        assert!(u64_of(&mention["start_ms"]) <= u64_of(&mention["end_ms"]));
    }

    // A name nobody has: a clear message and exit code 1.
    let run = work
        .run([
            "query",
            "--db",
            path(work.db()),
            "entity",
            "Nobody Anywhere",
        ])
        .expect_code(1);
    assert!(
        run.stderr.contains("no entity named \"Nobody Anywhere\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn quotes_by_speaker() {
    let work = seeded();
    let graph = work.graph();

    // `--speaker` matches the speaker label of the quote's segment exactly; each such
    // quote is SAID by the person of that name.
    let by_label: BTreeSet<&str> = graph
        .nodes_labelled("Quote")
        .filter(|quote| quote["properties"]["speaker"] == "Dave Jones")
        .map(|quote| str_of(&quote["id"]))
        .collect();
    assert!(!by_label.is_empty(), "Dave Jones said no quote");
    let dave = graph.person_id("Dave Jones");
    let said: BTreeSet<&str> = graph
        .relationships_of("SAID")
        .filter(|rel| rel["from"] == dave)
        .map(|rel| str_of(&rel["to"]))
        .collect();
    assert!(
        by_label.is_subset(&said),
        "{by_label:?} not all SAID by Dave Jones"
    );

    let quotes = work.query(["quotes", "--speaker", "Dave Jones", "--limit", "1000"]);
    let quotes = array(&quotes);
    let listed: BTreeSet<&str> = quotes.iter().map(|q| str_of(&q["id"])).collect();
    assert_eq!(listed, by_label);

    let ids = episode_ids(&work);
    let detail = work.query(["episode", ids[PC20_TITLE].as_str(), "--limit", "0"]);
    let segments = array(&detail["transcript"]["segments"]);
    let mut previous_score = f64::INFINITY;
    for quote in quotes {
        assert_eq!(quote["speaker"], "Dave Jones");
        let score = quote["score"].as_f64().expect("a score");
        assert!(score <= previous_score, "quotes are not best first");
        previous_score = score;
        // The quote is verbatim text of a segment of Dave Jones that covers its time.
        let text = str_of(&quote["text"]);
        let start = u64_of(&quote["start_ms"]);
        let inside = segments.iter().any(|s| {
            s["speaker"] == "Dave Jones"
                && str_of(&s["text"]).contains(text)
                && u64_of(&s["start_ms"]) <= start
                && start <= u64_of(&s["end_ms"])
        });
        assert_eq!(quote["episode_id"], ids[PC20_TITLE].as_str());
        assert!(
            inside,
            "quote not found in a segment of Dave Jones: {quote}"
        );
    }

    let nobody = work.query(["quotes", "--speaker", "Nobody Anywhere"]);
    assert!(array(&nobody).is_empty());
}

#[test]
fn neighbours_match_related_to() {
    let work = seeded();
    let graph = work.graph();
    let start = graph.person_id("Dave Jones");

    let related: BTreeMap<(&str, &str, &str), f64> = graph
        .relationships_of("RELATED_TO")
        .map(|rel| {
            let kind = str_of(&rel["properties"]["kind"]);
            let weight = rel["properties"]["weight"].as_f64().expect("a weight");
            ((str_of(&rel["from"]), str_of(&rel["to"]), kind), weight)
        })
        .collect();

    let neighbourhood = work.query(["neighbours", "Dave Jones", "--limit", "1000"]);
    let nodes = array(&neighbourhood["nodes"]);
    assert_eq!(nodes[0]["id"], start, "the start entity comes first");
    let node_ids: BTreeSet<&str> = nodes.iter().map(|n| str_of(&n["id"])).collect();
    assert_eq!(node_ids.len(), nodes.len(), "a node is listed twice");

    // Depth 1 reaches exactly the entities with a RELATED_TO relationship to the start.
    let adjacent: BTreeSet<&str> = related
        .keys()
        .filter_map(|&(from, to, _)| match (from == start, to == start) {
            (true, false) => Some(to),
            (false, true) => Some(from),
            _ => None,
        })
        .chain([start])
        .collect();
    assert_eq!(node_ids, adjacent);

    let edges = array(&neighbourhood["edges"]);
    assert!(!edges.is_empty());
    for edge in edges {
        let key = (
            str_of(&edge["source"]),
            str_of(&edge["target"]),
            str_of(&edge["kind"]),
        );
        assert!(
            node_ids.contains(key.0) && node_ids.contains(key.1),
            "{edge}"
        );
        let weight = related
            .get(&key)
            .unwrap_or_else(|| panic!("edge without RELATED_TO: {edge}"));
        let listed = edge["weight"].as_f64().expect("a weight");
        assert!(
            (listed - weight).abs() < 1e-3,
            "{edge}: export weight {weight}"
        );
    }

    // The limit caps the entities, the start included.
    let capped = work.query(["neighbours", "Dave Jones", "--limit", "3"]);
    assert_eq!(array(&capped["nodes"]).len(), 3.min(adjacent.len()));
}

#[test]
fn top_persons_by_mentions() {
    let work = seeded();
    let graph = work.graph();

    let top = work.query(["top", "--kind", "person", "--limit", "5"]);
    let top = array(&top);
    assert_eq!(top.len(), 5);
    let mut previous = u64::MAX;
    for entity in top {
        assert_eq!(entity["kind"], "person");
        let mentions = u64_of(&entity["mention_count"]);
        assert!(mentions <= previous, "not sorted by mentions: {top:?}");
        previous = mentions;
        let node = graph.node(str_of(&entity["id"])).expect("exported");
        assert!(
            node["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l == "Person"))
        );
        assert_eq!(node["properties"]["mention_count"], entity["mention_count"]);
    }
    let most = graph
        .nodes_labelled("Person")
        .map(|n| u64_of(&n["properties"]["mention_count"]))
        .max()
        .expect("persons exist");
    assert_eq!(u64_of(&top[0]["mention_count"]), most);

    let run = work
        .run(["query", "--db", path(work.db()), "top", "--kind", "planet"])
        .expect_code(1);
    assert!(
        run.stderr.contains("unknown entity kind \"planet\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("person, organization"),
        "{}",
        run.stderr
    );
}

#[test]
fn stats_match_export() {
    let work = seeded();
    let stats = work.stats();
    let graph = work.graph();

    let mut nodes: BTreeMap<String, u64> = BTreeMap::new();
    for node in &graph.nodes {
        for label in array(&node["labels"]) {
            *nodes.entry(str_of(label).to_owned()).or_default() += 1;
        }
    }
    let mut relationships: BTreeMap<String, u64> = BTreeMap::new();
    for rel in &graph.relationships {
        *relationships
            .entry(str_of(&rel["label"]).to_owned())
            .or_default() += 1;
    }
    // Stats list every label and type, zeros included; the export only what exists.
    for (label, count) in &stats.nodes {
        assert_eq!(nodes.get(label).copied().unwrap_or(0), *count, "{label}");
    }
    for (kind, count) in &stats.relationships {
        assert_eq!(
            relationships.get(kind).copied().unwrap_or(0),
            *count,
            "{kind}"
        );
    }
    assert_eq!(nodes.keys().collect::<BTreeSet<_>>(), {
        stats
            .nodes
            .iter()
            .filter(|(_, c)| **c > 0)
            .map(|(l, _)| l)
            .collect::<BTreeSet<_>>()
    });

    assert_eq!(stats.node("Podcast"), 1);
    assert_eq!(stats.node("Episode"), 2);
    assert_eq!(stats.node("Chapter"), 0);
    assert_eq!(stats.relationship("HAS_SEGMENT"), stats.node("Segment"));
    assert_eq!(stats.relationship("NEXT"), stats.node("Segment") - 2);
    assert_eq!(stats.relationship("SAID"), stats.node("Quote"));
}

#[test]
fn export_formats_parse() {
    let work = seeded();
    let jsonl = work.export("jsonl");
    let graph = Graph::parse(&jsonl);
    let node_ids: BTreeSet<&str> = graph.nodes.iter().map(|n| str_of(&n["id"])).collect();
    assert_eq!(node_ids.len(), graph.nodes.len(), "node ids are unique");
    for rel in &graph.relationships {
        assert!(node_ids.contains(str_of(&rel["from"])), "{rel}");
        assert!(node_ids.contains(str_of(&rel["to"])), "{rel}");
    }

    // The summary on standard error counts what was written.
    let mut command = work.command(["export", "--format", "graphml", "--db"]);
    command.arg(work.db());
    let run = work.run_command(command, support::SHORT).expect_code(0);
    let expected = format!(
        "exported {} nodes and {} relationships as graphml",
        graph.nodes.len(),
        graph.relationships.len()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    check_graphml(&run.stdout, &graph);

    // Cypher: constraints, then one UNWIND row per node and per relationship.
    let cypher = work.export("cypher");
    assert_eq!(cypher.matches("CREATE CONSTRAINT").count(), 8);
    let node_rows = cypher.lines().filter(|l| l.starts_with("  {id: '")).count();
    let rel_rows = cypher
        .lines()
        .filter(|l| l.starts_with("  {from: '"))
        .count();
    assert_eq!(node_rows, graph.nodes.len());
    assert_eq!(rel_rows, graph.relationships.len());
    for id in &node_ids {
        assert!(
            cypher.contains(&format!("{{id: '{id}'")),
            "node {id} missing"
        );
    }
    for statement in cypher.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let body = statement
            .lines()
            .filter(|l| !l.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            body.starts_with("CREATE CONSTRAINT")
                || body.starts_with("UNWIND [")
                || body.starts_with("MATCH (n:Entity) WHERE n.kind = 'person' SET n:Person"),
            "unexpected statement: {}",
            &body[..body.len().min(200)]
        );
    }

    // `--output` writes the same bytes as standard output.
    let file = work.join("graph.jsonl");
    let mut command = work.command(["export", "--db"]);
    command.arg(work.db()).arg("--output").arg(&file);
    let run = work.run_command(command, support::SHORT).expect_code(0);
    assert!(run.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&file).expect("read the export"),
        jsonl
    );

    let mut command = work.command(["export", "--format", "dot", "--db"]);
    command.arg(work.db());
    let run = work.run_command(command, support::SHORT).expect_code(1);
    assert!(
        run.stderr
            .contains("unknown export format \"dot\"; expected jsonl, cypher or graphml"),
        "{}",
        run.stderr
    );
}

/// Parses GraphML with quick-xml: one `<node>` per exported node, one `<edge>` per
/// relationship, each edge between declared nodes, and every `<data key>` declared.
fn check_graphml(xml: &str, graph: &Graph) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut keys = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut data_keys = BTreeSet::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) | Ok(Event::Empty(element)) => {
                let attribute = |name: &str| -> Option<String> {
                    element
                        .try_get_attribute(name)
                        .expect("valid attributes")
                        .map(|a| a.unescape_value().expect("valid value").into_owned())
                };
                match element.name().as_ref() {
                    b"key" => {
                        keys.insert(attribute("id").expect("key id"));
                    }
                    b"node" => {
                        nodes.insert(attribute("id").expect("node id"));
                    }
                    b"edge" => edges.push((
                        attribute("source").expect("edge source"),
                        attribute("target").expect("edge target"),
                    )),
                    b"data" => {
                        data_keys.insert(attribute("key").expect("data key"));
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => panic!(
                "invalid GraphML at byte {}: {error}",
                reader.error_position()
            ),
        }
    }
    assert_eq!(nodes.len(), graph.nodes.len());
    assert_eq!(edges.len(), graph.relationships.len());
    for (source, target) in &edges {
        assert!(
            nodes.contains(source) && nodes.contains(target),
            "{source} -> {target}"
        );
    }
    let undeclared: Vec<&String> = data_keys.difference(&keys).collect();
    assert!(undeclared.is_empty(), "undeclared keys {undeclared:?}");
}

#[test]
fn query_on_missing_database() {
    let work = Workspace::new();
    let missing = work.join("missing.db");
    let run = work
        .run(["query", "--db", path(&missing), "stats"])
        .expect_code(1);
    let expected = format!(
        "database {} does not exist; run `podgraph seed --db {}` first",
        missing.display(),
        missing.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(!missing.exists(), "the query created the database");

    let run = work.run(["export", "--db", path(&missing)]).expect_code(1);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[test]
fn neighbours_text_uses_singular_hop() {
    let work = seeded();
    let mut command = work.command(["query", "--db"]);
    command
        .arg(work.db())
        .args(["neighbours", "Dave Jones", "--depth", "1"]);
    let run = work.run_command(command, support::SHORT).expect_code(0);
    assert!(run.stdout.contains("within 1 hop\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("1 hops"), "{}", run.stdout);
}
