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

pub(super) const SEGMENTS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
CREATE (s:Segment {id: row.id, episode_id: $episode, gen: $gen})
SET s += row.props
CREATE (e)-[:HAS_SEGMENT {gen: $gen}]->(s)";

pub(super) const NEXT: &str = "
UNWIND $rows AS row
MATCH (a:Segment {id: row.from}), (b:Segment {id: row.to})
CREATE (a)-[:NEXT {gen: $gen}]->(b)";

pub(super) const CHAPTERS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
CREATE (c:Chapter {id: row.id, episode_id: $episode, gen: $gen})
SET c += row.props
CREATE (e)-[:HAS_CHAPTER {gen: $gen}]->(c)";

pub(super) const SPOKEN_BY: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment}), (n:Entity {id: row.person})
CREATE (s)-[:SPOKEN_BY {gen: $gen}]->(n)";

pub(super) const SEGMENT_MENTIONS: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment}), (n:Entity {id: row.entity})
CREATE (s)-[:MENTIONS {count: row.count, first_ms: row.first_ms, surfaces: row.surfaces,
                       span_starts: row.span_starts, span_ends: row.span_ends, gen: $gen}]->(n)";

// A new episode adds exactly its own mentions to each entity's totals, so the counts are
// updated in place instead of summed again over every episode. The entity's write lock is
// already held: the entity statement took it earlier in this transaction.
pub(super) const EPISODE_MENTIONS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MATCH (n:Entity {id: row.entity})
CREATE (e)-[:MENTIONS {count: row.count, first_ms: row.first_ms, gen: $gen}]->(n)
SET n.mention_count = n.mention_count + row.count,
    n.episode_count = n.episode_count + 1";

pub(super) const TOPICS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MERGE (t:Topic {id: row.id})
  ON CREATE SET t.phrase = row.phrase
CREATE (e)-[:DISCUSSES {weight: row.weight, rank: row.rank, gen: $gen}]->(t)";

pub(super) const GUESTS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS id
MATCH (n:Entity {id: id})
CREATE (n)-[:GUEST_OF {gen: $gen}]->(e)";

pub(super) const QUOTES: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment})
CREATE (q:Quote {id: row.id, episode_id: $episode, gen: $gen})
SET q += row.props
CREATE (q)-[:FROM_SEGMENT {gen: $gen}]->(s)
WITH q, row
WHERE row.person IS NOT NULL
MATCH (n:Entity {id: row.person})
CREATE (n)-[:SAID {gen: $gen}]->(q)";

pub(super) const INSIGHTS: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment})
CREATE (i:Insight {id: row.id, episode_id: $episode, gen: $gen})
SET i += row.props
CREATE (i)-[:FROM_SEGMENT {gen: $gen}]->(s)";

pub(super) const SUPPORTED_BY: &str = "
UNWIND $rows AS row
MATCH (i:Insight {id: row.insight}), (q:Quote {id: row.quote})
CREATE (i)-[:SUPPORTED_BY {gen: $gen}]->(q)";

pub(super) const ABOUT: &str = "
UNWIND $rows AS row
MATCH (i:Insight {id: row.insight}), (n:Entity {id: row.entity})
CREATE (i)-[:ABOUT {gen: $gen}]->(n)";
