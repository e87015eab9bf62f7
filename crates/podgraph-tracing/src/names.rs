//! Span names, attribute keys and log field names. These are public API: dashboards,
//! alerts and saved queries refer to them, so renaming one is a breaking change.
//!
//! Attribute keys that the OpenTelemetry semantic conventions define are re-exported from
//! `opentelemetry-semantic-conventions` (version 0.31, conventions 1.36); podgraph's own
//! keys are defined here.

/// Span names.
pub mod span {
    /// Root span of one `podgraph seed` run or one API seeding job.
    pub const PIPELINE_RUN: &str = "pipeline.run";
    /// One episode, from transcript fetch to store write; child of [`PIPELINE_RUN`].
    pub const EPISODE_PROCESS: &str = "episode.process";

    /// Reading a feed (stage `feed.fetch`).
    pub const FEED_FETCH: &str = "feed.fetch";
    /// Parsing a feed (stage `feed.parse`).
    pub const FEED_PARSE: &str = "feed.parse";
    /// Fetching a transcript (stage `transcript.fetch`); child of [`EPISODE_PROCESS`].
    pub const TRANSCRIPT_FETCH: &str = "transcript.fetch";
    /// Parsing and normalising a transcript (stage `transcript.parse`).
    pub const TRANSCRIPT_PARSE: &str = "transcript.parse";
    /// Splitting a transcript into segments (stage `segment`).
    pub const SEGMENT: &str = "segment";
    /// Extracting knowledge (stage `extract`).
    pub const EXTRACT: &str = "extract";
    /// Resolving entities (stage `resolve`).
    pub const RESOLVE: &str = "resolve";
    /// Writing the episode subgraph (stage `store.write`).
    pub const STORE_WRITE: &str = "store.write";

    /// Stage span names in processing order; equal to `Stage::ALL` mapped by
    /// `Stage::as_str` (a test checks this).
    pub const STAGES: [&str; 8] = [
        FEED_FETCH,
        FEED_PARSE,
        TRANSCRIPT_FETCH,
        TRANSCRIPT_PARSE,
        SEGMENT,
        EXTRACT,
        RESOLVE,
        STORE_WRITE,
    ];

    /// `GraphStore::migrate`.
    pub const STORE_MIGRATE: &str = "store.migrate";
    /// `GraphStore::write_episode`.
    pub const STORE_WRITE_EPISODE: &str = "store.write_episode";
    /// `GraphStore::record_failure`.
    pub const STORE_RECORD_FAILURE: &str = "store.record_failure";
    /// `GraphStore::episode_record`.
    pub const STORE_EPISODE_RECORD: &str = "store.episode_record";
    /// `GraphStore::resolve_candidates`.
    pub const STORE_RESOLVE_CANDIDATES: &str = "store.resolve_candidates";
    /// `GraphStore::podcasts`.
    pub const STORE_PODCASTS: &str = "store.podcasts";
    /// `GraphStore::episodes`.
    pub const STORE_EPISODES: &str = "store.episodes";
    /// `GraphStore::entities`.
    pub const STORE_ENTITIES: &str = "store.entities";
    /// `GraphStore::entity`.
    pub const STORE_ENTITY: &str = "store.entity";
    /// `GraphStore::mentions`.
    pub const STORE_MENTIONS: &str = "store.mentions";
    /// `GraphStore::quotes`.
    pub const STORE_QUOTES: &str = "store.quotes";
    /// `GraphStore::neighbours`.
    pub const STORE_NEIGHBOURS: &str = "store.neighbours";
    /// `GraphStore::search`.
    pub const STORE_SEARCH: &str = "store.search";
    /// `GraphStore::stats`.
    pub const STORE_STATS: &str = "store.stats";
    /// `GraphStore::health`.
    pub const STORE_HEALTH: &str = "store.health";

