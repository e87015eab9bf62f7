//! The graph model as countable facts: which nodes and relationships one [`EpisodeGraph`]
//! contributes, following the table in the `podgraph_core::model` docs.
//!
//! Every store reports `GraphStore::stats` by these rules, so [`expected_stats`] gives the
//! counts any store must report after writing a set of graphs. The rules, beyond that
//! table:
//!
//! - A node or relationship is counted once however many episodes contribute it: entities
//!   and topics are global, so two episodes that list the same entity give one `Entity`.
//! - An entity exists while at least one stored episode lists it in
//!   [`Extraction::entities`](podgraph_core::model::Extraction::entities). Entities of kind
//!   `person` are counted under both `Entity` and `Person`.
//! - `HOSTS` and `GUEST_OF` come from the `podcast:person` entries of the podcast and the
//!   episode. The person is the entity with id `EntityId::derive("person", name)`, and the
//!   relationship exists only when the episode's extraction lists that entity.
//! - `SPOKEN_BY` and `SAID` use [`Extraction::speakers`](podgraph_core::model::Extraction::speakers):
//!   a segment or quote whose speaker has no entry there has no such relationship.
//! - `MENTIONS` counts distinct (segment, entity) pairs plus distinct (episode, entity)
//!   pairs; `RELATED_TO` counts distinct (source, target, kind) triples over all episodes.

use std::collections::{BTreeMap, BTreeSet};

use podgraph_core::EntityId;
use podgraph_core::EpisodeId;
use podgraph_core::ids::ChapterId;
use podgraph_core::model::{EntityKind, EpisodeGraph, RelationKind};
use podgraph_core::provider::GraphStats;
use uuid::Uuid;

use super::validate::fold_duplicates;

/// Node labels, in the order `stats` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeLabel {
    /// A podcast.
    Podcast,
    /// An episode.
    Episode,
    /// A transcript segment.
    Segment,
    /// A chapter.
    Chapter,
    /// An entity of any kind.
    Entity,
    /// An entity of kind person; the same node also has the `Entity` label.
    Person,
    /// A topic phrase.
    Topic,
    /// A quote.
    Quote,
    /// An insight.
    Insight,
}

impl NodeLabel {
    /// Every label, in report order.
    pub const ALL: [Self; 9] = [
        Self::Podcast,
        Self::Episode,
        Self::Segment,
        Self::Chapter,
        Self::Entity,
        Self::Person,
        Self::Topic,
        Self::Quote,
        Self::Insight,
    ];

    /// Returns the label as stores write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Podcast => "Podcast",
            Self::Episode => "Episode",
            Self::Segment => "Segment",
            Self::Chapter => "Chapter",
            Self::Entity => "Entity",
            Self::Person => "Person",
            Self::Topic => "Topic",
            Self::Quote => "Quote",
            Self::Insight => "Insight",
        }
    }
}

/// Relationship types, in the order `stats` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationshipType {
    /// Podcast to episode.
    HasEpisode,
    /// Episode to segment.
    HasSegment,
    /// Segment to the following segment of the same episode.
    Next,
    /// Episode to chapter.
    HasChapter,
    /// Segment to the person who speaks it.
    SpokenBy,
    /// Person to the podcast they host.
    Hosts,
    /// Person to the episode they are a guest of.
    GuestOf,
    /// Segment or episode to an entity it mentions.
    Mentions,
    /// Episode to topic.
    Discusses,
    /// Person to a quote spoken by them.
    Said,
    /// Quote or insight to its segment.
    FromSegment,
    /// Insight to the quote that supports it.
    SupportedBy,
    /// Insight to an entity it is about.
    About,
    /// Entity to entity.
    RelatedTo,
}

