//! Turning the inputs of a run (feed files and URLs, OPML lists, transcript files and
//! directories of transcripts) into episode jobs for the pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use podgraph_core::config::IngestConfig;
use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId};
use podgraph_core::model::{Episode, Podcast, TranscriptLink};
use podgraph_core::pipeline::{EpisodeJob, SkippedInput, Stage, error_chain};
use podgraph_core::provider::{FetchRequest, FetchStatus, Fetcher, Validators};

use crate::document::{DocumentKind, foreign_markup, sniff_document};
use crate::feed::{FeedSource, parse_feed, parse_opml};
use crate::fetch::charset_of;
use crate::loader::scan_folder;
use crate::{IngestError, Warning};

/// Description of the documents a run reads: a feed, an OPML list or a transcript.
const EXPECTED_INPUT: &str = "an RSS, RDF or Atom feed, an OPML list or a transcript";

/// An input that could not be read; the other inputs of the run continue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFailure {
    /// The path or URL.
    pub source: String,
    /// The stage that failed (`feed.fetch` or `feed.parse`).
    pub stage: Stage,
    /// Why, naming the position when there is one.
    pub reason: String,
}

/// The jobs found in a run's inputs.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Episodes to process, without duplicates, in input order.
    pub jobs: Vec<EpisodeJob>,
    /// Inputs that could not be read.
    pub failures: Vec<SourceFailure>,
    /// Parser repairs, with the input they come from.
    pub warnings: Vec<(String, Warning)>,
    /// Inputs left out, with the reason: entries of transcript folders that are not
    /// transcript files, or are nested too deep.
    pub skipped: Vec<SkippedInput>,
    /// Feeds read, OPML entries included.
    pub feeds: usize,
    /// Bytes of feed and OPML documents read.
    pub bytes: u64,
    /// Web feeds whose server returned 304 Not Modified to a conditional request. They
    /// were not parsed, so they add no jobs.
    pub not_modified: Vec<String>,
    /// Validators of the web feeds read, for conditional requests in a later run.
    pub fetched_feeds: Vec<FetchedFeed>,
}

/// A web feed read in full, with what a later run needs to ask for it conditionally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedFeed {
    /// The feed URL as given (an input or an OPML entry), the key of the stored validators.
    pub url: String,
    /// The podcast the feed describes; its episodes are the feed's jobs.
    pub podcast_id: PodcastId,
    /// `ETag` and `Last-Modified` of the response; both empty when the server sent none.
    pub validators: Validators,
}

/// Options of [`collect_jobs_with`] for reading web feeds.
#[derive(Clone, Debug, Default)]
pub struct CollectOptions {
    /// Validators from earlier runs by feed URL. A feed found here is requested
    /// conditionally (`If-None-Match`, `If-Modified-Since`); on 304 it is not parsed.
    pub validators: BTreeMap<String, Validators>,
}

impl Sources {
    fn push_episodes(
        &mut self,
        podcast: Podcast,
        episodes: Vec<Episode>,
        seen: &mut BTreeSet<String>,
    ) {
        let podcast = Arc::new(podcast);
        for episode in episodes {
            if seen.insert(episode.id.to_string()) {
                self.jobs.push(EpisodeJob {
                    podcast: Arc::clone(&podcast),
                    episode,
                });
            }
        }
    }

    fn skip(&mut self, source: &Path, reason: impl Into<String>) {
        self.skipped.push(SkippedInput {
            source: source.display().to_string(),
            reason: reason.into(),
        });
    }

    fn fail(&mut self, source: &str, stage: Stage, reason: String) {
        self.failures.push(SourceFailure {
            source: source.to_owned(),
            stage,
            reason,
        });
    }
}

/// Reads every input. A directory is a folder of transcripts, one episode per file; each
/// sub-folder is one podcast named after it, and files directly inside are a podcast
/// named after the directory. Anything else is fetched and recognised by content: a feed,
/// an OPML list (whose feeds are then read), or a single transcript.
///
/// A document recognised as markup of another kind (an HTML page that is not an HTML
/// transcript, or an XML document that is not a feed) is a failure of stage `feed.parse`
/// that names the input and what was expected.
pub async fn collect_jobs(
    inputs: &[String],
    fetcher: &dyn Fetcher,
    config: &IngestConfig,
) -> Sources {
    collect_jobs_with(inputs, fetcher, config, &CollectOptions::default()).await
}

