//! The data behind [`MemoryGraphStore`](super::MemoryGraphStore) and its write path.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use podgraph_core::model::{Entity, EntityKind, EpisodeGraph, Podcast};
use podgraph_core::provider::{EpisodeRecord, EpisodeStatus, WriteSummary};
use podgraph_core::{EntityId, EpisodeId, PodcastId};

use super::graph_model::{Fact, NodeLabel, episode_facts};
use crate::text::normalize_name;

/// An episode as stored: its graph with duplicates folded, and the facts it contributes.
pub(crate) struct StoredEpisode {
    pub(crate) graph: EpisodeGraph,
    pub(crate) facts: BTreeSet<Fact>,
}

/// An entry of the aliases table, used for resolution. It is kept after the entity node
/// is removed, so that a later episode resolves the same names to the same id.
pub(crate) struct KnownEntity {
    pub(crate) kind: EntityKind,
    pub(crate) name: String,
    pub(crate) aliases: BTreeSet<String>,
    /// Aliases merged by the episode-local `first-name` and `surname` rules: listed, but
    /// never used to match names of other episodes.
    pub(crate) local_aliases: BTreeSet<String>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) migrations: u64,
    pub(crate) podcasts: BTreeMap<PodcastId, Podcast>,
    pub(crate) episodes: BTreeMap<EpisodeId, StoredEpisode>,
    pub(crate) records: BTreeMap<EpisodeId, EpisodeRecord>,
    /// Entity nodes: entities listed by at least one stored episode, with the properties
    /// of the most recent write that listed them.
    pub(crate) entities: BTreeMap<EntityId, Entity>,
    /// The aliases table: every entity ever written, never pruned.
    pub(crate) known: BTreeMap<EntityId, KnownEntity>,
    /// Normalised names and aliases to the entities that carry them.
    pub(crate) name_index: BTreeMap<String, BTreeSet<EntityId>>,
}

impl State {
    /// Replaces the episode's subgraph with `graph`, which must be checked and folded.
    /// It cannot fail, so the store never contains half of a write.
    pub(crate) fn replace_episode(&mut self, graph: EpisodeGraph) -> WriteSummary {
        let facts = episode_facts(&graph);
        let episode_id = graph.episode.id;
        let previous = self.episodes.remove(&episode_id);

        // Facts of the old version that neither the new version nor another episode keeps.
        let removed: BTreeSet<Fact> = match &previous {
            Some(old) => old
                .facts
                .difference(&facts)
                .filter(|fact| {
                    !self
                        .episodes
                        .values()
                        .any(|other| other.facts.contains(fact))
                })
                .copied()
                .collect(),
            None => BTreeSet::new(),
        };

        self.podcasts
            .insert(graph.podcast.id, graph.podcast.clone());
        for entity in &graph.extraction.entities {
            self.entities.insert(entity.id, entity.clone());
            self.remember(entity);
        }
        // An entity node goes once no stored episode lists it, like its `Entity` fact.
        for fact in &removed {
            if let Fact::Node(NodeLabel::Entity, id) = fact {
                self.entities.remove(&EntityId::from_uuid(*id));
            }
        }

        self.records.insert(
            episode_id,
            EpisodeRecord {
                episode_id,
                podcast_id: graph.podcast.id,
                guid: super::present(graph.episode.guid.as_ref()),
                transcript_hash: Some(graph.transcript_hash.clone()),
                extractor_version: Some(graph.extractor_version.clone()),
                status: EpisodeStatus::Done,
                failed_stage: None,
                error: None,
                updated_at: Utc::now(),
                elapsed_ms: None,
            },
        );

        let summary = WriteSummary {
            nodes: count(facts.iter().filter(|f| f.is_distinct_node())),
            relationships: count(facts.iter().filter(|f| f.is_edge())),
            removed: count(
                removed
                    .iter()
                    .filter(|f| f.is_distinct_node() || f.is_edge()),
            ),
        };
        self.episodes
            .insert(episode_id, StoredEpisode { graph, facts });
        summary
    }

    /// Adds the entity's name, aliases and merged surface forms to the aliases table.
    fn remember(&mut self, entity: &Entity) {
        let names: Vec<&str> = std::iter::once(entity.name.as_str())
            .chain(entity.aliases.iter().map(String::as_str))
            .chain(entity.merges.iter().map(|m| m.alias.as_str()))
            .collect();

        let known = self.known.entry(entity.id).or_insert_with(|| KnownEntity {
            kind: entity.kind,
            name: entity.name.clone(),
            aliases: BTreeSet::new(),
            local_aliases: BTreeSet::new(),
        });
        known.kind = entity.kind;
        if known.name != entity.name {
            // The earlier canonical name stays resolvable and listed as an alias.
            let earlier = std::mem::replace(&mut known.name, entity.name.clone());
            if normalize_name(&earlier) != normalize_name(&entity.name) {
                known.aliases.insert(earlier);
            }
        }
        for alias in names.iter().skip(1) {
            if normalize_name(alias) != normalize_name(&entity.name) {
                known.aliases.insert((*alias).to_owned());
            }
        }

        let local: BTreeSet<&str> = entity
            .merges
            .iter()
            .filter(|m| EPISODE_LOCAL_RULES.contains(&m.rule.as_str()))
            .map(|m| m.alias.as_str())
            .collect();
        known
            .local_aliases
            .extend(local.iter().map(|alias| (*alias).to_owned()));

        for name in names.into_iter().filter(|name| !local.contains(name)) {
            let key = normalize_name(name);
            if !key.is_empty() {
                self.name_index.entry(key).or_default().insert(entity.id);
            }
        }
    }
}

/// Resolution rules whose evidence holds only within one episode.
pub(crate) const EPISODE_LOCAL_RULES: [&str; 2] = ["first-name", "surname"];

fn count<T>(items: impl Iterator<Item = T>) -> u64 {
    u64::try_from(items.count()).unwrap_or(u64::MAX)
}
