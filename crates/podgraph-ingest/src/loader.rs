//! The pipeline's [`EpisodeLoader`]: finds an episode's transcript (a local file matched to
//! the feed item, or the feed's `podcast:transcript` links in order of preference), fetches
//! it with the chapters, then parses and normalises it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::ErrorKind;
use podgraph_core::config::IngestConfig;
use podgraph_core::model::{Episode, NormalizedTranscript, TranscriptFormat};
use podgraph_core::pipeline::{
    EpisodeJob, EpisodeLoader, PreparedTranscript, RawTranscript, Stage, StageError, error_chain,
};
use podgraph_core::provider::{FetchRequest, Fetcher};
use sha2::{Digest, Sha256};

use crate::chapters::parse_chapters;
use crate::fetch::charset_of;
use crate::normalize::normalize;
use crate::transcript::{TranscriptSource, parse_transcript};

/// File extensions read as transcripts when scanning a directory.
pub const TRANSCRIPT_EXTENSIONS: [&str; 8] =
    ["vtt", "srt", "json", "html", "htm", "txt", "md", "markdown"];

/// Transcript files in a local directory, indexed for matching feed items to them by
/// guid, enclosure file name or title.
#[derive(Clone, Debug, Default)]
pub struct LocalTranscripts {
    by_key: BTreeMap<String, PathBuf>,
}

impl LocalTranscripts {
    /// Indexes the transcript files directly inside `dir` by the slug of their file stem.
    ///
    /// # Errors
    /// Fails when the directory cannot be read.
    pub fn scan(dir: &Path) -> std::io::Result<Self> {
        let mut by_key = BTreeMap::new();
        for path in transcript_files(dir)? {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                by_key.entry(slug(stem)).or_insert(path);
            }
        }
        Ok(Self { by_key })
    }

    /// Number of indexed files.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when no file was indexed.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The file for an episode: by guid, then enclosure file name, then title.
    pub fn find(&self, episode: &Episode) -> Option<&Path> {
        let guid = episode.guid.as_deref().map(last_path_segment);
        let enclosure = episode.enclosure.as_ref().map(|e| file_stem_of_url(&e.url));
        [guid, enclosure, Some(episode.title.as_str())]
            .into_iter()
            .flatten()
            .map(slug)
            .filter(|key| !key.is_empty())
            .find_map(|key| self.by_key.get(&key).map(PathBuf::as_path))
    }
}

/// Lists the transcript files directly inside `dir`, sorted by name. Hidden files and
/// `README`/`LICENSE` files are skipped.
///
/// # Errors
/// Fails when the directory cannot be read.
pub fn transcript_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(scan_folder(dir)?.files)
}

/// Entries of a folder of transcripts, as [`scan_folder`] sorts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderEntries {
    /// Transcript files, by name.
    pub files: Vec<PathBuf>,
    /// Sub-directories, by name.
    pub folders: Vec<PathBuf>,
    /// Entries that are neither, with the reason: files of other types, and entries that
    /// cannot be read (such as a broken symbolic link). Hidden files and `README`/`LICENSE`
    /// files are left out without a reason, as expected companions of transcripts.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Sorts the entries directly inside `dir` into transcript files, sub-directories and
/// skipped entries, each sorted by name.
///
/// # Errors
/// Fails when the directory itself cannot be read.
pub fn scan_folder(dir: &Path) -> std::io::Result<FolderEntries> {
    let mut entries = FolderEntries::default();
    for entry in std::fs::read_dir(dir)? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let reason = format!("directory entry cannot be read: {error}");
                entries.skipped.push((dir.to_path_buf(), reason));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        let quiet = name.starts_with('.');
        // `metadata` follows symbolic links, so a link to a transcript counts as one.
        let kind = match std::fs::metadata(&path) {
            Ok(metadata) => metadata.file_type(),
            Err(error) => {
                if !quiet {
                    let reason = format!("cannot be read: {error}");
                    entries.skipped.push((path, reason));
                }
                continue;
            }
        };
        if kind.is_dir() {
            if !name.starts_with('.') {
                entries.folders.push(path);
            }
            continue;
        }
        if quiet {
            continue;
        }
        if is_project_file(&name) {
            let reason = "not a transcript: README, LICENSE, COPYING, CHANGELOG, CONTRIBUTING \
                          and NOTICE files are skipped";
            entries.skipped.push((path, reason.to_owned()));
            continue;
        }
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !kind.is_file() {
            entries
                .skipped
                .push((path, "not a regular file".to_owned()));
        } else if TRANSCRIPT_EXTENSIONS.contains(&extension.as_str()) {
            entries.files.push(path);
        } else {
            let reason = format!(
                "not a transcript file name: expected one of the extensions .{}",
                TRANSCRIPT_EXTENSIONS.join(", .")
            );
            entries.skipped.push((path, reason));
        }
    }
    entries.files.sort();
    entries.folders.sort();
    entries.skipped.sort();
    Ok(entries)
}

