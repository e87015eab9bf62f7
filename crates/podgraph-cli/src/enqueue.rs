//! `podgraph enqueue`: reads feeds and transcript folders as `seed` does and queues one
//! job per episode in Redis, for `podgraph worker` processes to run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use podgraph_core::model::{Episode, Podcast};
use podgraph_core::pipeline::EpisodeJob;
use podgraph_core::provider::{Fetcher, Job};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_ingest::sources::collect_jobs;
use podgraph_redis::{Enqueued, RedisConnection, RedisQueue};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::output::counted;
use crate::seed::EXIT_PARTIAL;

/// Version of [`EpisodeTask`]; a worker rejects jobs of another version.
pub(crate) const TASK_VERSION: u32 = 1;

/// Arguments of `podgraph enqueue`.
#[derive(Debug, Args)]
pub(crate) struct EnqueueArgs {
    /// Feed files or URLs, OPML files, transcript files, or directories of transcripts
    /// (one episode per file; each sub-directory is one podcast).
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,

    /// Directory of transcript files matched to feed items by guid, enclosure file name
    /// or title. Workers read it from the same path, so it must be on a shared disk.
    #[arg(long, value_name = "DIR")]
    pub(crate) transcripts: Option<PathBuf>,

    /// Queue at most N newest episodes of each podcast.
    #[arg(long, value_name = "N")]
    pub(crate) max_episodes: Option<usize>,

    /// Only episodes published on or after this date (YYYY-MM-DD); undated episodes are skipped.
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<chrono::NaiveDate>,

    /// Allow feed URLs on loopback addresses (local test servers).
    #[arg(long)]
    pub(crate) allow_loopback: bool,

    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Everything a worker needs to process one episode, stored as the job's payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct EpisodeTask {
    /// Layout version, [`TASK_VERSION`] when written by this build.
    pub(crate) version: u32,
    /// The podcast, as parsed from its feed or folder.
    pub(crate) podcast: Podcast,
    /// The episode, with its transcript links (URLs or absolute local paths).
    pub(crate) episode: Episode,
    /// The `--transcripts` directory given to `enqueue`, as an absolute path.
    pub(crate) transcripts_dir: Option<PathBuf>,
}

impl EpisodeTask {
    /// Turns the task into the pipeline's job.
    pub(crate) fn into_job(self) -> EpisodeJob {
        EpisodeJob {
            podcast: Arc::new(self.podcast),
            episode: self.episode,
        }
    }
}

/// The outcome of `podgraph enqueue`, printed with `--json`.
#[derive(Debug, Serialize)]
struct EnqueueSummary {
    /// Feeds and transcript folders read.
    feeds: usize,
    /// Episodes selected from them.
    episodes: usize,
    /// Episodes added to the queue by this run.
    queued: usize,
    /// Episodes not added because a job for them was still waiting or in flight.
    already_queued: usize,
    /// The episodes counted in `already_queued`, with the id of the job already queued for each.
    already_queued_episodes: Vec<AlreadyQueued>,
    /// Inputs that could not be read.
    failed_sources: Vec<String>,
    /// Redis key of the job stream.
    queue: String,
}

/// An episode whose job was already in the queue.
#[derive(Debug, Serialize)]
struct AlreadyQueued {
    episode_id: String,
    title: String,
    job_id: String,
}