/// Reads every input like [`collect_jobs`], asking for web feeds conditionally with the
/// validators of `options`.
pub async fn collect_jobs_with(
    inputs: &[String],
    fetcher: &dyn Fetcher,
    config: &IngestConfig,
    options: &CollectOptions,
) -> Sources {
    let mut sources = Sources::default();
    let mut reader = Reader {
        fetcher,
        config,
        options,
        seen: BTreeSet::new(),
    };
    for input in inputs {
        let path = Path::new(input);
        if !is_url(input) && path.is_dir() {
            read_transcript_dir(path, &mut sources, &mut reader.seen);
            continue;
        }
        reader.read_document(input, &mut sources, true).await;
    }
    sources
}

/// Shared state of reading a run's documents.
struct Reader<'a> {
    fetcher: &'a dyn Fetcher,
    config: &'a IngestConfig,
    options: &'a CollectOptions,
    /// Episode ids already queued, so that a feed listed twice adds its episodes once.
    seen: BTreeSet<String>,
}

fn is_url(input: &str) -> bool {
    input.starts_with("http://") || input.starts_with("https://")
}

impl Reader<'_> {
    async fn read_document(&mut self, input: &str, sources: &mut Sources, allow_opml: bool) {
        let mut request = FetchRequest::new(input);
        if is_url(input) {
            request.validators = self.options.validators.get(input).cloned();
        }
        let response = match self.fetcher.fetch(&request).await {
            Ok(response) => response,
            Err(error) => return sources.fail(input, Stage::FeedFetch, error_chain(&error)),
        };
        if response.status == FetchStatus::NotModified {
            sources.feeds += 1;
            sources.not_modified.push(input.to_owned());
            return;
        }
        sources.bytes += response.body.len() as u64;
        let content_type = response.content_type.as_deref();

        match sniff_document(&response.body, input, content_type) {
            DocumentKind::Opml if allow_opml => {
                let parsed = match parse_opml(&response.body, input, &self.config.xml) {
                    Ok(parsed) => parsed,
                    Err(error) => {
                        return sources.fail(input, Stage::FeedParse, error_chain(&error));
                    }
                };
                sources
                    .warnings
                    .extend(parsed.warnings.into_iter().map(|w| (input.to_owned(), w)));
                for feed in parsed.value {
                    // A list fetched from the web may only point at web feeds: a `file:`
                    // URL or a local path there would let a remote document read local
                    // files.
                    if is_url(input) && !is_url(&feed.url) {
                        let message =
                            format!("feed {:?} is not an http(s) URL and was skipped", feed.url);
                        let warning = Warning::general("local-link-refused", message);
                        sources.warnings.push((input.to_owned(), warning));
                        continue;
                    }
                    // OPML entries are feeds; an OPML inside an OPML is not followed.
                    Box::pin(self.read_document(&feed.url, sources, false)).await;
                }
            }
            DocumentKind::Feed | DocumentKind::Opml => {
                let url = is_url(input).then_some(response.final_location.as_str());
                let source = FeedSource {
                    name: input,
                    url,
                    charset: content_type.and_then(charset_of),
                };
                match parse_feed(&response.body, &source, &self.config.xml) {
                    Ok(parsed) => {
                        sources.feeds += 1;
                        sources
                            .warnings
                            .extend(parsed.warnings.into_iter().map(|w| (input.to_owned(), w)));
                        let mut podcast = parsed.value.podcast;
                        let mut episodes = parsed.value.episodes;
                        if !is_url(input) && lacks_identity(&podcast) {
                            identify_by_file(&mut podcast, &mut episodes, Path::new(input));
                        }
                        if is_url(input) {
                            for warning in keep_web_links(&mut episodes) {
                                sources.warnings.push((input.to_owned(), warning));
                            }
                            sources.fetched_feeds.push(FetchedFeed {
                                url: input.to_owned(),
                                podcast_id: podcast.id,
                                validators: response.validators.clone(),
                            });
                        }
                        sources.push_episodes(podcast, episodes, &mut self.seen);
                    }
                    Err(error) => sources.fail(input, Stage::FeedParse, error_chain(&error)),
                }
            }
            DocumentKind::Transcript | DocumentKind::Chapters => {
                if let Some(found) = foreign_markup(&response.body) {
                    let error = IngestError::WrongKind {
                        source_name: input.to_owned(),
                        expected: EXPECTED_INPUT,
                        found,
                    };
                    return sources.fail(input, Stage::FeedParse, error.to_string());
                }
                let path = PathBuf::from(input);
                // A file given alone joins the podcast of its folder, the same one it
                // belongs to when the whole folder is read.
                let folder = path
                    .parent()
                    .filter(|parent| !parent.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let podcast = folder_podcast(folder);
                let episode = transcript_episode(&podcast, &path);
                sources.push_episodes(podcast, vec![episode], &mut self.seen);
            }
        }
    }
}

