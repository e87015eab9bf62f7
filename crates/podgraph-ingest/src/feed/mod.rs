//! Podcast feeds: RSS 2.0, RSS 0.91/0.92, RSS 1.0 (RDF) and Atom, with the iTunes,
//! Podcasting 2.0, Podlove Simple Chapters and Media RSS extensions; and OPML subscription
//! lists.
//!
//! [`parse_feed`] turns the bytes of a feed into a [`Podcast`] and its [`Episode`]s. It is
//! lenient where real feeds are broken and records a [`Warning`](crate::Warning) with the
//! position for every repair (see the `xml` module for the XML repairs). It is also safe on
//! hostile input: DTDs are never processed, nothing is fetched, and the document size,
//! nesting depth and item count are bounded by [`XmlLimits`].
//!
//! # Identity
//!
//! The podcast id is [`PodcastId::derive`] of the `podcast:guid`, else the feed URL
//! ([`FeedSource::url`], else the `atom:link rel="self"`, else `itunes:new-feed-url`), else
//! the title. Episode ids come from [`EpisodeKey::choose`] (guid, enclosure URL, link, title
//! and date) and [`EpisodeId::derive`]. Items that share a guid but have different
//! enclosures are keyed by both; items that share an id are merged into the first one,
//! with a warning.
//!
//! [`PodcastId::derive`]: podgraph_core::PodcastId::derive
//! [`EpisodeKey::choose`]: podgraph_core::ids::EpisodeKey::choose
//! [`EpisodeId::derive`]: podgraph_core::EpisodeId::derive

mod atom;
mod dates;
mod diagnostics;
mod draft;
mod duration;
mod extensions;
mod identity;
mod namespace;
mod opml;
mod rss;
mod xml;

use podgraph_core::config::XmlLimits;
use podgraph_core::model::{Episode, Podcast};
use url::Url;

use crate::decode::{TextKind, decode};
use crate::diag::Parsed;
use crate::error::{IngestError, IngestResult};
use crate::feed::diagnostics::Diagnostics;
use crate::feed::draft::{ChannelDefaults, ChannelDraft, Context, ItemDraft};
use crate::feed::identity::{Located, assign_identities};
use crate::feed::namespace::Namespace;
use crate::feed::xml::{Element, ElementId, XmlDocument};

pub use opml::{OpmlFeed, parse_opml};

/// Where a feed came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedSource<'a> {
    /// Path or URL of the feed, used in warnings and errors.
    pub name: &'a str,
    /// URL the feed was fetched from. It identifies the podcast when the feed has no
    /// `podcast:guid`, and relative URLs in the feed are resolved against it.
    pub url: Option<&'a str>,
    /// Charset of the HTTP `Content-Type`, which wins over the XML declaration.
    pub charset: Option<&'a str>,
}

impl<'a> FeedSource<'a> {
    /// A source known only by its name (a local file).
    pub const fn named(name: &'a str) -> Self {
        Self {
            name,
            url: None,
            charset: None,
        }
    }

    /// A source fetched from `url`, which is also its name.
    pub const fn fetched(url: &'a str, charset: Option<&'a str>) -> Self {
        Self {
            name: url,
            url: Some(url),
            charset,
        }
    }
}

/// The syndication format of a feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedKind {
    /// RSS 2.0 (also RSS without a `version` and a bare `<channel>` root).
    Rss2,
    /// RSS 0.91 or 0.92.
    Rss09,
    /// RSS 1.0 / RDF Site Summary.
    Rdf,
    /// Atom 1.0.
    Atom,
}

impl FeedKind {
    /// Stable lowercase name for logs and output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rss2 => "rss2",
            Self::Rss09 => "rss09",
            Self::Rdf => "rdf",
            Self::Atom => "atom",
        }
    }
}

/// A parsed feed.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedFeed {
    /// The syndication format.
    pub kind: FeedKind,
    /// The podcast described by the channel.
    pub podcast: Podcast,
    /// The episodes, in feed order, without duplicates.
    pub episodes: Vec<Episode>,
    /// Name of the character encoding the bytes were decoded from (`UTF-8`, `UTF-16LE`,
    /// `windows-1252`, ...).
    pub encoding: &'static str,
}

