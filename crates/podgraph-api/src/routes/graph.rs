//! Read routes over the knowledge graph.

use axum::extract::State;
use podgraph_core::provider::{EntityFilter, PageRequest, QuoteFilter};
use podgraph_core::{EntityId, EpisodeId, PodcastId};
use podgraph_store_sqlite::{MAX_NEIGHBOUR_DEPTH, MAX_NEIGHBOUR_NODES, MAX_SEARCH_HITS};

use super::params::{
    EntityParams, EpisodeParams, NeighbourParams, PageParams, QuoteParams, SearchParams,
    TopicParams, integer_range, page_request, parse_id,
};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::model::{
    EntityDetailView, EntityPage, EntityView, EpisodeDetailView, EpisodePage, MentionPage,
    PodcastPage, QuotePage, SearchHitView, SearchResults, StatsView, SubgraphView, TopicPage,
};
use crate::state::AppState;

/// Mentions embedded in `GET /api/v1/entities/{id}`.
const EMBEDDED_MENTIONS: usize = 20;

/// Lists podcasts by title.
#[utoipa::path(
    get, path = "/api/v1/podcasts", tag = "graph",
    params(PageParams),
    responses(
        (status = 200, description = "A page of podcasts", body = PodcastPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_podcasts(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PodcastPage>> {
    let page = page_request(params.cursor, params.limit)?;
    let podcasts = state.inner.graph.podcasts(&page).await?;
    Ok(Json(PodcastPage::from_page(podcasts)))
}

/// Lists episodes, newest first.
#[utoipa::path(
    get, path = "/api/v1/episodes", tag = "graph",
    params(EpisodeParams),
    responses(
        (status = 200, description = "A page of episodes", body = EpisodePage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_episodes(
    State(state): State<AppState>,
    Query(params): Query<EpisodeParams>,
) -> ApiResult<Json<EpisodePage>> {
    let podcast = params
        .podcast
        .as_deref()
        .map(|p| parse_id::<PodcastId>("podcast", p))
        .transpose()?;
    let page = page_request(params.cursor, params.limit)?;
    let episodes = state.inner.graph.episodes(podcast, &page).await?;
    Ok(Json(EpisodePage::from_page(episodes)))
}

/// Returns one episode with its segments, speakers, chapters and topics.
#[utoipa::path(
    get, path = "/api/v1/episodes/{id}", tag = "graph",
    params(("id" = String, Path, description = "Episode id (UUID)")),
    responses(
        (status = 200, description = "The episode", body = EpisodeDetailView),
        (status = 400, description = "Invalid id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such episode", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_episode(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<EpisodeDetailView>> {
    let episode_id: EpisodeId = parse_id("id", &id)?;
    let detail = state
        .inner
        .store
        .episode_detail(episode_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("episode {episode_id} does not exist")))?;
    Ok(Json(detail.into()))
}

/// Lists entities, most mentioned first, filtered by name prefix and kind.
#[utoipa::path(
    get, path = "/api/v1/entities", tag = "graph",
    params(EntityParams),
    responses(
        (status = 200, description = "A page of entities", body = EntityPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_entities(
    State(state): State<AppState>,
    Query(params): Query<EntityParams>,
) -> ApiResult<Json<EntityPage>> {
    let filter = EntityFilter {
        name: params.name.filter(|n| !n.trim().is_empty()),
        kind: params.kind.map(Into::into),
    };
    let page = page_request(params.cursor, params.limit)?;
    let entities = state.inner.graph.entities(&filter, &page).await?;
    Ok(Json(EntityPage::from_page(entities)))
}

/// Returns one entity with its aliases and first mentions.
#[utoipa::path(
    get, path = "/api/v1/entities/{id}", tag = "graph",
    params(("id" = String, Path, description = "Entity id (UUID)")),
    responses(
        (status = 200, description = "The entity", body = EntityDetailView),
        (status = 400, description = "Invalid id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entity", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_entity(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<EntityDetailView>> {
    let entity_id: EntityId = parse_id("id", &id)?;
    // One read of the SQLite store, instead of `entity` and `mentions` through the
    // `GraphStore` trait, halves the blocking tasks and connection check-outs of the most
    // frequent look-up and reads both parts from one snapshot.
    let (detail, mentions) = state
        .inner
        .store
        .entity_with_mentions(entity_id, &PageRequest::first(EMBEDDED_MENTIONS))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("entity {entity_id} does not exist")))?;
    Ok(Json(EntityDetailView {
        entity: EntityView::from(detail.summary),
        aliases: detail.aliases,
        mentions: MentionPage::from_page(mentions),
    }))
}

/// Lists the mentions of an entity, by episode date and position.
#[utoipa::path(
    get, path = "/api/v1/entities/{id}/mentions", tag = "graph",
    params(("id" = String, Path, description = "Entity id (UUID)"), PageParams),
    responses(
        (status = 200, description = "A page of mentions", body = MentionPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entity", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn entity_mentions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<MentionPage>> {
    let entity_id: EntityId = parse_id("id", &id)?;
    let page = page_request(params.cursor, params.limit)?;
    let graph = &state.inner.graph;
    if graph.entity(entity_id).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "entity {entity_id} does not exist"
        )));
    }
    let mentions = graph.mentions(entity_id, &page).await?;
    Ok(Json(MentionPage::from_page(mentions)))
}

/// Returns the entities within some hops of an entity and the edges between them.
#[utoipa::path(
    get, path = "/api/v1/entities/{id}/neighbours", tag = "graph",
    params(("id" = String, Path, description = "Entity id (UUID)"), NeighbourParams),
    responses(
        (status = 200, description = "The neighbourhood subgraph", body = SubgraphView),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entity", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn entity_neighbours(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<NeighbourParams>,
) -> ApiResult<Json<SubgraphView>> {
    let entity_id: EntityId = parse_id("id", &id)?;
    let depth = params.depth.unwrap_or(1);
    if depth == 0 || depth > MAX_NEIGHBOUR_DEPTH {
        return Err(ApiError::field(
            "depth",
            format!(
                "{}; got {depth}",
                integer_range(1, usize::from(MAX_NEIGHBOUR_DEPTH))
            ),
        ));
    }
    let limit = params.limit.unwrap_or(50) as usize;
    if limit == 0 || limit > MAX_NEIGHBOUR_NODES {
        return Err(ApiError::field(
            "limit",
            format!("{}; got {limit}", integer_range(1, MAX_NEIGHBOUR_NODES)),
        ));
    }
    let graph = &state.inner.graph;
    if graph.entity(entity_id).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "entity {entity_id} does not exist"
        )));
    }
    let subgraph = graph.neighbours(entity_id, depth, limit).await?;
    Ok(Json(SubgraphView {
        nodes: subgraph.nodes.into_iter().map(Into::into).collect(),
        edges: subgraph.edges.into_iter().map(Into::into).collect(),
    }))
}

/// Lists quotes, best first, by entity, speaker or episode.
#[utoipa::path(
    get, path = "/api/v1/quotes", tag = "graph",
    params(QuoteParams),
    responses(
        (status = 200, description = "A page of quotes", body = QuotePage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_quotes(
    State(state): State<AppState>,
    Query(params): Query<QuoteParams>,
) -> ApiResult<Json<QuotePage>> {
    let filter = QuoteFilter {
        entity: params
            .entity
            .as_deref()
            .map(|e| parse_id("entity", e))
            .transpose()?,
        speaker: params.speaker.filter(|s| !s.is_empty()),
        episode: params
            .episode
            .as_deref()
            .map(|e| parse_id("episode", e))
            .transpose()?,
    };
    let page = page_request(params.cursor, params.limit)?;
    let quotes = state.inner.graph.quotes(&filter, &page).await?;
    Ok(Json(QuotePage::from_page(quotes)))
}

/// Lists topics, discussed by most episodes first.
#[utoipa::path(
    get, path = "/api/v1/topics", tag = "graph",
    params(TopicParams),
    responses(
        (status = 200, description = "A page of topics", body = TopicPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_topics(
    State(state): State<AppState>,
    Query(params): Query<TopicParams>,
) -> ApiResult<Json<TopicPage>> {
    let page = page_request(params.cursor, params.limit)?;
    let topics = state
        .inner
        .store
        .topics(params.phrase.as_deref(), &page)
        .await?;
    Ok(Json(TopicPage::from_page(topics)))
}

/// Full-text search across segments, quotes and entity names, best first.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "graph",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits, best first", body = SearchResults),
        (status = 400, description = "Invalid parameter: `q` blank or `limit` out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    if params.q.trim().is_empty() {
        return Err(ApiError::field(
            "q",
            "must not be blank; give the words to search for",
        ));
    }
    let limit = params.limit.unwrap_or(20) as usize;
    if limit == 0 || limit > MAX_SEARCH_HITS {
        return Err(ApiError::field(
            "limit",
            format!("{}; got {limit}", integer_range(1, MAX_SEARCH_HITS)),
        ));
    }
    let hits = state.inner.graph.search(&params.q, limit).await?;
    Ok(Json(SearchResults {
        query: params.q,
        hits: hits.into_iter().map(SearchHitView::from).collect(),
    }))
}

/// Node and relationship counts.
#[utoipa::path(
    get, path = "/api/v1/stats", tag = "graph",
    responses((status = 200, description = "Counts by label and type", body = StatsView))
)]
pub(crate) async fn stats(State(state): State<AppState>) -> ApiResult<Json<StatsView>> {
    let stats = state.inner.graph.stats().await?;
    Ok(Json(stats.into()))
}
