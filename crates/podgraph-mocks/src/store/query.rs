//! Listings and lookups of the memory store, each in the order its trait method documents.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use podgraph_core::model::EntityKind;
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeSummary, MentionRecord,
    Page, PageRequest, PodcastSummary, QuoteFilter, QuoteRecord,
};
use podgraph_core::{EntityId, EpisodeId, PodcastId, ProviderResult, QuoteId, SegmentId};

use super::cursor::{CursorKey, paginate};
use super::state::State;
use crate::text::normalize_name;

/// Mention and episode counts of one entity over the stored episodes.
#[derive(Clone, Debug, Default)]
pub(crate) struct MentionCounts {
    pub(crate) mentions: u64,
    pub(crate) episodes: BTreeSet<EpisodeId>,
}

fn parse_date(field: &str) -> Option<Option<DateTime<Utc>>> {
    if field == "none" {
        return Some(None);
    }
    DateTime::parse_from_rfc3339(field)
        .ok()
        .map(|date| Some(date.with_timezone(&Utc)))
}

fn format_date(date: Option<&DateTime<Utc>>) -> String {
    date.map_or_else(
        || "none".to_owned(),
        |date| date.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
    )
}

/// Podcasts: by title ignoring case, then id.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct PodcastOrder {
    title: String,
    id: PodcastId,
}

impl CursorKey for PodcastOrder {
    const TAG: &'static str = "podcasts";

    fn to_fields(&self) -> Vec<String> {
        vec![self.title.clone(), self.id.to_string()]
    }

