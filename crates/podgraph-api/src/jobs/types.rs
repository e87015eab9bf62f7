//! The request and status bodies of seeding jobs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// Feeds accepted in one request; larger lists belong in several jobs.
pub const MAX_FEEDS_PER_JOB: usize = 100;

/// Body of `POST /api/v1/seed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeedRequest {
    /// Feed URLs to read (`http` or `https`).
    #[serde(default)]
    pub feeds: Vec<String>,
    /// An OPML document listing feeds, inline; its `http(s)` feeds are read too.
    #[serde(default)]
    pub opml: Option<String>,
    /// Process at most this many newest episodes of each podcast.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub max_episodes: Option<u64>,
    /// Extractor to use.
    #[serde(default)]
    pub extractor: ExtractorChoice,
    /// Process episodes again even when their stored record is unchanged.
    #[serde(default)]
    pub force: bool,
}

impl SeedRequest {
    /// Checks the request against the server's limits, naming each invalid field.
    ///
    /// # Errors
    /// `Validation` listing every invalid field.
    pub fn validate(&self, max_episodes_per_job: usize) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        let opml_given = self.opml.as_deref().is_some_and(|o| !o.trim().is_empty());
        if self.feeds.is_empty() && !opml_given {
            errors.push(FieldError {
                field: "feeds".to_owned(),
                message: "give at least one feed URL in `feeds` or an OPML document in `opml`"
                    .to_owned(),
            });
        }
        if self.feeds.len() > MAX_FEEDS_PER_JOB {
            errors.push(FieldError {
                field: "feeds".to_owned(),
                message: format!(
                    "{} feeds given, at most {MAX_FEEDS_PER_JOB} are accepted per job",
                    self.feeds.len()
                ),
            });
        }
        for (index, feed) in self.feeds.iter().enumerate() {
            if let Err(message) = check_feed_url(feed) {
                errors.push(FieldError {
                    field: format!("feeds[{index}]"),
                    message,
                });
            }
        }
        if let Some(max) = self.max_episodes {
            let limit = max_episodes_per_job as u64;
            if max == 0 || max > limit {
                errors.push(FieldError {
                    field: "max_episodes".to_owned(),
                    message: format!("{max} is out of range; give 1 to {limit}"),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Accepts absolute `http` and `https` URLs with a host and without credentials. Local
/// paths and other schemes are rejected: a remote caller must not make the server read
/// its own files. A user name or password is rejected because job bodies are stored and
/// shown to every API client.
pub(crate) fn check_feed_url(feed: &str) -> Result<(), String> {
    let trimmed = feed.trim();
    let lower = trimmed.to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return Err(format!(
            "{:?} is not an http or https URL",
            redact_user_info(feed)
        ));
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(format!(
            "{:?} contains whitespace; percent-encode it",
            redact_user_info(feed)
        ));
    }
    let url = url::Url::parse(trimmed)
        .map_err(|error| format!("{:?} is not a valid URL: {error}", redact_user_info(feed)))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{:?} is not a valid URL with a host",
            redact_user_info(feed)
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{:?} contains credentials; remove the user name and password from the URL",
            redact_user_info(feed)
        ));
    }
    Ok(())
}

/// Returns whether `url` parses as a URL with a user name or password.
pub(crate) fn has_user_info(url: &str) -> bool {
    url::Url::parse(url.trim())
        .is_ok_and(|parsed| !parsed.username().is_empty() || parsed.password().is_some())
}

/// Hides the user information of a URL: `http://user:pw@host/` becomes
/// `http://user:***@host/`, and a user name without a password becomes `***` because
/// such a name is often a token. Text without user information is returned unchanged.
pub(crate) fn redact_user_info(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + "://".len();
    let rest = url.get(authority_start..).unwrap_or_default();
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_len).unwrap_or_default();
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let user_info = authority.get(..at).unwrap_or_default();
    let redacted = match user_info.split_once(':') {
        Some((user, _password)) => format!("{user}:***"),
        None => "***".to_owned(),
    };
    let scheme = url.get(..authority_start).unwrap_or_default();
    let host_and_rest = rest.get(at..).unwrap_or_default();
    format!("{scheme}{redacted}{host_and_rest}")
}

/// Extractors a job can use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractorChoice {
    /// The built-in local extractor (no network, deterministic).
    #[default]
    Local,
}

/// Lifecycle state of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a free job slot.
    Queued,
    /// Reading feeds or processing episodes.
    Running,
    /// Finished; individual episodes may still have failed (see `failures`).
    Succeeded,
    /// Stopped before finishing, with the reason in `error`.
    Failed,
    /// Cancelled by `DELETE /api/v1/jobs/{id}`.
    Cancelled,
}

impl JobState {
    /// The stored and serialised name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the job has ended.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// State of one episode of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeState {
    /// Not started yet.
    Pending,
    /// Being processed.
    Running,
    /// Its subgraph was written.
    Processed,
    /// Skipped: the stored record matches.
    Unchanged,
    /// Skipped: it has no transcript.
    NoTranscript,
    /// Failed; see `stage` and `reason`.
    Failed,
    /// Not started because the job was cancelled or the server stopped.
    NotStarted,
}

/// Progress of one episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EpisodeProgress {
    /// Episode id (UUID).
    pub episode_id: String,
    /// Episode title.
    pub title: String,
    /// State.
    pub state: EpisodeState,
    /// Stage that failed, for failed episodes.
    pub stage: Option<String>,
    /// Why it failed, for failed episodes.
    pub reason: Option<String>,
    /// Processing time in milliseconds, once finished.
    pub elapsed_ms: Option<u64>,
}

