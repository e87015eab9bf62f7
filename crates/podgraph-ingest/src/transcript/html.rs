//! HTML transcripts as the Podcasting 2.0 namespace describes them: a `<cite>` with the
//! speaker, a `<time>` with the start, and a `<p>` with the spoken text, repeated.
//!
//! Real pages wrap this in a document with a head, navigation and footers, and browsers
//! prefix saved pages with a `<!-- saved from url=... -->` comment. Only paragraphs that
//! share a parent element with a `<cite>` or `<time>`, and come after the first of them,
//! are read as transcript. A `<cite>` or `<time>` inside a `<p>` applies to that
//! paragraph. Pages without any `<cite>` or `<time>` are read paragraph by paragraph as
//! plain text, so that `Name:` labels and `[12:34]` marks still count.
//!
//! Entities are decoded by the HTML parser and whitespace is folded to single spaces. A
//! cue starts at the latest `<time>` before it and ends where the next cue starts (the
//! last cue ends at its start).

use std::collections::{BTreeMap, HashSet};

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use scraper::{ElementRef, Html, Node};

use super::collect::{CueCollector, collapse_whitespace, parse_clock};
use crate::{IngestResult, Parsed};

/// Bytes searched for a `<meta charset>` declaration, as in the HTML encoding prescan.
const META_PRESCAN_BYTES: usize = 1024;

/// Elements whose content is never transcript text.
const SKIPPED_ELEMENTS: &[&str] = &[
    "head", "script", "style", "template", "noscript", "nav", "header", "footer", "aside", "form",
    "button", "select", "textarea", "svg", "iframe",
];

/// Parses an HTML transcript (text already decoded).
///
/// # Errors
///
/// None in practice: the HTML parser recovers from any input. A page without
/// paragraphs yields a transcript without cues and an `empty-transcript` warning.
pub fn parse(
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    let document = Html::parse_document(text);
    let items = collect_items(&document);

    if !items
        .iter()
        .any(|item| matches!(item.kind, ItemKind::Cite(_) | ItemKind::Time(_)))
    {
        let mut parsed = parse_as_paragraphs(&items, source_name, limits)?;
        parsed.value.language = document_language(&document);
        return Ok(parsed);
    }

    let mut collector = CueCollector::new(limits);
    let pending = read_turns(&items, &mut collector);
    let timed = pending.iter().any(|cue| cue.start_ms.is_some());
    emit(pending, &mut collector);
    if collector.cues().is_empty() {
        collector.warn(
            None,
            "empty-transcript",
            "the page has no transcript paragraphs",
        );
    }
    let (cues, warnings) = collector.finish();
    Ok(Parsed {
        value: Transcript {
            format: TranscriptFormat::Html,
            language: document_language(&document),
            cues,
            metadata: BTreeMap::new(),
            timed,
        },
        warnings,
    })
}

/// Finds a `<meta charset="...">` or `<meta http-equiv="Content-Type" content="...;
/// charset=...">` near the start of raw HTML bytes.
pub(crate) fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&lower[from..], b"<meta") {
        let tag_start = from + found;
        let tag_end =
            memchr::memchr(b'>', &lower[tag_start..]).map_or(lower.len(), |end| tag_start + end);
        let tag = &lower[tag_start..tag_end];
        if let Some(at) = memchr::memmem::find(tag, b"charset=") {
            let value: String = tag[at + b"charset=".len()..]
                .iter()
                .skip_while(|b| **b == b'"' || **b == b'\'' || b.is_ascii_whitespace())
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
                .map(|b| char::from(*b))
                .collect();
            if !value.is_empty() {
                return Some(value);
            }
        }
        from = tag_end;
    }
    None
}

/// Content of an element of interest.
enum ItemKind {
    /// `<cite>`: the speaker's label text.
    Cite(String),
    /// `<time>`: the parsed start, or the unparsable text.
    Time(Result<u64, String>),
    /// `<p>`: the paragraph text, and whether it held its own `<cite>` or `<time>`.
    Paragraph { text: String, self_anchored: bool },
}

/// An element of interest with the id of its parent element.
struct Item<ParentId> {
    kind: ItemKind,
    parent: Option<ParentId>,
}

/// Walks the document once, in document order, collecting `<cite>`, `<time>` and `<p>`
/// outside the skipped elements. Uses an explicit stack, so deep nesting cannot overflow
/// the call stack.
fn collect_items(document: &Html) -> Vec<Item<impl Eq + std::hash::Hash + Copy>> {
    let mut items = Vec::new();
    let mut stack = vec![*document.root_element()];
    while let Some(node) = stack.pop() {
        let Some(element) = ElementRef::wrap(node) else {
            continue;
        };
        let name = element.value().name();
        let parent = node.parent().map(|parent| parent.id());
        match name {
            _ if SKIPPED_ELEMENTS.contains(&name) => {}
            "cite" => items.push(Item {
                kind: ItemKind::Cite(inline_text(element)),
                parent,
            }),
            "time" => items.push(Item {
                kind: ItemKind::Time(time_of(element)),
                parent,
            }),
            "p" => read_paragraph(element, parent, &mut items),
            _ => stack.extend(node.children().rev()),
        }
    }
    items
}

