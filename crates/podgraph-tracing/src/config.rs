//! Telemetry configuration: what the `[tracing]` and `[logging]` sections of
//! `podgraph.toml` contain, with their defaults and validation.
//!
//! Precedence, lowest first: the defaults below, the configuration file, the standard
//! `OTEL_*` environment variables (applied by [`TracingConfig::apply_env`]) and `RUST_LOG`
//! (applied by [`LogConfig::apply_env`]). Command-line flags, which the binary applies
//! after these calls, override all of them. Environment over file is the order that
//! OpenTelemetry deployments expect: an operator or a container platform injects
//! `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_SERVICE_NAME` without editing the file.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::TracingError;

/// The OTLP transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// OTLP over gRPC, by default to port 4317.
    #[serde(rename = "grpc")]
    Grpc,
    /// OTLP over HTTP with a protobuf body, by default to port 4318 and path `/v1/traces`.
    #[default]
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

impl Protocol {
    /// The name used in configuration and in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::HttpProtobuf => "http/protobuf",
        }
    }

    /// Parses an `OTEL_EXPORTER_OTLP_PROTOCOL` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "grpc" => Some(Self::Grpc),
            "http/protobuf" => Some(Self::HttpProtobuf),
            _ => None,
        }
    }

    /// The collector address used when no endpoint is configured: the standard OTLP port
    /// on the local machine.
    pub const fn default_endpoint(self) -> &'static str {
        match self {
            Self::Grpc => "http://localhost:4317",
            Self::HttpProtobuf => "http://localhost:4318",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Trace export settings.
///
/// Tracing is off by default: nothing is exported and no exporter thread is started
/// until `enabled` is true or an `OTEL_EXPORTER_OTLP_*ENDPOINT` variable is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracingConfig {
    /// Export traces over OTLP.
    pub enabled: bool,
    /// The `service.name` resource attribute.
    pub service_name: String,
    /// The `service.version` resource attribute.
    pub service_version: String,
    /// The `deployment.environment.name` resource attribute (`production`, `staging`).
    pub deployment_environment: Option<String>,
    /// Base URL of the collector. For `http/protobuf`, `/v1/traces` is appended to its
    /// path; for `grpc` it is used as it is. Defaults to the protocol's standard port on
    /// localhost.
    pub endpoint: Option<String>,
    /// Full URL of the traces endpoint, used as it is; overrides `endpoint`.
    pub traces_endpoint: Option<String>,
    /// The OTLP transport.
    pub protocol: Protocol,
    /// Fraction of new traces to record, from 0.0 (none) to 1.0 (all), decided from the
    /// trace id so that every service of a trace makes the same choice.
    pub sampler_ratio: f64,
    /// Follow the sampling decision of a parent span (a remote caller's `traceparent`)
    /// instead of applying `sampler_ratio` to every span.
    pub parent_based: bool,
    /// Spans kept in memory while waiting for export; spans ended while the queue is
    /// full are dropped and counted.
    pub max_queue_size: usize,
    /// Maximum spans sent in one export request; at most `max_queue_size`.
    pub max_export_batch_size: usize,
    /// Time allowed for one export request, in milliseconds.
    pub export_timeout_ms: u64,
    /// Delay between two scheduled exports, in milliseconds.
    pub scheduled_delay_ms: u64,
    /// Headers sent with every export request, such as an API key of a hosted collector.
    /// Their values are never logged.
    pub headers: BTreeMap<String, String>,
    /// Further resource attributes (`k8s.pod.name`, `service.instance.id`, ...).
    pub resource_attributes: BTreeMap<String, String>,
    /// Minimum time between two warnings about failed exports, in seconds; the failures
    /// in between are counted and reported with the next warning.
    pub export_warning_interval_secs: u64,
}

impl Default for TracingConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            service_name: "podgraph".to_owned(),
            service_version: env!("CARGO_PKG_VERSION").to_owned(),
            deployment_environment: None,
            endpoint: None,
            traces_endpoint: None,
            protocol: Protocol::default(),
            sampler_ratio: 1.0,
            parent_based: true,
            max_queue_size: 2_048,
            max_export_batch_size: 512,
            export_timeout_ms: 10_000,
            scheduled_delay_ms: 5_000,
            headers: BTreeMap::new(),
            resource_attributes: BTreeMap::new(),
            export_warning_interval_secs: 60,
        }
    }
}