/// Episode counts of a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobProgress {
    /// Episodes selected from the feeds.
    pub total: u64,
    /// Episodes finished in any way.
    pub finished: u64,
    /// Episodes written.
    pub processed: u64,
    /// Episodes skipped as unchanged.
    pub unchanged: u64,
    /// Episodes skipped for lack of a transcript.
    pub without_transcript: u64,
    /// Episodes that failed.
    pub failed: u64,
    /// Episodes not started.
    pub not_started: u64,
}

/// Facts written by a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobCounts {
    /// Transcript segments.
    pub segments: u64,
    /// Entities.
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
}

/// A feed or episode that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobFailure {
    /// The feed URL or the episode title.
    pub source: String,
    /// Episode id, for episode failures.
    pub episode_id: Option<String>,
    /// Stage that failed (`feed.fetch`, `transcript.parse`, ...).
    pub stage: String,
    /// Why, in words a user can act on.
    pub reason: String,
}

/// Status of a seeding job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    /// Job id (UUID).
    pub id: String,
    /// State.
    pub state: JobState,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the job started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When the job ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether a cancellation was requested.
    pub cancel_requested: bool,
    /// The request as submitted.
    pub request: SeedRequest,
    /// Episode counts.
    pub progress: JobProgress,
    /// Facts written.
    pub counts: JobCounts,
    /// Each selected episode, in processing order.
    pub episodes: Vec<EpisodeProgress>,
    /// Feeds and episodes that failed.
    pub failures: Vec<JobFailure>,
    /// Why the whole job failed, for failed jobs.
    pub error: Option<String>,
}

impl JobView {
    /// A new queued job.
    pub(crate) fn new(id: String, request: SeedRequest, now: DateTime<Utc>) -> Self {
        Self {
            id,
            state: JobState::Queued,
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
            cancel_requested: false,
            request,
            progress: JobProgress::default(),
            counts: JobCounts::default(),
            episodes: Vec::new(),
            failures: Vec::new(),
            error: None,
        }
    }

    /// The job as the API returns it, with user information hidden in every feed URL
    /// (see [`redact_user_info`]). The API now rejects feed URLs with credentials,
    /// but older jobs and stores seeded by other means may contain some.
    pub(crate) fn redacted(mut self) -> Self {
        for feed in &mut self.request.feeds {
            *feed = redact_user_info(feed);
        }
        for failure in &mut self.failures {
            failure.source = redact_user_info(&failure.source);
        }
        self
    }

    /// A job whose stored body could not be read, rebuilt from its row.
    pub(crate) fn placeholder(id: &str, created_at: DateTime<Utc>) -> Self {
        let request = SeedRequest {
            feeds: Vec::new(),
            opml: None,
            max_episodes: None,
            extractor: ExtractorChoice::Local,
            force: false,
        };
        Self::new(id.to_owned(), request, created_at)
    }

    /// Ends the job in `state`; episodes that never finished become `not_started`.
    pub(crate) fn finish(&mut self, state: JobState, error: Option<String>) {
        let now = Utc::now();
        for episode in &mut self.episodes {
            if matches!(episode.state, EpisodeState::Pending | EpisodeState::Running) {
                episode.state = EpisodeState::NotStarted;
                self.progress.not_started += 1;
            }
        }
        self.state = state;
        self.error = error;
        self.finished_at = Some(now);
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(feeds: &[&str]) -> SeedRequest {
        SeedRequest {
            feeds: feeds.iter().map(|f| (*f).to_owned()).collect(),
            opml: None,
            max_episodes: None,
            extractor: ExtractorChoice::Local,
            force: false,
        }
    }

    #[test]
    fn validation_names_each_bad_feed() {
        let error = request(&["https://example.org/feed", "/etc/passwd", "ftp://x/y"])
            .validate(10)
            .unwrap_err();
        let ApiError::Validation(errors) = error else {
            panic!("expected a validation error");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["feeds[1]", "feeds[2]"]);
    }

    #[test]
    fn validation_requires_a_source() {
        let error = request(&[]).validate(10).unwrap_err();
        assert!(error.to_string().contains("feeds"), "{error}");
    }

    #[test]
    fn validation_bounds_max_episodes() {
        let mut req = request(&["http://127.0.0.1:1/feed.xml"]);
        req.max_episodes = Some(0);
        assert!(req.validate(10).is_err());
        req.max_episodes = Some(11);
        assert!(req.validate(10).is_err());
        req.max_episodes = Some(10);
        assert!(req.validate(10).is_ok());
    }

    #[test]
    fn redaction_hides_user_info() {
        let cases = [
            (
                "http://user:pw@127.0.0.1:1/feed.xml",
                "http://user:***@127.0.0.1:1/feed.xml",
            ),
            (
                "https://token@example.org/f?a=b@c",
                "https://***@example.org/f?a=b@c",
            ),
            ("https://example.org/a@b", "https://example.org/a@b"),
            ("https://example.org", "https://example.org"),
            ("not a url", "not a url"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_user_info(input), expected, "input {input}");
        }
    }

    #[test]
    fn feed_check_rejects_credentials_and_bad_urls() {
        assert!(check_feed_url("https://example.org/feed.xml").is_ok());
        let credentials = check_feed_url("http://user:pw@127.0.0.1:1/feed.xml").unwrap_err();
        assert!(
            credentials.contains("remove the user name"),
            "{credentials}"
        );
        assert!(!credentials.contains("pw@"), "{credentials}");
        assert!(check_feed_url("http://user@127.0.0.1:1/feed.xml").is_err());
        assert!(check_feed_url("http://[::1").is_err());
        assert!(check_feed_url("http://").is_err());
    }
}
