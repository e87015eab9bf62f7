//! `podgraph inspect`: parse one document and show what was found.

use std::process::ExitCode;

use anyhow::{Context, Result};
use podgraph_core::config::{FetchConfig, IngestConfig};
use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId};
use podgraph_core::model::{Chapter, Episode, Podcast, Transcript};
use podgraph_core::provider::{FetchRequest, Fetcher};
use podgraph_ingest::Warning;
use podgraph_ingest::chapters::parse_chapters;
use podgraph_ingest::document::{DocumentKind, sniff_document};
use podgraph_ingest::feed::{FeedSource, OpmlFeed, ParsedFeed, parse_feed, parse_opml};
use podgraph_ingest::fetch::{HttpFetcher, charset_of};
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};
use serde_json::json;

use crate::cli::{InspectArgs, InspectKind};
use crate::config::Config;
use crate::output::{counted, excerpt, limited, table, timestamp};

/// A fetched document.
struct Document {
    location: String,
    url: Option<String>,
    bytes: bytes::Bytes,
    content_type: Option<String>,
}

/// Inspects one document with the fetch limits and parser limits of `config` (the
/// configuration file and `PODGRAPH_*` variables), like `seed` reads its inputs.
pub(crate) async fn run(args: InspectArgs, config: Config) -> Result<ExitCode> {
    let mut fetch_config = config.fetch;
    if args.allow_loopback {
        fetch_config.allow_loopback = true;
    }
    let document = read(&args.location, fetch_config).await?;
    let config = config.ingest;

    let kind = match args.kind {
        Some(InspectKind::Feed) => DocumentKind::Feed,
        Some(InspectKind::Opml) => DocumentKind::Opml,
        Some(InspectKind::Transcript) => DocumentKind::Transcript,
        Some(InspectKind::Chapters) => DocumentKind::Chapters,
        None => sniff_document(
            &document.bytes,
            &document.location,
            document.content_type.as_deref(),
        ),
    };

    match kind {
        DocumentKind::Feed => {
            let source = FeedSource {
                name: &document.location,
                url: document.url.as_deref(),
                charset: document.content_type.as_deref().and_then(charset_of),
            };
            let parsed = parse_feed(&document.bytes, &source, &config.xml)?;
            print_feed(&parsed.value, &parsed.warnings, &args);
        }
        DocumentKind::Opml => {
            let parsed = parse_opml(&document.bytes, &document.location, &config.xml)?;
            print_opml(&parsed.value, &parsed.warnings, &args);
        }
        DocumentKind::Chapters => {
            let parsed = parse_chapters(&document.bytes, &document.location)?;
            print_chapters(&parsed.value, &parsed.warnings, &args);
        }
        DocumentKind::Transcript => {
            let chapters = match &args.chapters {
                Some(path) => {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("cannot read chapters file {}", path.display()))?;
                    parse_chapters(&bytes, &path.display().to_string())?.value
                }
                None => Vec::new(),
            };
            inspect_transcript(&document, &chapters, &config, &args)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn read(location: &str, config: FetchConfig) -> Result<Document> {
    let fetcher = HttpFetcher::new(config).context("cannot set up the HTTP client")?;
    let response = fetcher
        .fetch(&FetchRequest::new(location))
        .await
        .with_context(|| format!("cannot read {location}"))?;
    let is_url = location.starts_with("http://") || location.starts_with("https://");
    Ok(Document {
        location: location.to_owned(),
        url: is_url.then(|| response.final_location.clone()),
        bytes: response.body,
        content_type: response.content_type,
    })
}

fn inspect_transcript(
    document: &Document,
    chapters: &[Chapter],
    config: &IngestConfig,
    args: &InspectArgs,
) -> Result<()> {
    let source = TranscriptSource {
        name: &document.location,
        mime_type: document.content_type.as_deref(),
        charset: document.content_type.as_deref().and_then(charset_of),
        language: None,
    };
    let parsed = parse_transcript(&document.bytes, &source, &config.transcript)?;
    let mut warnings = parsed.warnings;
    let transcript = parsed.value;

    // A file on its own has no feed item: its location stands in for the episode identity.
    let podcast = PodcastId::from_feed_url(&document.location);
    let episode_id = EpisodeId::derive(
        podcast,
        &EpisodeKey::Enclosure {
            url: document.location.clone(),
        },
    );
    let normalized = normalize(&transcript, episode_id, chapters, &config.segmentation);
    warnings.extend(normalized.warnings);
    let normalized = normalized.value;

    if args.json {
        let value = json!({
            "kind": "transcript",
            "location": document.location,
            "format": transcript.format.as_str(),
            "language": transcript.language,
            "timed": transcript.timed,
            "metadata": transcript.metadata,
            "cue_count": transcript.cues.len(),
            "segment_count": normalized.segments.len(),
            "speakers": normalized.speakers,
            "cues": if args.cues { json!(transcript.cues) } else { json!(null) },
            "segments": normalized.segments,
            "warnings": warnings_json(&warnings),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }

    println!(
        "{}: {} transcript",
        document.location,
        transcript.format.as_str()
    );
    println!(
        "  {} cues, {} segments, {} characters, speakers: {}",
        transcript.cues.len(),
        normalized.segments.len(),
        normalized.text.chars().count(),
        if normalized.speakers.is_empty() {
            "none".to_owned()
        } else {
            normalized.speakers.join(", ")
        }
    );
    if let Some(language) = &transcript.language {
        println!("  language: {language}");
    }
    if args.cues {
        print_cues(&transcript, args.limit);
    } else {
        let (shown, hidden) = limited(normalized.segments.len(), args.limit);
        let mut rows = table(["#", "start", "end", "speaker", "text"]);
        for segment in &normalized.segments[..shown] {
            rows.add_row([
                segment.index.to_string(),
                timestamp(segment.start_ms),
                timestamp(segment.end_ms),
                segment.speaker.clone().unwrap_or_default(),
                excerpt(&segment.text, 90),
            ]);
        }
        println!("{rows}");
        print_hidden(hidden, "segments");
    }
    print_warnings(&warnings);
    Ok(())
}

fn print_cues(transcript: &Transcript, limit: usize) {
    let (shown, hidden) = limited(transcript.cues.len(), limit);
    let mut rows = table(["id", "start", "end", "speaker", "text"]);
    for cue in &transcript.cues[..shown] {
        rows.add_row([
            cue.id.clone().unwrap_or_default(),
            timestamp(cue.start_ms),
            timestamp(cue.end_ms),
            cue.speaker.clone().unwrap_or_default(),
            excerpt(&cue.text, 90),
        ]);
    }
    println!("{rows}");
    print_hidden(hidden, "cues");
}

fn print_feed(feed: &ParsedFeed, warnings: &[Warning], args: &InspectArgs) {
    if args.json {
        let value = json!({
            "kind": "feed",
            "format": format!("{:?}", feed.kind),
            "encoding": feed.encoding,
            "podcast": feed.podcast,
            "episodes": feed.episodes,
            "warnings": warnings_json(warnings),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }

    print_podcast(&feed.podcast, feed, args);
    let (shown, hidden) = limited(feed.episodes.len(), args.limit);
    let mut rows = table([
        "episode id",
        "published",
        "title",
        "duration",
        "transcripts",
        "people",
    ]);
    for episode in &feed.episodes[..shown] {
        rows.add_row([
            episode.id.to_string(),
            published(episode),
            excerpt(&episode.title, 50),
            episode.duration_ms.map(timestamp).unwrap_or_default(),
            transcript_types(episode),
            episode.persons.len().to_string(),
        ]);
    }
    println!("{rows}");
    print_hidden(hidden, "episodes");
    print_warnings(warnings);
}

fn print_podcast(podcast: &Podcast, feed: &ParsedFeed, args: &InspectArgs) {
    println!(
        "{}: {:?} feed ({})",
        args.location, feed.kind, feed.encoding
    );
    println!("  podcast: {}", podcast.title);
    println!("  id:      {}", podcast.id);
    if let Some(guid) = &podcast.guid {
        println!("  guid:    {guid}");
    }
    if let Some(url) = &podcast.feed_url {
        println!("  feed:    {url}");
    }
    if let Some(author) = &podcast.author {
        println!("  author:  {author}");
    }
    if !podcast.persons.is_empty() {
        let people: Vec<String> = podcast
            .persons
            .iter()
            .map(|p| format!("{} ({})", p.name, p.role))
            .collect();
        println!("  people:  {}", people.join(", "));
    }
    let with_transcripts = feed
        .episodes
        .iter()
        .filter(|e| !e.transcripts.is_empty())
        .count();
    println!(
        "  {}, {with_transcripts} with transcript links",
        counted(feed.episodes.len() as u64, "episode", "episodes"),
    );
}

fn published(episode: &Episode) -> String {
    match (&episode.published, &episode.published_raw) {
        (Some(date), _) => date.format("%Y-%m-%d").to_string(),
        (None, Some(raw)) => format!("? {}", excerpt(raw, 20)),
        (None, None) => String::new(),
    }
}

fn transcript_types(episode: &Episode) -> String {
    let types: Vec<&str> = episode
        .transcripts
        .iter()
        .map(|link| link.mime_type.as_deref().unwrap_or("?"))
        .collect();
    types.join(", ")
}

fn print_opml(feeds: &[OpmlFeed], warnings: &[Warning], args: &InspectArgs) {
    if args.json {
        let feeds: Vec<_> = feeds
            .iter()
            .map(|f| json!({"url": f.url, "title": f.title, "html_url": f.html_url, "category": f.category}))
            .collect();
        let value = json!({"kind": "opml", "feeds": feeds, "warnings": warnings_json(warnings)});
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    println!("{}: OPML with {} feeds", args.location, feeds.len());
    let (shown, hidden) = limited(feeds.len(), args.limit);
    let mut rows = table(["title", "category", "feed URL"]);
    for feed in &feeds[..shown] {
        rows.add_row([
            feed.title.clone().unwrap_or_default(),
            feed.category.clone().unwrap_or_default(),
            feed.url.clone(),
        ]);
    }
    println!("{rows}");
    print_hidden(hidden, "feeds");
    print_warnings(warnings);
}

fn print_chapters(chapters: &[Chapter], warnings: &[Warning], args: &InspectArgs) {
    if args.json {
        let value =
            json!({"kind": "chapters", "chapters": chapters, "warnings": warnings_json(warnings)});
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    println!("{}: {} chapters", args.location, chapters.len());
    let (shown, hidden) = limited(chapters.len(), args.limit);
    let mut rows = table(["start", "end", "title", "in toc"]);
    for chapter in &chapters[..shown] {
        rows.add_row([
            timestamp(chapter.start_ms),
            chapter.end_ms.map(timestamp).unwrap_or_default(),
            excerpt(&chapter.title, 60),
            if chapter.toc { "yes" } else { "no" }.to_owned(),
        ]);
    }
    println!("{rows}");
    print_hidden(hidden, "chapters");
    print_warnings(warnings);
}

fn print_hidden(hidden: usize, what: &str) {
    if hidden > 0 {
        println!("  … {hidden} more {what} (use --limit 0 to show all)");
    }
}

fn print_warnings(warnings: &[Warning]) {
    if warnings.is_empty() {
        println!("no warnings");
        return;
    }
    println!("{}:", counted(warnings.len() as u64, "warning", "warnings"));
    for warning in warnings {
        println!("  {warning}");
    }
}

fn warnings_json(warnings: &[Warning]) -> serde_json::Value {
    json!(warnings)
}
