//! Graph export: JSON lines, Cypher and GraphML.

mod common;

use std::collections::{HashMap, HashSet};

use common::{EpisodeBuilder, count, interview};
use podgraph_core::model::EntityKind;
use podgraph_core::provider::GraphStore;
use podgraph_store_sqlite::SqliteStore;
use podgraph_store_sqlite::export::{ExportFormat, ExportSummary};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;

/// Text that needs escaping in every format.
const TRICKY: &str = "It's a \"test\" \\ with <tags> & 'quotes'\r\nand a \u{1} control";

async fn sample_store() -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    let tricky = EpisodeBuilder::new("Show", "ep2")
        .title(TRICKY)
        .turn(Some("Dan"), 0, 1_000, TRICKY)
        .mention(0, EntityKind::Product, "Rust", "test")
        .build();
    store.write_episode(&tricky).await.unwrap();
    store
}

async fn export(store: &SqliteStore, format: ExportFormat) -> (String, ExportSummary) {
    let (bytes, summary) = store.export(format, Vec::new()).await.unwrap();
    (String::from_utf8(bytes).unwrap(), summary)
}

#[tokio::test]
async fn json_lines_parse_and_match_stats() {
    let store = sample_store().await;
    let (text, summary) = export(&store, ExportFormat::JsonLines).await;
    let stats = store.stats().await.unwrap();

    let mut labels: HashMap<String, u64> = HashMap::new();
    let mut node_ids = HashSet::new();
    let mut relationships = 0;
    for line in text.lines() {
        let object: Value = serde_json::from_str(line).unwrap();
        let label = object["label"].as_str().unwrap().to_owned();
        assert!(object["id"].is_string(), "{line}");
        assert!(object["properties"].is_object(), "{line}");
        match object["type"].as_str().unwrap() {
            "node" => {
                for extra in object["labels"].as_array().unwrap() {
                    *labels
                        .entry(extra.as_str().unwrap().to_owned())
                        .or_default() += 1;
                }
                node_ids.insert(object["id"].as_str().unwrap().to_owned());
            }
            "relationship" => {
                *labels.entry(label).or_default() += 1;
                relationships += 1;
                let from = object["from"].as_str().unwrap();
                let to = object["to"].as_str().unwrap();
                assert!(node_ids.contains(from), "{line}");
                assert!(node_ids.contains(to), "{line}");
            }
            other => panic!("unknown type {other}"),
        }
    }
    for (name, n) in stats.nodes.iter().chain(&stats.relationships) {
        assert_eq!(labels.get(name).copied().unwrap_or(0), *n, "{name}");
    }
    assert_eq!(summary.relationships, relationships);
    assert_eq!(summary.nodes, node_ids.len() as u64);

    let episode = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|o| o["properties"]["title"] == TRICKY)
        .unwrap();
    assert_eq!(episode["label"], "Episode");
    let quote = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|o| o["label"] == "Quote")
        .unwrap();
    assert_eq!(quote["properties"]["score"], serde_json::json!(0.9));
}

