//! The SLO state backends, which keep the bucket counts and the status snapshot (alert
//! states and active policies with their start times).
//!
//! - `sqlite`: counts in a SQLite file beside the database (or at `[slo] state`) and the
//!   snapshot in a JSON file beside that. Processes of one host share them.
//! - `redis`: counts and snapshot under the `[redis]` key prefix on the `[redis]` server,
//!   so that processes on every host count into one budget.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, Result};
use podgraph_redis::{DEFAULT_RETENTION, RedisStateStore};
use podgraph_slo::SloStatus;
use podgraph_slo::store::{SloStateStore, SqliteStateStore};
use serde::Deserialize;

use super::{blocking, read_snapshot, snapshot_path, state_path, write_snapshot};
use crate::config::Config;

/// The `[slo] backend` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SloBackend {
    /// A SQLite file and a JSON snapshot file.
    Sqlite,
    /// Keys on the `[redis]` server.
    Redis,
}

impl SloBackend {
    /// Returns the name used in the configuration.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Redis => "redis",
        }
    }
}

impl FromStr for SloBackend {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Self::Sqlite),
            "redis" => Ok(Self::Redis),
            _ => Err(format!("expected sqlite or redis, found {text:?}")),
        }
    }
}

/// The SLO state of one command, resolved from the configuration.
pub(crate) enum SloState {
    /// A SQLite state file and the snapshot file beside it.
    Sqlite {
        /// The SQLite state file.
        file: PathBuf,
        /// The JSON snapshot file.
        snapshot: PathBuf,
    },
    /// Keys on a Redis server.
    Redis(Arc<RedisStateStore>),
}

impl SloState {
    /// Resolves the state from `[slo] backend`, else `default`. The SQLite file sits
    /// beside `db` unless `[slo] state` names it. No file is opened and no connection is
    /// made here.
    ///
    /// # Errors
    /// When the backend is Redis and no Redis URL is configured, or the URL is invalid.
    pub(crate) fn resolve(config: &Config, db: &Path, default: SloBackend) -> Result<Self> {
        match config.slo.backend.unwrap_or(default) {
            SloBackend::Sqlite => {
                let file = state_path(config, db);
                let snapshot = snapshot_path(&file);
                Ok(Self::Sqlite { file, snapshot })
            }
            SloBackend::Redis => {
                let store = RedisStateStore::open(&config.redis, DEFAULT_RETENTION)
                    .context("cannot use Redis for the SLO state ([slo] backend = \"redis\")")?;
                Ok(Self::Redis(Arc::new(store)))
            }
        }
    }

    /// Returns the backend.
    pub(crate) fn backend(&self) -> SloBackend {
        match self {
            Self::Sqlite { .. } => SloBackend::Sqlite,
            Self::Redis(_) => SloBackend::Redis,
        }
    }

    /// Returns the state file, or the Redis server and key prefix, for messages.
    pub(crate) fn location(&self) -> String {
        match self {
            Self::Sqlite { file, .. } => file.display().to_string(),
            Self::Redis(store) => store.location(),
        }
    }

    /// Returns the SQLite state file; `None` for Redis.
    pub(crate) fn file(&self) -> Option<&Path> {
        match self {
            Self::Sqlite { file, .. } => Some(file),
            Self::Redis(_) => None,
        }
    }

    /// Opens the store of bucket counts. Without `create`, a missing SQLite file is left
    /// missing and `None` is returned, so that a read-only command leaves no trace.
    ///
    /// # Errors
    /// When the SQLite file cannot be opened or created.
    pub(crate) async fn open_store(&self, create: bool) -> Result<Option<Arc<dyn SloStateStore>>> {
        match self {
            Self::Sqlite { file, .. } => {
                if !create && !file.is_file() {
                    return Ok(None);
                }
                let path = file.clone();
                let store = blocking(move || SqliteStateStore::open(path))
                    .await
                    .with_context(|| {
                        format!("cannot open the SLO state file {}", file.display())
                    })?;
                Ok(Some(Arc::new(store) as Arc<dyn SloStateStore>))
            }
            Self::Redis(store) => Ok(Some(Arc::clone(store) as Arc<dyn SloStateStore>)),
        }
    }

    /// Reads the last snapshot that any process wrote. A missing snapshot is no history;
    /// an unreadable one is logged and ignored, because the counts alone still give the
    /// budgets.
    pub(crate) async fn read_snapshot(&self) -> Option<SloStatus> {
        match self {
            Self::Sqlite { snapshot, .. } => read_snapshot(snapshot),
            Self::Redis(store) => {
                let reader = Arc::clone(store);
                match blocking(move || reader.load_status()).await {
                    Ok(status) => status,
                    Err(error) => {
                        tracing::warn!(target: "podgraph::slo", location = %store.location(), error = format!("{error:#}"), "cannot read the slo status snapshot; alert and policy history starts afresh");
                        None
                    }
                }
            }
        }
    }

    /// Replaces the snapshot with `status`: a file written through a rename, or one Redis
    /// `SET`. Either way a reader never sees half a snapshot, and the last writer wins.
    ///
    /// # Errors
    /// When the file or the Redis key cannot be written.
    pub(crate) async fn write_snapshot(&self, status: &SloStatus) -> Result<()> {
        match self {
            Self::Sqlite { snapshot, .. } => write_snapshot(snapshot, status),
            Self::Redis(store) => {
                let writer = Arc::clone(store);
                let status = status.clone();
                blocking(move || writer.save_status(&status))
                    .await
                    .with_context(|| {
                        format!(
                            "cannot save the slo status snapshot to {}",
                            store.location()
                        )
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_parses_from_text() {
        assert_eq!("redis".parse(), Ok(SloBackend::Redis));
        assert_eq!(" SQLite ".parse(), Ok(SloBackend::Sqlite));
        let error = "postgres".parse::<SloBackend>().unwrap_err();
        assert!(error.contains("postgres"), "{error}");
    }

    #[test]
    fn sqlite_state_sits_beside_the_database() {
        let config = Config::default();
        let state =
            SloState::resolve(&config, Path::new("/data/graph.db"), SloBackend::Sqlite).unwrap();
        assert_eq!(state.backend(), SloBackend::Sqlite);
        assert_eq!(state.file(), Some(Path::new("/data/graph.slo.db")));
    }

    #[test]
    fn configured_backend_overrides_the_default() {
        let mut config: Config = toml::from_str(
            "[slo]\nbackend = \"redis\"\n\n[redis]\nurl = \"redis://127.0.0.1:6379\"\nkey_prefix = \"team\"\n",
        )
        .unwrap();
        config.apply_env(|_| None).unwrap();
        let state = SloState::resolve(&config, Path::new("graph.db"), SloBackend::Sqlite).unwrap();
        assert_eq!(state.backend(), SloBackend::Redis);
        assert_eq!(state.file(), None);
        assert_eq!(state.location(), "redis://127.0.0.1:6379 keys team:{slo}:*");
    }

    #[test]
    fn redis_backend_without_url_is_rejected() {
        let mut config = Config::default();
        config.slo.backend = Some(SloBackend::Redis);
        let error = SloState::resolve(&config, Path::new("graph.db"), SloBackend::Sqlite)
            .err()
            .unwrap();
        let message = format!("{error:#}");
        assert!(message.contains("REDIS_URL"), "{message}");
    }
}