impl RelationshipType {
    /// Every type, in report order.
    pub const ALL: [Self; 14] = [
        Self::HasEpisode,
        Self::HasSegment,
        Self::Next,
        Self::HasChapter,
        Self::SpokenBy,
        Self::Hosts,
        Self::GuestOf,
        Self::Mentions,
        Self::Discusses,
        Self::Said,
        Self::FromSegment,
        Self::SupportedBy,
        Self::About,
        Self::RelatedTo,
    ];

    /// Returns the type as stores write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HasEpisode => "HAS_EPISODE",
            Self::HasSegment => "HAS_SEGMENT",
            Self::Next => "NEXT",
            Self::HasChapter => "HAS_CHAPTER",
            Self::SpokenBy => "SPOKEN_BY",
            Self::Hosts => "HOSTS",
            Self::GuestOf => "GUEST_OF",
            Self::Mentions => "MENTIONS",
            Self::Discusses => "DISCUSSES",
            Self::Said => "SAID",
            Self::FromSegment => "FROM_SEGMENT",
            Self::SupportedBy => "SUPPORTED_BY",
            Self::About => "ABOUT",
            Self::RelatedTo => "RELATED_TO",
        }
    }
}

/// One node label on a node, or one relationship, identified by the ids it connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Fact {
    Node(NodeLabel, Uuid),
    Edge(RelationshipType, Uuid, Uuid, Option<RelationKind>),
}

impl Fact {
    /// Checks whether this fact is a node of its own. The `Person` label is a second label
    /// of an `Entity` node, so it is not.
    pub(crate) fn is_distinct_node(&self) -> bool {
        matches!(self, Self::Node(label, _) if *label != NodeLabel::Person)
    }

    pub(crate) fn is_edge(&self) -> bool {
        matches!(self, Self::Edge(..))
    }
}

/// Lists the facts one graph contributes. Expects a graph whose duplicates were folded.
pub(crate) fn episode_facts(graph: &EpisodeGraph) -> BTreeSet<Fact> {
    use NodeLabel as N;
    use RelationshipType as R;

    let mut facts = BTreeSet::new();
    let mut node = |label, id: Uuid| facts.insert(Fact::Node(label, id));
    let podcast = *graph.podcast.id.as_uuid();
    let episode = *graph.episode.id.as_uuid();
    let extraction = &graph.extraction;
    node(N::Podcast, podcast);
    node(N::Episode, episode);

    let mut edges = BTreeSet::new();
    let mut edge = |rel, from: Uuid, to: Uuid| edges.insert(Fact::Edge(rel, from, to, None));
    edge(R::HasEpisode, podcast, episode);

    let segments = &graph.transcript.segments;
    for segment in segments {
        node(N::Segment, *segment.id.as_uuid());
        edge(R::HasSegment, episode, *segment.id.as_uuid());
        let person = segment
            .speaker
            .as_ref()
            .and_then(|s| extraction.speakers.get(s));
        if let Some(person) = person {
            edge(R::SpokenBy, *segment.id.as_uuid(), *person.as_uuid());
        }
    }
    let mut ordered: Vec<_> = segments.iter().collect();
    ordered.sort_by_key(|segment| segment.index);
    for pair in ordered.windows(2) {
        if let [current, next] = pair {
            edge(R::Next, *current.id.as_uuid(), *next.id.as_uuid());
        }
    }

    for chapter in &graph.chapters {
        let id = *ChapterId::derive(graph.episode.id, chapter.start_ms).as_uuid();
        node(N::Chapter, id);
        edge(R::HasChapter, episode, id);
    }

    let mut listed: BTreeSet<EntityId> = BTreeSet::new();
    for entity in &extraction.entities {
        listed.insert(entity.id);
        node(N::Entity, *entity.id.as_uuid());
        if entity.kind == EntityKind::Person {
            node(N::Person, *entity.id.as_uuid());
        }
    }

    let persons = graph.podcast.persons.iter().chain(&graph.episode.persons);
    for person in persons {
        let id = EntityId::derive(EntityKind::Person.as_str(), &person.name);
        if !listed.contains(&id) {
            continue;
        }
        if person.role.eq_ignore_ascii_case("host") {
            edge(R::Hosts, *id.as_uuid(), podcast);
        } else if person.role.eq_ignore_ascii_case("guest") {
            edge(R::GuestOf, *id.as_uuid(), episode);
        }
    }

    for mention in &extraction.mentions {
        let entity = *mention.entity_id.as_uuid();
        edge(R::Mentions, *mention.evidence.segment_id.as_uuid(), entity);
        edge(R::Mentions, episode, entity);
    }

    for topic in &extraction.topics {
        node(N::Topic, *topic.id.as_uuid());
        edge(R::Discusses, episode, *topic.id.as_uuid());
    }

    for quote in &extraction.quotes {
        let id = *quote.id.as_uuid();
        node(N::Quote, id);
        edge(R::FromSegment, id, *quote.evidence.segment_id.as_uuid());
        let person = quote
            .evidence
            .speaker
            .as_ref()
            .and_then(|s| extraction.speakers.get(s));
        if let Some(person) = person {
            edge(R::Said, *person.as_uuid(), id);
        }
    }

    for insight in &extraction.insights {
        let id = *insight.id.as_uuid();
        node(N::Insight, id);
        edge(R::FromSegment, id, *insight.evidence.segment_id.as_uuid());
        if let Some(quote) = insight.quote_id {
            edge(R::SupportedBy, id, *quote.as_uuid());
        }
        for entity in &insight.about {
            edge(R::About, id, *entity.as_uuid());
        }
    }

    for relationship in &extraction.relationships {
        edges.insert(Fact::Edge(
            R::RelatedTo,
            *relationship.source.as_uuid(),
            *relationship.target.as_uuid(),
            Some(relationship.kind),
        ));
    }

    facts.append(&mut edges);
    facts
}