impl TracingConfig {
    /// The time allowed for one export request.
    pub fn export_timeout(&self) -> Duration {
        Duration::from_millis(self.export_timeout_ms)
    }

    /// The delay between two scheduled exports.
    pub fn scheduled_delay(&self) -> Duration {
        Duration::from_millis(self.scheduled_delay_ms)
    }

    /// The URL spans are sent to: `traces_endpoint` as it is, else `endpoint` (or the
    /// protocol's default) with `/v1/traces` appended for `http/protobuf`.
    pub fn traces_url(&self) -> String {
        if let Some(url) = self
            .traces_endpoint
            .as_deref()
            .filter(|url| !url.is_empty())
        {
            return url.to_owned();
        }
        let base = self
            .endpoint
            .as_deref()
            .filter(|url| !url.is_empty())
            .unwrap_or(self.protocol.default_endpoint());
        match self.protocol {
            Protocol::Grpc => base.to_owned(),
            Protocol::HttpProtobuf => format!("{}/v1/traces", base.trim_end_matches('/')),
        }
    }

    /// Checks every value and returns the first problem.
    ///
    /// # Errors
    /// [`TracingError::InvalidConfig`] naming the setting and the accepted values.
    pub fn validate(&self) -> Result<(), TracingError> {
        if !(0.0..=1.0).contains(&self.sampler_ratio) {
            return Err(TracingError::invalid(
                "tracing.sampler_ratio",
                format!("{} is not between 0.0 and 1.0", self.sampler_ratio),
            ));
        }
        if self.service_name.trim().is_empty() {
            return Err(TracingError::invalid(
                "tracing.service_name",
                "the service name is empty",
            ));
        }
        if self.max_queue_size == 0 {
            return Err(TracingError::invalid(
                "tracing.max_queue_size",
                "the queue must hold at least one span",
            ));
        }
        if self.max_export_batch_size == 0 || self.max_export_batch_size > self.max_queue_size {
            return Err(TracingError::invalid(
                "tracing.max_export_batch_size",
                format!(
                    "{} is not between 1 and max_queue_size ({})",
                    self.max_export_batch_size, self.max_queue_size
                ),
            ));
        }
        if self.export_timeout_ms == 0 {
            return Err(TracingError::invalid(
                "tracing.export_timeout_ms",
                "the export timeout must be at least 1 ms",
            ));
        }
        if self.scheduled_delay_ms == 0 {
            return Err(TracingError::invalid(
                "tracing.scheduled_delay_ms",
                "the scheduled delay must be at least 1 ms",
            ));
        }
        self.validate_endpoint()?;
        for (name, value) in &self.headers {
            validate_header(name, value)?;
        }
        Ok(())
    }

    fn validate_endpoint(&self) -> Result<(), TracingError> {
        let url = self.traces_url();
        let setting = if self.traces_endpoint.is_some() {
            "tracing.traces_endpoint"
        } else {
            "tracing.endpoint"
        };
        let parsed = Url::parse(&url).map_err(|error| {
            TracingError::invalid(
                setting,
                format!(
                    "{} is not a URL ({error}); write it as http://host:port",
                    crate::redact::redact_url(&url)
                ),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(TracingError::invalid(
                setting,
                format!(
                    "{} is not an http:// or https:// URL with a host",
                    crate::redact::redact_url(&url)
                ),
            ));
        }
        Ok(())
    }
}

/// Checks that a header can be sent: a token name and a value without control characters.
fn validate_header(name: &str, value: &str) -> Result<(), TracingError> {
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte));
    if !valid_name {
        return Err(TracingError::invalid(
            "tracing.headers",
            format!("{name:?} is not a valid header name"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(TracingError::invalid(
            "tracing.headers",
            format!("the value of header {name:?} contains control characters"),
        ));
    }
    Ok(())
}

/// Format of log lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human format when standard error is a terminal, JSON otherwise.
    #[default]
    Auto,
    /// One readable line per event, coloured on terminals.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Log settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Line format.
    pub format: LogFormat,
    /// Filter directives in `RUST_LOG` syntax, such as `info` or
    /// `podgraph=debug,info`.
    pub filter: String,
    /// Colour the human format; `None` colours only when standard error is a terminal.
    pub color: Option<bool>,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Auto,
            filter: "info".to_owned(),
            color: None,
        }
    }
}

