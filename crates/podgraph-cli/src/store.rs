//! Choosing and opening the graph store: SQLite (the default) or Neo4j.
//!
//! The `db` setting of the configuration file is either a SQLite path or a table:
//!
//! ```toml
//! [db]
//! backend = "neo4j"          # or "sqlite" (default)
//! path = "podgraph.db"       # SQLite only
//! [db.neo4j]
//! uri = "bolt://127.0.0.1:7687"
//! user = "neo4j"
//! max_connections = 16
//! ```
//!
//! `--db` (and `PODGRAPH_DB`) take a SQLite path or a Neo4j URI (`bolt://`, `neo4j://` and
//! their `+s`/`+ssc` forms). Credentials never go in the URI: the Neo4j password comes
//! from `NEO4J_PASSWORD` or the `[db.neo4j]` table, and `NEO4J_URI`, `NEO4J_USER` and
//! `NEO4J_DATABASE` override the table.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use podgraph_core::provider::GraphStore;
use podgraph_metrics::MeteredStore;
use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore};
use podgraph_store_sqlite::SqliteStore;
use podgraph_tracing::wrap::TracedGraphStore;
use serde::Deserialize;

/// The `db` setting: a SQLite path, or a table that chooses the backend.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum DbSetting {
    /// A SQLite database path or, as with `--db`, a Neo4j URI.
    Path(PathBuf),
    /// A `[db]` table.
    Section(DbSection),
    /// A `--db` Neo4j URI given with a `[db]` table in the file: the URI replaces the
    /// table's, and its other Neo4j settings stay.
    #[serde(skip_deserializing)]
    Neo4jFlag {
        /// The URI of the flag.
        uri: String,
        /// The `[db.neo4j]` table of the file.
        file: Neo4jConfig,
    },
}

/// The `[db]` table.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DbSection {
    /// The store backend.
    pub(crate) backend: Backend,
    /// SQLite database path; the default is `podgraph.db` in the user's data directory.
    pub(crate) path: Option<PathBuf>,
    /// Neo4j connection settings.
    pub(crate) neo4j: Neo4jConfig,
}

/// The store backends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Backend {
    /// An embedded SQLite file.
    #[default]
    Sqlite,
    /// A Neo4j 5 server.
    Neo4j,
}

/// The store a command works on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StoreTarget {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A Neo4j server.
    Neo4j(Neo4jConfig),
}

const NEO4J_SCHEMES: [&str; 6] = [
    "bolt://",
    "bolt+s://",
    "bolt+ssc://",
    "neo4j://",
    "neo4j+s://",
    "neo4j+ssc://",
];

/// Returns the Neo4j URI when `path` is one.
pub(crate) fn neo4j_uri(path: &Path) -> Option<&str> {
    let text = path.to_str()?;
    NEO4J_SCHEMES
        .iter()
        .any(|scheme| text.starts_with(scheme))
        .then_some(text)
}

impl StoreTarget {
    /// Chooses the store from the `db` setting; `default_sqlite` is the SQLite path used
    /// when none is configured.
    pub(crate) fn from_setting(setting: Option<&DbSetting>, default_sqlite: PathBuf) -> Self {
        match setting {
            Some(DbSetting::Path(path)) => match neo4j_uri(path) {
                Some(uri) => Self::Neo4j(Neo4jConfig {
                    uri: uri.to_owned(),
                    ..Neo4jConfig::default().with_env()
                }),
                None => Self::Sqlite(path.clone()),
            },
            Some(DbSetting::Section(section)) => match section.backend {
                Backend::Neo4j => Self::Neo4j(section.neo4j.clone().with_env()),
                Backend::Sqlite => Self::Sqlite(section.path.clone().unwrap_or(default_sqlite)),
            },
            Some(DbSetting::Neo4jFlag { uri, file }) => Self::Neo4j(Neo4jConfig {
                uri: uri.clone(),
                ..file.clone().with_env()
            }),
            None => Self::Sqlite(default_sqlite),
        }
    }

    /// Returns the SQLite path or the Neo4j URI, for messages.
    pub(crate) fn location(&self) -> PathBuf {
        match self {
            Self::Sqlite(path) => path.clone(),
            Self::Neo4j(config) => PathBuf::from(&config.uri),
        }
    }
}

/// A store opened for writing.
pub(crate) struct OpenedStore {
    /// The store, with metrics and tracing around it.
    pub(crate) graph: Arc<dyn GraphStore>,
    /// The same SQLite store without the wrappers, for what only it keeps (feed
    /// validators, log checkpoints); `None` for Neo4j.
    pub(crate) sqlite: Option<SqliteStore>,
}

/// Opens the store for writing, with metrics and tracing around it. SQLite creates the
/// file and its directory when missing. Neo4j connects on first use, so the caller runs
/// `migrate` before writing.
pub(crate) async fn open_for_writing(target: &StoreTarget) -> Result<OpenedStore> {
    match target {
        StoreTarget::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| {
                    format!("cannot create the database directory {}", parent.display())
                })?;
            }
            let sqlite = SqliteStore::open(path)
                .with_context(|| format!("cannot open database {}", path.display()))?;
            Ok(OpenedStore {
                graph: wrap(sqlite.clone(), "sqlite"),
                sqlite: Some(sqlite),
            })
        }
        StoreTarget::Neo4j(config) => {
            // The caller migrates, which is also the first contact with the server.
            let neo4j = Neo4jStore::new(config.clone())
                .with_context(|| format!("cannot open the Neo4j database at {}", config.uri))?;
            Ok(OpenedStore {
                graph: wrap(neo4j, "neo4j"),
                sqlite: None,
            })
        }
    }
}

// Metrics sit closest to the store so that their latency excludes span bookkeeping.
fn wrap(store: impl GraphStore + 'static, system: &'static str) -> Arc<dyn GraphStore> {
    Arc::new(TracedGraphStore::new(
        Arc::new(MeteredStore::new(store, system)),
        system,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_in_db_flag_selects_neo4j() {
        let setting = DbSetting::Path(PathBuf::from("neo4j://127.0.0.1:7999"));
        let target = StoreTarget::from_setting(Some(&setting), PathBuf::from("x.db"));
        match target {
            StoreTarget::Neo4j(config) => assert_eq!(config.uri, "neo4j://127.0.0.1:7999"),
            StoreTarget::Sqlite(path) => panic!("chose SQLite at {}", path.display()),
        }
    }

    #[test]
    fn plain_path_selects_sqlite() {
        let setting = DbSetting::Path(PathBuf::from("data/graph.db"));
        let target = StoreTarget::from_setting(Some(&setting), PathBuf::from("x.db"));
        assert_eq!(target, StoreTarget::Sqlite(PathBuf::from("data/graph.db")));
    }

    #[test]
    fn db_table_selects_backend() {
        let section: DbSetting = toml::from_str::<toml::Table>(
            "[db]\nbackend = \"neo4j\"\n[db.neo4j]\nuri = \"bolt://127.0.0.1:7777\"\nmax_connections = 4\n",
        )
        .ok()
        .and_then(|table| table.get("db").cloned())
        .and_then(|value| value.try_into().ok())
        .unwrap_or_else(|| panic!("the [db] table did not parse"));
        let DbSetting::Section(section) = &section else {
            panic!("parsed as a path: {section:?}");
        };
        assert_eq!(section.backend, Backend::Neo4j);
        assert_eq!(section.neo4j.max_connections, 4);
    }
}
