//! Running Cypher in explicit transactions, with parameters only.

use neo4rs::{BoltType, Graph, Query, Row, Txn};
use podgraph_core::{ProviderError, ProviderResult};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{corrupt_value, driver_error, invalid_input};

/// Builds a query from a fixed statement. Statements are constants of this crate; user
/// values are always passed with [`with_param`], never formatted into the text.
pub(crate) fn statement(text: &str) -> Query {
    neo4rs::query(text)
}

/// Adds a parameter given as JSON (objects become maps, arrays lists).
pub(crate) fn with_param(
    query: Query,
    operation: &'static str,
    name: &str,
    value: Value,
) -> ProviderResult<Query> {
    let bolt = BoltType::try_from(value).map_err(|e| {
        invalid_input(
            operation,
            format!("parameter `{name}` cannot be sent to Neo4j: {e}"),
        )
    })?;
    Ok(query.param(name, bolt))
}

/// Builds a query with several JSON parameters.
pub(crate) fn query_with(
    operation: &'static str,
    text: &str,
    params: impl IntoIterator<Item = (&'static str, Value)>,
) -> ProviderResult<Query> {
    let mut query = statement(text);
    for (name, value) in params {
        query = with_param(query, operation, name, value)?;
    }
    Ok(query)
}

/// Runs a query in `txn` and collects every row.
pub(crate) async fn fetch_all(
    txn: &mut Txn,
    operation: &'static str,
    action: &str,
    query: Query,
) -> ProviderResult<Vec<Row>> {
    let mut stream = txn
        .execute(query)
        .await
        .map_err(|e| driver_error(operation, action, e))?;
    let mut rows = Vec::new();
    while let Some(row) = stream
        .next(txn.handle())
        .await
        .map_err(|e| driver_error(operation, action, e))?
    {
        rows.push(row);
    }
    Ok(rows)
}

/// Runs a query in `txn` and discards its result.
pub(crate) async fn run(
    txn: &mut Txn,
    operation: &'static str,
    action: &str,
    query: Query,
) -> ProviderResult<()> {
    txn.run(query)
        .await
        .map(|_| ())
        .map_err(|e| driver_error(operation, action, e))
}

/// Runs a read query in its own transaction and collects every row.
pub(crate) async fn read_all(
    graph: &Graph,
    operation: &'static str,
    action: &str,
    query: Query,
) -> ProviderResult<Vec<Row>> {
    let mut txn = graph
        .start_txn()
        .await
        .map_err(|e| driver_error(operation, "failed to start a transaction", e))?;
    let rows = fetch_all(&mut txn, operation, action, query).await?;
    txn.commit()
        .await
        .map_err(|e| driver_error(operation, action, e))?;
    Ok(rows)
}

/// Reads a column, naming it in the error when its value has another type.
pub(crate) fn column<T: DeserializeOwned>(
    operation: &'static str,
    row: &Row,
    name: &str,
) -> ProviderResult<T> {
    row.get::<T>(name)
        .map_err(|e| corrupt_value(operation, format!("column `{name}`: {e}")))
}

/// Reads an integer column into an unsigned type.
pub(crate) fn unsigned<T: TryFrom<i64>>(
    operation: &'static str,
    row: &Row,
    name: &str,
) -> ProviderResult<T> {
    let value: i64 = column(operation, row, name)?;
    T::try_from(value)
        .map_err(|_| corrupt_value(operation, format!("column `{name}` holds {value}")))
}

/// Reads a text column holding an id or another value with a `FromStr` implementation.
pub(crate) fn parsed<T>(operation: &'static str, row: &Row, name: &str) -> ProviderResult<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = column(operation, row, name)?;
    text.parse()
        .map_err(|e| corrupt_value(operation, format!("column `{name}` holds `{text}`: {e}")))
}

/// Converts a count to a Neo4j integer, saturating.
pub(crate) fn limit_param(limit: usize) -> Value {
    Value::from(i64::try_from(limit).unwrap_or(i64::MAX))
}

/// A `ProviderError` result for stored values that do not parse.
pub(crate) fn bad_value(operation: &'static str, message: String) -> ProviderError {
    corrupt_value(operation, message)
}
