//! Fields collected from a channel or an item before they become a [`Podcast`] or an
//! [`Episode`], and the helpers the RSS and Atom readers share to collect them.

use podgraph_core::PodcastId;
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{
    Chapter, ChaptersLink, Enclosure, Episode, Person, Podcast, Soundbite, TranscriptLink,
};

use crate::feed::dates::parse_date;
use crate::feed::diagnostics::Diagnostics;
use crate::feed::xml::{ElementId, XmlDocument};

/// The document being read and the warnings recorded so far.
pub(crate) struct Context<'x, 't, 'd> {
    /// The element tree.
    pub(crate) doc: &'x XmlDocument<'t>,
    /// Collector of the repairs.
    pub(crate) diagnostics: &'x mut Diagnostics<'d>,
}

impl Context<'_, '_, '_> {
    /// Returns the element's trimmed value, or `None` when it is blank.
    pub(crate) fn text(&self, id: ElementId) -> Option<String> {
        self.doc.trimmed_value(id)
    }

    /// Reads the element's text as a URL, resolved against the base in scope.
    pub(crate) fn url_text(&mut self, id: ElementId) -> Option<String> {
        let raw = self.doc.value(id);
        self.doc.resolve_url(id, raw, self.diagnostics)
    }

    /// Reads an attribute as a URL, resolved against the base in scope.
    pub(crate) fn url_attr(&mut self, id: ElementId, name: &str) -> Option<String> {
        let raw = self.doc.get(id).attr(name)?;
        self.doc.resolve_url(id, raw, self.diagnostics)
    }

    /// Returns an attribute trimmed, or `None` when it is missing or blank.
    pub(crate) fn attr(&self, id: ElementId, name: &str) -> Option<String> {
        self.doc.get(id).attr_trimmed(name).map(str::to_owned)
    }

    /// Records a warning at the element's start tag.
    pub(crate) fn warn_at(&mut self, id: ElementId, code: &'static str, message: String) {
        self.diagnostics
            .warn_at(self.doc.get(id).offset, code, message);
    }
}

/// Stores `value` in `slot` unless the slot already has one: the first element wins.
pub(crate) fn set_once<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// Computes and stores a value only while `slot` is empty: the first element that yields a
/// value wins, and later duplicates are not read (nor warned about).
pub(crate) fn fill<T>(slot: &mut Option<T>, compute: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = compute();
    }
}

/// Appends `value` unless it is blank or already present.
pub(crate) fn push_unique(list: &mut Vec<String>, value: &str) {
    let value = value.trim();
    if !value.is_empty() && !list.iter().any(|known| known == value) {
        list.push(value.to_owned());
    }
}

/// A date as written, with the offset of its element for warnings.
#[derive(Clone, Debug)]
pub(crate) struct RawDate {
    pub(crate) text: String,
    pub(crate) offset: usize,
}

/// Fields of a channel (RSS) or feed (Atom).
#[derive(Debug, Default)]
pub(crate) struct ChannelDraft {
    pub(crate) title: Option<String>,
    pub(crate) itunes_title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) itunes_summary: Option<String>,
    pub(crate) link: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) itunes_author: Option<String>,
    /// `managingEditor`, `dc:creator` or the Atom author.
    pub(crate) author: Option<String>,
    pub(crate) owner_email: Option<String>,
    pub(crate) itunes_image: Option<String>,
    /// `<image><url>` (RSS) or `<logo>`/`<icon>` (Atom).
    pub(crate) image: Option<String>,
    /// `podcast:image` or `media:thumbnail`.
    pub(crate) other_image: Option<String>,
    pub(crate) itunes_categories: Vec<String>,
    pub(crate) categories: Vec<String>,
    pub(crate) explicit: Option<bool>,
    pub(crate) persons: Vec<Person>,
    pub(crate) medium: Option<String>,
    pub(crate) locked: Option<bool>,
    pub(crate) podcast_guid: Option<String>,
    /// `atom:link rel="self"`.
    pub(crate) self_url: Option<String>,
    pub(crate) new_feed_url: Option<String>,
}

impl ChannelDraft {
    /// Chooses the feed URL for the podcast id: the URL the feed was fetched from, else the
    /// self link, else `itunes:new-feed-url`.
    pub(crate) fn feed_url(&self, source_url: Option<&str>) -> Option<String> {
        source_url
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(str::to_owned)
            .or_else(|| self.self_url.clone())
            .or_else(|| self.new_feed_url.clone())
    }

    /// Builds the podcast; `feed_url` comes from [`ChannelDraft::feed_url`]. Where several
    /// elements can fill a field, the preferred one wins: `itunes:author` over the managing
    /// editor, `itunes:image` over `<image>` over `podcast:image`, and the iTunes categories
    /// over the plain RSS or Atom categories, which are used only when there are none.
    pub(crate) fn into_podcast(self, feed_url: Option<String>) -> Podcast {
        let title = self.title.or(self.itunes_title).unwrap_or_default();
        let mut podcast = Podcast::new(self.podcast_guid, feed_url, title);
        podcast.description = self.description.or(self.itunes_summary);
        podcast.link = self.link;
        podcast.language = self.language.map(|l| l.to_ascii_lowercase());
        podcast.author = self.itunes_author.or(self.author);
        podcast.owner_email = self.owner_email;
        podcast.image = self.itunes_image.or(self.image).or(self.other_image);
        podcast.categories = if self.itunes_categories.is_empty() {
            self.categories
        } else {
            self.itunes_categories
        };
        podcast.explicit = self.explicit;
        podcast.persons = self.persons;
        podcast.medium = self.medium;
        podcast.locked = self.locked;
        podcast
    }
}

