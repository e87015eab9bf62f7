//! The catalogue of SLI events that the pipeline and the API emit.
//!
//! An SLI counts good events among valid events. Outcome events arrive already judged
//! (an episode succeeded or failed); measured events carry a value, and each SLO that
//! uses them sets the threshold at or below which an event is good. Two SLOs can
//! therefore share `episode.latency` with different thresholds.

/// An episode finished processing: good when it was written, bad when it failed through
/// podgraph's or a provider's fault. Skipped episodes (unchanged, no transcript) and
/// episodes whose input was rejected (invalid, not found, unsupported) are not valid
/// events. Recorded by [`SloObserver`](crate::SloObserver).
pub const EPISODE_PROCESSED: &str = "episode.processed";

/// Wall time of one processed episode, in seconds. Recorded by
/// [`SloObserver`](crate::SloObserver) for episodes that were written.
pub const EPISODE_LATENCY: &str = "episode.latency";

/// An API request finished: bad when the response status is 5xx.
pub const API_REQUEST: &str = "api.request";

/// Time to respond to one API request, in seconds.
pub const API_LATENCY: &str = "api.latency";

/// Age of a newly published episode when it entered the graph: the time from its
/// publication date to the moment its subgraph was written, in seconds.
pub const INGEST_FRESHNESS: &str = "ingest.freshness";

/// LLM spending for one episode, in US dollars.
pub const LLM_COST: &str = "llm.cost";

/// One call to a provider (fetcher, extractor, store, LLM): bad when the provider failed.
/// Carries the [`PROVIDER_LABEL`] label.
pub const PROVIDER_CALL: &str = "provider.call";

/// The label naming the provider of a [`PROVIDER_CALL`] event.
pub const PROVIDER_LABEL: &str = "provider";

/// How an event is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    /// The emitter says whether the event was good.
    Outcome,
    /// A duration in seconds; good when at or below the SLO's duration threshold.
    Seconds,
    /// An amount in US dollars; good when at or below the SLO's amount threshold.
    Usd,
}

/// One entry of the event catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventDef {
    /// The event name used in `config/slo.yaml`.
    pub name: &'static str,
    /// How events are judged.
    pub measure: Measure,
    /// Labels the event may carry and SLOs may filter on.
    pub labels: &'static [&'static str],
    /// What the event is, for error messages and docs.
    pub description: &'static str,
}

/// Every event the product emits.
pub const CATALOGUE: [EventDef; 7] = [
    EventDef {
        name: EPISODE_PROCESSED,
        measure: Measure::Outcome,
        labels: &[],
        description: "an episode finished processing (good: written, bad: failed through podgraph's or a provider's fault)",
    },
    EventDef {
        name: EPISODE_LATENCY,
        measure: Measure::Seconds,
        labels: &[],
        description: "wall time of one processed episode",
    },
    EventDef {
        name: API_REQUEST,
        measure: Measure::Outcome,
        labels: &[],
        description: "an API request (bad: 5xx response)",
    },
    EventDef {
        name: API_LATENCY,
        measure: Measure::Seconds,
        labels: &[],
        description: "time to answer one API request",
    },
    EventDef {
        name: INGEST_FRESHNESS,
        measure: Measure::Seconds,
        labels: &[],
        description: "time from an episode's publication to its subgraph being written",
    },
    EventDef {
        name: LLM_COST,
        measure: Measure::Usd,
        labels: &[],
        description: "LLM spending for one episode in US dollars",
    },
    EventDef {
        name: PROVIDER_CALL,
        measure: Measure::Outcome,
        labels: &[PROVIDER_LABEL],
        description: "one provider call (bad: the provider failed)",
    },
];

/// Returns the catalogue entry named `name`.
pub fn lookup(name: &str) -> Option<&'static EventDef> {
    CATALOGUE.iter().find(|def| def.name == name)
}

/// The names of every catalogue event, comma-separated, for error messages.
pub fn known_names() -> String {
    CATALOGUE
        .iter()
        .map(|def| def.name)
        .collect::<Vec<_>>()
        .join(", ")
}