/// Parses a feed.
///
/// # Errors
///
/// - [`IngestError::LimitExceeded`] when the input is larger than
///   `limits.max_document_bytes` or nests deeper than `limits.max_depth`;
/// - [`IngestError::WrongKind`] when the input is empty or its root element is not `rss`,
///   `channel`, `rdf:RDF` or `feed`;
/// - [`IngestError::Syntax`] when the input ends inside the channel before any complete
///   item (a truncated download: returning an empty feed would claim it has no episodes).
pub fn parse_feed(
    bytes: &[u8],
    source: &FeedSource<'_>,
    limits: &XmlLimits,
) -> IngestResult<Parsed<ParsedFeed>> {
    let document = prepare(bytes, source.charset, source.name, limits)?;
    let text = document.text.as_str();
    let mut diagnostics = Diagnostics::new(text);
    diagnostics.extend(document.warnings);

    let base = source.url.and_then(|url| Url::parse(url.trim()).ok());
    let mut doc = xml::parse(text, base.as_ref(), limits, source.name, &mut diagnostics)?;
    let Some(root) = doc.root() else {
        return Err(wrong_kind(source.name, describe_rootless(text)));
    };
    let Some(kind) = feed_kind(doc.get(root)) else {
        let found = format!("root element <{}>", doc.get(root).qualified_name());
        return Err(wrong_kind(source.name, found));
    };
    if base.is_none() {
        if let Some(self_url) = declared_feed_url(&doc, root) {
            doc.set_fallback_base(self_url);
        }
    }

    let mut cx = Context {
        doc: &doc,
        diagnostics: &mut diagnostics,
    };
    let (channel, items, container) = match kind {
        FeedKind::Atom => {
            let channel = atom::read_feed(&mut cx, root);
            let entries = atom::entries(&cx, root);
            let items = read_items(&mut cx, &entries, limits, atom::read_entry);
            (channel, items, root)
        }
        FeedKind::Rss2 | FeedKind::Rss09 | FeedKind::Rdf => {
            let layout = rss::layout(&cx, root);
            let channel = layout
                .channel
                .map(|channel| rss::read_channel(&mut cx, channel))
                .unwrap_or_default();
            let items = read_items(&mut cx, &layout.items, limits, rss::read_item);
            let container = match kind {
                FeedKind::Rdf => root,
                _ => layout.channel.unwrap_or(root),
            };
            (channel, items, container)
        }
    };

    let (podcast, episodes) = assemble(channel, items, source, &mut diagnostics);
    if episodes.is_empty() && doc.is_open_at_end(container) {
        return Err(truncated(&doc, container, source.name, &diagnostics));
    }

    Ok(Parsed {
        value: ParsedFeed {
            kind,
            podcast,
            episodes,
            encoding: document.encoding,
        },
        warnings: diagnostics.finish(),
    })
}

/// Decoded document text ready for the XML reader.
pub(crate) struct PreparedText {
    pub(crate) text: String,
    pub(crate) encoding: &'static str,
    pub(crate) warnings: Vec<crate::Warning>,
}

/// Checks the size limit, decodes the bytes and normalises line ends (CR LF and lone CR
/// become LF, as XML 1.0 requires).
pub(crate) fn prepare(
    bytes: &[u8],
    charset: Option<&str>,
    source_name: &str,
    limits: &XmlLimits,
) -> IngestResult<PreparedText> {
    if bytes.len() > limits.max_document_bytes {
        return Err(IngestError::LimitExceeded {
            source_name: source_name.to_owned(),
            limit: "max_document_bytes",
            max: u64::try_from(limits.max_document_bytes).unwrap_or(u64::MAX),
            actual: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        });
    }
    let decoded = decode(bytes, charset, TextKind::Xml);
    let text = if decoded.text.contains('\r') {
        decoded.text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        decoded.text
    };
    Ok(PreparedText {
        text,
        encoding: decoded.encoding,
        warnings: decoded.warnings,
    })
}

/// Describes a document without a root element for a [`IngestError::WrongKind`].
pub(crate) fn describe_rootless(text: &str) -> String {
    if text.trim().is_empty() {
        "an empty document".to_owned()
    } else {
        "no XML element".to_owned()
    }
}

fn wrong_kind(source_name: &str, found: String) -> IngestError {
    IngestError::WrongKind {
        source_name: source_name.to_owned(),
        expected: "an RSS, Atom or RDF feed",
        found,
    }
}