    fn from_fields(fields: &[String]) -> Option<Self> {
        match fields {
            [title, id] => Some(Self {
                title: title.clone(),
                id: id.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// Episodes: newest first, undated last, then id.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct EpisodeOrder {
    newest_first: Reverse<Option<DateTime<Utc>>>,
    id: EpisodeId,
}

impl CursorKey for EpisodeOrder {
    const TAG: &'static str = "episodes";

    fn to_fields(&self) -> Vec<String> {
        vec![
            format_date(self.newest_first.0.as_ref()),
            self.id.to_string(),
        ]
    }

    fn from_fields(fields: &[String]) -> Option<Self> {
        match fields {
            [published, id] => Some(Self {
                newest_first: Reverse(parse_date(published)?),
                id: id.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// Entities: most mentioned first, then id.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct EntityOrder {
    most_mentioned: Reverse<u64>,
    id: EntityId,
}

impl CursorKey for EntityOrder {
    const TAG: &'static str = "entities";

    fn to_fields(&self) -> Vec<String> {
        vec![self.most_mentioned.0.to_string(), self.id.to_string()]
    }

    fn from_fields(fields: &[String]) -> Option<Self> {
        match fields {
            [count, id] => Some(Self {
                most_mentioned: Reverse(count.parse().ok()?),
                id: id.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// Mentions of one entity: by publication date (oldest first, undated last), then episode,
/// then position in the episode text.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct MentionOrder {
    undated: bool,
    published: Option<DateTime<Utc>>,
    episode: EpisodeId,
    start: usize,
    end: usize,
    segment: SegmentId,
}

impl CursorKey for MentionOrder {
    const TAG: &'static str = "mentions";

    fn to_fields(&self) -> Vec<String> {
        vec![
            format_date(self.published.as_ref()),
            self.episode.to_string(),
            self.start.to_string(),
            self.end.to_string(),
            self.segment.to_string(),
        ]
    }

    fn from_fields(fields: &[String]) -> Option<Self> {
        match fields {
            [published, episode, start, end, segment] => {
                let published = parse_date(published)?;
                Some(Self {
                    undated: published.is_none(),
                    published,
                    episode: episode.parse().ok()?,
                    start: start.parse().ok()?,
                    end: end.parse().ok()?,
                    segment: segment.parse().ok()?,
                })
            }
            _ => None,
        }
    }
}

/// A quote score ordered by `f32::total_cmp`; stored scores are finite.
#[derive(Clone, Copy, PartialEq)]
struct Score(f32);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Quotes: best score first, then id.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct QuoteOrder {
    best_first: Reverse<Score>,
    id: QuoteId,
}

impl CursorKey for QuoteOrder {
    const TAG: &'static str = "quotes";

    fn to_fields(&self) -> Vec<String> {
        vec![
            self.best_first.0.0.to_bits().to_string(),
            self.id.to_string(),
        ]
    }

    fn from_fields(fields: &[String]) -> Option<Self> {
        match fields {
            [bits, id] => Some(Self {
                best_first: Reverse(Score(f32::from_bits(bits.parse().ok()?))),
                id: id.parse().ok()?,
            }),
            _ => None,
        }
    }
}

impl State {
    /// Counts the mentions and mentioning episodes of every mentioned entity.
    pub(crate) fn mention_counts(&self) -> BTreeMap<EntityId, MentionCounts> {
        let mut counts: BTreeMap<EntityId, MentionCounts> = BTreeMap::new();
        for (episode_id, stored) in &self.episodes {
            for mention in &stored.graph.extraction.mentions {
                let entry = counts.entry(mention.entity_id).or_default();
                entry.mentions = entry.mentions.saturating_add(1);
                entry.episodes.insert(*episode_id);
            }
        }
        counts
    }

    /// Builds the listing summary of an entity node, or `None` when no stored episode
    /// lists it.
    pub(crate) fn entity_summary(
        &self,
        id: EntityId,
        counts: &BTreeMap<EntityId, MentionCounts>,
    ) -> Option<EntitySummary> {
        let entity = self.entities.get(&id)?;
        let counted = counts.get(&id);
        Some(EntitySummary {
            id,
            kind: entity.kind,
            name: entity.name.clone(),
            mention_count: counted.map_or(0, |c| c.mentions),
            episode_count: counted
                .map_or(0, |c| u64::try_from(c.episodes.len()).unwrap_or(u64::MAX)),
        })
    }

    pub(crate) fn aliases_of(&self, id: EntityId) -> Vec<String> {
        self.known
            .get(&id)
            .map(|known| known.aliases.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn resolve_candidates(&self, names: &[String]) -> Vec<CandidateEntity> {
        let mut ids: BTreeSet<EntityId> = BTreeSet::new();
        for name in names {
            let key = normalize_name(name);
            if let Some(matched) = self.name_index.get(&key) {
                ids.extend(matched.iter().copied());
            }
        }

        let counts = self.mention_counts();
        let mut candidates: Vec<CandidateEntity> = ids
            .into_iter()
            .filter_map(|id| {
                let known = self.known.get(&id)?;
                Some(CandidateEntity {
                    id,
                    kind: known.kind,
                    name: known.name.clone(),
                    aliases: known
                        .aliases
                        .difference(&known.local_aliases)
                        .cloned()
                        .collect(),
                    mention_count: counts.get(&id).map_or(0, |c| c.mentions),
                })
            })
            .collect();
        candidates.sort_by(|a, b| b.mention_count.cmp(&a.mention_count).then(a.id.cmp(&b.id)));
        candidates
    }

    pub(crate) fn podcasts_page(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>> {
        let mut episode_counts: BTreeMap<PodcastId, u64> = BTreeMap::new();
        for stored in self.episodes.values() {
            *episode_counts.entry(stored.graph.podcast.id).or_default() += 1;
        }
        let items = self
            .podcasts
            .values()
            .map(|podcast| {
                let order = PodcastOrder {
                    title: podcast.title.to_lowercase(),
                    id: podcast.id,
                };
                let summary = PodcastSummary {
                    id: podcast.id,
                    title: podcast.title.clone(),
                    feed_url: super::present(podcast.feed_url.as_ref()),
                    episode_count: episode_counts.get(&podcast.id).copied().unwrap_or(0),
                };
                (order, summary)
            })
            .collect();
        paginate(items, page, "store.podcasts")
    }

    pub(crate) fn episodes_page(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>> {
        let items = self
            .episodes
            .values()
            .map(|stored| &stored.graph)
            .filter(|graph| podcast.is_none_or(|id| graph.podcast.id == id))
            .map(|graph| {
                let published = graph.episode.published.map(|date| date.with_timezone(&Utc));
                let order = EpisodeOrder {
                    newest_first: Reverse(published),
                    id: graph.episode.id,
                };
                let summary = EpisodeSummary {
                    id: graph.episode.id,
                    podcast_id: graph.podcast.id,
                    title: graph.episode.title.clone(),
                    published,
                    segment_count: u64::try_from(graph.transcript.segments.len())
                        .unwrap_or(u64::MAX),
                    speakers: speakers_in_order(graph),
                };
                (order, summary)
            })
            .collect();
        paginate(items, page, "store.episodes")
    }

    pub(crate) fn entities_page(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>> {
        let prefix = filter.name.as_deref().map(normalize_name);
        let counts = self.mention_counts();
        let items = self
            .entities
            .keys()
            .filter(|id| self.entity_matches(**id, filter.kind, prefix.as_deref()))
            .filter_map(|id| self.entity_summary(*id, &counts))
            .map(|summary| {
                let order = EntityOrder {
                    most_mentioned: Reverse(summary.mention_count),
                    id: summary.id,
                };
                (order, summary)
            })
            .collect();
        paginate(items, page, "store.entities")
    }

    fn entity_matches(&self, id: EntityId, kind: Option<EntityKind>, prefix: Option<&str>) -> bool {
        let Some(entity) = self.entities.get(&id) else {
            return false;
        };
        if kind.is_some_and(|kind| kind != entity.kind) {
            return false;
        }
        let Some(prefix) = prefix else {
            return true;
        };
        let aliases = self.known.get(&id).map(|known| &known.aliases);
        std::iter::once(&entity.name)
            .chain(aliases.into_iter().flatten())
            .any(|name| normalize_name(name).starts_with(prefix))
    }

    pub(crate) fn entity_detail(&self, id: EntityId) -> Option<EntityDetail> {
        let summary = self.entity_summary(id, &self.mention_counts())?;
        Some(EntityDetail {
            summary,
            aliases: self.aliases_of(id),
        })
    }

    pub(crate) fn mentions_page(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>> {
        let mut items = Vec::new();
        for stored in self.episodes.values() {
            let graph = &stored.graph;
            let published = graph.episode.published.map(|date| date.with_timezone(&Utc));
            for mention in graph
                .extraction
                .mentions
                .iter()
                .filter(|m| m.entity_id == entity)
            {
                let evidence = &mention.evidence;
                let segment = graph
                    .transcript
                    .segments
                    .iter()
                    .find(|segment| segment.id == evidence.segment_id);
                let order = MentionOrder {
                    undated: published.is_none(),
                    published,
                    episode: graph.episode.id,
                    start: evidence.span.start,
                    end: evidence.span.end,
                    segment: evidence.segment_id,
                };
                let record = MentionRecord {
                    entity_id: entity,
                    episode_id: graph.episode.id,
                    episode_title: graph.episode.title.clone(),
                    segment_id: evidence.segment_id,
                    speaker: super::present(
                        segment
                            .and_then(|s| s.speaker.as_ref())
                            .or(evidence.speaker.as_ref()),
                    ),
                    start_ms: segment.map_or(evidence.start_ms, |s| s.start_ms),
                    end_ms: segment.map_or(evidence.end_ms, |s| s.end_ms),
                    surface: mention.surface.clone(),
                    span: evidence.span,
                };
                items.push((order, record));
            }
        }
        paginate(items, page, "store.mentions")
    }

    pub(crate) fn quotes_page(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>> {
        let mut items = Vec::new();
        for stored in self.episodes.values() {
            let graph = &stored.graph;
            if filter.episode.is_some_and(|id| id != graph.episode.id) {
                continue;
            }
            let mentioning: HashSet<SegmentId> = match filter.entity {
                Some(entity) => graph
                    .extraction
                    .mentions
                    .iter()
                    .filter(|m| m.entity_id == entity)
                    .map(|m| m.evidence.segment_id)
                    .collect(),
                None => HashSet::new(),
            };
            for quote in &graph.extraction.quotes {
                let evidence = &quote.evidence;
                if filter.entity.is_some() && !mentioning.contains(&evidence.segment_id) {
                    continue;
                }
                if filter
                    .speaker
                    .as_ref()
                    .is_some_and(|speaker| evidence.speaker.as_ref() != Some(speaker))
                {
                    continue;
                }
                let order = QuoteOrder {
                    best_first: Reverse(Score(quote.score)),
                    id: quote.id,
                };
                let record = QuoteRecord {
                    id: quote.id,
                    text: quote.text.clone(),
                    speaker: super::present(evidence.speaker.as_ref()),
                    episode_id: graph.episode.id,
                    episode_title: graph.episode.title.clone(),
                    start_ms: evidence.start_ms,
                    end_ms: evidence.end_ms,
                    score: quote.score,
                };
                items.push((order, record));
            }
        }
        paginate(items, page, "store.quotes")
    }
}

/// Returns the episode's speakers in order of first appearance: the transcript's list, or
/// the segments' speakers when that list is empty.
fn speakers_in_order(graph: &podgraph_core::model::EpisodeGraph) -> Vec<String> {
    if !graph.transcript.speakers.is_empty() {
        return graph.transcript.speakers.clone();
    }
    let mut seen = HashSet::new();
    graph
        .transcript
        .segments
        .iter()
        .filter_map(|segment| segment.speaker.clone())
        .filter(|speaker| seen.insert(speaker.clone()))
        .collect()
}
