//! Knowledge extraction for podgraph: the local extractor and entity resolution.
//!
//! [`LocalExtractor`] is the embedded default [`Extractor`](podgraph_core::provider::Extractor):
//! it needs no model and no network, and finds entities, topics, quotes, insights and
//! relationships in a normalised transcript with name lists, capitalisation and context
//! cues, key-phrase statistics and cue phrases. Every fact carries evidence: segment,
//! speaker, times and the exact byte span in the episode text.
//!
//! [`resolve`] merges the names that refer to one entity, within an episode and against a
//! store, and records why. [`eval`] scores extracted entities against hand-labelled
//! transcripts.

pub mod eval;
pub mod resolve;

mod lexicon;
mod local;
mod stage;
mod text;

pub use local::LocalExtractor;
pub use stage::StoreResolver;
