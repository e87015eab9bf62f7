//! Transcript parsing: every supported format into the canonical [`Transcript`] model.
//!
//! [`parse_transcript`] is the entry point for bytes of unknown format: it decodes them,
//! decides the format with [`sniff_format`] and runs the matching parser. Each format
//! module also exposes `parse(text, source_name, limits)` for text already decoded.

pub(crate) mod collect;
pub mod html;
pub mod json;
pub mod labels;
pub mod markup;
pub mod sniff;
pub mod srt;
pub mod text;
pub mod timecode;
pub mod vtt;

mod assemble;
mod lines;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Transcript, TranscriptFormat};

pub use self::sniff::sniff_format;
use crate::decode::{TextKind, decode};
use crate::{IngestError, IngestResult, Parsed};

/// Origin of a transcript, as far as the caller can tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TranscriptSource<'a> {
    /// Path or URL, used in errors and for the file extension.
    pub name: &'a str,
    /// MIME type from the feed's `podcast:transcript` or the HTTP `Content-Type`.
    pub mime_type: Option<&'a str>,
    /// `charset` parameter of the HTTP `Content-Type`.
    pub charset: Option<&'a str>,
    /// Language from the feed's `podcast:transcript`; used when the file declares none.
    pub language: Option<&'a str>,
}

impl<'a> TranscriptSource<'a> {
    /// Creates a source known only by its path or URL.
    pub const fn named(name: &'a str) -> Self {
        Self {
            name,
            mime_type: None,
            charset: None,
            language: None,
        }
    }
}

/// Decodes, identifies and parses a transcript.
///
/// The bytes are decoded (byte order mark, then `source.charset`, then for HTML a
/// `<meta charset>`, then UTF-8 or a detected legacy encoding), the format is chosen by
/// [`sniff_format`], and the format's parser runs. Decoding warnings come first in the
/// result. The transcript's language falls back to `source.language`.
///
/// # Errors
///
/// [`IngestError::LimitExceeded`] when the input is longer than `limits.max_bytes`,
/// [`IngestError::WrongKind`] when it is blank or binary, and any error of the format's
/// parser.
pub fn parse_transcript(
    bytes: &[u8],
    source: &TranscriptSource<'_>,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    if bytes.len() > limits.max_bytes {
        return Err(IngestError::LimitExceeded {
            source_name: source.name.to_owned(),
            limit: "max_bytes",
            max: u64::try_from(limits.max_bytes).unwrap_or(u64::MAX),
            actual: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        });
    }

    let mut decoded = decode(bytes, source.charset, TextKind::Plain);
    let Some(format) = sniff_format(&decoded.text, source) else {
        let found = if decoded.text.trim().is_empty() {
            "an empty file"
        } else {
            "binary data"
        };
        return Err(IngestError::WrongKind {
            source_name: source.name.to_owned(),
            expected: "a transcript (WebVTT, SRT, JSON, HTML or text)",
            found: found.into(),
        });
    };

    if format == TranscriptFormat::Html
        && source.charset.is_none()
        && let Some(charset) = html::meta_charset(bytes)
    {
        let redecoded = decode(bytes, Some(&charset), TextKind::Plain);
        if redecoded.encoding != decoded.encoding {
            decoded = redecoded;
        }
    }

    let parsed = parse_decoded(format, &decoded.text, source.name, limits)?;
    let mut warnings = decoded.warnings;
    warnings.extend(parsed.warnings);
    let mut transcript = parsed.value;
    if transcript.language.is_none() {
        transcript.language = source
            .language
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned);
    }
    Ok(Parsed {
        value: transcript,
        warnings,
    })
}

/// Parses decoded text with the parser of a known format.
///
/// # Errors
///
/// Whatever the format's parser returns.
pub fn parse_decoded(
    format: TranscriptFormat,
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    match format {
        TranscriptFormat::WebVtt => vtt::parse(text, source_name, limits),
        TranscriptFormat::Srt => srt::parse(text, source_name, limits),
        TranscriptFormat::Json => json::parse(text, source_name, limits),
        TranscriptFormat::Html => html::parse(text, source_name, limits),
        TranscriptFormat::Text => text::parse(text, source_name, limits),
    }
}