/// Counts the union of several episodes' facts by label and type, in report order, with
/// zero counts included.
pub(crate) fn count_facts<'a>(
    episodes: impl IntoIterator<Item = &'a BTreeSet<Fact>>,
) -> GraphStats {
    let mut union: BTreeSet<Fact> = BTreeSet::new();
    for facts in episodes {
        union.extend(facts.iter().copied());
    }

    let mut nodes: BTreeMap<NodeLabel, u64> = BTreeMap::new();
    let mut relationships: BTreeMap<RelationshipType, u64> = BTreeMap::new();
    for fact in &union {
        match fact {
            Fact::Node(label, _) => *nodes.entry(*label).or_default() += 1,
            Fact::Edge(rel, ..) => *relationships.entry(*rel).or_default() += 1,
        }
    }

    GraphStats {
        nodes: NodeLabel::ALL
            .iter()
            .map(|label| {
                (
                    label.as_str().to_owned(),
                    nodes.get(label).copied().unwrap_or(0),
                )
            })
            .collect(),
        relationships: RelationshipType::ALL
            .iter()
            .map(|rel| {
                (
                    rel.as_str().to_owned(),
                    relationships.get(rel).copied().unwrap_or(0),
                )
            })
            .collect(),
    }
}

/// The counts a store must report from `stats` after writing `graphs` (and nothing else)
/// with `write_episode`.
///
/// Graphs are taken in write order: a later graph of the same episode replaces the earlier
/// one, as it does in a store. Duplicates inside a graph are folded as a store's unique
/// keys fold them.
pub fn expected_stats<'a>(graphs: impl IntoIterator<Item = &'a EpisodeGraph>) -> GraphStats {
    let mut latest: BTreeMap<EpisodeId, &EpisodeGraph> = BTreeMap::new();
    for graph in graphs {
        latest.insert(graph.episode.id, graph);
    }
    let facts: Vec<BTreeSet<Fact>> = latest
        .values()
        .map(|graph| episode_facts(&fold_duplicates(graph)))
        .collect();
    count_facts(&facts)
}
