//! Query parameters and their checks.

use std::str::FromStr;

use podgraph_core::provider::PageRequest;
use podgraph_store_sqlite::{
    DEFAULT_PAGE_LIMIT, MAX_NEIGHBOUR_DEPTH, MAX_NEIGHBOUR_NODES, MAX_PAGE_LIMIT, MAX_SEARCH_HITS,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::QueryRules;
use crate::model::EntityKindView;

/// Cursor pagination.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// The `next` value of the previous page; omit for the first page.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000; 50 when omitted.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u32>,
}

/// Builds a store page request, rejecting a limit outside 1 to [`MAX_PAGE_LIMIT`].
pub(crate) fn page_request(
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<PageRequest, ApiError> {
    let limit = match limit {
        None => DEFAULT_PAGE_LIMIT,
        Some(n) if n >= 1 && (n as usize) <= MAX_PAGE_LIMIT => n as usize,
        Some(n) => {
            return Err(ApiError::field(
                "limit",
                format!("{}; got {n}", integer_range(1, MAX_PAGE_LIMIT)),
            ));
        }
    };
    Ok(PageRequest {
        cursor: cursor.filter(|c| !c.is_empty()),
        limit,
    })
}

/// Formats the message for an integer parameter outside `low..=high` or not an integer.
pub(crate) fn integer_range(low: usize, high: usize) -> String {
    format!("expected an integer from {low} to {high}")
}

/// Returns the accepted values of the parameters every paged listing shares.
fn page_expectation(field: &str) -> Option<String> {
    match field {
        "limit" => Some(integer_range(1, MAX_PAGE_LIMIT)),
        "cursor" => Some("expected the `next` value of the previous page".to_owned()),
        _ => None,
    }
}

/// Returns the accepted values of a UUID parameter.
fn id_expectation() -> Option<String> {
    Some("expected an id; ids are UUIDs".to_owned())
}

impl QueryRules for PageParams {
    fn expectation(field: &str) -> Option<String> {
        page_expectation(field)
    }
}

impl QueryRules for EpisodeParams {
    fn expectation(field: &str) -> Option<String> {
        match field {
            "podcast" => id_expectation(),
            _ => page_expectation(field),
        }
    }
}

impl QueryRules for EntityParams {
    fn expectation(field: &str) -> Option<String> {
        match field {
            "kind" => None,
            _ => page_expectation(field),
        }
    }
}

impl QueryRules for QuoteParams {
    fn expectation(field: &str) -> Option<String> {
        match field {
            "entity" | "episode" => id_expectation(),
            _ => page_expectation(field),
        }
    }
}

impl QueryRules for TopicParams {
    fn expectation(field: &str) -> Option<String> {
        page_expectation(field)
    }
}

impl QueryRules for NeighbourParams {
    fn expectation(field: &str) -> Option<String> {
        match field {
            "depth" => Some(integer_range(1, usize::from(MAX_NEIGHBOUR_DEPTH))),
            "limit" => Some(integer_range(1, MAX_NEIGHBOUR_NODES)),
            _ => None,
        }
    }
}

impl QueryRules for SearchParams {
    fn expectation(field: &str) -> Option<String> {
        match field {
            "q" => Some("expected the words to search for, not blank".to_owned()),
            "limit" => Some(integer_range(1, MAX_SEARCH_HITS)),
            _ => None,
        }
    }
}

/// Parses an id parameter, naming `field` when it is not a UUID.
pub(crate) fn parse_id<T: FromStr>(field: &str, value: &str) -> Result<T, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|_| ApiError::field(field, format!("{value:?} is not a valid id; ids are UUIDs")))
}

/// Filters of `GET /api/v1/episodes`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EpisodeParams {
    /// Only episodes of this podcast (UUID).
    pub(crate) podcast: Option<String>,
    /// The `next` value of the previous page.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000; 50 when omitted.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u32>,
}

/// Filters of `GET /api/v1/entities`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EntityParams {
    /// Case-insensitive prefix of the name or of an alias.
    pub(crate) name: Option<String>,
    /// Only entities of this kind.
    pub(crate) kind: Option<EntityKindView>,
    /// The `next` value of the previous page.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000; 50 when omitted.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u32>,
}

/// Filters of `GET /api/v1/quotes`; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QuoteParams {
    /// Quotes from segments that mention this entity (UUID).
    pub(crate) entity: Option<String>,
    /// Quotes by this speaker (exact name).
    pub(crate) speaker: Option<String>,
    /// Quotes from this episode (UUID).
    pub(crate) episode: Option<String>,
    /// The `next` value of the previous page.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000; 50 when omitted.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u32>,
}

/// Filters of `GET /api/v1/topics`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TopicParams {
    /// Prefix of the key phrase, ignoring ASCII case.
    pub(crate) phrase: Option<String>,
    /// The `next` value of the previous page.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000; 50 when omitted.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u32>,
}

/// Parameters of `GET /api/v1/entities/{id}/neighbours`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct NeighbourParams {
    /// Relationship hops from the entity, 1 to 4; 1 when omitted.
    #[param(minimum = 1, maximum = 4)]
    pub(crate) depth: Option<u8>,
    /// Maximum entities, 1 to 500; 50 when omitted.
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<u32>,
}

/// Parameters of `GET /api/v1/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Words to find in segments, quotes and entity names; must not be blank.
    #[param(min_length = 1)]
    pub(crate) q: String,
    /// Maximum hits, 1 to 200; 20 when omitted.
    #[param(minimum = 1, maximum = 200)]
    pub(crate) limit: Option<u32>,
}