/// Fields of one item (RSS) or entry (Atom).
#[derive(Debug, Default)]
pub(crate) struct ItemDraft {
    /// Byte offset of the item's start tag.
    pub(crate) offset: usize,
    /// False when the input ended inside the item.
    pub(crate) complete: bool,
    pub(crate) title: Option<String>,
    pub(crate) itunes_title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) content: Option<String>,
    pub(crate) itunes_summary: Option<String>,
    pub(crate) link: Option<String>,
    pub(crate) guid: Option<String>,
    /// `pubDate` (RSS) or `published` (Atom).
    pub(crate) date: Option<RawDate>,
    /// `dc:date` (RSS) or `updated` (Atom), used when `date` is missing.
    pub(crate) fallback_date: Option<RawDate>,
    pub(crate) enclosure: Option<Enclosure>,
    /// From Media RSS or `podcast:alternateEnclosure`, used when there is no enclosure.
    pub(crate) other_enclosure: Option<Enclosure>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) explicit: Option<bool>,
    pub(crate) itunes_image: Option<String>,
    pub(crate) other_image: Option<String>,
    pub(crate) podcast_season: Option<u32>,
    pub(crate) itunes_season: Option<u32>,
    pub(crate) podcast_episode: Option<u32>,
    pub(crate) itunes_episode: Option<u32>,
    pub(crate) episode_type: Option<String>,
    pub(crate) persons: Vec<Person>,
    pub(crate) transcripts: Vec<TranscriptLink>,
    pub(crate) chapters_link: Option<ChaptersLink>,
    pub(crate) chapters: Vec<Chapter>,
    pub(crate) soundbites: Vec<Soundbite>,
    pub(crate) categories: Vec<String>,
}

impl ItemDraft {
    /// Creates an empty draft for the item whose start tag is at `offset`.
    pub(crate) fn new(offset: usize, complete: bool) -> Self {
        Self {
            offset,
            complete,
            ..Self::default()
        }
    }

    /// True when the item has something that identifies it: a guid, an enclosure, a link
    /// or a title.
    pub(crate) fn has_identity(&self) -> bool {
        self.guid.is_some()
            || self.enclosure.is_some()
            || self.other_enclosure.is_some()
            || self.link.is_some()
            || self.title.is_some()
            || self.itunes_title.is_some()
    }

    /// Builds the episode with the key chosen from its own fields; duplicate handling may
    /// change the key later. The description is `<description>` (or Atom `summary`), else
    /// `content:encoded` (or Atom `content`), else `itunes:summary`.
    pub(crate) fn into_episode(
        self,
        podcast_id: PodcastId,
        channel: &ChannelDefaults<'_>,
        diagnostics: &mut Diagnostics<'_>,
    ) -> Episode {
        let raw_date = self.date.or(self.fallback_date);
        let published = raw_date
            .as_ref()
            .and_then(|raw| read_date(raw, diagnostics));
        let published_raw = raw_date.map(|raw| raw.text);
        let enclosure = self.enclosure.or(self.other_enclosure);
        let title = self.title.or(self.itunes_title);

        let key = EpisodeKey::choose(
            self.guid.as_deref(),
            enclosure.as_ref().map(|e| e.url.as_str()),
            self.link.as_deref(),
            title.as_deref(),
            published_raw.as_deref(),
        );
        let mut episode = Episode::new(podcast_id, key, title.unwrap_or_default());
        episode.guid = self.guid;
        episode.description = self.description.or(self.content).or(self.itunes_summary);
        episode.link = self.link;
        episode.published = published;
        episode.published_raw = published_raw;
        episode.enclosure = enclosure;
        episode.duration_ms = self.duration_ms;
        episode.explicit = self.explicit;
        episode.image = self.itunes_image.or(self.other_image);
        episode.season = self.podcast_season.or(self.itunes_season);
        episode.episode_number = self.podcast_episode.or(self.itunes_episode);
        episode.episode_type = self.episode_type;
        episode.persons = if self.persons.is_empty() {
            channel.persons.to_vec()
        } else {
            self.persons
        };
        episode.transcripts = self.transcripts;
        order_transcripts(&mut episode.transcripts, channel.language);
        episode.chapters_link = self.chapters_link;
        episode.chapters = self.chapters;
        episode.soundbites = self.soundbites;
        episode.categories = self.categories;
        episode
    }
}

/// Channel values that an episode uses when its item has none.
#[derive(Debug)]
pub(crate) struct ChannelDefaults<'a> {
    /// Channel `podcast:person` entries, used when the item has none.
    pub(crate) persons: &'a [Person],
    /// Channel language, used to order transcripts.
    pub(crate) language: Option<&'a str>,
}

