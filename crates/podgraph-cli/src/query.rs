//! `podgraph query` and `podgraph export`: read the stored graph.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use podgraph_core::EpisodeId;
use podgraph_core::model::EntityKind;
use podgraph_core::provider::{EntitySummary, GraphStore, PageRequest, QuoteFilter, SearchHitKind};
use podgraph_store_sqlite::SqliteStore;
use podgraph_store_sqlite::export::ExportFormat;
use serde_json::json;

use crate::cli::{ExportArgs, QueryArgs, QueryCommand};
use crate::config::Config;
use crate::output::{counted, excerpt, table, timestamp};

/// Opens an existing database; a missing file is an error instead of a new empty graph.
async fn open(db: Option<&Path>, config: &Config) -> Result<SqliteStore> {
    let mut config = config.clone();
    if let Some(db) = db {
        config.set_db_flag(db);
    }
    let path = match config.store_target() {
        crate::store::StoreTarget::Sqlite(path) => path,
        crate::store::StoreTarget::Neo4j(neo4j) => bail!(
            "`podgraph query` and `podgraph export` read SQLite databases only, and {} is a \
             Neo4j server; query it with Cypher (cypher-shell or Neo4j Browser)",
            neo4j.uri
        ),
    };
    if !path.is_file() {
        bail!(
            "database {} does not exist; run `podgraph seed --db {}` first",
            path.display(),
            path.display()
        );
    }
    let store = SqliteStore::open(&path)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    Ok(store)
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub(crate) async fn run(args: QueryArgs, config: Config) -> Result<ExitCode> {
    let store = open(args.db.as_deref(), &config).await?;
    let json = args.json;
    match args.command {
        QueryCommand::Search { text, limit } => search(&store, &text, limit, json).await?,
        QueryCommand::Entity {
            name,
            explain,
            mentions,
        } => entity(&store, &name, explain, mentions, json).await?,
        QueryCommand::Episodes { limit } => episodes(&store, limit, json).await?,
        QueryCommand::Episode { id, limit } => episode(&store, &id, limit, json).await?,
        QueryCommand::Quotes {
            entity,
            speaker,
            episode,
            limit,
        } => {
            quotes(&store, entity, speaker, episode, limit, json).await?;
        }
        QueryCommand::Neighbours { name, depth, limit } => {
            neighbours(&store, &name, depth, limit, json).await?
        }
        QueryCommand::Top { kind, limit } => top(&store, kind, limit, json).await?,
        QueryCommand::Stats => stats(&store, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn search(store: &SqliteStore, text: &str, limit: usize, json: bool) -> Result<()> {
    let hits = store.search(text, limit).await?;
    if json {
        return print_json(&hits);
    }
    let mut rows = table(["kind", "time", "match", "id"]);
    for hit in &hits {
        let kind = match hit.kind {
            SearchHitKind::Segment => "segment",
            SearchHitKind::Quote => "quote",
            SearchHitKind::Entity => "entity",
        };
        rows.add_row([
            kind.to_owned(),
            hit.start_ms.map(timestamp).unwrap_or_default(),
            excerpt(&hit.snippet, 90),
            hit.id.clone(),
        ]);
    }
    println!("{rows}");
    println!("{} hits for {text:?}", hits.len());
    Ok(())
}

/// Finds the entity a user means by `name`: exact name, then alias, then prefix.
async fn find_entity(
    store: &SqliteStore,
    name: &str,
) -> Result<(EntitySummary, Vec<EntitySummary>)> {
    let mut matches = store.find_entities_by_name(name).await?;
    if matches.is_empty() {
        bail!("no entity named {name:?}; try `podgraph query search {name:?}`");
    }
    let best = matches.remove(0);
    Ok((best, matches))
}

async fn entity(
    store: &SqliteStore,
    name: &str,
    explain: bool,
    mentions: usize,
    json: bool,
) -> Result<()> {
    let (summary, others) = find_entity(store, name).await?;
    let detail = store.entity(summary.id).await?;
    let mention_page = store
        .mentions(summary.id, &PageRequest::first(mentions))
        .await?;
    let aliases = if explain {
        store.entity_aliases_with_reasons(summary.id).await?
    } else {
        Vec::new()
    };

    if json {
        return print_json(&json!({
            "entity": summary,
            "aliases": detail.map(|d| d.aliases).unwrap_or_default(),
            "merge_decisions": aliases,
            "mentions": mention_page.items,
            "other_matches": others,
        }));
    }

    println!(
        "{} ({})  id {}",
        summary.name,
        summary.kind.as_str(),
        summary.id
    );
    println!(
        "  {} in {}",
        counted(summary.mention_count, "mention", "mentions"),
        counted(summary.episode_count, "episode", "episodes")
    );
    if let Some(detail) = &detail {
        if !detail.aliases.is_empty() {
            println!("  also known as: {}", detail.aliases.join(", "));
        }
    }
    if explain {
        if aliases.is_empty() {
            println!("  no merges: every mention used the canonical name");
        } else {
            let mut rows = table(["alias", "rule", "score", "reason"]);
            for alias in &aliases {
                rows.add_row([
                    alias.alias.clone(),
                    alias.rule.clone().unwrap_or_default(),
                    alias.score.map(|s| format!("{s:.2}")).unwrap_or_default(),
                    alias.reason.clone().unwrap_or_default(),
                ]);
            }
            println!("{rows}");
        }
    }
    let mut rows = table(["episode", "time", "speaker", "said"]);
    for mention in &mention_page.items {
        rows.add_row([
            excerpt(&mention.episode_title, 40),
            timestamp(mention.start_ms),
            mention.speaker.clone().unwrap_or_default(),
            excerpt(&mention.surface, 40),
        ]);
    }
    println!("{rows}");
    if !others.is_empty() {
        let names: Vec<String> = others
            .iter()
            .map(|o| format!("{} ({})", o.name, o.kind.as_str()))
            .collect();
        println!("  other matches: {}", names.join(", "));
    }
    Ok(())
}

async fn episodes(store: &SqliteStore, limit: usize, json: bool) -> Result<()> {
    let page = store.episodes(None, &PageRequest::first(limit)).await?;
    if json {
        return print_json(&page.items);
    }
    let mut rows = table(["episode id", "published", "title", "segments", "speakers"]);
    for episode in &page.items {
        rows.add_row([
            episode.id.to_string(),
            episode
                .published
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            excerpt(&episode.title, 50),
            episode.segment_count.to_string(),
            excerpt(&episode.speakers.join(", "), 40),
        ]);
    }
    println!("{rows}");
    Ok(())
}

async fn episode(store: &SqliteStore, id: &str, limit: usize, json: bool) -> Result<()> {
    let id: EpisodeId = id
        .parse()
        .with_context(|| format!("invalid episode id {id:?}: expected a UUID"))?;
    let Some(detail) = store.episode_detail(id).await? else {
        bail!("no episode with id {id}; list them with `podgraph query episodes`");
    };
    if json {
        return print_json(&detail);
    }
    println!("{} — {}", detail.podcast.title, detail.episode.title);
    println!(
        "  {} segments, speakers: {}",
        detail.transcript.segments.len(),
        detail.transcript.speakers.join(", ")
    );
    let topics: Vec<&str> = detail
        .topics
        .iter()
        .take(10)
        .map(|t| t.phrase.as_str())
        .collect();
    println!("  topics: {}", topics.join(", "));
    let mut rows = table(["start", "speaker", "text"]);
    let shown = if limit == 0 {
        detail.transcript.segments.len()
    } else {
        limit
    };
    for segment in detail.transcript.segments.iter().take(shown) {
        rows.add_row([
            timestamp(segment.start_ms),
            segment.speaker.clone().unwrap_or_default(),
            excerpt(&segment.text, 90),
        ]);
    }
    println!("{rows}");
    Ok(())
}

async fn quotes(
    store: &SqliteStore,
    entity: Option<String>,
    speaker: Option<String>,
    episode: Option<String>,
    limit: usize,
    json: bool,
) -> Result<()> {
    let entity = match entity {
        Some(name) => Some(find_entity(store, &name).await?.0.id),
        None => None,
    };
    let episode = match episode {
        Some(id) => Some(
            id.parse::<EpisodeId>()
                .with_context(|| format!("invalid episode id {id:?}"))?,
        ),
        None => None,
    };
    let filter = QuoteFilter {
        entity,
        speaker,
        episode,
    };
    let page = store.quotes(&filter, &PageRequest::first(limit)).await?;
    if json {
        return print_json(&page.items);
    }
    let mut rows = table(["speaker", "episode", "time", "quote"]);
    for quote in &page.items {
        rows.add_row([
            quote.speaker.clone().unwrap_or_default(),
            excerpt(&quote.episode_title, 30),
            timestamp(quote.start_ms),
            excerpt(&quote.text, 100),
        ]);
    }
    println!("{rows}");
    Ok(())
}

async fn neighbours(
    store: &SqliteStore,
    name: &str,
    depth: u8,
    limit: usize,
    json: bool,
) -> Result<()> {
    let (start, _) = find_entity(store, name).await?;
    let graph = store.neighbours(start.id, depth, limit).await?;
    if json {
        return print_json(&graph);
    }
    let names: std::collections::BTreeMap<_, _> = graph
        .nodes
        .iter()
        .map(|n| (n.id, n.name.as_str()))
        .collect();
    let mut rows = table(["from", "relationship", "to", "weight"]);
    for edge in &graph.edges {
        rows.add_row([
            names.get(&edge.source).copied().unwrap_or("?").to_owned(),
            edge.kind.clone(),
            names.get(&edge.target).copied().unwrap_or("?").to_owned(),
            format!("{:.0}", edge.weight),
        ]);
    }
    println!(
        "{} and {} within {}",
        start.name,
        counted(
            graph.nodes.len().saturating_sub(1) as u64,
            "neighbour",
            "neighbours"
        ),
        counted(u64::from(depth), "hop", "hops")
    );
    println!("{rows}");
    Ok(())
}

async fn top(store: &SqliteStore, kind: Option<String>, limit: usize, json: bool) -> Result<()> {
    let kind = match kind {
        Some(name) => Some(EntityKind::parse(&name).with_context(|| {
            let known: Vec<&str> = EntityKind::ALL.iter().map(|k| k.as_str()).collect();
            format!(
                "unknown entity kind {name:?}; expected one of {}",
                known.join(", ")
            )
        })?),
        None => None,
    };
    let entities = store.top_entities(kind, limit).await?;
    if json {
        return print_json(&entities);
    }
    let mut rows = table(["entity", "kind", "mentions", "episodes"]);
    for entity in &entities {
        rows.add_row([
            entity.name.clone(),
            entity.kind.as_str().to_owned(),
            entity.mention_count.to_string(),
            entity.episode_count.to_string(),
        ]);
    }
    println!("{rows}");
    Ok(())
}

async fn stats(store: &SqliteStore, json: bool) -> Result<()> {
    let stats = store.stats().await?;
    if json {
        return print_json(&stats);
    }
    let mut rows = table(["nodes", "count", "relationships", "count"]);
    let height = stats.nodes.len().max(stats.relationships.len());
    for index in 0..height {
        let node = stats.nodes.get(index);
        let relationship = stats.relationships.get(index);
        rows.add_row([
            node.map(|n| n.0.clone()).unwrap_or_default(),
            node.map(|n| n.1.to_string()).unwrap_or_default(),
            relationship.map(|r| r.0.clone()).unwrap_or_default(),
            relationship.map(|r| r.1.to_string()).unwrap_or_default(),
        ]);
    }
    println!("{rows}");
    Ok(())
}

pub(crate) async fn export(args: ExportArgs, config: Config) -> Result<ExitCode> {
    let store = open(args.db.as_deref(), &config).await?;
    let format = match args.format.as_str() {
        "jsonl" | "json" => ExportFormat::JsonLines,
        "cypher" => ExportFormat::Cypher,
        "graphml" => ExportFormat::GraphMl,
        other => bail!("unknown export format {other:?}; expected jsonl, cypher or graphml"),
    };
    let summary = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let (writer, summary) = store.export(format, std::io::BufWriter::new(file)).await?;
            writer
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("cannot write {}", path.display()))?;
            summary
        }
        None => {
            let (mut writer, summary) = store
                .export(format, std::io::BufWriter::new(std::io::stdout()))
                .await?;
            writer.flush().context("cannot write to standard output")?;
            summary
        }
    };
    eprintln!(
        "exported {} nodes and {} relationships as {}",
        summary.nodes,
        summary.relationships,
        format.as_str()
    );
    Ok(ExitCode::SUCCESS)
}
