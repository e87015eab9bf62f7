//! Command-line definitions. The doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Turn podcast feeds and transcripts into a knowledge graph of people, organisations,
/// topics, quotes and insights, each tied to its episode, speaker and timestamp.
#[derive(Debug, Parser)]
#[command(name = "podgraph", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options of every command.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Configuration file; `podgraph.toml` in the working directory is read when present.
    #[arg(long, global = true, env = "PODGRAPH_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// Log format [default: human on terminals, json otherwise].
    #[arg(long, global = true, value_enum, env = "PODGRAPH_LOG_FORMAT")]
    pub(crate) log_format: Option<LogFormat>,

    /// More log output (-v: debug, -vv: trace). `RUST_LOG` overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Only errors in the log.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
}

/// Log output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build the knowledge graph from feeds, OPML lists and transcript folders.
    ///
    /// Episodes whose transcript and extractor version did not change since the last run
    /// are skipped, so running the same command again is cheap and an interrupted run
    /// can simply be repeated. Web feeds are requested with the `ETag` and
    /// `Last-Modified` of their last complete run, and an unchanged feed (HTTP 304) is
    /// not read again. Every episode result counts toward the SLOs of
    /// `podgraph slo status`, and a run is rejected while an SLO policy freezes seeding.
    /// Exit codes: 0 all done, 1 error, 3 some episodes or feeds failed (listed in the
    /// summary), 4 rejected by an SLO freeze, 130 interrupted.
    Seed(SeedArgs),

    /// Read the stored graph: search, entities with their mentions, episodes, quotes,
    /// neighbours and statistics.
    Query(QueryArgs),

    /// Write the whole graph as JSON lines, a Cypher script for Neo4j, or GraphML.
    Export(ExportArgs),

    /// Parse a feed, OPML file, transcript or chapters file and print what was found,
    /// with every repair the parser made.
    Inspect(InspectArgs),

    /// Service level objectives: error budgets, burn rates, alerts and policies, the
    /// Prometheus rules generated from them, and checks of the SLO spec.
    Slo(SloArgs),

    /// Serve the REST API (`/api/v1`), Swagger UI at `/docs`, health probes and
    /// `/metrics` until SIGINT or SIGTERM, then finish requests and stop jobs safely.
    Serve(ServeArgs),

    /// Queue one job per episode of the inputs in Redis, for `podgraph worker` processes.
    ///
    /// Reads the same inputs as `seed`. Needs `[redis] url` or `REDIS_URL`. An episode
    /// already waiting or in progress is not queued twice. Exit codes: 0 all queued,
    /// 1 error, 3 some inputs could not be read.
    Enqueue(crate::enqueue::EnqueueArgs),

    /// Process queued episodes until stopped, writing them to the store.
    ///
    /// Any number of workers can share one queue. Each job is acknowledged after its
    /// store write. A job whose worker dies goes to another worker after its lease, and
    /// a job that fails on every attempt moves to the dead-letter stream. SIGINT or
    /// SIGTERM stops claiming and finishes running jobs; a second signal exits at once.
    /// Exit codes: 0 stopped, 1 error, 130 aborted by a second signal.
    Worker(crate::worker::WorkerArgs),
}

/// Arguments of `podgraph serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: `api.addr`, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub(crate) addr: Option<std::net::SocketAddr>,

    /// SQLite database file [default: podgraph.db in the user's data directory].
    #[arg(long, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,

    /// SLO specification file [default: the built-in specification].
    #[arg(long, value_name = "FILE")]
    pub(crate) slo: Option<PathBuf>,

    /// Allow seeding jobs to fetch feeds from loopback addresses (for local testing).
    #[arg(long)]
    pub(crate) allow_loopback: bool,
}

/// Arguments of `podgraph seed`.
#[derive(Debug, Args)]
pub(crate) struct SeedArgs {
    /// Feed files or URLs, OPML files, transcript files, or directories of transcripts
    /// (one episode per file; each sub-directory is one podcast).
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,

    /// Directory of transcript files matched to feed items by guid, enclosure file name
    /// or title; used before the feed's transcript links.
    #[arg(long, value_name = "DIR")]
    pub(crate) transcripts: Option<PathBuf>,

    /// SQLite database file, or a Neo4j URI such as bolt://127.0.0.1:7687 (password from
    /// NEO4J_PASSWORD) [default: podgraph.db in the user's data directory].
    #[arg(long, value_name = "PATH|URI")]
    pub(crate) db: Option<PathBuf>,

    /// Episodes processed at once; 0 means one per CPU core [default: number of CPU
    /// cores].
    #[arg(long, value_name = "N")]
    pub(crate) concurrency: Option<usize>,

    /// Process at most N newest episodes of each podcast (1 or more).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub(crate) max_episodes: Option<usize>,

    /// Only episodes published on or after this date (YYYY-MM-DD); undated episodes are skipped.
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<chrono::NaiveDate>,

    /// Process episodes even when their stored record is up to date, and request web
    /// feeds in full instead of conditionally.
    #[arg(long)]
    pub(crate) force: bool,

    /// Print the run summary as JSON and no progress bar.
    #[arg(long)]
    pub(crate) json: bool,

    /// Allow feed and transcript URLs on loopback addresses (local test servers).
    #[arg(long)]
    pub(crate) allow_loopback: bool,

    /// Serve Prometheus metrics on this address (for example 127.0.0.1:9464) while the
    /// run lasts.
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_addr: Option<std::net::SocketAddr>,

    /// Write the final Prometheus metrics to this file when the run ends, for the node
    /// exporter's textfile collector or batch jobs.
    #[arg(long, value_name = "PATH")]
    pub(crate) metrics_file: Option<PathBuf>,

