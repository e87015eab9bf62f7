//! A builder of consistent `EpisodeGraph`s for the store tests: segment spans point into
//! the episode text, evidence copies its segment's speaker and times, and ids are derived
//! the way the pipeline derives them.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use chrono::DateTime;
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{
    Chapter, ChapterSource, Entity, EntityKind, Episode, EpisodeGraph, Evidence, Extraction,
    Insight, InsightKind, Mention, MergeDecision, NormalizedTranscript, Person, Podcast, Quote,
    RelationKind, Relationship, Segment, TextSpan, Topic, TranscriptFormat,
};
use podgraph_core::provider::GraphStats;
use podgraph_core::{EntityId, InsightId, QuoteId, SegmentId, TopicId};

/// An insight to build: segment, kind, evidence text, supporting quote text, entities.
struct InsightSpec {
    segment: usize,
    kind: InsightKind,
    text: String,
    quote: Option<String>,
    about: Vec<EntityId>,
}

/// Builds one episode of one podcast.
pub struct EpisodeBuilder {
    podcast: Podcast,
    episode: Episode,
    turns: Vec<(Option<String>, u64, u64, String)>,
    entities: BTreeMap<EntityId, Entity>,
    mentions: Vec<(usize, String, EntityId)>,
    quotes: Vec<(usize, String, f32)>,
    insights: Vec<InsightSpec>,
    topics: Vec<(String, f32)>,
    relations: Vec<(EntityId, EntityId, RelationKind, f32, usize)>,
    speakers: BTreeMap<String, EntityId>,
    chapters: Vec<Chapter>,
    transcript_hash: String,
}

impl EpisodeBuilder {
    /// An episode with item guid `guid` of the podcast titled `podcast_title`.
    pub fn new(podcast_title: &str, guid: &str) -> Self {
        let slug: String = podcast_title
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let podcast = Podcast::new(
            None,
            Some(format!("https://example.com/{slug}/feed.xml")),
            podcast_title,
        );
        let key = EpisodeKey::Guid {
            guid: guid.to_owned(),
        };
        let mut episode = Episode::new(podcast.id, key, format!("Episode {guid}"));
        episode.guid = Some(guid.to_owned());
        Self {
            podcast,
            episode,
            turns: Vec::new(),
            entities: BTreeMap::new(),
            mentions: Vec::new(),
            quotes: Vec::new(),
            insights: Vec::new(),
            topics: Vec::new(),
            relations: Vec::new(),
            speakers: BTreeMap::new(),
            chapters: Vec::new(),
            transcript_hash: format!("sha256:{guid}"),
        }
    }

    /// Sets the publication date (RFC 3339).
    pub fn published(mut self, date: &str) -> Self {
        self.episode.published = Some(DateTime::parse_from_rfc3339(date).unwrap());
        self
    }

    pub fn title(mut self, title: &str) -> Self {
        self.episode.title = title.to_owned();
        self
    }

    pub fn transcript_hash(mut self, hash: &str) -> Self {
        self.transcript_hash = hash.to_owned();
        self
    }

    /// Changes the episode with a closure, for fields without a builder method.
    pub fn edit_episode(mut self, edit: impl FnOnce(&mut Episode)) -> Self {
        edit(&mut self.episode);
        self
    }

    pub fn edit_podcast(mut self, edit: impl FnOnce(&mut Podcast)) -> Self {
        edit(&mut self.podcast);
        self
    }

    /// Appends a speaker turn; returns its segment index through `turn_count`.
    pub fn turn(mut self, speaker: Option<&str>, start_ms: u64, end_ms: u64, text: &str) -> Self {
        self.turns.push((
            speaker.map(str::to_owned),
            start_ms,
            end_ms,
            text.to_owned(),
        ));
        self
    }

    /// Adds an entity (if new) and returns the builder.
    pub fn entity(mut self, kind: EntityKind, name: &str) -> Self {
        self.add_entity(kind, name);
        self
    }

    fn add_entity(&mut self, kind: EntityKind, name: &str) -> EntityId {
        let id = EntityId::derive(kind.as_str(), name);
        self.entities.entry(id).or_insert_with(|| Entity {
            id,
            kind,
            name: name.to_owned(),
            aliases: Vec::new(),
            confidence: 0.75,
            merges: Vec::new(),
        });
        id
    }

    /// Records an alias of an entity with its merge decision.
    pub fn alias(
        mut self,
        kind: EntityKind,
        name: &str,
        alias: &str,
        rule: &str,
        reason: &str,
    ) -> Self {
        let id = self.add_entity(kind, name);
        let entity = self.entities.get_mut(&id).unwrap();
        entity.aliases.push(alias.to_owned());
        entity.merges.push(MergeDecision {
            alias: alias.to_owned(),
            rule: rule.to_owned(),
            score: 0.5,
            reason: reason.to_owned(),
        });
        self
    }

    /// Mentions `surface` (which must occur in segment `segment`) as entity (kind, name).
    pub fn mention(mut self, segment: usize, kind: EntityKind, name: &str, surface: &str) -> Self {
        let id = self.add_entity(kind, name);
        self.mentions.push((segment, surface.to_owned(), id));
        self
    }

