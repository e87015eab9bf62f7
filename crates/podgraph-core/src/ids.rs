//! Deterministic identifiers.
//!
//! Every id is a UUIDv5 derived from content, never from a position in a list, the wall
//! clock or a salted hash, so that seeding the same feed twice merges instead of
//! duplicating. The derivation rules are part of the storage format: changing one changes
//! every stored id and needs a migration.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Namespace of the Podcasting 2.0 `podcast:guid` derivation (from the namespace spec).
pub const PODCAST_GUID_NAMESPACE: Uuid = Uuid::from_u128(0xead4c236_bf58_58c6_a2c6_a6b28d128cb6);

/// Namespace of every podgraph-specific derivation: UUIDv5 of the URL namespace and
/// `https://podgraph.dev/ns/v1`.
pub const PODGRAPH_NAMESPACE: Uuid = Uuid::from_u128(0x84bd0c7d_db5a_57b9_a3ce_80a47b82cda2);

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID, for example one read back from a store.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID behind this id.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }
    };
}

id_type!(
    /// Id of a podcast: its `podcast:guid`, else the Podcasting 2.0 UUIDv5 of its feed URL.
    PodcastId
);
id_type!(
    /// Id of an episode, derived from the podcast id and the item's identity (see [`EpisodeKey`]).
    EpisodeId
);
id_type!(
    /// Id of a transcript segment: episode id and the segment's index in the normalised transcript.
    SegmentId
);
id_type!(
    /// Id of a chapter: episode id and the chapter's start time.
    ChapterId
);
id_type!(
    /// Id of an entity: its kind and normalised canonical name, global across podcasts.
    EntityId
);
id_type!(
    /// Id of a topic: its normalised key phrase, global across podcasts.
    TopicId
);
id_type!(
    /// Id of a quote: episode id and the normalised quote text.
    QuoteId
);
id_type!(
    /// Id of an insight: episode id, insight kind and the normalised insight text.
    InsightId
);

/// Normalises a feed URL by the Podcasting 2.0 rule: surrounding whitespace, the scheme
/// (`https://`, `http://`, `feed://`, ...) and trailing slashes are removed.
pub fn normalize_feed_url(url: &str) -> &str {
    let url = url.trim();
    let without_scheme = match url.find("://") {
        Some(at)
            if url[..at]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            &url[at + 3..]
        }
        _ => url,
    };
    without_scheme.trim_end_matches('/')
}

/// Folds text for use in an id: lowercase, whitespace runs collapsed to one space, trimmed.
pub fn normalize_key_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

impl PodcastId {
    /// Derives the id from a `podcast:guid` value when the feed has one, else from the feed URL.
    ///
    /// A `podcast:guid` that is a valid UUID is used as is. One that is not (some hosts
    /// publish other strings there) is hashed into the podgraph namespace, so that it still
    /// identifies the show.
    pub fn derive(podcast_guid: Option<&str>, feed_url: Option<&str>, title: &str) -> Self {
        if let Some(guid) = podcast_guid.map(str::trim).filter(|g| !g.is_empty()) {
            return match Uuid::parse_str(guid) {
                Ok(uuid) => Self(uuid),
                Err(_) => Self(Uuid::new_v5(
                    &PODGRAPH_NAMESPACE,
                    format!("podcast-guid:{guid}").as_bytes(),
                )),
            };
        }
        if let Some(url) = feed_url.map(normalize_feed_url).filter(|u| !u.is_empty()) {
            return Self::from_feed_url(url);
        }
        // Without a guid or a URL (a local file), the title is the only stable identity left.
        Self(Uuid::new_v5(
            &PODGRAPH_NAMESPACE,
            format!("podcast-title:{}", normalize_key_text(title)).as_bytes(),
        ))
    }

    /// Derives the id of a folder of transcripts that has no feed from the folder's
    /// absolute path, so that two folders with the same name in different places stay
    /// two podcasts. Moving or renaming the folder therefore gives new ids.
    ///
    /// The caller passes the canonical path (`std::fs::canonicalize`) so that relative
    /// paths and symbolic links to one folder give one id. Paths that are not valid
    /// UTF-8 are hashed in their lossy form.
    pub fn from_folder(canonical_path: &std::path::Path) -> Self {
        Self(Uuid::new_v5(
            &PODGRAPH_NAMESPACE,
            format!("podcast-folder:{}", canonical_path.to_string_lossy()).as_bytes(),
        ))
    }