    /// `LlmClient::complete`.
    pub const LLM_COMPLETE: &str = "llm.complete";
    /// `Cache::get`.
    pub const CACHE_GET: &str = "cache.get";
    /// `Cache::set`.
    pub const CACHE_SET: &str = "cache.set";
    /// `Cache::delete`.
    pub const CACHE_DELETE: &str = "cache.delete";
    /// `Fetcher::fetch`.
    pub const FETCH: &str = "fetch";
    /// `Extractor::extract`; the stage span [`EXTRACT`] is its parent in the pipeline.
    pub const EXTRACTOR_EXTRACT: &str = "extractor.extract";
    /// `WorkQueue::enqueue`.
    pub const QUEUE_ENQUEUE: &str = "queue.enqueue";
    /// `WorkQueue::claim`.
    pub const QUEUE_CLAIM: &str = "queue.claim";
    /// `WorkQueue::ack`.
    pub const QUEUE_ACK: &str = "queue.ack";
    /// `WorkQueue::fail`.
    pub const QUEUE_FAIL: &str = "queue.fail";
    /// `WorkQueue::stats`.
    pub const QUEUE_STATS: &str = "queue.stats";
    /// `Transcriber::transcribe`.
    pub const TRANSCRIBER_TRANSCRIBE: &str = "transcriber.transcribe";
}

/// Span attribute keys.
pub mod attr {
    pub use opentelemetry_semantic_conventions::attribute::{
        DB_NAMESPACE, DB_OPERATION_NAME, DB_RESPONSE_RETURNED_ROWS, DB_SYSTEM_NAME, ERROR_TYPE,
        EXCEPTION_MESSAGE, EXCEPTION_TYPE, GEN_AI_OPERATION_NAME, GEN_AI_REQUEST_MAX_TOKENS,
        GEN_AI_REQUEST_MODEL, GEN_AI_REQUEST_TEMPERATURE, GEN_AI_RESPONSE_MODEL, GEN_AI_SYSTEM,
        GEN_AI_USAGE_INPUT_TOKENS, GEN_AI_USAGE_OUTPUT_TOKENS, HTTP_REQUEST_METHOD,
        HTTP_RESPONSE_BODY_SIZE, HTTP_RESPONSE_STATUS_CODE, MESSAGING_BATCH_MESSAGE_COUNT,
        MESSAGING_CONSUMER_GROUP_NAME, MESSAGING_DESTINATION_NAME, MESSAGING_MESSAGE_ID,
        MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE, MESSAGING_SYSTEM, URL_FULL, URL_SCHEME,
    };

    /// The podcast id.
    pub const PODCAST_ID: &str = "podcast.id";
    /// The episode id.
    pub const EPISODE_ID: &str = "episode.id";
    /// Correlation id of a CLI run, equal to the `run_id` log field.
    pub const RUN_ID: &str = "podgraph.run.id";
    /// Correlation id of an API request, equal to the `request_id` log field.
    pub const REQUEST_ID: &str = "podgraph.request.id";
    /// The pipeline stage (`transcript.fetch`, `extract`, ...).
    pub const STAGE: &str = "podgraph.stage";
    /// Episodes handed to a run.
    pub const EPISODES_COUNT: &str = "episodes.count";
    /// Segments of an episode.
    pub const SEGMENTS_COUNT: &str = "segments.count";
    /// Entities of an episode after resolution.
    pub const ENTITIES_COUNT: &str = "entities.count";
    /// Mentions of an episode.
    pub const MENTIONS_COUNT: &str = "mentions.count";
    /// Quotes of an episode.
    pub const QUOTES_COUNT: &str = "quotes.count";
    /// Topics of an episode.
    pub const TOPICS_COUNT: &str = "topics.count";
    /// Insights of an episode.
    pub const INSIGHTS_COUNT: &str = "insights.count";
    /// Relationships between entities of an episode.
    pub const RELATIONSHIPS_COUNT: &str = "relationships.count";
    /// Outcome of an episode: `processed`, `unchanged`, `no_transcript` or `failed`.
    pub const EPISODE_OUTCOME: &str = "podgraph.episode.outcome";
    /// `read` or `write`: whether a store call changes data. Never the statement itself.
    pub const DB_STATEMENT_KIND: &str = "podgraph.db.statement.kind";
    /// Whether a cache lookup found a value.
    pub const CACHE_HIT: &str = "podgraph.cache.hit";
    /// Size of a cached or fetched value in bytes.
    pub const VALUE_SIZE: &str = "podgraph.value.size";
    /// `fetched` or `not_modified`.
    pub const FETCH_STATUS: &str = "podgraph.fetch.status";
    /// Redirects followed by a fetch.
    pub const FETCH_REDIRECTS: &str = "podgraph.fetch.redirects";
    /// Name and version of an extractor (`local/1`).
    pub const EXTRACTOR_VERSION: &str = "podgraph.extractor.version";
    /// `url` or `bytes`: how audio was handed to a transcriber.
    pub const AUDIO_SOURCE: &str = "podgraph.audio.source";
    /// MIME type of audio bytes.
    pub const AUDIO_MIME_TYPE: &str = "podgraph.audio.mime_type";
    /// Cues returned by a transcriber.
    pub const CUES_COUNT: &str = "cues.count";
    /// Candidate entities returned by a store.
    pub const CANDIDATES_COUNT: &str = "candidates.count";
    /// Names looked up in one call.
    pub const NAMES_COUNT: &str = "names.count";
}

