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

/// Describes a document that [`sniff_document`] classes as a transcript but that is
/// markup of another kind, so that a caller expecting a feed can reject it instead of
/// reading the markup as transcript text. Returns `None` for anything a transcript parser
/// should see.
///
/// Two cases are foreign. One is an XML document (with an XML declaration or a namespace
/// declaration) whose root element is not a feed, OPML or HTML element. The other is an
/// HTML page without both the `<cite>` (speaker) and `<time>` (timestamp) elements that
/// HTML transcripts are made of.
pub fn foreign_markup(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(8192)];
    let text = decode(head, None, TextKind::Plain).text;
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !trimmed.starts_with('<') {
        return None;
    }

    let root = xml_root_element(trimmed).map(str::to_ascii_lowercase);
    let is_html = match root.as_deref() {
        None => trimmed
            .get(..14)
            .is_some_and(|start| start.eq_ignore_ascii_case("<!doctype html")),
        Some(root) => matches!(root.rsplit(':').next(), Some("html" | "head" | "body")),
    };
    if is_html {
        let lower = bytes.to_ascii_lowercase();
        let has = |tag: &[u8]| memchr::memmem::find(&lower, tag).is_some();
        if has(b"<cite") && has(b"<time") {
            return None;
        }
        return Some(
            "an HTML page without the <cite> speaker and <time> timestamp elements of an \
             HTML transcript"
                .to_owned(),
        );
    }

    let declared_xml = trimmed.starts_with("<?xml") || trimmed.contains("xmlns");
    match root {
        Some(root) if declared_xml => Some(format!("an XML document with root element <{root}>")),
        _ => None,
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
    fn foreign_markup_names_what_was_found() {
        let note = foreign_markup(b"<?xml version='1.0'?>\n<note><to>A</to></note>");
        assert_eq!(
            note.as_deref(),
            Some("an XML document with root element <note>")
        );
        let svg = foreign_markup(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>");
        assert_eq!(
            svg.as_deref(),
            Some("an XML document with root element <svg>")
        );
        let page = foreign_markup(b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>");
        assert!(page.is_some_and(|found| found.starts_with("an HTML page")));
    }

    #[test]
    fn transcripts_are_not_foreign_markup() {
        let html = b"<!-- saved --><html><body><cite>Alban:</cite><time>0:00</time><p>Hi</p>";
        assert_eq!(foreign_markup(html), None);
        assert_eq!(foreign_markup(b"<cite>A:</cite>\n<TIME>0:01</TIME>"), None);
        assert_eq!(
            foreign_markup(b"WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>Hi"),
            None
        );
        assert_eq!(foreign_markup(b"Alice: hello <there>"), None);
        // A voice tag at the start of a text transcript is not an XML document.
        assert_eq!(foreign_markup(b"<v Alice>hello</v>"), None);
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