    /// Derives the id of a local feed file that has no identity of its own (no
    /// `podcast:guid`, no feed URL and no title) from the file's canonical path, as
    /// [`PodcastId::from_folder`] does for folders. Without it, every such file would get
    /// the id of the empty title and their episodes would join one podcast.
    pub fn from_file(canonical_path: &std::path::Path) -> Self {
        Self(Uuid::new_v5(
            &PODGRAPH_NAMESPACE,
            format!("podcast-file:{}", canonical_path.to_string_lossy()).as_bytes(),
        ))
    }

    /// The Podcasting 2.0 guid of a feed URL: UUIDv5 of the normalised URL.
    pub fn from_feed_url(url: &str) -> Self {
        Self(Uuid::new_v5(
            &PODCAST_GUID_NAMESPACE,
            normalize_feed_url(url).as_bytes(),
        ))
    }
}

/// The identity of a feed item, in order of preference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EpisodeKey {
    /// The item's `<guid>` (or Atom `<id>`).
    Guid {
        /// The trimmed guid text.
        guid: String,
    },
    /// A guid shared by several items of one feed whose enclosures differ: the enclosure
    /// URL keeps them apart, because two different media files are never the same episode.
    GuidAndEnclosure {
        /// The trimmed guid text.
        guid: String,
        /// The trimmed enclosure URL.
        enclosure_url: String,
    },
    /// No guid: the enclosure URL.
    Enclosure {
        /// The trimmed enclosure URL.
        url: String,
    },
    /// No guid and no enclosure: the item link.
    Link {
        /// The trimmed link.
        url: String,
    },
    /// Nothing else: the title and the raw publication date.
    TitleAndDate {
        /// The item title.
        title: String,
        /// The publication date as written in the feed, or empty.
        date: String,
    },
}

impl EpisodeKey {
    /// Picks the key from an item's fields by the fallback order guid, enclosure, link,
    /// title and date. Blank values count as missing.
    pub fn choose(
        guid: Option<&str>,
        enclosure_url: Option<&str>,
        link: Option<&str>,
        title: Option<&str>,
        date: Option<&str>,
    ) -> Self {
        let present = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if let Some(guid) = present(guid) {
            return Self::Guid { guid };
        }
        if let Some(url) = present(enclosure_url) {
            return Self::Enclosure { url };
        }
        if let Some(url) = present(link) {
            return Self::Link { url };
        }
        Self::TitleAndDate {
            title: present(title).unwrap_or_default(),
            date: present(date).unwrap_or_default(),
        }
    }

    fn id_name(&self) -> String {
        match self {
            Self::Guid { guid } => format!("guid:{guid}"),
            Self::GuidAndEnclosure {
                guid,
                enclosure_url,
            } => {
                format!("guid:{guid}\u{1f}enclosure:{enclosure_url}")
            }
            Self::Enclosure { url } => format!("enclosure:{url}"),
            Self::Link { url } => format!("link:{url}"),
            Self::TitleAndDate { title, date } => {
                format!("title:{}\u{1f}date:{date}", normalize_key_text(title))
            }
        }
    }
}

impl EpisodeId {
    /// Derives the id from the podcast id and the item's key.
    pub fn derive(podcast: PodcastId, key: &EpisodeKey) -> Self {
        Self(Uuid::new_v5(podcast.as_uuid(), key.id_name().as_bytes()))
    }
}

impl SegmentId {
    /// Derives the id of the segment at `index` of the episode's normalised transcript.
    pub fn derive(episode: EpisodeId, index: usize) -> Self {
        Self(Uuid::new_v5(
            episode.as_uuid(),
            format!("segment:{index}").as_bytes(),
        ))
    }
}

impl ChapterId {
    /// Derives the id of the episode's chapter that starts at `start_ms`.
    pub fn derive(episode: EpisodeId, start_ms: u64) -> Self {
        Self(Uuid::new_v5(
            episode.as_uuid(),
            format!("chapter:{start_ms}").as_bytes(),
        ))
    }
}

impl EntityId {
    /// Derives the id from the entity kind and its canonical name.
    pub fn derive(kind: &str, canonical_name: &str) -> Self {
        let name = format!("entity:{kind}:{}", normalize_key_text(canonical_name));
        Self(Uuid::new_v5(&PODGRAPH_NAMESPACE, name.as_bytes()))
    }
}

impl TopicId {
    /// Derives the id from the topic's key phrase.
    pub fn derive(phrase: &str) -> Self {
        let name = format!("topic:{}", normalize_key_text(phrase));
        Self(Uuid::new_v5(&PODGRAPH_NAMESPACE, name.as_bytes()))
    }
}

impl QuoteId {
    /// Derives the id from the episode and the quote text.
    pub fn derive(episode: EpisodeId, text: &str) -> Self {
        let name = format!("quote:{}", normalize_key_text(text));
        Self(Uuid::new_v5(episode.as_uuid(), name.as_bytes()))
    }
}

