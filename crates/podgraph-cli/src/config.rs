//! Configuration: defaults, then `podgraph.toml`, then `PODGRAPH_*` environment variables,
//! then command-line flags (applied by each command).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use podgraph_core::config::{FetchConfig, IngestConfig};
use serde::Deserialize;

use crate::store::{DbSetting, StoreTarget};

/// File name looked up in the working directory when `--config` is not given.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "podgraph.toml";

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// The graph store: a SQLite path, a Neo4j URI or a `[db]` table (see `store.rs`).
    pub(crate) db: Option<DbSetting>,
    /// Parsing limits and segmentation.
    pub(crate) ingest: IngestConfig,
    /// HTTP and file fetching.
    pub(crate) fetch: FetchConfig,
    /// Episode processing.
    pub(crate) pipeline: PipelineSection,
    /// Trace export (OpenTelemetry); `OTEL_*` variables override it.
    pub(crate) tracing: podgraph_tracing::TracingConfig,
    /// Log lines; `RUST_LOG` overrides the filter.
    pub(crate) logging: podgraph_tracing::LogConfig,
    /// Service level objectives: spec, state file and webhook.
    pub(crate) slo: crate::slo::SloSection,
    /// The HTTP API of `podgraph serve`.
    pub(crate) api: podgraph_api::ApiConfig,
    /// Redis for `enqueue` and `worker`; `REDIS_URL` overrides the URL.
    pub(crate) redis: podgraph_redis::RedisConfig,
}

/// The `[pipeline]` section.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PipelineSection {
    /// Episodes processed at once; 0 means the number of CPU cores.
    pub(crate) concurrency: usize,
    /// Time allowed for one episode, in seconds.
    pub(crate) episode_deadline_secs: u64,
}

impl Default for PipelineSection {
    fn default() -> Self {
        Self {
            concurrency: 0,
            episode_deadline_secs: 300,
        }
    }
}

