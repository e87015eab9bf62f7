//! Statements of an episode's first write, which create what the episode owns instead of
//! merging it.
//!
//! When the episode node did not exist before the transaction, neither did its segments,
//! chapters, quotes and insights (their ids derive from the episode id) nor any
//! relationship that starts or ends at one of them or at the episode. `CREATE` then writes
//! exactly what `MERGE` would, without the per-row lookup of an existing node or
//! relationship. The row lists are unique on each relationship's end points (see
//! `rows.rs`), so no relationship is created twice. Shared nodes (podcast, entities,
//! aliases, topics) and shared relationships (`HOSTS`, `RELATED_TO`) are still merged on
//! their constrained keys, with the statements in `mod.rs`.
//!
//! Relationships created here carry no `gen` property: a missing `gen` means generation
//! 1, the first write, and the statements that find stale relationships read it as such.
//! That leaves most relationships of a first write without any property record.
//!
//! The node statements name each property instead of setting the row's `props` map
//! with `+=`. A map of unknown keys makes the planner add `Eager` operators, which
//! collect every row of the batch before the next step. Named keys keep the plan
//! streaming. A test checks that the statements name every key that `rows.rs` builds.

pub(super) const SEGMENTS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
CREATE (s:Segment {id: row.id, episode_id: $episode, gen: $gen, idx: row.props.idx,
                   start_ms: row.props.start_ms, end_ms: row.props.end_ms,
                   speaker: row.props.speaker, text: row.props.text,
                   span_start: row.props.span_start, span_end: row.props.span_end,
                   chapter: row.props.chapter})
CREATE (e)-[:HAS_SEGMENT]->(s)";

pub(super) const NEXT: &str = "
UNWIND $rows AS row
MATCH (a:Segment {id: row.from}), (b:Segment {id: row.to})
CREATE (a)-[:NEXT]->(b)";

pub(super) const CHAPTERS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
CREATE (c:Chapter {id: row.id, episode_id: $episode, gen: $gen,
                   start_ms: row.props.start_ms, end_ms: row.props.end_ms,
                   title: row.props.title, url: row.props.url, img: row.props.img,
                   toc: row.props.toc, source: row.props.source,
                   extra_json: row.props.extra_json})
CREATE (e)-[:HAS_CHAPTER]->(c)";

pub(super) const SPOKEN_BY: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment}), (n:Entity {id: row.person})
CREATE (s)-[:SPOKEN_BY]->(n)";

pub(super) const SEGMENT_MENTIONS: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment}), (n:Entity {id: row.entity})
CREATE (s)-[:MENTIONS {count: row.count, first_ms: row.first_ms, surfaces: row.surfaces,
                       span_starts: row.span_starts, span_ends: row.span_ends}]->(n)";

// A new episode adds exactly its own mentions to each entity's totals, so the counts are
// updated in place instead of summed again over every episode. The entity's write lock is
// already held: the entity statement took it earlier in this transaction.
pub(super) const EPISODE_MENTIONS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MATCH (n:Entity {id: row.entity})
CREATE (e)-[:MENTIONS {count: row.count, first_ms: row.first_ms}]->(n)
SET n.mention_count = n.mention_count + row.count,
    n.episode_count = n.episode_count + 1";

pub(super) const TOPICS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MERGE (t:Topic {id: row.id})
  ON CREATE SET t.phrase = row.phrase
CREATE (e)-[:DISCUSSES {weight: row.weight, rank: row.rank}]->(t)";

pub(super) const GUESTS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS id
MATCH (n:Entity {id: id})
CREATE (n)-[:GUEST_OF]->(e)";

pub(super) const QUOTES: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment})
CREATE (q:Quote {id: row.id, episode_id: $episode, gen: $gen, text: row.props.text,
                 score: row.props.score, speaker: row.props.speaker,
                 segment_id: row.props.segment_id, start_ms: row.props.start_ms,
                 end_ms: row.props.end_ms, span_start: row.props.span_start,
                 span_end: row.props.span_end})
CREATE (q)-[:FROM_SEGMENT]->(s)
WITH q, row
WHERE row.person IS NOT NULL
MATCH (n:Entity {id: row.person})
CREATE (n)-[:SAID]->(q)";

pub(super) const INSIGHTS: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment})
CREATE (i:Insight {id: row.id, episode_id: $episode, gen: $gen, kind: row.props.kind,
                   text: row.props.text, speaker: row.props.speaker,
                   segment_id: row.props.segment_id, start_ms: row.props.start_ms,
                   end_ms: row.props.end_ms, span_start: row.props.span_start,
                   span_end: row.props.span_end})
CREATE (i)-[:FROM_SEGMENT]->(s)";

pub(super) const SUPPORTED_BY: &str = "
UNWIND $rows AS row
MATCH (i:Insight {id: row.insight}), (q:Quote {id: row.quote})
CREATE (i)-[:SUPPORTED_BY]->(q)";

pub(super) const ABOUT: &str = "
UNWIND $rows AS row
MATCH (i:Insight {id: row.insight}), (n:Entity {id: row.entity})
CREATE (i)-[:ABOUT]->(n)";

#[cfg(test)]
mod tests {
    use podgraph_core::model::{EntityKind, InsightKind};
    use podgraph_mocks::builder::EpisodeGraphBuilder;
    use serde_json::Value;

    use super::{CHAPTERS, INSIGHTS, QUOTES, SEGMENTS};
    use crate::write::rows;

    /// Returns the keys of the `props` maps of `rows`.
    fn prop_keys(rows: &[Value]) -> Vec<String> {
        let mut keys: Vec<String> = rows
            .iter()
            .filter_map(|row| row["props"].as_object())
            .flat_map(|props| props.keys().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn create_statements_name_every_property() {
        let graph = EpisodeGraphBuilder::new("Rust Talk", "ep-1")
            .segment("Alice", "Serde and Rust go well together.")
            .chapter(0, "Intro")
            .entity(EntityKind::Product, "Rust")
            .quote("Serde and Rust go well together.", 0.6)
            .insight(
                InsightKind::Claim,
                "Serde suits Rust.",
                "Serde and Rust go well together.",
                &["Rust"],
            )
            .build()
            .unwrap();
        let rows = rows::build(&graph);
        let cases: [(&str, &[Value], &str); 4] = [
            ("segments", &rows.segments, SEGMENTS),
            ("chapters", &rows.chapters, CHAPTERS),
            ("quotes", &rows.quotes, QUOTES),
            ("insights", &rows.insights, INSIGHTS),
        ];
        for (name, list, statement) in cases {
            let keys = prop_keys(list);
            assert!(!keys.is_empty(), "the sample graph has no {name}");
            for key in keys {
                let named = format!("{key}: row.props.{key}");
                assert!(
                    statement.contains(&named),
                    "the {name} statement lacks `{named}`"
                );
            }
        }
    }
}