impl LogConfig {
    /// Replaces the filter with `RUST_LOG` when that variable is set and not blank.
    pub fn apply_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        if let Some(filter) = lookup("RUST_LOG").filter(|value| !value.trim().is_empty()) {
            self.filter = filter;
        }
        self
    }
}

/// Tracing and logging settings together, as [`crate::init`] takes them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Trace export.
    pub tracing: TracingConfig,
    /// Log lines.
    pub logging: LogConfig,
}

impl TelemetryConfig {
    /// Applies the `OTEL_*` variables and `RUST_LOG` from the process environment.
    ///
    /// # Errors
    /// [`TracingError::InvalidConfig`] when a variable has an invalid value.
    pub fn apply_process_env(self) -> Result<Self, TracingError> {
        let lookup = |name: &str| std::env::var(name).ok();
        Ok(Self {
            tracing: self.tracing.apply_env(lookup)?,
            logging: self.logging.apply_env(lookup),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_disabled() {
        let config = TracingConfig::default();
        assert!(!config.enabled);
        assert!(config.validate().is_ok());
        assert_eq!(config.traces_url(), "http://localhost:4318/v1/traces");
    }

    #[test]
    fn grpc_url_has_no_path_appended() {
        let config = TracingConfig {
            protocol: Protocol::Grpc,
            endpoint: Some("http://collector:4317".into()),
            ..TracingConfig::default()
        };
        assert_eq!(config.traces_url(), "http://collector:4317");
    }

    #[test]
    fn http_url_appends_traces_path_once() {
        let config = TracingConfig {
            endpoint: Some("http://collector:4318/".into()),
            ..TracingConfig::default()
        };
        assert_eq!(config.traces_url(), "http://collector:4318/v1/traces");
        let exact = TracingConfig {
            traces_endpoint: Some("http://collector:4318/custom".into()),
            ..config
        };
        assert_eq!(exact.traces_url(), "http://collector:4318/custom");
    }

    #[test]
    fn toml_section_deserialises_with_defaults() {
        let config: TelemetryConfig = toml::from_str(
            r#"
            [tracing]
            enabled = true
            protocol = "grpc"
            sampler_ratio = 0.25
            headers = { "x-api-key" = "secret" }

            [logging]
            format = "json"
            "#,
        )
        .expect("valid section");
        assert!(config.tracing.enabled);
        assert_eq!(config.tracing.protocol, Protocol::Grpc);
        assert_eq!(config.tracing.sampler_ratio, 0.25);
        assert_eq!(config.tracing.max_queue_size, 2_048);
        assert_eq!(config.logging.format, LogFormat::Json);
        assert_eq!(config.logging.filter, "info");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let result: Result<TracingConfig, _> = toml::from_str("sampling = 1.0");
        assert!(result.is_err());
    }

    #[test]
    fn validate_rejects_bad_values() {
        let cases = [
            TracingConfig {
                sampler_ratio: 1.5,
                ..TracingConfig::default()
            },
            TracingConfig {
                sampler_ratio: f64::NAN,
                ..TracingConfig::default()
            },
            TracingConfig {
                max_export_batch_size: 4_096,
                ..TracingConfig::default()
            },
            TracingConfig {
                max_queue_size: 0,
                ..TracingConfig::default()
            },
            TracingConfig {
                export_timeout_ms: 0,
                ..TracingConfig::default()
            },
            TracingConfig {
                endpoint: Some("collector:4317".into()),
                ..TracingConfig::default()
            },
            TracingConfig {
                endpoint: Some("ftp://collector".into()),
                ..TracingConfig::default()
            },
            TracingConfig {
                headers: BTreeMap::from([("bad name".into(), "x".into())]),
                ..TracingConfig::default()
            },
        ];
        for config in cases {
            assert!(config.validate().is_err(), "accepted {config:?}");
        }
    }

    #[test]
    fn invalid_endpoint_error_hides_credentials() {
        let config = TracingConfig {
            endpoint: Some("https://user:hunter2@collector:99999".into()),
            ..TracingConfig::default()
        };
        let message = config
            .validate()
            .expect_err("port out of range")
            .to_string();
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn rust_log_replaces_filter() {
        let config = LogConfig::default()
            .apply_env(|name| (name == "RUST_LOG").then(|| "podgraph=debug".to_owned()));
        assert_eq!(config.filter, "podgraph=debug");
        let unchanged = LogConfig::default().apply_env(|_| Some("  ".to_owned()));
        assert_eq!(unchanged.filter, "info");
    }
}