pub(crate) async fn run(args: EnqueueArgs, mut config: Config) -> Result<ExitCode> {
    if args.allow_loopback {
        config.fetch.allow_loopback = true;
    }
    let connection = RedisConnection::connect(&config.redis)
        .await
        .context("cannot connect to Redis")?;
    let queue = RedisQueue::new(connection, &config.redis.queue);

    let inputs: Vec<String> = args.inputs.iter().map(|input| absolute(input)).collect();
    let transcripts_dir =
        match &args.transcripts {
            Some(dir) => Some(std::path::absolute(dir).with_context(|| {
                format!("cannot resolve transcript directory {}", dir.display())
            })?),
            None => None,
        };

    let http = HttpFetcher::new(config.fetch.clone()).context("cannot set up the HTTP client")?;
    let fetcher: Arc<dyn Fetcher> = Arc::new(http);
    let sources = collect_jobs(&inputs, fetcher.as_ref(), &config.ingest).await;
    for failure in &sources.failures {
        tracing::error!(
            target: "podgraph::enqueue",
            source = %failure.source,
            stage = failure.stage.as_str(),
            "input not read: {}",
            failure.reason
        );
    }
    let jobs = crate::seed::select_jobs(sources.jobs, args.since, args.max_episodes);

    let episodes = jobs.len();
    let mut queued = 0;
    let mut already_queued = Vec::new();
    for job in jobs {
        let key = job.episode.id.to_string();
        let task = EpisodeTask {
            version: TASK_VERSION,
            podcast: Podcast::clone(&job.podcast),
            episode: job.episode,
            transcripts_dir: transcripts_dir.clone(),
        };
        let payload = serde_json::to_value(&task).context("cannot serialise an episode job")?;
        let outcome = queue
            .enqueue_or_find(&Job {
                key: key.clone(),
                payload,
            })
            .await
            .with_context(|| format!("cannot queue episode {:?}", task.episode.title))?;
        match outcome {
            Enqueued::Queued(_) => queued += 1,
            Enqueued::AlreadyQueued(job_id) => {
                tracing::debug!(
                    target: "podgraph::enqueue",
                    episode_id = %key,
                    job_id = %job_id.0,
                    "episode already queued"
                );
                already_queued.push(AlreadyQueued {
                    episode_id: key,
                    title: task.episode.title,
                    job_id: job_id.0,
                });
            }
        }
    }
    tracing::info!(
        target: "podgraph::enqueue",
        episodes,
        queued,
        already_queued = already_queued.len(),
        feeds = sources.feeds,
        stream = queue.stream_key(),
        "episodes queued"
    );

    let summary = EnqueueSummary {
        feeds: sources.feeds,
        episodes,
        queued,
        already_queued: already_queued.len(),
        already_queued_episodes: already_queued,
        failed_sources: sources.failures.iter().map(|f| f.source.clone()).collect(),
        queue: queue.stream_key().to_owned(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(if summary.failed_sources.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_summary(summary: &EnqueueSummary) {
    println!(
        "queued {} from {} in {}",
        counted(summary.queued as u64, "episode", "episodes"),
        counted(summary.feeds as u64, "feed or folder", "feeds or folders"),
        summary.queue
    );
    if summary.already_queued > 0 {
        println!(
            "already queued, not added again: {} (waiting or in flight; \
             see `--json` for their job ids)",
            counted(summary.already_queued as u64, "episode", "episodes")
        );
    }
    for source in &summary.failed_sources {
        println!("not read: {source}");
    }
}

/// Makes a local input absolute, because workers may run in another directory. URLs and
/// inputs that do not exist are kept as given.
fn absolute(input: &str) -> String {
    if input.contains("://") || !Path::new(input).exists() {
        return input.to_owned();
    }
    std::path::absolute(input).map_or_else(|_| input.to_owned(), |path| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use podgraph_core::ids::EpisodeKey;

    #[test]
    fn task_survives_a_json_round_trip() {
        let podcast = Podcast::new(None, Some("https://example.org/feed.xml".into()), "Show");
        let mut episode = Episode::new(
            podcast.id,
            EpisodeKey::Guid {
                guid: "guid-1".into(),
            },
            "First",
        );
        episode.description = Some("Notes with \"quotes\" and ünïcode".into());
        let task = EpisodeTask {
            version: TASK_VERSION,
            podcast,
            episode,
            transcripts_dir: Some(PathBuf::from("/srv/transcripts")),
        };
        let value = serde_json::to_value(&task).unwrap();
        let back: EpisodeTask = serde_json::from_value(value).unwrap();
        assert_eq!(back, task);
    }

    #[test]
    fn urls_and_missing_paths_stay_as_given() {
        assert_eq!(
            absolute("https://example.org/feed.xml"),
            "https://example.org/feed.xml"
        );
        assert_eq!(absolute("no/such/input.xml"), "no/such/input.xml");
        assert!(Path::new(&absolute(".")).is_absolute());
    }
}