/// Resource attribute keys.
pub mod resource {
    pub use opentelemetry_semantic_conventions::resource::{
        DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION,
    };
}

/// Log field names. Every line inside a span that carries [`RUN_ID`](field::RUN_ID) or
/// [`REQUEST_ID`](field::REQUEST_ID) repeats that field.
pub mod field {
    /// Correlation id of a CLI run; a field of the `pipeline.run` span.
    pub const RUN_ID: &str = "run_id";
    /// Correlation id of an API request; a field of the request's root span.
    pub const REQUEST_ID: &str = "request_id";
    /// The podcast id.
    pub const PODCAST_ID: &str = "podcast_id";
    /// The episode id.
    pub const EPISODE_ID: &str = "episode_id";
    /// The pipeline stage.
    pub const STAGE: &str = "stage";
    /// Duration of the finished step in milliseconds, on completion events.
    pub const ELAPSED_MS: &str = "elapsed_ms";
    /// The error, on failure events.
    pub const ERROR: &str = "error";
    /// Trace id (32 hex digits) of the current span, on lines inside a sampled span.
    pub const TRACE_ID: &str = "trace_id";
    /// Span id (16 hex digits) of the current span, on lines inside a sampled span.
    pub const SPAN_ID: &str = "span_id";
    /// Fields copied from the enclosing spans onto every line.
    pub const CORRELATION: [&str; 2] = [RUN_ID, REQUEST_ID];
}

/// Log fields that are exported under a different span attribute key, so that logs use
/// `snake_case` names while spans use the dotted OpenTelemetry style.
pub const FIELD_ATTRIBUTES: [(&str, &str); 5] = [
    (field::RUN_ID, attr::RUN_ID),
    (field::REQUEST_ID, attr::REQUEST_ID),
    (field::PODCAST_ID, attr::PODCAST_ID),
    (field::EPISODE_ID, attr::EPISODE_ID),
    (field::STAGE, attr::STAGE),
];

/// Returns the span attribute key for a log field name: the mapped key from
/// [`FIELD_ATTRIBUTES`], else the name unchanged.
pub fn attribute_for_field(name: &str) -> &str {
    FIELD_ATTRIBUTES
        .iter()
        .find(|(field, _)| *field == name)
        .map_or(name, |(_, attribute)| attribute)
}

#[cfg(test)]
mod tests {
    use podgraph_core::pipeline::Stage;

    use super::*;

    #[test]
    fn stage_names_match_core() {
        let core: Vec<&str> = Stage::ALL.iter().map(|stage| stage.as_str()).collect();
        assert_eq!(core, span::STAGES.to_vec());
    }

    #[test]
    fn fields_map_to_dotted_attributes() {
        assert_eq!(attribute_for_field("episode_id"), "episode.id");
        assert_eq!(attribute_for_field("run_id"), "podgraph.run.id");
        assert_eq!(attribute_for_field("elapsed_ms"), "elapsed_ms");
    }
}
