use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::{EpisodeId, EpisodeKey, PodcastId};

/// A podcast as described by its feed's channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Podcast {
    /// Deterministic id, see [`PodcastId::derive`].
    pub id: PodcastId,
    /// The `podcast:guid` value, when the feed declares one.
    pub guid: Option<String>,
    /// The URL the feed was read from, or its `atom:link rel="self"` / `itunes:new-feed-url`.
    pub feed_url: Option<String>,
    /// Channel title.
    pub title: String,
    /// Channel description or iTunes summary, as published (may contain HTML).
    pub description: Option<String>,
    /// Website of the show.
    pub link: Option<String>,
    /// Language tag, lowercased (`en`, `en-us`).
    pub language: Option<String>,
    /// `itunes:author` or the managing editor.
    pub author: Option<String>,
    /// Owner e-mail from `itunes:owner`.
    pub owner_email: Option<String>,
    /// Channel artwork URL.
    pub image: Option<String>,
    /// iTunes categories, parents before children, without duplicates.
    pub categories: Vec<String>,
    /// `itunes:explicit`, when it is present and readable.
    pub explicit: Option<bool>,
    /// Channel-level `podcast:person` entries.
    pub persons: Vec<Person>,
    /// `podcast:medium`, for example `podcast` or `music`.
    pub medium: Option<String>,
    /// `podcast:locked` (`yes` means other platforms must not import the feed).
    pub locked: Option<bool>,
}

impl Podcast {
    /// Creates a podcast with only its identity and title set; the id is derived from
    /// `guid`, else `feed_url`, else the title.
    pub fn new(guid: Option<String>, feed_url: Option<String>, title: impl Into<String>) -> Self {
        let title = title.into();
        Self {
            id: PodcastId::derive(guid.as_deref(), feed_url.as_deref(), &title),
            guid,
            feed_url,
            title,
            description: None,
            link: None,
            language: None,
            author: None,
            owner_email: None,
            image: None,
            categories: Vec::new(),
            explicit: None,
            persons: Vec::new(),
            medium: None,
            locked: None,
        }
    }
}

/// An episode: one feed item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Deterministic id, see [`EpisodeId::derive`].
    pub id: EpisodeId,
    /// The podcast this episode belongs to.
    pub podcast_id: PodcastId,
    /// Which item field the id was derived from.
    pub key: EpisodeKey,
    /// The item `<guid>` (or Atom `<id>`), trimmed.
    pub guid: Option<String>,
    /// Item title.
    pub title: String,
    /// Show notes as published (may contain HTML).
    pub description: Option<String>,
    /// Web page of the episode.
    pub link: Option<String>,
    /// Publication date, when it could be parsed.
    pub published: Option<DateTime<FixedOffset>>,
    /// Publication date as written in the feed; kept when it could not be parsed.
    pub published_raw: Option<String>,
    /// The main media file.
    pub enclosure: Option<Enclosure>,
    /// Duration in milliseconds, from `itunes:duration`.
    pub duration_ms: Option<u64>,
    /// `itunes:explicit`, when present and readable.
    pub explicit: Option<bool>,
    /// Episode artwork URL.
    pub image: Option<String>,
    /// `podcast:season` or `itunes:season`.
    pub season: Option<u32>,
    /// `podcast:episode` or `itunes:episode`.
    pub episode_number: Option<u32>,
    /// `itunes:episodeType` (`full`, `trailer`, `bonus`).
    pub episode_type: Option<String>,
    /// People of this episode: the item's `podcast:person` list, else the channel's.
    pub persons: Vec<Person>,
    /// `podcast:transcript` links, best first (see the ingest crate for the order).
    pub transcripts: Vec<TranscriptLink>,
    /// `podcast:chapters` link.
    pub chapters_link: Option<ChaptersLink>,
    /// Chapters published inline (Podlove Simple Chapters).
    pub chapters: Vec<Chapter>,
    /// `podcast:soundbite` ranges.
    pub soundbites: Vec<Soundbite>,
    /// Item categories and keywords.
    pub categories: Vec<String>,
}

impl Episode {
    /// Creates an episode with only its identity and title set.
    pub fn new(podcast_id: PodcastId, key: EpisodeKey, title: impl Into<String>) -> Self {
        Self {
            id: EpisodeId::derive(podcast_id, &key),
            podcast_id,
            key,
            guid: None,
            title: title.into(),
            description: None,
            link: None,
            published: None,
            published_raw: None,
            enclosure: None,
            duration_ms: None,
            explicit: None,
            image: None,
            season: None,
            episode_number: None,
            episode_type: None,
            persons: Vec::new(),
            transcripts: Vec::new(),
            chapters_link: None,
            chapters: Vec::new(),
            soundbites: Vec::new(),
            categories: Vec::new(),
        }
    }
}

/// A person credited by `podcast:person`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// Podcasting 2.0 role, lowercased; `host` when the feed gives none.
    pub role: String,
    /// Podcasting 2.0 group, lowercased; `cast` when the feed gives none.
    pub group: String,
    /// Link to a page about the person; absent when the feed gives an empty value.
    pub href: Option<String>,
    /// Picture of the person; absent when the feed gives an empty value.
    pub img: Option<String>,
}

impl Person {
    /// A person with the default role (`host`) and group (`cast`).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: "host".to_owned(),
            group: "cast".to_owned(),
            href: None,
            img: None,
        }
    }
}

/// The media file of an episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    /// Absolute URL (relative ones are resolved against `xml:base` or the feed URL).
    pub url: String,
    /// MIME type as published.
    pub mime_type: Option<String>,
    /// Size in bytes, when published and numeric.
    pub length: Option<u64>,
}

/// A `podcast:transcript` link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLink {
    /// Absolute URL of the transcript.
    pub url: String,
    /// MIME type as published (`text/vtt`, `application/x-subrip`, ...).
    pub mime_type: Option<String>,
    /// Language tag, lowercased.
    pub language: Option<String>,
    /// `rel` attribute; `captions` marks a file meant as closed captions.
    pub rel: Option<String>,
}

/// A `podcast:chapters` link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaptersLink {
    /// Absolute URL of the chapters document.
    pub url: String,
    /// MIME type as published (normally `application/json+chapters`).
    pub mime_type: Option<String>,
}

/// Where a chapter was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChapterSource {
    /// Podlove Simple Chapters inside the feed.
    Feed,
    /// A Podcasting 2.0 chapters JSON document.
    ChaptersJson,
}

/// A chapter of an episode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chapter {
    /// Start in milliseconds from the beginning of the episode.
    pub start_ms: u64,
    /// End in milliseconds, when published or implied by the next chapter.
    pub end_ms: Option<u64>,
    /// Chapter title.
    pub title: String,
    /// Link shown with the chapter.
    pub url: Option<String>,
    /// Image shown with the chapter.
    pub img: Option<String>,
    /// False for chapters that the publisher hides from the table of contents.
    pub toc: bool,
    /// Where the chapter came from.
    pub source: ChapterSource,
    /// Other fields of the chapter (location, custom keys), kept verbatim.
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A `podcast:soundbite`: a range the publisher highlights as shareable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Soundbite {
    /// Start in milliseconds.
    pub start_ms: u64,
    /// Length in milliseconds.
    pub duration_ms: u64,
    /// Title given by the publisher.
    pub title: Option<String>,
}
