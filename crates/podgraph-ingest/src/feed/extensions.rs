//! Elements of the extension namespaces that RSS and Atom feeds share: iTunes,
//! Podcasting 2.0, Podlove Simple Chapters, Media RSS, the content module and Dublin Core.
//!
//! Each reader fills only fields of its own namespace's slots, so an element of another
//! namespace (`media:title`, `foo:title`) can never overwrite a core field.

use std::collections::BTreeMap;

use podgraph_core::model::{
    Chapter, ChapterSource, ChaptersLink, Enclosure, Person, Soundbite, TranscriptLink,
};

use crate::feed::draft::{ChannelDraft, Context, ItemDraft, RawDate, fill, push_unique, set_once};
use crate::feed::duration::parse_time_ms;
use crate::feed::namespace::Namespace;
use crate::feed::xml::ElementId;

/// Reads an extension element that is a child of the channel or Atom feed.
pub(crate) fn read_channel_element(
    cx: &mut Context<'_, '_, '_>,
    id: ElementId,
    channel: &mut ChannelDraft,
) {
    let element = cx.doc.get(id);
    match (element.namespace, element.local_lc.as_ref()) {
        (Namespace::Itunes, "title") => set_once(&mut channel.itunes_title, cx.text(id)),
        (Namespace::Itunes, "summary") => set_once(&mut channel.itunes_summary, cx.text(id)),
        (Namespace::Itunes, "author") => set_once(&mut channel.itunes_author, cx.text(id)),
        (Namespace::Itunes, "explicit") => fill(&mut channel.explicit, || read_explicit(cx, id)),
        (Namespace::Itunes, "image") => {
            fill(&mut channel.itunes_image, || read_itunes_image(cx, id))
        }
        (Namespace::Itunes, "category") => {
            read_itunes_category(cx, id, &mut channel.itunes_categories, 0)
        }
        (Namespace::Itunes, "owner") => {
            let email = cx
                .doc
                .children(id)
                .find(|(_, child)| {
                    child.namespace == Namespace::Itunes && child.local_lc.as_ref() == "email"
                })
                .map(|(email, _)| email);
            if let Some(email) = email {
                set_once(&mut channel.owner_email, cx.text(email));
            }
        }
        (Namespace::Itunes, "new-feed-url") => fill(&mut channel.new_feed_url, || cx.url_text(id)),
        (Namespace::Podcast, "guid") => set_once(&mut channel.podcast_guid, cx.text(id)),
        (Namespace::Podcast, "locked") => fill(&mut channel.locked, || {
            read_yes_no(cx, id, "podcast:locked")
        }),
        (Namespace::Podcast, "medium") => {
            set_once(
                &mut channel.medium,
                cx.text(id).map(|m| m.to_ascii_lowercase()),
            );
        }
        (Namespace::Podcast, "person") => {
            if let Some(person) = read_person(cx, id) {
                channel.persons.push(person);
            }
        }
        (Namespace::Podcast, "image") if is_artwork(cx, id) => {
            fill(&mut channel.other_image, || cx.url_attr(id, "href"));
        }
        (Namespace::Media, "thumbnail") => {
            fill(&mut channel.other_image, || cx.url_attr(id, "url"))
        }
        (Namespace::Dc, "creator") => set_once(&mut channel.author, cx.text(id)),
        (Namespace::Dc, "language") => set_once(&mut channel.language, cx.text(id)),
        _ => {}
    }
}