/// Returns whether a feed's podcast has nothing that identifies it: no `podcast:guid`,
/// no feed URL and a blank title, so that its id is the same as that of every other such feed.
fn lacks_identity(podcast: &Podcast) -> bool {
    let blank = |value: Option<&str>| value.is_none_or(|text| text.trim().is_empty());
    blank(podcast.guid.as_deref())
        && blank(podcast.feed_url.as_deref())
        && podcast.title.trim().is_empty()
}

/// Gives the podcast of a local feed file without an identity the id of the file's
/// canonical path, and its episodes the ids that follow from it, so that two such files
/// stay two podcasts. Moving or renaming the file therefore gives new ids.
fn identify_by_file(podcast: &mut Podcast, episodes: &mut [Episode], file: &Path) {
    let absolute = std::fs::canonicalize(file)
        .or_else(|_| std::path::absolute(file))
        .unwrap_or_else(|_| file.to_path_buf());
    podcast.id = PodcastId::from_file(&absolute);
    for episode in episodes {
        episode.podcast_id = podcast.id;
        episode.id = EpisodeId::derive(podcast.id, &episode.key);
    }
}

/// Drops transcript and chapters links that are not http(s) URLs from episodes of a feed
/// fetched from the web, so that a remote feed cannot make podgraph read local files.
fn keep_web_links(episodes: &mut [Episode]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for episode in episodes {
        episode.transcripts.retain(|link| {
            let web = is_url(&link.url);
            if !web {
                let message = format!(
                    "transcript link {:?} of {:?} is not an http(s) URL and was ignored",
                    link.url, episode.title
                );
                warnings.push(Warning::general("local-link-refused", message));
            }
            web
        });
        if episode
            .chapters_link
            .as_ref()
            .is_some_and(|link| !is_url(&link.url))
        {
            let message = format!(
                "chapters link of {:?} is not an http(s) URL and was ignored",
                episode.title
            );
            warnings.push(Warning::general("local-link-refused", message));
            episode.chapters_link = None;
        }
    }
    warnings
}

/// Reads a folder of transcripts: files directly inside are one podcast, and each
/// sub-directory is another. Everything else is listed in `sources.skipped`: files that
/// are not transcripts, entries that cannot be read, and directories nested deeper.
fn read_transcript_dir(dir: &Path, sources: &mut Sources, seen: &mut BTreeSet<String>) {
    let top = match scan_folder(dir) {
        Ok(entries) => entries,
        Err(error) => {
            let reason = format!("cannot read directory {}: {error}", dir.display());
            return sources.fail(&dir.display().to_string(), Stage::FeedFetch, reason);
        }
    };
    let mut shows = vec![(dir.to_path_buf(), top.files)];
    for (path, reason) in top.skipped {
        sources.skip(&path, reason);
    }

    for folder in top.folders {
        let entries = match scan_folder(&folder) {
            Ok(entries) => entries,
            Err(error) => {
                let reason = format!("cannot read directory {}: {error}", folder.display());
                sources.fail(&folder.display().to_string(), Stage::FeedFetch, reason);
                continue;
            }
        };
        for (path, reason) in entries.skipped {
            sources.skip(&path, reason);
        }
        for nested in entries.folders {
            sources.skip(
                &nested,
                "directory nested too deep: only files directly inside the input directory \
                 and inside its sub-directories (one podcast each) are read",
            );
        }
        shows.push((folder, entries.files));
    }

    for (folder, files) in shows {
        if files.is_empty() {
            continue;
        }
        let podcast = folder_podcast(&folder);
        let episodes = files
            .iter()
            .map(|file| transcript_episode(&podcast, file))
            .collect();
        sources.feeds += 1;
        sources.push_episodes(podcast, episodes, seen);
    }
}

/// Creates the podcast of a folder of transcripts that has no feed: it is named after the folder,
/// and its id comes from the folder's canonical path, so that equally named folders in
/// different places stay apart. Moving the folder gives new ids.
fn folder_podcast(dir: &Path) -> Podcast {
    let absolute = std::fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf());
    let title = absolute
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("transcripts");
    let mut podcast = Podcast::new(None, None, title);
    podcast.id = PodcastId::from_folder(&absolute);
    podcast
}

/// Creates the episode of a transcript file that has no feed: its id comes from the podcast id
/// and the file name.
fn transcript_episode(podcast: &Podcast, file: &Path) -> Episode {
    let file_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = file
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or(file_name);
    let key = EpisodeKey::Guid {
        guid: format!("file:{file_name}"),
    };
    let mut episode = Episode::new(podcast.id, key, stem.replace(['_', '-'], " "));
    episode.guid = Some(format!("file:{file_name}"));
    episode.transcripts.push(TranscriptLink {
        url: file.display().to_string(),
        mime_type: None,
        language: None,
        rel: None,
    });
    episode
}