    /// Maps a speaker label to the person entity `name`.
    pub fn speaker(mut self, label: &str, name: &str) -> Self {
        let id = self.add_entity(EntityKind::Person, name);
        self.speakers.insert(label.to_owned(), id);
        self
    }

    /// A quote: `text` must occur in segment `segment`.
    pub fn quote(mut self, segment: usize, text: &str, score: f32) -> Self {
        self.quotes.push((segment, text.to_owned(), score));
        self
    }

    /// An insight with evidence `text` in segment `segment`, optionally supported by the
    /// quote with text `quote`, about the given entities.
    pub fn insight(
        mut self,
        segment: usize,
        kind: InsightKind,
        text: &str,
        quote: Option<&str>,
        about: &[(EntityKind, &str)],
    ) -> Self {
        let about = about
            .iter()
            .map(|(kind, name)| self.add_entity(*kind, name))
            .collect();
        self.insights.push(InsightSpec {
            segment,
            kind,
            text: text.to_owned(),
            quote: quote.map(str::to_owned),
            about,
        });
        self
    }

    pub fn topic(mut self, phrase: &str, weight: f32) -> Self {
        self.topics.push((phrase.to_owned(), weight));
        self
    }

    /// A RELATED_TO contribution with evidence in segment `segment`.
    pub fn relation(
        mut self,
        source: (EntityKind, &str),
        target: (EntityKind, &str),
        kind: RelationKind,
        weight: f32,
        segment: usize,
    ) -> Self {
        let source = self.add_entity(source.0, source.1);
        let target = self.add_entity(target.0, target.1);
        self.relations.push((source, target, kind, weight, segment));
        self
    }

    pub fn chapter(mut self, start_ms: u64, title: &str) -> Self {
        self.chapters.push(Chapter {
            start_ms,
            end_ms: None,
            title: title.to_owned(),
            url: None,
            img: None,
            toc: true,
            source: ChapterSource::ChaptersJson,
            extra: BTreeMap::new(),
        });
        self
    }

    /// A `podcast:person` entry of the episode.
    pub fn person(mut self, name: &str, role: &str) -> Self {
        let mut person = Person::new(name);
        person.role = role.to_owned();
        self.episode.persons.push(person);
        self
    }

    pub fn build(self) -> EpisodeGraph {
        let episode_id = self.episode.id;
        let mut text = String::new();
        let mut segments = Vec::new();
        let mut speakers: Vec<String> = Vec::new();
        for (index, (speaker, start_ms, end_ms, turn)) in self.turns.iter().enumerate() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let start = text.len();
            text.push_str(turn);
            if let Some(speaker) = speaker {
                if !speakers.contains(speaker) {
                    speakers.push(speaker.clone());
                }
            }
            segments.push(Segment {
                id: SegmentId::derive(episode_id, index),
                episode_id,
                index,
                start_ms: *start_ms,
                end_ms: *end_ms,
                speaker: speaker.clone(),
                text: turn.clone(),
                span: TextSpan::new(start, text.len()),
                chapter: None,
            });
        }

        let evidence = |segment: usize, needle: &str| -> Evidence {
            let seg = &segments[segment];
            let at = seg
                .text
                .find(needle)
                .unwrap_or_else(|| panic!("`{needle}` is not in segment {segment}"));
            let start = seg.span.start + at;
            Evidence {
                segment_id: seg.id,
                speaker: seg.speaker.clone(),
                start_ms: seg.start_ms,
                end_ms: seg.end_ms,
                span: TextSpan::new(start, start + needle.len()),
            }
        };

        let mentions = self
            .mentions
            .iter()
            .map(|(segment, surface, id)| Mention {
                entity_id: *id,
                surface: surface.clone(),
                evidence: evidence(*segment, surface),
            })
            .collect();
        let quotes: Vec<Quote> = self
            .quotes
            .iter()
            .map(|(segment, text, score)| Quote {
                id: QuoteId::derive(episode_id, text),
                text: text.clone(),
                score: *score,
                evidence: evidence(*segment, text),
            })
            .collect();
        let insights = self
            .insights
            .iter()
            .map(|spec| Insight {
                id: InsightId::derive(episode_id, spec.kind.as_str(), &spec.text),
                kind: spec.kind,
                text: spec.text.clone(),
                quote_id: spec.quote.as_ref().map(|q| QuoteId::derive(episode_id, q)),
                about: spec.about.clone(),
                evidence: evidence(spec.segment, &spec.text),
            })
            .collect();
        let relationships = self
            .relations
            .iter()
            .map(|(source, target, kind, weight, segment)| {
                let seg = &segments[*segment];
                Relationship {
                    source: *source,
                    target: *target,
                    kind: *kind,
                    weight: *weight,
                    evidence: evidence(*segment, &seg.text),
                }
            })
            .collect();
        let topics = self
            .topics
            .iter()
            .map(|(phrase, weight)| Topic {
                id: TopicId::derive(phrase),
                phrase: phrase.clone(),
                weight: *weight,
            })
            .collect();

