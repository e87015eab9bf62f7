//! Conversions between model values and SQLite columns.
//!
//! SQLite integers are signed 64-bit, so unsigned model values are checked on the way in
//! and on the way out. Timestamps are RFC 3339 text with as many fractional digits as the
//! value needs, which round-trips every `DateTime` exactly, offset included.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use podgraph_core::ProviderError;
use rusqlite::Row;

use crate::error::{DbContext, corrupt_value, invalid_input};

/// Sort key of an undated episode in date-ordered listings: after every real date, because
/// `chrono` dates end in year 262143, far below `i64::MAX` milliseconds.
pub(crate) const UNDATED_SORT_KEY: i64 = i64::MAX;

/// Returns the key that orders an episode by date in `mentions.episode_sort_key`: its
/// publication time in Unix milliseconds, or [`UNDATED_SORT_KEY`] for an undated episode.
pub(crate) fn episode_sort_key(published_ms: Option<i64>) -> i64 {
    published_ms.unwrap_or(UNDATED_SORT_KEY)
}

/// Converts an unsigned model value to an SQLite integer.
pub(crate) fn to_i64(
    ctx: &DbContext,
    value: impl TryInto<i64> + Copy + std::fmt::Display,
    what: impl Fn() -> String,
) -> Result<i64, ProviderError> {
    value.try_into().map_err(|_| {
        invalid_input(
            ctx,
            format!(
                "{} is {value}, larger than the maximum {} that SQLite stores",
                what(),
                i64::MAX
            ),
        )
    })
}

/// Converts an optional unsigned model value to an SQLite integer.
pub(crate) fn opt_to_i64(
    ctx: &DbContext,
    value: Option<impl TryInto<i64> + Copy + std::fmt::Display>,
    what: impl Fn() -> String,
) -> Result<Option<i64>, ProviderError> {
    value.map(|v| to_i64(ctx, v, &what)).transpose()
}

/// Reads an integer column into an unsigned type.
pub(crate) fn get_unsigned<T: TryFrom<i64>>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<T, ProviderError> {
    let value: i64 = get(ctx, row, column)?;
    T::try_from(value).map_err(|_| corrupt_value(ctx, format!("column {column} holds {value}")))
}

/// Reads the integer at a column index into an unsigned type.
pub(crate) fn get_unsigned_at<T: TryFrom<i64>>(
    ctx: &DbContext,
    row: &Row<'_>,
    index: usize,
) -> Result<T, ProviderError> {
    let value: i64 = row
        .get(index)
        .map_err(|e| corrupt_value(ctx, format!("column {index}: {e}")))?;
    T::try_from(value).map_err(|_| corrupt_value(ctx, format!("column {index} holds {value}")))
}

/// Reads a nullable integer column into an unsigned type.
pub(crate) fn get_opt_unsigned<T: TryFrom<i64>>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<Option<T>, ProviderError> {
    let value: Option<i64> = get(ctx, row, column)?;
    value
        .map(|v| {
            T::try_from(v).map_err(|_| corrupt_value(ctx, format!("column {column} holds {v}")))
        })
        .transpose()
}

/// Reads a column, mapping a type mismatch to an `Unexpected` error naming the column.
pub(crate) fn get<T: rusqlite::types::FromSql>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<T, ProviderError> {
    row.get(column)
        .map_err(|e| corrupt_value(ctx, format!("column {column}: {e}")))
}

/// Reads a text column holding an id or another value with a `FromStr` implementation.
pub(crate) fn get_parsed<T>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<T, ProviderError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = get(ctx, row, column)?;
    parse_text(ctx, &text, column)
}

/// Reads a nullable text column holding an id or another parsed value.
pub(crate) fn get_opt_parsed<T>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<Option<T>, ProviderError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = get(ctx, row, column)?;
    text.map(|t| parse_text(ctx, &t, column)).transpose()
}

fn parse_text<T>(ctx: &DbContext, text: &str, column: &str) -> Result<T, ProviderError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| corrupt_value(ctx, format!("column {column} holds `{text}`: {e}")))
}

/// Reads a JSON text column.
pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<T, ProviderError> {
    let text: String = get(ctx, row, column)?;
    serde_json::from_str(&text).map_err(|e| corrupt_value(ctx, format!("column {column}: {e}")))
}

/// Reads a nullable JSON text column.
pub(crate) fn get_opt_json<T: serde::de::DeserializeOwned>(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<Option<T>, ProviderError> {
    let text: Option<String> = get(ctx, row, column)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| corrupt_value(ctx, format!("column {column}: {e}")))
    })
    .transpose()
}

/// Serialises a value to JSON text for a JSON column.
pub(crate) fn to_json(
    ctx: &DbContext,
    value: &impl serde::Serialize,
) -> Result<String, ProviderError> {
    serde_json::to_string(value)
        .map_err(|e| invalid_input(ctx, format!("value cannot be stored as JSON: {e}")))
}

/// Formats a timestamp as RFC 3339 with its offset and only the fractional digits needed.
pub(crate) fn format_fixed(time: &DateTime<FixedOffset>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Formats a UTC timestamp as RFC 3339 with a `Z` suffix.
pub(crate) fn format_utc(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads a nullable RFC 3339 column with its offset.
pub(crate) fn get_opt_fixed(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<Option<DateTime<FixedOffset>>, ProviderError> {
    let text: Option<String> = get(ctx, row, column)?;
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map_err(|e| corrupt_value(ctx, format!("column {column} holds `{t}`: {e}")))
    })
    .transpose()
}

/// Reads an RFC 3339 column as UTC.
pub(crate) fn get_utc(
    ctx: &DbContext,
    row: &Row<'_>,
    column: &str,
) -> Result<DateTime<Utc>, ProviderError> {
    let text: String = get(ctx, row, column)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt_value(ctx, format!("column {column} holds `{text}`: {e}")))
}

/// Maps a blank optional text to `None`: the store keeps empty values as absent.
pub(crate) fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// Reads an `f32` stored as an SQLite `REAL`. Every `f32` converts to `f64` and back exactly.
pub(crate) fn get_f32(ctx: &DbContext, row: &Row<'_>, column: &str) -> Result<f32, ProviderError> {
    let value: f64 = get(ctx, row, column)?;
    #[allow(clippy::cast_possible_truncation)]
    Ok(value as f32)
}