/// Adds a paragraph's inner `<cite>` and `<time>` (if any) and then the paragraph.
fn read_paragraph<ParentId: Copy>(
    paragraph: ElementRef<'_>,
    parent: Option<ParentId>,
    items: &mut Vec<Item<ParentId>>,
) {
    let mut text = String::new();
    let mut self_anchored = false;
    let mut stack: Vec<_> = paragraph.children().rev().collect();
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(content) => text.push_str(content),
            Node::Element(element) => match element.name() {
                name if SKIPPED_ELEMENTS.contains(&name) => {}
                "br" => text.push('\n'),
                "cite" | "time" => {
                    if let Some(inner) = ElementRef::wrap(node) {
                        let kind = if element.name() == "cite" {
                            ItemKind::Cite(inline_text(inner))
                        } else {
                            ItemKind::Time(time_of(inner))
                        };
                        items.push(Item { kind, parent });
                        self_anchored = true;
                    }
                }
                _ => stack.extend(node.children().rev()),
            },
            _ => {}
        }
    }
    items.push(Item {
        kind: ItemKind::Paragraph {
            text: collapse_whitespace(&text),
            self_anchored,
        },
        parent,
    });
}

/// Returns all text inside an element, whitespace folded.
fn inline_text(element: ElementRef<'_>) -> String {
    let mut text = String::new();
    for piece in element.text() {
        text.push_str(piece);
        text.push(' ');
    }
    collapse_whitespace(&text)
}

/// Parses the time of a `<time>` element from its text, else from its `datetime`
/// attribute. Returns the text when neither is a clock time.
fn time_of(element: ElementRef<'_>) -> Result<u64, String> {
    let text = inline_text(element);
    parse_clock(&text)
        .or_else(|| element.attr("datetime").and_then(parse_clock))
        .ok_or(text)
}

/// Returns the `lang` attribute of the `<html>` element.
fn document_language(document: &Html) -> Option<String> {
    document
        .root_element()
        .attr("lang")
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
}

/// A cue before its end is known.
struct PendingCue {
    speaker: Option<String>,
    start_ms: Option<u64>,
    text: String,
}

/// Applies `<cite>` and `<time>` to the paragraphs that belong to the transcript.
fn read_turns<ParentId: Eq + std::hash::Hash + Copy>(
    items: &[Item<ParentId>],
    collector: &mut CueCollector,
) -> Vec<PendingCue> {
    let anchored_parents: HashSet<ParentId> = items
        .iter()
        .filter(|item| matches!(item.kind, ItemKind::Cite(_) | ItemKind::Time(_)))
        .filter_map(|item| item.parent)
        .collect();
    let max_ms = collector.max_timestamp_ms();

    let mut speaker: Option<String> = None;
    let mut start_ms: Option<u64> = None;
    let mut seen_anchor = false;
    let mut pending = Vec::new();
    for item in items {
        match &item.kind {
            ItemKind::Cite(label) => {
                seen_anchor = true;
                let name = label.trim().trim_end_matches(':').trim_end();
                speaker = (!name.is_empty()).then(|| name.to_owned());
            }
            ItemKind::Time(Ok(millis)) if *millis > max_ms => {
                seen_anchor = true;
                collector.warn(
                    None,
                    "timestamp-over-limit",
                    format!("<time> {millis} ms is beyond max_timestamp_hours; ignored"),
                );
            }
            ItemKind::Time(Ok(millis)) => {
                seen_anchor = true;
                start_ms = Some(*millis);
            }
            ItemKind::Time(Err(text)) => {
                seen_anchor = true;
                collector.warn(
                    None,
                    "time-invalid",
                    format!("<time> {text:?} is not a clock time such as 1:02:03; ignored"),
                );
            }
            ItemKind::Paragraph {
                text,
                self_anchored,
            } => {
                let belongs = *self_anchored
                    || (seen_anchor && item.parent.is_some_and(|p| anchored_parents.contains(&p)));
                if belongs && !text.is_empty() {
                    pending.push(PendingCue {
                        speaker: speaker.clone(),
                        start_ms,
                        text: text.clone(),
                    });
                }
            }
        }
    }
    pending
}

/// Sets each cue's end to the next cue's start and hands the cues to the collector.
fn emit(pending: Vec<PendingCue>, collector: &mut CueCollector) {
    let starts: Vec<u64> = pending
        .iter()
        .map(|cue| cue.start_ms.unwrap_or(0))
        .collect();
    for (index, cue) in pending.into_iter().enumerate() {
        let start_ms = starts[index];
        let end_ms = starts
            .get(index + 1)
            .copied()
            .filter(|next| *next >= start_ms)
            .unwrap_or(start_ms);
        collector.push(Cue {
            id: None,
            start_ms,
            end_ms,
            speaker: cue.speaker,
            text: cue.text,
        });
    }
}

/// Reads a page without `<cite>` or `<time>` as plain text, one paragraph per `<p>`.
fn parse_as_paragraphs<ParentId>(
    items: &[Item<ParentId>],
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    let mut plain = String::new();
    for item in items {
        if let ItemKind::Paragraph { text, .. } = &item.kind
            && !text.is_empty()
        {
            plain.push_str(text);
            plain.push_str("\n\n");
        }
    }
    let mut parsed = super::text::parse(&plain, source_name, limits)?;
    parsed.value.format = TranscriptFormat::Html;
    for warning in &mut parsed.warnings {
        // Line numbers would refer to the extracted paragraphs, not to the page.
        warning.position = None;
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_charset_forms() {
        assert_eq!(
            meta_charset(b"<html><head><meta charset=\"windows-1252\">").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(
            meta_charset(
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"
            )
            .as_deref(),
            Some("iso-8859-1")
        );
        assert_eq!(meta_charset(b"<p>charset=utf-8</p>"), None);
    }
}
