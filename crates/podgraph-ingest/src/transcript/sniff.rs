//! Deciding a transcript's format from its content, its MIME type and its name.
//!
//! Publishers often serve captions with a generic or wrong type (`text/plain` for SRT,
//! `application/octet-stream` for WebVTT), so the content decides first when it carries a
//! signature. Only content without one falls back to the declared MIME type, then to the
//! file extension, then to weaker content hints.

use podgraph_core::model::TranscriptFormat;

use super::TranscriptSource;

/// Bytes of the start of the text examined for signatures.
const HEAD_BYTES: usize = 4096;

/// Decides the format of a decoded transcript.
///
/// The order is: an unambiguous signature in the content (a `WEBVTT` header, an SRT
/// index followed by a timing line, a JSON object with `segments`, HTML tags), then the
/// MIME type, then the extension of the name or URL path, then weak content hints (a
/// headerless `-->` timing line is read as SRT, other JSON as JSON, any other readable
/// text as plain text). Returns `None` for blank input and for binary data.
pub fn sniff_format(text: &str, source: &TranscriptSource<'_>) -> Option<TranscriptFormat> {
    let head = head_of(text);
    if head.trim().is_empty() {
        return None;
    }
    if let Some(format) = sniff_signature(head) {
        return Some(format);
    }
    if let Some(format) = source.mime_type.and_then(format_of_mime) {
        return Some(format);
    }
    if let Some(format) = extension_of(source.name)
        .as_deref()
        .and_then(format_of_extension)
    {
        return Some(format);
    }
    sniff_weak(head)
}

/// Returns the first [`HEAD_BYTES`] of the text, cut at a character boundary, without a leading
/// byte order mark.
fn head_of(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut end = text.len().min(HEAD_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Recognises the signatures that identify a format whatever the transport declared.
fn sniff_signature(head: &str) -> Option<TranscriptFormat> {
    let trimmed = head.trim_start();

    if let Some(rest) = trimmed.strip_prefix("WEBVTT")
        && (rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']))
    {
        return Some(TranscriptFormat::WebVtt);
    }

    let mut lines = trimmed.lines().map(str::trim);
    if let (Some(first), Some(second)) = (lines.next(), lines.next())
        && !first.is_empty()
        && first.bytes().all(|b| b.is_ascii_digit())
        && is_timing_line(second)
    {
        return Some(TranscriptFormat::Srt);
    }

    if trimmed.starts_with('{') && trimmed.contains("\"segments\"") {
        return Some(TranscriptFormat::Json);
    }

    if looks_like_html(trimmed) {
        return Some(TranscriptFormat::Html);
    }
    None
}

/// Returns whether the text starts with markup: a doctype, a comment or one of the elements an
/// HTML transcript or page begins with.
fn looks_like_html(trimmed: &str) -> bool {
    if !trimmed.starts_with('<') {
        return false;
    }
    let lower = trimmed.to_ascii_lowercase();
    const TAGS: &[&str] = &[
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<meta",
        "<title",
        "<cite",
        "<time",
        "<p>",
        "<p ",
        "<div",
        "<section",
        "<article",
        "<span",
        "<br",
        "<h1",
        "<h2",
        "<h3",
    ];
    // A leading comment, as in pages saved by a browser, is skipped before the check.
    let mut rest = lower.as_str();
    while let Some(after_open) = rest.strip_prefix("<!--") {
        match after_open.find("-->") {
            Some(close) => rest = after_open[close + 3..].trim_start(),
            None => return false,
        }
    }
    TAGS.iter().any(|tag| rest.starts_with(tag))
}

/// Returns whether the line is a caption timing line such as
/// `00:00:01,000 --> 00:00:02,000` (or with `.`).
fn is_timing_line(line: &str) -> bool {
    let Some((start, _)) = line.split_once("-->") else {
        return false;
    };
    let start = start.trim();
    !start.is_empty()
        && start.contains(':')
        && start
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b',' || b == b'.')
}

/// Maps a MIME type (parameters and case ignored) to a format.
fn format_of_mime(mime_type: &str) -> Option<TranscriptFormat> {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/vtt" | "text/webvtt" => Some(TranscriptFormat::WebVtt),
        "application/x-subrip"
        | "application/srt"
        | "text/srt"
        | "text/x-srt"
        | "application/x-srt" => Some(TranscriptFormat::Srt),
        "application/json" | "text/json" => Some(TranscriptFormat::Json),
        "text/html" | "application/xhtml+xml" => Some(TranscriptFormat::Html),
        "text/plain" | "text/markdown" | "text/x-markdown" => Some(TranscriptFormat::Text),
        _ => None,
    }
}

/// Maps a lowercase file extension to a format.
fn format_of_extension(extension: &str) -> Option<TranscriptFormat> {
    match extension {
        "vtt" | "webvtt" => Some(TranscriptFormat::WebVtt),
        "srt" => Some(TranscriptFormat::Srt),
        "json" => Some(TranscriptFormat::Json),
        "html" | "htm" | "xhtml" => Some(TranscriptFormat::Html),
        "txt" | "text" | "md" | "markdown" | "mdown" | "mkd" => Some(TranscriptFormat::Text),
        _ => None,
    }
}

/// Returns the lowercase extension of a path or of a URL's path (query and fragment ignored).
pub(crate) fn extension_of(name: &str) -> Option<String> {
    let without_query = name.split(['?', '#']).next().unwrap_or(name);
    let file_name = without_query
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(without_query);
    let (stem, extension) = file_name.rsplit_once('.')?;
    if stem.is_empty() || extension.is_empty() || extension.len() > 10 {
        return None;
    }
    Some(extension.to_ascii_lowercase())
}

/// Hints used when nothing else decided: headerless captions, other JSON, readable text.
fn sniff_weak(head: &str) -> Option<TranscriptFormat> {
    if head
        .lines()
        .take(10)
        .any(|line| is_timing_line(line.trim()))
    {
        return Some(TranscriptFormat::Srt);
    }
    let trimmed = head.trim_start();
    if trimmed.starts_with('{')
        || (trimmed.starts_with('[') && trimmed[1..].trim_start().starts_with('{'))
    {
        return Some(TranscriptFormat::Json);
    }
    looks_like_text(head).then_some(TranscriptFormat::Text)
}

/// Returns whether the text reads as text: at most 1 % control characters other than tabs and
/// line breaks, and no NUL (which decoded binary data is full of).
fn looks_like_text(head: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in head.chars() {
        total += 1;
        if c == '\0' {
            return false;
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}') {
            control += 1;
        }
    }
    control * 100 <= total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_come_from_paths_and_urls() {
        assert_eq!(extension_of("a/b/episode.VTT").as_deref(), Some("vtt"));
        assert_eq!(
            extension_of("https://example.com/t/ep1.srt?token=x.y").as_deref(),
            Some("srt")
        );
        assert_eq!(extension_of("https://example.com/transcript"), None);
        assert_eq!(extension_of(".hidden"), None);
    }

    #[test]
    fn html_after_saved_from_comment() {
        assert!(looks_like_html(
            "<!-- saved from url=(0054)x -->\n<html><head>"
        ));
        assert!(!looks_like_html("<-- not html"));
    }
}
