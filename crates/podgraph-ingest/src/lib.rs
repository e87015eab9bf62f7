//! Reading what podcasts publish: RSS and Atom feeds with the iTunes and Podcasting 2.0
//! tags, OPML subscription lists, transcripts in every common format, chapters, and the
//! normalisation of a transcript into timed, speaker-attributed segments.
//!
//! Parsers are lenient: they repair what real feeds and transcripts get wrong, record a
//! [`Warning`] with the position for each repair, and fail only when nothing usable is
//! left. They never panic and never hang on any input.

pub mod chapters;
pub mod decode;
pub mod diag;
pub mod document;
pub mod error;
pub mod feed;
pub mod fetch;
pub mod loader;
pub mod normalize;
pub mod sources;
pub mod transcript;

pub use diag::{Parsed, Position, Warning};
pub use error::{IngestError, IngestResult};
