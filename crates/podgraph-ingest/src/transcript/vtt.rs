//! WebVTT.

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::Transcript;

use crate::{IngestError, IngestResult, Parsed};

/// Parses a WebVTT transcript (text already decoded).
pub fn parse(
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    let _ = (text, limits);
    Err(IngestError::WrongKind {
        source_name: source_name.to_owned(),
        expected: "a WebVTT transcript",
        found: "placeholder".into(),
    })
}