fn feed_kind(root: &Element) -> Option<FeedKind> {
    match root.local_lc.as_ref() {
        "rss" => {
            let version = root.attr_trimmed("version").unwrap_or_default();
            Some(if version.starts_with("0.9") {
                FeedKind::Rss09
            } else {
                FeedKind::Rss2
            })
        }
        "channel" => Some(FeedKind::Rss2),
        "rdf" => Some(FeedKind::Rdf),
        "feed" => Some(FeedKind::Atom),
        _ => None,
    }
}

/// The absolute URL the feed declares for itself (`atom:link rel="self"`, else
/// `itunes:new-feed-url`), used as the base for relative URLs when the fetch URL is unknown.
fn declared_feed_url(doc: &XmlDocument<'_>, root: ElementId) -> Option<Url> {
    let channel = doc
        .children(root)
        .find(|(_, child)| child.local_lc.as_ref() == "channel")
        .map_or(root, |(channel, _)| channel);
    let mut new_feed_url = None;
    for (id, child) in doc.children(channel) {
        match (child.namespace, child.local_lc.as_ref()) {
            (Namespace::Atom, "link") | (Namespace::None, "link")
                if child
                    .attr_trimmed("rel")
                    .is_some_and(|rel| rel.eq_ignore_ascii_case("self")) =>
            {
                if let Some(url) = child.attr("href").and_then(|h| Url::parse(h.trim()).ok()) {
                    return Some(url);
                }
            }
            (Namespace::Itunes, "new-feed-url") if new_feed_url.is_none() => {
                new_feed_url = Url::parse(doc.value(id).trim()).ok();
            }
            _ => {}
        }
    }
    new_feed_url
}

/// Reads the items, at most `limits.max_items` of them.
fn read_items(
    cx: &mut Context<'_, '_, '_>,
    items: &[ElementId],
    limits: &XmlLimits,
    read: fn(&mut Context<'_, '_, '_>, ElementId) -> ItemDraft,
) -> Vec<ItemDraft> {
    if items.len() > limits.max_items {
        if let Some(&first_dropped) = items.get(limits.max_items) {
            let message = format!(
                "feed has {} items; only the first {} are read (max_items)",
                items.len(),
                limits.max_items
            );
            cx.warn_at(first_dropped, "max-items-exceeded", message);
        }
    }
    items
        .iter()
        .take(limits.max_items)
        .map(|&item| read(cx, item))
        .collect()
}

/// Builds the podcast and its episodes from the drafts.
fn assemble(
    channel: ChannelDraft,
    items: Vec<ItemDraft>,
    source: &FeedSource<'_>,
    diagnostics: &mut Diagnostics<'_>,
) -> (Podcast, Vec<Episode>) {
    let feed_url = channel.feed_url(source.url);
    let podcast = channel.into_podcast(feed_url);
    let defaults = ChannelDefaults {
        persons: &podcast.persons,
        language: podcast.language.as_deref(),
    };

    let mut located = Vec::with_capacity(items.len());
    for item in items {
        let offset = item.offset;
        if !item.complete {
            if item.has_identity() {
                diagnostics.warn_at(
                    offset,
                    "truncated-item",
                    "the input ends inside this item; kept what was read",
                );
            } else {
                diagnostics.warn_at(
                    offset,
                    "truncated-item",
                    "the input ends inside this item before its guid, enclosure, link or title; dropped",
                );
                continue;
            }
        }
        let episode = item.into_episode(podcast.id, &defaults, diagnostics);
        located.push(Located { episode, offset });
    }
    let episodes = assign_identities(located, diagnostics);
    (podcast, episodes)
}

fn truncated(
    doc: &XmlDocument<'_>,
    container: ElementId,
    source_name: &str,
    diagnostics: &Diagnostics<'_>,
) -> IngestError {
    let container = doc.get(container);
    let innermost = doc.innermost_open_at_end().unwrap_or(container);
    IngestError::Syntax {
        source_name: source_name.to_owned(),
        what: "feed",
        position: diagnostics.position(doc.len()),
        reason: format!(
            "the input ends inside <{}> (in <{}> opened at {}) before any complete item; \
             the feed looks truncated, so fetch it again",
            innermost.qualified_name(),
            container.qualified_name(),
            diagnostics.position(container.offset),
        ),
    }
}