/// Reads an extension element that is a child of an item or Atom entry.
pub(crate) fn read_item_element(cx: &mut Context<'_, '_, '_>, id: ElementId, item: &mut ItemDraft) {
    let element = cx.doc.get(id);
    match (element.namespace, element.local_lc.as_ref()) {
        (Namespace::Itunes, "title") => set_once(&mut item.itunes_title, cx.text(id)),
        (Namespace::Itunes, "summary") => set_once(&mut item.itunes_summary, cx.text(id)),
        (Namespace::Itunes, "duration") => fill(&mut item.duration_ms, || read_duration(cx, id)),
        (Namespace::Itunes, "explicit") => fill(&mut item.explicit, || read_explicit(cx, id)),
        (Namespace::Itunes, "image") => fill(&mut item.itunes_image, || read_itunes_image(cx, id)),
        (Namespace::Itunes, "season") => fill(&mut item.itunes_season, || read_number(cx, id)),
        (Namespace::Itunes, "episode") => fill(&mut item.itunes_episode, || read_number(cx, id)),
        (Namespace::Itunes, "episodetype") => {
            set_once(
                &mut item.episode_type,
                cx.text(id).map(|t| t.to_ascii_lowercase()),
            );
        }
        (Namespace::Itunes, "keywords") => {
            if let Some(keywords) = cx.text(id) {
                for keyword in keywords.split(',') {
                    push_unique(&mut item.categories, keyword);
                }
            }
        }
        (Namespace::Podcast, "season") => fill(&mut item.podcast_season, || read_number(cx, id)),
        (Namespace::Podcast, "episode") => fill(&mut item.podcast_episode, || read_number(cx, id)),
        (Namespace::Podcast, "person") => {
            if let Some(person) = read_person(cx, id) {
                item.persons.push(person);
            }
        }
        (Namespace::Podcast, "transcript") => {
            if let Some(link) = read_transcript(cx, id) {
                item.transcripts.push(link);
            }
        }
        (Namespace::Podcast, "chapters") => {
            fill(&mut item.chapters_link, || read_chapters_link(cx, id))
        }
        (Namespace::Podcast, "soundbite") => {
            if let Some(soundbite) = read_soundbite(cx, id) {
                item.soundbites.push(soundbite);
            }
        }
        (Namespace::Podcast, "image") if is_artwork(cx, id) => {
            fill(&mut item.other_image, || cx.url_attr(id, "href"));
        }
        (Namespace::Podcast, "alternateenclosure") => {
            let is_default = cx
                .doc
                .get(id)
                .attr_trimmed("default")
                .is_some_and(|d| d.eq_ignore_ascii_case("true"));
            if item.other_enclosure.is_none() || is_default {
                if let Some(enclosure) = read_alternate_enclosure(cx, id) {
                    item.other_enclosure = Some(enclosure);
                }
            }
        }
        (Namespace::Psc, "chapters") if item.chapters.is_empty() => {
            item.chapters = read_simple_chapters(cx, id);
        }
        (Namespace::Media, "content") => {
            fill(&mut item.other_enclosure, || read_media_content(cx, id))
        }
        (Namespace::Media, "group") => {
            let contents: Vec<ElementId> = cx
                .doc
                .children(id)
                .filter(|(_, child)| {
                    child.namespace == Namespace::Media && child.local_lc.as_ref() == "content"
                })
                .map(|(content, _)| content)
                .collect();
            for content in contents {
                if item.other_enclosure.is_none() {
                    item.other_enclosure = read_media_content(cx, content);
                }
            }
        }
        (Namespace::Media, "thumbnail") => fill(&mut item.other_image, || cx.url_attr(id, "url")),
        (Namespace::Content, "encoded") => set_once(&mut item.content, cx.text(id)),
        (Namespace::Dc, "date") => {
            let offset = cx.doc.get(id).offset;
            set_once(
                &mut item.fallback_date,
                cx.text(id).map(|text| RawDate { text, offset }),
            );
        }
        _ => {}
    }
}

/// `itunes:explicit`: `yes`, `true` and `explicit` are true; `no`, `false` and `clean`
/// are false; surrounding whitespace and case are ignored.
fn read_explicit(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<bool> {
    let value = cx.text(id)?;
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "explicit" => Some(true),
        "no" | "false" | "clean" => Some(false),
        _ => {
            cx.warn_at(
                id,
                "invalid-explicit",
                format!(
                    "itunes:explicit value {value:?} is not yes, no, true, false or clean; ignored"
                ),
            );
            None
        }
    }
}

fn read_yes_no(cx: &mut Context<'_, '_, '_>, id: ElementId, what: &str) -> Option<bool> {
    let value = cx.text(id)?;
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => {
            cx.warn_at(
                id,
                "invalid-boolean",
                format!("{what} value {value:?} is not yes or no; ignored"),
            );
            None
        }
    }
}