impl Config {
    /// Loads `path`, or `podgraph.toml` in the working directory when it exists, then
    /// applies the environment.
    pub(crate) fn load(path: Option<&Path>) -> Result<Self> {
        let mut config = match path {
            Some(path) => Self::from_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                Self::from_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects settings that would make every run fail, naming the field and its valid range.
    fn validate(&self) -> Result<()> {
        if self.pipeline.episode_deadline_secs == 0 {
            bail!(
                "invalid [pipeline] episode_deadline_secs = 0: expected a number of seconds \
                 of 1 or more (the default is 300)"
            );
        }
        Ok(())
    }

    fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display()))
    }

    /// Applies `PODGRAPH_DB`, `PODGRAPH_CONCURRENCY`, `PODGRAPH_FETCH_ALLOW_LOOPBACK`,
    /// `PODGRAPH_FETCH_ALLOW_PRIVATE`, `PODGRAPH_FETCH_MAX_BODY_BYTES`, `PODGRAPH_SLO_SPEC`,
    /// `PODGRAPH_SLO_STATE`, `PODGRAPH_SLO_BACKEND` (`sqlite` or `redis`),
    /// `PODGRAPH_API_KEYS` (comma-separated `name:secret` pairs, hashed on load) and
    /// `REDIS_URL`.
    pub(crate) fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(db) = var("PODGRAPH_DB").filter(|v| !v.is_empty()) {
            self.db = Some(DbSetting::Path(PathBuf::from(db)));
        }
        if let Some(value) = var("PODGRAPH_CONCURRENCY") {
            self.pipeline.concurrency = parse_env("PODGRAPH_CONCURRENCY", &value)?;
        }
        if let Some(value) = var("PODGRAPH_FETCH_ALLOW_LOOPBACK") {
            self.fetch.allow_loopback = parse_bool("PODGRAPH_FETCH_ALLOW_LOOPBACK", &value)?;
        }
        if let Some(value) = var("PODGRAPH_FETCH_ALLOW_PRIVATE") {
            self.fetch.allow_private = parse_bool("PODGRAPH_FETCH_ALLOW_PRIVATE", &value)?;
        }
        if let Some(value) = var("PODGRAPH_FETCH_MAX_BODY_BYTES") {
            self.fetch.max_body_bytes = parse_env("PODGRAPH_FETCH_MAX_BODY_BYTES", &value)?;
        }
        if let Some(spec) = var("PODGRAPH_SLO_SPEC").filter(|v| !v.is_empty()) {
            self.slo.spec = Some(PathBuf::from(spec));
        }
        if let Some(state) = var("PODGRAPH_SLO_STATE").filter(|v| !v.is_empty()) {
            self.slo.state = Some(PathBuf::from(state));
        }
        if let Some(value) = var("PODGRAPH_SLO_BACKEND").filter(|v| !v.is_empty()) {
            let backend = value
                .parse()
                .map_err(|message| anyhow::anyhow!("invalid PODGRAPH_SLO_BACKEND: {message}"))?;
            self.slo.backend = Some(backend);
        }
        if let Some(value) = var("PODGRAPH_API_KEYS") {
            self.api.add_env_keys(&value).map_err(anyhow::Error::msg)?;
        }
        if let Some(url) = var("REDIS_URL").filter(|v| !v.is_empty()) {
            self.redis.url = Some(url);
        }
        Ok(())
    }

    /// The database path: the configured one, else `podgraph.db` in the user's data
    /// directory, else `./podgraph.db`.
    pub(crate) fn db_path(&self) -> PathBuf {
        match &self.db {
            Some(DbSetting::Path(path)) => return path.clone(),
            Some(DbSetting::Section(section)) => {
                if let Some(path) = &section.path {
                    return path.clone();
                }
            }
            Some(DbSetting::Neo4jFlag { .. }) | None => {}
        }
        Self::default_db_path()
    }

    /// The store the commands work on: SQLite at [`Config::db_path`] unless `db` names a
    /// Neo4j URI or `[db]` sets `backend = "neo4j"`.
    pub(crate) fn store_target(&self) -> StoreTarget {
        StoreTarget::from_setting(self.db.as_ref(), self.db_path())
    }

    /// Points the commands at the database named by a `--db` flag: a SQLite file or a
    /// Neo4j URI, exactly as `[db]` would. A Neo4j URI replaces only the URI of a
    /// `[db.neo4j]` table in the file, and keeps its other settings.
    pub(crate) fn set_db_flag(&mut self, db: &Path) {
        let setting = match (crate::store::neo4j_uri(db), self.db.take()) {
            (Some(uri), Some(DbSetting::Section(section))) => DbSetting::Neo4jFlag {
                uri: uri.to_owned(),
                file: section.neo4j,
            },
            (Some(uri), Some(DbSetting::Neo4jFlag { file, .. })) => DbSetting::Neo4jFlag {
                uri: uri.to_owned(),
                file,
            },
            _ => DbSetting::Path(db.to_path_buf()),
        };
        self.db = Some(setting);
    }

    /// The SQLite path that the SLO state file sits beside: the database file, or the
    /// default database path when the graph lives in Neo4j.
    pub(crate) fn slo_anchor(&self) -> PathBuf {
        match self.store_target() {
            StoreTarget::Sqlite(path) => path,
            StoreTarget::Neo4j(_) => Self::default_db_path(),
        }
    }

    fn default_db_path() -> PathBuf {
        directories::ProjectDirs::from("dev", "podgraph", "podgraph")
            .map(|dirs| dirs.data_dir().join("podgraph.db"))
            .unwrap_or_else(|| PathBuf::from("podgraph.db"))
    }

    /// Episodes processed at once.
    pub(crate) fn concurrency(&self) -> usize {
        match self.pipeline.concurrency {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    match value.trim().parse() {
        Ok(parsed) => Ok(parsed),
        Err(_) => bail!("invalid {name}={value:?}: expected a non-negative integer"),
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => bail!("invalid {name}={value:?}: expected true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_and_env_overrides_apply_in_order() {
        let mut config: Config = toml::from_str(
            "db = \"a.db\"\n[pipeline]\nconcurrency = 3\n[fetch]\nallow_loopback = true\n",
        )
        .unwrap();
        assert_eq!(config.db, Some(DbSetting::Path(PathBuf::from("a.db"))));
        assert_eq!(config.concurrency(), 3);

        let env = |name: &str| match name {
            "PODGRAPH_DB" => Some("b.db".to_owned()),
            "PODGRAPH_FETCH_ALLOW_LOOPBACK" => Some("no".to_owned()),
            _ => None,
        };
        config.apply_env(env).unwrap();
        assert_eq!(config.db_path(), PathBuf::from("b.db"));
        assert!(!config.fetch.allow_loopback);
    }

    #[test]
    fn zero_episode_deadline_is_rejected() {
        let config: Config = toml::from_str("[pipeline]\nepisode_deadline_secs = 0\n").unwrap();

        let error = config.validate().unwrap_err().to_string();

        assert!(error.contains("episode_deadline_secs"), "{error}");
        assert!(error.contains("1 or more"), "{error}");
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_key_name() {
        let error = toml::from_str::<Config>("[pipeline]\nconcurency = 3\n").unwrap_err();
        assert!(error.to_string().contains("concurency"), "{error}");
    }

    #[test]
    fn redis_url_comes_from_the_environment() {
        let mut config: Config =
            toml::from_str("[redis]\nurl = \"redis://127.0.0.1:1/\"\n").unwrap();
        assert_eq!(config.redis.url.as_deref(), Some("redis://127.0.0.1:1/"));
        config
            .apply_env(|name| (name == "REDIS_URL").then(|| "redis://127.0.0.1:2/".to_owned()))
            .unwrap();
        assert_eq!(config.redis.url.as_deref(), Some("redis://127.0.0.1:2/"));
    }

    #[test]
    fn invalid_env_values_name_the_variable() {
        let mut config = Config::default();
        let error = config
            .apply_env(|name| (name == "PODGRAPH_CONCURRENCY").then(|| "many".to_owned()))
            .unwrap_err();
        assert!(error.to_string().contains("PODGRAPH_CONCURRENCY"));
    }
}

#[cfg(test)]
mod db_flag_tests {
    use super::*;
    use crate::store::StoreTarget;

    const FILE: &str = "[db]\nbackend = \"neo4j\"\n[db.neo4j]\nuri = \"bolt://file.example:7687\"\ndatabase = \"podcasts\"\nloopback_relay = false\nbatch_rows = 50\n";

    #[test]
    fn neo4j_flag_keeps_file_settings() {
        let mut config: Config = toml::from_str(FILE).unwrap();
        config.set_db_flag(Path::new("bolt://127.0.0.1:7999"));
        let StoreTarget::Neo4j(neo4j) = config.store_target() else {
            panic!("a bolt:// flag selects Neo4j");
        };
        // NEO4J_* variables may be set by the test environment, so only settings that
        // they cannot change are compared.
        assert_eq!(neo4j.uri, "bolt://127.0.0.1:7999");
        assert!(!neo4j.loopback_relay);
        assert_eq!(neo4j.batch_rows, 50);
    }

    #[test]
    fn sqlite_flag_replaces_neo4j_table() {
        let mut config: Config = toml::from_str(FILE).unwrap();
        config.set_db_flag(Path::new("graph.db"));
        assert_eq!(
            config.store_target(),
            StoreTarget::Sqlite(PathBuf::from("graph.db"))
        );
    }
}

#[cfg(test)]
mod shipped_file_tests {
    use super::*;

    #[test]
    fn shipped_configuration_file_parses_to_the_defaults() {
        let text = include_str!("../../../config/podgraph.toml");
        let config: Config = toml::from_str(text).unwrap();
        let defaults = Config::default();
        assert_eq!(config.pipeline, defaults.pipeline);
        assert_eq!(config.fetch.max_body_bytes, defaults.fetch.max_body_bytes);
        assert_eq!(config.fetch.allow_loopback, defaults.fetch.allow_loopback);
        assert_eq!(config.ingest, defaults.ingest);
        assert_eq!(
            config.tracing.max_queue_size,
            defaults.tracing.max_queue_size
        );
        assert_eq!(config.logging, defaults.logging);
        assert_eq!(config.slo, defaults.slo);
        assert_eq!(config.api, defaults.api);
        assert_eq!(config.redis, defaults.redis);
    }
}
