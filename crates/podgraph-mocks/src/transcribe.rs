//! [`ScriptedTranscriber`]: a [`Transcriber`] that returns scripted transcripts.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use podgraph_core::model::Transcript;
use podgraph_core::provider::{AudioSource, Transcriber};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};

const OPERATION: &str = "transcribe.audio";

type Outcome = Result<Transcript, (ErrorKind, String)>;

#[derive(Default)]
struct Script {
    by_url: HashMap<String, Outcome>,
    queue: VecDeque<Outcome>,
    requests: Vec<AudioSource>,
}

/// A [`Transcriber`] with scripted results.
///
/// A URL source registered with [`ScriptedTranscriber::insert_url`] or
/// [`ScriptedTranscriber::fail_url`] always gets that outcome. Other sources take the next
/// outcome queued with [`ScriptedTranscriber::push_transcript`] or
/// [`ScriptedTranscriber::push_failure`]; with nothing queued the call fails with
/// `Unexpected`. Audio bytes whose MIME type is neither `audio/*` nor `video/*` are
/// `InvalidInput`, as with a real service. Every request is recorded.
#[derive(Default)]
pub struct ScriptedTranscriber {
    script: Mutex<Script>,
}

impl ScriptedTranscriber {
    /// Creates a transcriber with nothing scripted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns `transcript` for every request of `url`.
    pub fn insert_url(&self, url: impl Into<String>, transcript: Transcript) -> &Self {
        self.script().by_url.insert(url.into(), Ok(transcript));
        self
    }

    /// Fails every request of `url` with `kind`.
    pub fn fail_url(
        &self,
        url: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> &Self {
        self.script()
            .by_url
            .insert(url.into(), Err((kind, message.into())));
        self
    }

    /// Queues `transcript` for the next request without a URL rule.
    pub fn push_transcript(&self, transcript: Transcript) -> &Self {
        self.script().queue.push_back(Ok(transcript));
        self
    }

    /// Queues a failure of `kind` for the next request without a URL rule.
    pub fn push_failure(&self, kind: ErrorKind, message: impl Into<String>) -> &Self {
        self.script().queue.push_back(Err((kind, message.into())));
        self
    }

    /// Returns every request received, in order.
    pub fn requests(&self) -> Vec<AudioSource> {
        self.script().requests.clone()
    }

    // Each method changes the script in one step, so a poisoned lock is still consistent.
    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn describe(audio: &AudioSource) -> String {
    match audio {
        AudioSource::Url(url) => url.clone(),
        AudioSource::Bytes { data, mime_type } => format!("{} bytes of {mime_type}", data.len()),
    }
}

#[async_trait]
impl Transcriber for ScriptedTranscriber {
    async fn transcribe(&self, audio: &AudioSource) -> ProviderResult<Transcript> {
        let mut script = self.script();
        script.requests.push(audio.clone());

        if let AudioSource::Bytes { mime_type, .. } = audio {
            let mime = mime_type.trim().to_ascii_lowercase();
            if !(mime.starts_with("audio/") || mime.starts_with("video/")) {
                return Err(ProviderError::new(
                    ErrorKind::InvalidInput,
                    OPERATION,
                    format!("unsupported media type \"{mime_type}\"; send audio/* or video/*"),
                ));
            }
        }

        let scripted = match audio {
            AudioSource::Url(url) => script.by_url.get(url).cloned(),
            AudioSource::Bytes { .. } => None,
        };
        let outcome = match scripted {
            Some(outcome) => outcome,
            None => script.queue.pop_front().ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Unexpected,
                    OPERATION,
                    format!("no scripted transcript for {}", describe(audio)),
                )
            })?,
        };
        outcome.map_err(|(kind, message)| ProviderError::new(kind, OPERATION, message))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bytes::Bytes;
    use podgraph_core::model::{Cue, TranscriptFormat};

    use super::*;

    fn transcript(text: &str) -> Transcript {
        Transcript {
            format: TranscriptFormat::Json,
            language: Some("en".to_owned()),
            cues: vec![Cue {
                id: None,
                start_ms: 0,
                end_ms: 1_000,
                speaker: None,
                text: text.to_owned(),
            }],
            metadata: BTreeMap::new(),
            timed: true,
        }
    }

    fn mp3(len: usize) -> AudioSource {
        AudioSource::Bytes {
            data: Bytes::from(vec![0; len]),
            mime_type: "audio/mpeg".to_owned(),
        }
    }

    #[tokio::test]
    async fn url_rule_answers_every_time() {
        let transcriber = ScriptedTranscriber::new();
        transcriber.insert_url("https://example.com/1.mp3", transcript("hello"));
        for _ in 0..2 {
            let result = transcriber
                .transcribe(&AudioSource::Url("https://example.com/1.mp3".into()))
                .await
                .unwrap();
            assert_eq!(result.cues[0].text, "hello");
        }
    }

    #[tokio::test]
    async fn queued_outcomes_are_used_in_order() {
        let transcriber = ScriptedTranscriber::new();
        transcriber
            .push_transcript(transcript("first"))
            .push_failure(ErrorKind::LimitExceeded, "audio longer than 25 MB");

        assert_eq!(
            transcriber.transcribe(&mp3(10)).await.unwrap().cues[0].text,
            "first"
        );
        let error = transcriber.transcribe(&mp3(10)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        let error = transcriber.transcribe(&mp3(10)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unexpected);
        assert!(
            error.message().contains("10 bytes of audio/mpeg"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn silence_is_an_empty_transcript() {
        let transcriber = ScriptedTranscriber::new();
        let mut silent = transcript("");
        silent.cues.clear();
        transcriber.push_transcript(silent);
        assert!(
            transcriber
                .transcribe(&mp3(0))
                .await
                .unwrap()
                .cues
                .is_empty()
        );
    }

    #[tokio::test]
    async fn non_audio_bytes_are_invalid_input() {
        let transcriber = ScriptedTranscriber::new();
        transcriber.push_transcript(transcript("unused"));
        let pdf = AudioSource::Bytes {
            data: Bytes::from_static(b"%PDF"),
            mime_type: "application/pdf".to_owned(),
        };
        let error = transcriber.transcribe(&pdf).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(transcriber.requests(), [pdf]);
    }

    #[tokio::test]
    async fn url_failure_keeps_its_kind() {
        let transcriber = ScriptedTranscriber::new();
        transcriber.fail_url(
            "https://example.com/x.mp3",
            ErrorKind::Timeout,
            "took too long",
        );
        let error = transcriber
            .transcribe(&AudioSource::Url("https://example.com/x.mp3".into()))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Timeout);
        assert!(error.is_temporary());
    }
}
