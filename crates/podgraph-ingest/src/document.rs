//! Recognising what kind of document a file or response is, before choosing a parser.

use serde::{Deserialize, Serialize};

use crate::decode::{TextKind, decode};

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// An RSS, RDF or Atom feed.
    Feed,
    /// An OPML subscription list.
    Opml,
    /// A Podcasting 2.0 chapters document.
    Chapters,
    /// A transcript in any supported format.
    Transcript,
}

impl DocumentKind {
    /// Stable lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Feed => "feed",
            Self::Opml => "opml",
            Self::Chapters => "chapters",
            Self::Transcript => "transcript",
        }
    }
}

/// Guesses the kind from the content, then the `Content-Type`, then the file extension.
/// Anything that is not recognisably a feed, OPML or chapters document is treated as a
/// transcript, whose parser sniffs the format further.
pub fn sniff_document(bytes: &[u8], name: &str, content_type: Option<&str>) -> DocumentKind {
    let head = &bytes[..bytes.len().min(8192)];
    let text = decode(head, None, TextKind::Plain).text;

    if let Some(root) = xml_root_element(&text) {
        let root = root.to_ascii_lowercase();
        let local = root.rsplit(':').next().unwrap_or(&root);
        match local {
            "rss" | "feed" | "rdf" | "channel" => return DocumentKind::Feed,
            "opml" => return DocumentKind::Opml,
            _ => {}
        }
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let chapters_at = trimmed.find("\"chapters\"");
        let segments_at = trimmed.find("\"segments\"");
        if let (Some(chapters), segments) = (chapters_at, segments_at) {
            if segments.is_none_or(|segments| chapters < segments) {
                return DocumentKind::Chapters;
            }
        }
        return DocumentKind::Transcript;
    }

    let mime = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("application/rss+xml" | "application/atom+xml" | "application/rdf+xml") => {
            return DocumentKind::Feed;
        }
        Some("text/x-opml" | "application/xml+opml") => return DocumentKind::Opml,
        Some("application/json+chapters") => return DocumentKind::Chapters,
        _ => {}
    }

    let path = name
        .split(['?', '#'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    if path.ends_with(".opml") {
        DocumentKind::Opml
    } else if path.ends_with(".rss") || path.ends_with(".atom") {
        DocumentKind::Feed
    } else {
        DocumentKind::Transcript
    }
}

/// The name of the first element, skipping the XML declaration, processing
/// instructions, comments, a DOCTYPE and leading whitespace.
fn xml_root_element(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1.trim_start();
        } else if rest.starts_with("<!") {
            // A DOCTYPE: `<!DOCTYPE html>` is HTML, which is not an XML feed.
            let doctype = rest.get(..14).unwrap_or(rest).to_ascii_lowercase();
            if doctype.starts_with("<!doctype html") {
                return None;
            }
            rest = rest.split_once('>')?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = after
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(after.len());
            return Some(&after[..end]).filter(|name| !name.is_empty());
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_opml_and_chapters_are_recognised_by_content() {
        assert_eq!(
            sniff_document(b"\n<?xml version='1.0'?><!-- x --><rss>", "a", None),
            DocumentKind::Feed
        );
        assert_eq!(
            sniff_document(b"<feed xmlns='http://www.w3.org/2005/Atom'>", "a", None),
            DocumentKind::Feed
        );
        assert_eq!(sniff_document(b"<rdf:RDF>", "a", None), DocumentKind::Feed);
        assert_eq!(
            sniff_document(b"<opml version='2.0'>", "a", None),
            DocumentKind::Opml
        );
        assert_eq!(
            sniff_document(br#"{"version":"1.2.0","chapters":[]}"#, "a", None),
            DocumentKind::Chapters
        );
        assert_eq!(
            sniff_document(br#"{"version":"1.0.0","segments":[]}"#, "a", None),
            DocumentKind::Transcript
        );
    }

    #[test]
    fn html_and_captions_are_transcripts() {
        assert_eq!(
            sniff_document(b"<!DOCTYPE html><html>", "a.html", None),
            DocumentKind::Transcript
        );
        assert_eq!(
            sniff_document(b"WEBVTT\n\n", "a.vtt", None),
            DocumentKind::Transcript
        );
        assert_eq!(
            sniff_document(b"1\n00:00:01,000 --> 00:00:02,000\n", "a", None),
            DocumentKind::Transcript
        );
    }

    #[test]
    fn mime_and_extension_break_ties() {
        assert_eq!(
            sniff_document(b"", "feed", Some("application/rss+xml; charset=utf-8")),
            DocumentKind::Feed
        );
        assert_eq!(sniff_document(b"", "list.OPML", None), DocumentKind::Opml);
    }
}