#[tokio::test]
async fn graphml_is_well_formed_with_declared_keys() {
    let store = sample_store().await;
    let (text, summary) = export(&store, ExportFormat::GraphMl).await;

    let mut reader = Reader::from_str(&text);
    let mut keys = HashSet::new();
    let mut used_keys = HashSet::new();
    let (mut nodes, mut edges) = (0, 0);
    let mut in_data = false;
    let mut titles = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) => {
                let attribute = |name: &[u8]| {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match e.name().as_ref() {
                    b"key" => {
                        keys.insert(attribute(b"id").unwrap());
                    }
                    b"node" => nodes += 1,
                    b"edge" => edges += 1,
                    b"data" => {
                        let key = attribute(b"key").unwrap();
                        in_data = key == "n_title";
                        used_keys.insert(key);
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_data => {
                titles.push(t.decode().unwrap().into_owned());
            }
            Event::GeneralRef(r) if in_data => {
                titles.push(format!("&{};", String::from_utf8_lossy(&r)));
            }
            Event::End(_) => in_data = false,
            _ => {}
        }
    }
    assert_eq!(nodes, summary.nodes);
    assert_eq!(edges, summary.relationships);
    assert!(
        used_keys.is_subset(&keys),
        "{:?}",
        used_keys.difference(&keys)
    );
    assert!(titles.iter().any(|t| t.contains("It")), "{titles:?}");
    assert!(!text.contains('\u{1}'), "control characters are replaced");
}

#[tokio::test]
async fn cypher_has_constraints_batches_and_escapes() {
    let store = sample_store().await;
    let (text, _) = export(&store, ExportFormat::Cypher).await;

    for label in [
        "Podcast", "Episode", "Segment", "Chapter", "Entity", "Topic", "Quote", "Insight",
    ] {
        let constraint = format!("FOR (n:{label}) REQUIRE n.id IS UNIQUE;");
        assert!(text.contains(&constraint), "{label}");
    }
    let first_merge = text.find("UNWIND").unwrap();
    assert!(text.rfind("CREATE CONSTRAINT").unwrap() < first_merge);
    assert!(text.contains("IF NOT EXISTS"));
    assert!(text.contains("MERGE (n:Entity {id: row.id}) SET n += row.props;"));
    assert!(text.contains("MERGE (a)-[r:MENTIONS]->(b) SET r += row.props;"));
    assert!(text.contains("MERGE (a)-[r:RELATED_TO {kind: row.key}]->(b)"));
    assert!(text.contains("SET n:Person;"));

    let escaped = r#"'It\'s a \"test\" \\ with <tags> & \'quotes\'\r\nand a \u0001 control'"#;
    assert!(text.contains(escaped), "escaped title missing");
    assert!(
        !text.contains("It's a"),
        "an unescaped quote ends the literal"
    );
    // Every statement ends with a semicolon on its own line ending.
    assert!(text.trim_end().ends_with(';'));
}

#[tokio::test]
async fn exports_of_equal_graphs_are_byte_identical() {
    let first = sample_store().await;

    // The same episodes written in the other order, one of them twice.
    let second = SqliteStore::open_in_memory().unwrap();
    let tricky = EpisodeBuilder::new("Show", "ep2")
        .title(TRICKY)
        .turn(Some("Dan"), 0, 1_000, TRICKY)
        .mention(0, EntityKind::Product, "Rust", "test")
        .build();
    second.write_episode(&tricky).await.unwrap();
    second
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    second.write_episode(&tricky).await.unwrap();

    for format in [
        ExportFormat::JsonLines,
        ExportFormat::Cypher,
        ExportFormat::GraphMl,
    ] {
        let (a, _) = export(&first, format).await;
        let (again, _) = export(&first, format).await;
        let (b, _) = export(&second, format).await;
        assert_eq!(a, again, "{format:?} twice");
        assert_eq!(a, b, "{format:?} of equal graphs");
    }
}

#[tokio::test]
async fn empty_store_exports_valid_documents() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (jsonl, summary) = export(&store, ExportFormat::JsonLines).await;
    assert!(jsonl.is_empty());
    assert_eq!(summary, ExportSummary::default());
    let (graphml, _) = export(&store, ExportFormat::GraphMl).await;
    assert!(graphml.trim_end().ends_with("</graphml>"));
    let (cypher, _) = export(&store, ExportFormat::Cypher).await;
    assert!(cypher.contains("CREATE CONSTRAINT"));
    assert_eq!(count(&store.stats().await.unwrap(), "Episode"), 0);
}

#[tokio::test]
async fn cypher_batches_large_groups() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&common::long_episode("Show", "long", 1_200, 1))
        .await
        .unwrap();
    let (text, _) = export(&store, ExportFormat::Cypher).await;
    let segment_batches = text.matches("MERGE (n:Segment {id: row.id})").count();
    assert_eq!(segment_batches, 3, "1200 segments in batches of 500");
}
