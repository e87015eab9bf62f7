//! Transcript parsing: every supported format into the canonical [`Transcript`] model.

pub mod labels;
pub mod markup;
pub mod srt;
pub mod timecode;
pub mod vtt;

mod assemble;
mod lines;