/// `itunes:image`: the `href` attribute, else `url`, else the text some feeds put inside.
fn read_itunes_image(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<String> {
    cx.url_attr(id, "href")
        .or_else(|| cx.url_attr(id, "url"))
        .or_else(|| cx.url_text(id))
}

/// `podcast:image` without `purpose`, or with `artwork` among its purposes.
fn is_artwork(cx: &Context<'_, '_, '_>, id: ElementId) -> bool {
    cx.doc
        .get(id)
        .attr_trimmed("purpose")
        .is_none_or(|purpose| {
            purpose
                .split_whitespace()
                .any(|p| p.eq_ignore_ascii_case("artwork"))
        })
}

/// Collects `itunes:category text` values, parents before children, without duplicates.
fn read_itunes_category(
    cx: &mut Context<'_, '_, '_>,
    id: ElementId,
    categories: &mut Vec<String>,
    depth: usize,
) {
    if let Some(text) = cx.doc.get(id).attr("text") {
        push_unique(categories, text);
    }
    // Real feeds nest one level; the bound only guards against pathological input.
    if depth >= 8 {
        return;
    }
    let children: Vec<ElementId> = cx
        .doc
        .children(id)
        .filter(|(_, child)| {
            child.namespace == Namespace::Itunes && child.local_lc.as_ref() == "category"
        })
        .map(|(child, _)| child)
        .collect();
    for child in children {
        read_itunes_category(cx, child, categories, depth + 1);
    }
}

fn read_duration(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<u64> {
    let value = cx.text(id)?;
    let duration = parse_time_ms(&value);
    if duration.is_none() {
        cx.warn_at(
            id,
            "invalid-duration",
            format!("itunes:duration {value:?} is not seconds, MM:SS or HH:MM:SS; ignored"),
        );
    }
    duration
}

/// Reads a season or episode number: a non-negative integer that fits in 32 bits.
fn read_number(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<u32> {
    let value = cx.text(id)?;
    match value.parse::<u32>() {
        Ok(number) => Some(number),
        Err(_) => {
            let name = cx.doc.get(id).qualified_name();
            cx.warn_at(
                id,
                "invalid-number",
                format!("{name} value {value:?} is not a non-negative integer; ignored"),
            );
            None
        }
    }
}

/// `podcast:person`: role defaults to `host` and group to `cast`, both lowercased; empty
/// `href` and `img` are absent.
fn read_person(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<Person> {
    let Some(name) = cx.text(id) else {
        cx.warn_at(
            id,
            "empty-person",
            "podcast:person without a name; ignored".to_owned(),
        );
        return None;
    };
    let mut person = Person::new(name);
    if let Some(role) = cx.attr(id, "role") {
        person.role = role.to_lowercase();
    }
    if let Some(group) = cx.attr(id, "group") {
        person.group = group.to_lowercase();
    }
    person.href = cx.url_attr(id, "href");
    person.img = cx.url_attr(id, "img");
    Some(person)
}

fn read_transcript(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<TranscriptLink> {
    let Some(url) = cx.url_attr(id, "url") else {
        cx.warn_at(
            id,
            "missing-url",
            "podcast:transcript without a url; ignored".to_owned(),
        );
        return None;
    };
    Some(TranscriptLink {
        url,
        mime_type: cx.attr(id, "type"),
        language: cx.attr(id, "language").map(|l| l.to_ascii_lowercase()),
        rel: cx.attr(id, "rel").map(|r| r.to_ascii_lowercase()),
    })
}

fn read_chapters_link(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<ChaptersLink> {
    let Some(url) = cx.url_attr(id, "url") else {
        cx.warn_at(
            id,
            "missing-url",
            "podcast:chapters without a url; ignored".to_owned(),
        );
        return None;
    };
    Some(ChaptersLink {
        url,
        mime_type: cx.attr(id, "type"),
    })
}

/// `podcast:soundbite startTime duration` in decimal seconds.
fn read_soundbite(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<Soundbite> {
    let start = cx.attr(id, "startTime");
    let duration = cx.attr(id, "duration");
    match (
        start.as_deref().and_then(parse_time_ms),
        duration.as_deref().and_then(parse_time_ms),
    ) {
        (Some(start_ms), Some(duration_ms)) => Some(Soundbite {
            start_ms,
            duration_ms,
            title: cx.text(id),
        }),
        _ => {
            cx.warn_at(
                id,
                "invalid-soundbite",
                format!(
                    "podcast:soundbite startTime {start:?} and duration {duration:?} must be seconds; ignored"
                ),
            );
            None
        }
    }
}

/// Podlove Simple Chapters, sorted by start; each chapter ends where the next one starts.
fn read_simple_chapters(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Vec<Chapter> {
    let elements: Vec<ElementId> = cx
        .doc
        .children(id)
        .filter(|(_, child)| {
            child.namespace == Namespace::Psc && child.local_lc.as_ref() == "chapter"
        })
        .map(|(chapter, _)| chapter)
        .collect();
    let mut chapters = Vec::with_capacity(elements.len());
    for chapter in elements {
        let start = cx.attr(chapter, "start");
        let Some(start_ms) = start.as_deref().and_then(parse_time_ms) else {
            cx.warn_at(
                chapter,
                "invalid-chapter-time",
                format!("psc:chapter start {start:?} is not a normal play time; chapter ignored"),
            );
            continue;
        };
        chapters.push(Chapter {
            start_ms,
            end_ms: None,
            title: cx.attr(chapter, "title").unwrap_or_default(),
            url: cx.url_attr(chapter, "href"),
            img: cx.url_attr(chapter, "image"),
            toc: true,
            source: ChapterSource::Feed,
            extra: BTreeMap::new(),
        });
    }
    chapters.sort_by_key(|chapter| chapter.start_ms);
    let starts: Vec<u64> = chapters.iter().map(|c| c.start_ms).collect();
    for (chapter, next_start) in chapters.iter_mut().zip(starts.iter().skip(1)) {
        chapter.end_ms = Some(*next_start);
    }
    chapters
}

/// Reads the RSS `<enclosure url type length>` element.
pub(crate) fn read_enclosure(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<Enclosure> {
    let Some(url) = cx.url_attr(id, "url") else {
        cx.warn_at(
            id,
            "missing-url",
            "enclosure without a url; ignored".to_owned(),
        );
        return None;
    };
    Some(Enclosure {
        url,
        mime_type: cx.attr(id, "type"),
        length: read_length(cx, id, "length"),
    })
}

/// Reads a size attribute in bytes. A non-numeric value is absent, with a warning.
pub(crate) fn read_length(cx: &mut Context<'_, '_, '_>, id: ElementId, name: &str) -> Option<u64> {
    let value = cx.attr(id, name)?;
    match value.parse::<u64>() {
        Ok(length) => Some(length),
        Err(_) => {
            cx.warn_at(
                id,
                "invalid-length",
                format!("{name} {value:?} is not a number of bytes; ignored"),
            );
            None
        }
    }
}

/// `media:content` with an audio or video type or medium.
fn read_media_content(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<Enclosure> {
    let element = cx.doc.get(id);
    let mime_type = element.attr_trimmed("type").map(str::to_owned);
    let medium = element.attr_trimmed("medium").map(str::to_ascii_lowercase);
    let is_media = mime_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .is_some_and(|t| t.starts_with("audio/") || t.starts_with("video/"))
        || matches!(medium.as_deref(), Some("audio" | "video"));
    if !is_media {
        return None;
    }
    let url = cx.url_attr(id, "url")?;
    Some(Enclosure {
        url,
        mime_type,
        length: read_length(cx, id, "fileSize"),
    })
}

/// `podcast:alternateEnclosure` with its first `podcast:source uri`.
fn read_alternate_enclosure(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<Enclosure> {
    let source = cx
        .doc
        .children(id)
        .find(|(_, child)| {
            child.namespace == Namespace::Podcast && child.local_lc.as_ref() == "source"
        })
        .map(|(source, _)| source)?;
    let url = cx.url_attr(source, "uri")?;
    Some(Enclosure {
        url,
        mime_type: cx.attr(id, "type"),
        length: read_length(cx, id, "length"),
    })
}
