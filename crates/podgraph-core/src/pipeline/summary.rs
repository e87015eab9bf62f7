use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{EpisodeJob, Stage, StageError};
use crate::ids::EpisodeId;
use crate::model::EpisodeGraph;
use crate::provider::WriteSummary;

/// Why an episode was not processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The stored record matches the guid, transcript hash and extractor version.
    Unchanged,
    /// The episode has no transcript to read.
    NoTranscript,
    /// The transcript was read but contains no cue with text.
    EmptyTranscript,
}

impl SkipReason {
    /// Stable snake_case name used in logs, span attributes and metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::NoTranscript => "no_transcript",
            Self::EmptyTranscript => "empty_transcript",
        }
    }
}

/// What was written for one processed episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeCounts {
    /// Segments.
    pub segments: u64,
    /// Entities after resolution.
    pub entities: u64,
    /// Mentions.
    pub mentions: u64,
    /// Topics.
    pub topics: u64,
    /// Quotes.
    pub quotes: u64,
    /// Insights.
    pub insights: u64,
    /// Relationships between entities.
    pub relationships: u64,
    /// Transcript bytes read.
    pub transcript_bytes: u64,
    /// Parser warnings.
    pub warnings: u64,
    /// Nodes and relationships written.
    pub written: WriteSummary,
}

impl EpisodeCounts {
    pub(super) fn of(graph: &EpisodeGraph, written: WriteSummary, warnings: usize) -> Self {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let extraction = &graph.extraction;
        Self {
            segments: count(graph.transcript.segments.len()),
            entities: count(extraction.entities.len()),
            mentions: count(extraction.mentions.len()),
            topics: count(extraction.topics.len()),
            quotes: count(extraction.quotes.len()),
            insights: count(extraction.insights.len()),
            relationships: count(extraction.relationships.len()),
            transcript_bytes: count(graph.transcript.text.len()),
            warnings: count(warnings),
            written,
        }
    }

    fn add(&mut self, other: &Self) {
        self.segments += other.segments;
        self.entities += other.entities;
        self.mentions += other.mentions;
        self.topics += other.topics;
        self.quotes += other.quotes;
        self.insights += other.insights;
        self.relationships += other.relationships;
        self.transcript_bytes += other.transcript_bytes;
        self.warnings += other.warnings;
        self.written.nodes += other.written.nodes;
        self.written.relationships += other.written.relationships;
        self.written.removed += other.written.removed;
    }
}

/// The result of one episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EpisodeOutcome {
    /// The episode's subgraph was written.
    Processed(Box<EpisodeCounts>),
    /// The episode was not processed.
    Skipped(SkipReason),
    /// The episode failed; its stored subgraph, if any, is unchanged.
    Failed(StageError),
}

/// One failed episode in a run summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeFailure {
    /// The episode, when known.
    pub episode_id: Option<EpisodeId>,
    /// Episode title.
    pub title: String,
    /// Stage that failed.
    pub stage: Stage,
    /// Reason.
    pub reason: String,
}

/// An input left out of a run (a file in a transcript folder that is not read, for
/// example), with the reason. Nothing failed, but the user may have expected it read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedInput {
    /// The path or URL.
    pub source: String,
    /// Why it was left out and what would make it count.
    pub reason: String,
}

/// Totals of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Episodes processed and written.
    pub processed: usize,
    /// Episodes skipped because their stored record matched.
    pub unchanged: usize,
    /// Episodes skipped because they have no transcript. Their podcast, episode and
    /// `podcast:person` nodes are stored without extracted facts.
    pub without_transcript: usize,
    /// Episodes skipped because their transcript contains no cue with text; stored like
    /// episodes without a transcript.
    #[serde(default)]
    pub empty_transcript: usize,
    /// Episodes not started because the run was cancelled.
    pub cancelled: usize,
    /// Failed episodes with stage and reason.
    pub failures: Vec<EpisodeFailure>,
    /// Inputs that were not read, with the reason.
    #[serde(default)]
    pub skipped_inputs: Vec<SkippedInput>,
    /// Feeds the server reported unchanged since the last run (HTTP 304 to a conditional
    /// request); they were not parsed again.
    #[serde(default)]
    pub feeds_not_modified: Vec<String>,
    /// What processed episodes produced.
    pub counts: EpisodeCounts,
    /// Wall time of the run, serialized in milliseconds as `elapsed_ms` (read back from
    /// the older name `elapsed` too).
    #[serde(rename = "elapsed_ms", alias = "elapsed", with = "duration_ms")]
    pub elapsed: Duration,
}

impl RunSummary {
    /// Adds one episode's outcome.
    pub fn record(&mut self, job: &EpisodeJob, outcome: EpisodeOutcome) {
        match outcome {
            EpisodeOutcome::Processed(counts) => {
                self.processed += 1;
                self.counts.add(&counts);
            }
            EpisodeOutcome::Skipped(SkipReason::Unchanged) => self.unchanged += 1,
            EpisodeOutcome::Skipped(SkipReason::NoTranscript) => self.without_transcript += 1,
            EpisodeOutcome::Skipped(SkipReason::EmptyTranscript) => self.empty_transcript += 1,
            EpisodeOutcome::Failed(error) => self.failures.push(EpisodeFailure {
                episode_id: Some(job.episode.id),
                title: job.episode.title.clone(),
                stage: error.stage,
                reason: error.message,
            }),
        }
    }

    /// Adds a failure that happened before episodes existed (a feed that could not be read).
    pub fn record_feed_failure(&mut self, feed: &str, stage: Stage, reason: String) {
        self.failures.push(EpisodeFailure {
            episode_id: None,
            title: feed.to_owned(),
            stage,
            reason,
        });
    }

    /// Episodes failed.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }
}

mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_serialized_in_milliseconds() {
        let summary = RunSummary {
            elapsed: Duration::from_millis(207),
            ..RunSummary::default()
        };

        let json = serde_json::to_value(&summary).unwrap();

        assert_eq!(json["elapsed_ms"], 207);
        assert!(json.get("elapsed").is_none(), "{json}");
    }

    #[test]
    fn older_elapsed_name_still_read() {
        let mut json = serde_json::to_value(RunSummary::default()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("elapsed_ms");
        object.insert("elapsed".to_owned(), serde_json::json!(207));

        let summary: RunSummary = serde_json::from_value(json).unwrap();

        assert_eq!(summary.elapsed, Duration::from_millis(207));
    }
}
