//! Conditional feed requests across runs of `podgraph seed`. The validators (`ETag`,
//! `Last-Modified`) of each web feed's last response are stored in the database and sent
//! with the next request, so that an unchanged feed costs a 304 and is not parsed again.
//! Only the embedded SQLite store keeps them; with Neo4j every feed is requested in full.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use chrono::Utc;
use podgraph_core::ids::PodcastId;
use podgraph_core::pipeline::{EpisodeJob, RunSummary};
use podgraph_ingest::sources::{CollectOptions, Sources};
use podgraph_store_sqlite::{FeedFetch, SqliteStore};

/// Reads the stored validators for the run's conditional requests. With `force` the
/// feeds are requested in full, like their episodes are processed in full.
pub(crate) async fn collect_options(
    database: Option<&SqliteStore>,
    force: bool,
) -> Result<CollectOptions> {
    let Some(database) = database.filter(|_| !force) else {
        return Ok(CollectOptions::default());
    };
    let fetches = database
        .feed_fetches()
        .await
        .with_context(|| format!("cannot read the feed validators of {}", database.path()))?;
    let validators = fetches
        .into_iter()
        .map(|fetch| (fetch.url, fetch.validators))
        .collect();
    Ok(CollectOptions { validators })
}

/// Stores the validators of the feeds whose episodes all made it into the graph, and the
/// time of the request of feeds that were not modified.
///
/// A feed's validators are stored only when every one of its episodes was selected and
/// none failed or was left out by cancellation. Otherwise the next run would receive a
/// 304 and never retry the missing episodes. Without stored validators it reads the
/// feed in full and skips the episodes already done.
pub(crate) async fn record_fetches(
    database: Option<&SqliteStore>,
    sources: &Sources,
    all_jobs: &[EpisodeJob],
    selected: &BTreeSet<String>,
    summary: &RunSummary,
) -> Result<()> {
    let Some(database) = database else {
        return Ok(());
    };
    let incomplete = incomplete_podcasts(all_jobs, selected, summary);
    let now = Utc::now();
    for feed in &sources.fetched_feeds {
        let validators = if incomplete.contains(&feed.podcast_id) {
            Default::default()
        } else {
            feed.validators.clone()
        };
        let fetch = FeedFetch {
            url: feed.url.clone(),
            validators,
            fetched_at: now,
        };
        database
            .record_feed_fetch(fetch)
            .await
            .with_context(|| format!("cannot store the validators of feed {}", feed.url))?;
    }

    // A 304 keeps the validators that were sent; only the request time changes.
    let stored: BTreeMap<String, FeedFetch> = database
        .feed_fetches()
        .await
        .with_context(|| format!("cannot read the feed validators of {}", database.path()))?
        .into_iter()
        .map(|fetch| (fetch.url.clone(), fetch))
        .collect();
    for url in &sources.not_modified {
        if let Some(fetch) = stored.get(url) {
            let fetch = FeedFetch {
                fetched_at: now,
                ..fetch.clone()
            };
            database
                .record_feed_fetch(fetch)
                .await
                .with_context(|| format!("cannot store the fetch time of feed {url}"))?;
        }
    }
    Ok(())
}

/// Podcasts with an episode that was not selected, failed, or was not started.
fn incomplete_podcasts(
    all_jobs: &[EpisodeJob],
    selected: &BTreeSet<String>,
    summary: &RunSummary,
) -> BTreeSet<PodcastId> {
    let failed: BTreeSet<String> = summary
        .failures
        .iter()
        .filter_map(|failure| failure.episode_id.map(|id| id.to_string()))
        .collect();
    let mut incomplete = BTreeSet::new();
    for job in all_jobs {
        let id = job.episode.id.to_string();
        if !selected.contains(&id) || failed.contains(&id) {
            incomplete.insert(job.podcast.id);
        }
    }
    if summary.cancelled > 0 {
        // Which episodes were not started is not recorded, so no feed counts as complete.
        incomplete.extend(all_jobs.iter().map(|job| job.podcast.id));
    }
    incomplete
}
