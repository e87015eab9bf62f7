//! Transcript parsing: every supported format into the canonical [`Transcript`] model.

pub mod srt;
pub mod vtt;
