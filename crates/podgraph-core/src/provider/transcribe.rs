use async_trait::async_trait;
use bytes::Bytes;

use crate::error::ProviderResult;
use crate::model::Transcript;

/// Audio to transcribe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AudioSource {
    /// A URL the transcriber downloads itself.
    Url(String),
    /// Audio bytes with their MIME type.
    Bytes {
        /// The audio.
        data: Bytes,
        /// MIME type, for example `audio/mpeg`.
        mime_type: String,
    },
}

/// Speech to text, used when an episode publishes no transcript.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Transcriber: Send + Sync {
    /// Transcribes the audio into timed cues.
    ///
    /// Silence yields a transcript with no cues, not an error.
    ///
    /// # Errors
    /// `InvalidInput` for unsupported audio, `LimitExceeded` for audio over the service's
    /// size limit, `Timeout` or `Unavailable` when the service fails.
    async fn transcribe(&self, audio: &AudioSource) -> ProviderResult<Transcript>;
}