/// Lowercase ASCII letters and digits, other runs folded to one `-`.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn last_path_segment(text: &str) -> &str {
    let text = text.trim().trim_end_matches('/');
    text.rsplit('/').next().unwrap_or(text)
}

fn file_stem_of_url(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = last_path_segment(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// Loads transcripts for the pipeline.
pub struct TranscriptLoader {
    fetcher: Arc<dyn Fetcher>,
    config: IngestConfig,
    local: Option<LocalTranscripts>,
}

impl TranscriptLoader {
    /// A loader that fetches the feed's transcript links with `fetcher`.
    pub fn new(fetcher: Arc<dyn Fetcher>, config: IngestConfig) -> Self {
        Self {
            fetcher,
            config,
            local: None,
        }
    }

    /// Prefers local files matched to feed items over the feed's links.
    pub fn with_local_transcripts(mut self, local: LocalTranscripts) -> Self {
        self.local = Some(local);
        self
    }

    async fn fetch(&self, location: &str) -> Result<(Bytes, Option<String>), StageError> {
        let response = self
            .fetcher
            .fetch(&FetchRequest::new(location))
            .await
            .map_err(|error| StageError::from_provider(Stage::TranscriptFetch, &error))?;
        Ok((response.body, response.content_type))
    }

    async fn fetch_chapters(&self, episode: &Episode) -> Option<Bytes> {
        let link = episode.chapters_link.as_ref()?;
        match self.fetch(&link.url).await {
            Ok((body, _)) => Some(body),
            Err(error) => {
                // Chapters only refine segmentation: the episode goes on without them.
                tracing::warn!(
                    target: "podgraph::ingest",
                    episode_id = %episode.id,
                    error = %error,
                    "chapters could not be fetched; segmenting without them"
                );
                None
            }
        }
    }
}

#[async_trait]
impl EpisodeLoader for TranscriptLoader {
    async fn fetch_transcript(
        &self,
        job: &EpisodeJob,
    ) -> Result<Option<RawTranscript>, StageError> {
        let episode = &job.episode;
        let mut candidates: Vec<(String, Option<String>, Option<String>)> = Vec::new();
        if let Some(path) = self.local.as_ref().and_then(|local| local.find(episode)) {
            candidates.push((path.display().to_string(), None, None));
        }
        for link in &episode.transcripts {
            candidates.push((
                link.url.clone(),
                link.mime_type.clone(),
                link.language.clone(),
            ));
        }
        if candidates.is_empty() {
            return Ok(None);
        }

        // Try each candidate in order of preference; the first readable one wins.
        let mut failures = Vec::new();
        let mut kinds = Vec::new();
        for (location, link_mime, language) in candidates {
            match self.fetch(&location).await {
                Ok((bytes, content_type)) => {
                    let chapters_json = self.fetch_chapters(episode).await;
                    let hash = content_hash(&bytes, chapters_json.as_deref());
                    return Ok(Some(RawTranscript {
                        location,
                        bytes,
                        content_type: content_type.or(link_mime),
                        language,
                        chapters_json,
                        hash,
                    }));
                }
                Err(error) => {
                    kinds.push(error.kind);
                    // Fetcher messages usually name the URL already; name it only once.
                    if error.message.contains(location.as_str()) {
                        failures.push(error.message);
                    } else {
                        failures.push(format!("{location}: {}", error.message));
                    }
                }
            }
        }
        // One candidate that may work later (a timeout, a 5xx) makes the episode worth
        // retrying. Otherwise the kind of the first failure is kept, such as a 404 (not found), so
        // that error budgets can tell a broken link from an outage.
        let kind = kinds
            .iter()
            .copied()
            .find(|kind| kind.is_temporary())
            .or_else(|| kinds.first().copied())
            .unwrap_or(ErrorKind::Unavailable);
        Err(StageError::new(
            Stage::TranscriptFetch,
            kind,
            failures.join("; "),
        ))
    }

    fn prepare(
        &self,
        job: &EpisodeJob,
        raw: &RawTranscript,
    ) -> Result<PreparedTranscript, StageError> {
        // Whitespace alone is an empty transcript, not a parse error: the pipeline
        // reports the episode as skipped and stores it without facts.
        if raw.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(PreparedTranscript {
                transcript: NormalizedTranscript {
                    text: String::new(),
                    segments: Vec::new(),
                    speakers: Vec::new(),
                    language: raw.language.clone(),
                    format: TranscriptFormat::Text,
                },
                chapters: job.episode.chapters.clone(),
                warnings: Vec::new(),
            });
        }
        let source = TranscriptSource {
            name: &raw.location,
            mime_type: raw.content_type.as_deref(),
            charset: raw.content_type.as_deref().and_then(charset_of),
            language: raw.language.as_deref(),
        };
        let parsed =
            parse_transcript(&raw.bytes, &source, &self.config.transcript).map_err(|error| {
                StageError::new(
                    Stage::TranscriptParse,
                    ErrorKind::InvalidInput,
                    error_chain(&error),
                )
            })?;
        let mut warnings: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();

        let mut chapters = job.episode.chapters.clone();
        if let Some(json) = &raw.chapters_json {
            match parse_chapters(json, &raw.location) {
                Ok(parsed) if !parsed.value.is_empty() => {
                    warnings.extend(parsed.warnings.iter().map(ToString::to_string));
                    chapters = parsed.value;
                }
                Ok(_) => {}
                Err(error) => warnings.push(format!("chapters ignored: {}", error_chain(&error))),
            }
        }

        let normalized = normalize(
            &parsed.value,
            job.episode.id,
            &chapters,
            &self.config.segmentation,
        );
        warnings.extend(normalized.warnings.iter().map(ToString::to_string));
        Ok(PreparedTranscript {
            transcript: normalized.value,
            chapters,
            warnings,
        })
    }
}

/// Hex SHA-256 over the transcript bytes and, when present, the chapters bytes.
pub fn content_hash(transcript: &[u8], chapters: Option<&[u8]>) -> String {
    let mut hasher = Sha256::new();
    hasher.update((transcript.len() as u64).to_le_bytes());
    hasher.update(transcript);
    if let Some(chapters) = chapters {
        hasher.update(chapters);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Tells whether a lowercased file name is a well-known project file (README.md,
/// LICENSE.txt, ...) that sits next to transcripts but is never one.
fn is_project_file(lowercase_name: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "readme",
        "license",
        "copying",
        "changelog",
        "contributing",
        "notice",
    ];
    PREFIXES
        .iter()
        .any(|prefix| lowercase_name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_folds_case_and_punctuation() {
        assert_eq!(slug("Episode 57: Rebel Rubes!"), "episode-57-rebel-rubes");
        assert_eq!(slug("  --  "), "");
    }

    #[test]
    fn enclosure_stem_ignores_query_and_extension() {
        assert_eq!(
            file_stem_of_url("https://cdn.example/a/PC20-57.mp3?x=1"),
            "PC20-57"
        );
        assert_eq!(last_path_segment("https://example.com/ep0003/"), "ep0003");
    }

    #[test]
    fn content_hash_changes_with_chapters() {
        assert_ne!(content_hash(b"a", None), content_hash(b"a", Some(b"c")));
        assert_eq!(content_hash(b"a", None).len(), 64);
    }
}