        EpisodeGraph {
            podcast: self.podcast,
            episode: self.episode,
            transcript: NormalizedTranscript {
                text,
                segments,
                speakers,
                language: Some("en".to_owned()),
                format: TranscriptFormat::WebVtt,
            },
            chapters: self.chapters,
            extraction: Extraction {
                entities: self.entities.into_values().collect(),
                mentions,
                topics,
                quotes,
                insights,
                relationships,
                speakers: self.speakers,
            },
            transcript_hash: self.transcript_hash,
            extractor_version: "test-extractor/1".to_owned(),
        }
    }
}

/// Starts a small interview: two speakers, entities, a quote, an insight, a topic, a relation.
pub fn interview(podcast: &str, guid: &str) -> EpisodeBuilder {
    EpisodeBuilder::new(podcast, guid)
        .published("2024-03-01T10:00:00+01:00")
        .turn(
            Some("Alice"),
            0,
            4_000,
            "Welcome to the show. Today we talk about Rust and Python.",
        )
        .turn(
            Some("Bob"),
            4_000,
            9_500,
            "Rust makes systems programming safe. Python is great for data.",
        )
        .turn(
            Some("Alice"),
            9_500,
            12_000,
            "Guido van Rossum created Python.",
        )
        .speaker("Alice", "Alice Example")
        .speaker("Bob", "Bob Example")
        .mention(0, EntityKind::Product, "Rust", "Rust")
        .mention(0, EntityKind::Product, "Python", "Python")
        .mention(1, EntityKind::Product, "Rust", "Rust")
        .mention(1, EntityKind::Product, "Python", "Python")
        .mention(
            2,
            EntityKind::Person,
            "Guido van Rossum",
            "Guido van Rossum",
        )
        .mention(2, EntityKind::Product, "Python", "Python")
        .alias(
            EntityKind::Person,
            "Guido van Rossum",
            "GvR",
            "acronym",
            "\"GvR\" is the acronym of Guido van Rossum",
        )
        .quote(1, "Rust makes systems programming safe.", 0.9)
        .insight(
            1,
            InsightKind::Claim,
            "Rust makes systems programming safe.",
            Some("Rust makes systems programming safe."),
            &[(EntityKind::Product, "Rust")],
        )
        .topic("systems programming", 0.8)
        .relation(
            (EntityKind::Product, "Rust"),
            (EntityKind::Product, "Python"),
            RelationKind::CoOccurs,
            2.0,
            1,
        )
        .relation(
            (EntityKind::Person, "Guido van Rossum"),
            (EntityKind::Product, "Python"),
            RelationKind::CoOccurs,
            1.0,
            2,
        )
        .chapter(0, "Intro")
        .chapter(9_500, "History")
        .person("Alice Example", "host")
        .person("Carol Guest", "guest")
}

/// Returns the count of one label or relationship type in `stats`.
pub fn count(stats: &GraphStats, name: &str) -> u64 {
    stats
        .nodes
        .iter()
        .chain(&stats.relationships)
        .find(|(label, _)| label == name)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("stats has no entry {name}"))
}

/// Builds a synthetic long episode: `segments` turns of two speakers, each mentioning
/// entities from a pool, with quotes, insights, topics and relations.
pub fn long_episode(
    podcast: &str,
    guid: &str,
    segments: usize,
    mentions_per_segment: usize,
) -> EpisodeGraph {
    let pool: Vec<String> = (0..200).map(|i| format!("Entity{i:03}")).collect();
    let mut builder = EpisodeBuilder::new(podcast, guid)
        .published("2024-05-01T08:00:00Z")
        .speaker("Host", "Host Person")
        .speaker("Guest", "Guest Person");
    for index in 0..segments {
        let names: Vec<&String> = (0..mentions_per_segment)
            .map(|k| &pool[(index * 7 + k * 13) % pool.len()])
            .collect();
        let text = format!(
            "In part {index} we discussed {} and how they relate to modern software design and teams.",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let speaker = if index % 2 == 0 { "Host" } else { "Guest" };
        let start = (index as u64) * 5_000;
        builder = builder.turn(Some(speaker), start, start + 5_000, &text);
        for name in &names {
            builder = builder.mention(index, EntityKind::Product, name, name);
        }
        if index % 10 == 0 {
            builder = builder.quote(index, &text, 0.5).insight(
                index,
                InsightKind::Claim,
                &text,
                Some(&text),
                &[(EntityKind::Product, names[0].as_str())],
            );
        }
        if index % 5 == 0 && names.len() > 1 {
            builder = builder.relation(
                (EntityKind::Product, names[0].as_str()),
                (EntityKind::Product, names[1].as_str()),
                RelationKind::CoOccurs,
                1.0,
                index,
            );
        }
    }
    for t in 0..10 {
        builder = builder.topic(&format!("topic number {t}"), 1.0 - t as f32 / 10.0);
    }
    builder.build()
}