impl InsightId {
    /// Derives the id from the episode, the insight kind and the insight text.
    pub fn derive(episode: EpisodeId, kind: &str, text: &str) -> Self {
        let name = format!("insight:{kind}:{}", normalize_key_text(text));
        Self(Uuid::new_v5(episode.as_uuid(), name.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_url_guid_matches_namespace_spec_example() {
        // The Podcasting 2.0 namespace documents this pair for `podcast:guid`.
        let id = PodcastId::from_feed_url("https://podnews.net/rss");
        assert_eq!(id.to_string(), "9b024349-ccf0-5f69-a609-6b82873eab3c");
    }

    #[test]
    fn folder_id_depends_on_whole_path() {
        let first = PodcastId::from_folder(std::path::Path::new("/data/w1/show"));
        let second = PodcastId::from_folder(std::path::Path::new("/data/w2/show"));
        assert_ne!(first, second);
        assert_eq!(
            first,
            PodcastId::from_folder(std::path::Path::new("/data/w1/show"))
        );
    }

    #[test]
    fn feed_url_normalisation_strips_scheme_and_slashes() {
        assert_eq!(
            normalize_feed_url(" https://podnews.net/rss// "),
            "podnews.net/rss"
        );
        assert_eq!(
            normalize_feed_url("http://podnews.net/rss"),
            "podnews.net/rss"
        );
        assert_eq!(
            normalize_feed_url("feed://podnews.net/rss/"),
            "podnews.net/rss"
        );
        assert_eq!(normalize_feed_url("podnews.net/rss"), "podnews.net/rss");
        assert_eq!(
            PodcastId::from_feed_url("http://podnews.net/rss/"),
            PodcastId::from_feed_url("https://podnews.net/rss")
        );
    }

    #[test]
    fn podcast_guid_wins_over_feed_url() {
        let guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810";
        let id = PodcastId::derive(Some(guid), Some("https://example.com/feed"), "x");
        assert_eq!(id.to_string(), guid);
    }

    #[test]
    fn non_uuid_podcast_guid_is_hashed_stably() {
        let a = PodcastId::derive(Some("not-a-uuid"), None, "x");
        let b = PodcastId::derive(Some(" not-a-uuid "), Some("https://other"), "y");
        assert_eq!(a, b);
    }

    #[test]
    fn episode_key_falls_back_in_order() {
        assert_eq!(
            EpisodeKey::choose(Some(" g "), Some("e"), Some("l"), Some("t"), None),
            EpisodeKey::Guid { guid: "g".into() }
        );
        assert_eq!(
            EpisodeKey::choose(Some("  "), Some("e"), Some("l"), Some("t"), None),
            EpisodeKey::Enclosure { url: "e".into() }
        );
        assert_eq!(
            EpisodeKey::choose(None, None, Some("l"), Some("t"), None),
            EpisodeKey::Link { url: "l".into() }
        );
        assert_eq!(
            EpisodeKey::choose(None, None, None, Some("t"), Some("d")),
            EpisodeKey::TitleAndDate {
                title: "t".into(),
                date: "d".into()
            }
        );
    }

    #[test]
    fn shared_guid_with_different_enclosures_gives_different_episodes() {
        let podcast = PodcastId::from_feed_url("https://example.com/feed");
        let a = EpisodeKey::GuidAndEnclosure {
            guid: "g".into(),
            enclosure_url: "a.mp3".into(),
        };
        let b = EpisodeKey::GuidAndEnclosure {
            guid: "g".into(),
            enclosure_url: "b.mp3".into(),
        };
        assert_ne!(
            EpisodeId::derive(podcast, &a),
            EpisodeId::derive(podcast, &b)
        );
    }

    #[test]
    fn episode_ids_are_scoped_by_podcast() {
        let key = EpisodeKey::Guid { guid: "1".into() };
        let a = EpisodeId::derive(PodcastId::from_feed_url("a.example/feed"), &key);
        let b = EpisodeId::derive(PodcastId::from_feed_url("b.example/feed"), &key);
        assert_ne!(a, b);
    }

    #[test]
    fn entity_ids_ignore_case_and_spacing() {
        assert_eq!(
            EntityId::derive("person", "Guido  van Rossum"),
            EntityId::derive("person", "guido van rossum")
        );
        assert_ne!(
            EntityId::derive("person", "Python"),
            EntityId::derive("product", "Python")
        );
    }

    #[test]
    fn ids_round_trip_through_strings() {
        let id = EpisodeId::derive(
            PodcastId::from_feed_url("x"),
            &EpisodeKey::Guid { guid: "1".into() },
        );
        assert_eq!(id.to_string().parse::<EpisodeId>().unwrap(), id);
    }
}