fn read_date(
    raw: &RawDate,
    diagnostics: &mut Diagnostics<'_>,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    match parse_date(&raw.text) {
        Some(parsed) => {
            if parsed.weekday_mismatch {
                diagnostics.warn_at(
                    raw.offset,
                    "date-weekday-mismatch",
                    format!(
                        "weekday of {:?} does not match the date; weekday ignored",
                        raw.text
                    ),
                );
            }
            if parsed.zone_assumed {
                diagnostics.warn_at(
                    raw.offset,
                    "date-without-zone",
                    format!("{:?} has no time zone; UTC assumed", raw.text),
                );
            }
            Some(parsed.value)
        }
        None => {
            diagnostics.warn_at(
                raw.offset,
                "invalid-date",
                format!(
                    "cannot read date {:?}; kept as written in `published_raw`",
                    raw.text
                ),
            );
            None
        }
    }
}

/// Orders transcript links best first. Links in the channel language (or without a
/// language) come before links in other languages. Then the format decides: WebVTT, SRT,
/// JSON, HTML, plain text, unknown. Then full transcripts come before `rel="captions"`
/// files, because caption files are cut for display and rarely name speakers. The sort is
/// stable, so equal links keep feed order.
pub(crate) fn order_transcripts(links: &mut [TranscriptLink], channel_language: Option<&str>) {
    links.sort_by_key(|link| {
        let language_rank = match (link.language.as_deref(), channel_language) {
            (Some(language), Some(channel)) if !same_language(language, channel) => 1,
            _ => 0,
        };
        let captions_rank = u8::from(link.rel.as_deref() == Some("captions"));
        (language_rank, format_rank(link), captions_rank)
    });
}

/// Compares language tags by their primary subtag (`en` matches `en-US`).
fn same_language(a: &str, b: &str) -> bool {
    let primary = |tag: &str| {
        tag.split(['-', '_'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    primary(a) == primary(b)
}

/// Rank of a transcript format; lower is better.
fn format_rank(link: &TranscriptLink) -> u8 {
    let mime = link
        .mime_type
        .as_deref()
        .and_then(|mime| mime.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("text/vtt") => 0,
        Some("application/x-subrip" | "application/srt" | "text/srt" | "text/x-srt") => 1,
        Some("application/json") => 2,
        Some("text/html") => 3,
        Some("text/plain") => 4,
        _ => {
            let path = link.url.split(['?', '#']).next().unwrap_or_default();
            let extension = path
                .rsplit_once('.')
                .map(|(_, ext)| ext.to_ascii_lowercase());
            match extension.as_deref() {
                Some("vtt") => 0,
                Some("srt") => 1,
                Some("json") => 2,
                Some("html" | "htm") => 3,
                Some("txt") => 4,
                _ => 5,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(
        url: &str,
        mime: Option<&str>,
        language: Option<&str>,
        rel: Option<&str>,
    ) -> TranscriptLink {
        TranscriptLink {
            url: url.to_owned(),
            mime_type: mime.map(str::to_owned),
            language: language.map(str::to_owned),
            rel: rel.map(str::to_owned),
        }
    }

    fn urls(links: &[TranscriptLink]) -> Vec<&str> {
        links.iter().map(|l| l.url.as_str()).collect()
    }

    #[test]
    fn transcripts_order_by_format() {
        let mut links = vec![
            link("t.txt", Some("text/plain"), None, None),
            link("t.html", Some("text/html"), None, None),
            link("t.json", Some("application/json"), None, None),
            link("t.srt", Some("application/x-subrip"), None, None),
            link("t.vtt", Some("text/vtt"), None, None),
            link("t.bin", None, None, None),
        ];
        order_transcripts(&mut links, Some("en"));
        assert_eq!(
            urls(&links),
            ["t.vtt", "t.srt", "t.json", "t.html", "t.txt", "t.bin"]
        );
    }

    #[test]
    fn channel_language_wins_over_format() {
        let mut links = vec![
            link("es.vtt", Some("text/vtt"), Some("es"), None),
            link("en.txt", Some("text/plain"), Some("en-us"), None),
            link("none.srt", Some("application/srt"), None, None),
        ];
        order_transcripts(&mut links, Some("en"));
        assert_eq!(urls(&links), ["none.srt", "en.txt", "es.vtt"]);
    }

    #[test]
    fn full_transcript_before_captions_of_same_format() {
        let mut links = vec![
            link("captions.vtt", Some("text/vtt"), None, Some("captions")),
            link("full.vtt", Some("text/vtt"), None, None),
        ];
        order_transcripts(&mut links, None);
        assert_eq!(urls(&links), ["full.vtt", "captions.vtt"]);
    }

    #[test]
    fn format_falls_back_to_extension() {
        let mut links = vec![
            link("a.txt?x=1", None, None, None),
            link("b.SRT", Some("application/octet-stream"), None, None),
        ];
        order_transcripts(&mut links, None);
        assert_eq!(urls(&links), ["b.SRT", "a.txt?x=1"]);
    }
}