    /// Seed even while an SLO policy freezes seeding (an operator override, logged as a
    /// warning and counted in `podgraph_slo_forced_admissions_total`).
    #[arg(long)]
    pub(crate) override_freeze: bool,
}

/// Arguments of `podgraph query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// SQLite database file [default: as for `seed`].
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,

    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    #[command(subcommand)]
    pub(crate) command: QueryCommand,
}

/// What to query.
#[derive(Debug, Subcommand)]
pub(crate) enum QueryCommand {
    /// Full-text search over transcript segments, quotes and entity names.
    Search {
        /// Words to find; every word must match. Quotes and operators are taken literally.
        text: String,
        /// Maximum hits.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One entity with its aliases and mentions (episode, speaker, time).
    Entity {
        /// Name or alias; the best match is shown.
        name: String,
        /// Show why each alias was merged into the entity.
        #[arg(long)]
        explain: bool,
        /// Maximum mentions listed.
        #[arg(long, default_value_t = 20)]
        mentions: usize,
    },
    /// Stored episodes, newest first.
    Episodes {
        /// Maximum episodes.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One episode with its speakers, topics and segments.
    Episode {
        /// Episode id (from `podgraph query episodes`).
        id: String,
        /// Maximum segments listed; 0 lists all.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Quotes, best first, filtered by entity, speaker or episode.
    Quotes {
        /// Only quotes from segments that mention this entity.
        #[arg(long)]
        entity: Option<String>,
        /// Only quotes by this speaker (exact name).
        #[arg(long)]
        speaker: Option<String>,
        /// Only quotes from this episode id.
        #[arg(long)]
        episode: Option<String>,
        /// Maximum quotes.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Entities related to an entity, to a depth.
    Neighbours {
        /// Name or alias of the start entity.
        name: String,
        /// Relationship hops.
        #[arg(long, default_value_t = 1)]
        depth: u8,
        /// Maximum entities.
        #[arg(long, default_value_t = 30)]
        limit: usize,
    },
    /// The most mentioned entities.
    Top {
        /// Only this kind: person, organization, place, product, creative_work or event.
        #[arg(long)]
        kind: Option<String>,
        /// Maximum entities.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Node and relationship counts.
    Stats,
}

/// Arguments of `podgraph export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// SQLite database file [default: as for `seed`].
    #[arg(long, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,

    /// Output format: `jsonl`, `cypher` (a script for Neo4j 5) or `graphml`.
    #[arg(long, default_value = "jsonl")]
    pub(crate) format: String,

    /// Output file; standard output when not given.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

/// Arguments of `podgraph inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// A local path or an http(s) URL.
    pub(crate) location: String,

    /// Print JSON instead of tables.
    #[arg(long)]
    pub(crate) json: bool,

    /// What the document is; detected from its content when not given.
    #[arg(long, value_enum)]
    pub(crate) kind: Option<InspectKind>,

    /// Show the transcript's cues as parsed instead of the normalised segments.
    #[arg(long)]
    pub(crate) cues: bool,

    /// Maximum rows in tables; 0 shows all.
    #[arg(long, default_value_t = 40)]
    pub(crate) limit: usize,

    /// Chapters file used to split transcript segments at chapter boundaries.
    #[arg(long)]
    pub(crate) chapters: Option<PathBuf>,

    /// Allow URLs on loopback addresses (local test servers).
    #[arg(long)]
    pub(crate) allow_loopback: bool,
}

/// Document kinds `inspect` understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InspectKind {
    /// RSS, RDF or Atom feed.
    Feed,
    /// OPML subscription list.
    Opml,
    /// Transcript (WebVTT, SRT, JSON, HTML or text).
    Transcript,
    /// Podcasting 2.0 chapters JSON.
    Chapters,
}

/// Arguments of `podgraph slo`.
#[derive(Debug, Args)]
pub(crate) struct SloArgs {
    /// SLO spec file [default: `PODGRAPH_SLO_SPEC`, else `[slo] spec` of the
    /// configuration, else the copy of `config/slo.yaml` built into the binary].
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) spec: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: SloCommand,
}

/// Subcommands of `podgraph slo`.
#[derive(Debug, Subcommand)]
pub(crate) enum SloCommand {
    /// Show each SLO's SLI and burn rate per window, error budget, alerts and active
    /// policies, from the state that `seed`, `worker` and `serve` keep (`[slo] backend`:
    /// a SQLite file next to the database by default, or Redis).
    Status {
        /// Database, as for `seed`: a SQLite file or a Neo4j URI. With the SQLite backend
        /// the SLO state is read from `[slo] state`, else from `<name>.slo.db` beside the
        /// SQLite file, or beside the default database path for Neo4j.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,

        /// Print JSON instead of tables (the format is described in docs/slo.md).
        #[arg(long)]
        json: bool,

        /// Show only this SLO.
        #[arg(long, value_name = "NAME")]
        slo: Option<String>,
    },

    /// Print or write the Prometheus recording and alerting rules generated from the spec.
    Rules {
        /// Generate one PrometheusRule resource for the Prometheus Operator instead of
        /// the two rule files.
        #[arg(long)]
        kubernetes: bool,

        /// Write the files into this directory (created when missing) instead of
        /// printing them.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,

        /// `metadata.namespace` of the PrometheusRule resource.
        #[arg(long, value_name = "NAME", requires = "kubernetes")]
        namespace: Option<String>,
    },

    /// Validate the spec and list every problem with its SLO and field. Exit code 1
    /// when it is invalid.
    Check,
}
