//! The standard OpenTelemetry environment variables, applied over a [`TracingConfig`].
//!
//! podgraph reads the variables itself and passes the result to the SDK explicitly, so
//! that one documented order holds for every setting: configuration file first, then the
//! variables. The SDK's own reading of the variables is thereby overridden.

use crate::config::{Protocol, TracingConfig};
use crate::error::TracingError;
use crate::names::resource;

/// Disables all telemetry export when `true`.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `service.name`; wins over a `service.name` in `OTEL_RESOURCE_ATTRIBUTES`.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// Resource attributes as `key=value` pairs separated by commas, values percent-encoded.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `otlp` (the default) or `none`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// Base URL of the collector for every signal.
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Full URL of the traces endpoint.
pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// `grpc` or `http/protobuf` for every signal.
pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// `grpc` or `http/protobuf` for traces; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`.
pub const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
/// Export headers for every signal, as `key=value` pairs separated by commas.
pub const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// Export headers for traces; each wins over the same key in `OTEL_EXPORTER_OTLP_HEADERS`.
pub const OTEL_EXPORTER_OTLP_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
/// Export timeout in milliseconds for every signal.
pub const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// Export timeout in milliseconds for traces.
pub const OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
/// `always_on`, `always_off`, `traceidratio` or their `parentbased_` forms.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// The ratio of the `traceidratio` samplers, from 0.0 to 1.0.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// Delay between two scheduled exports, in milliseconds.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// Time allowed for one export, in milliseconds; the OTLP timeout variables win over it.
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
/// Spans kept in memory while waiting for export.
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// Maximum spans in one export request.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";

impl TracingConfig {
    /// Applies the standard `OTEL_*` variables over this configuration, reading them with
    /// `lookup` (use `|name| std::env::var(name).ok()` for the process environment).
    ///
    /// A variable that is set and not blank overrides the configuration. Setting
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` enables
    /// export; `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` disables it, whatever
    /// else is set. The result is validated.
    ///
    /// # Errors
    /// [`TracingError::InvalidConfig`] naming the variable whose value cannot be used, or
    /// the setting that fails validation.
    pub fn apply_env(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, TracingError> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };

        self.apply_resource_env(&get);
        self.apply_exporter_env(&get)?;
        self.apply_sampler_env(&get)?;
        self.apply_batch_env(&get)?;

        let disabled =
            get(OTEL_SDK_DISABLED).is_some_and(|value| value.eq_ignore_ascii_case("true"));
        if disabled {
            self.enabled = false;
        }
        self.validate()?;
        Ok(self)
    }

    fn apply_resource_env(&mut self, get: &impl Fn(&str) -> Option<String>) {
        if let Some(attributes) = get(OTEL_RESOURCE_ATTRIBUTES) {
            for (key, value) in parse_pairs(&attributes) {
                match key.as_str() {
                    resource::SERVICE_NAME => self.service_name = value,
                    resource::SERVICE_VERSION => self.service_version = value,
                    resource::DEPLOYMENT_ENVIRONMENT_NAME => {
                        self.deployment_environment = Some(value);
                    }
                    _ => {
                        self.resource_attributes.insert(key, value);
                    }
                }
            }
        }
        if let Some(name) = get(OTEL_SERVICE_NAME) {
            self.service_name = name;
        }
    }

    fn apply_exporter_env(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), TracingError> {
        if let Some(endpoint) = get(OTEL_EXPORTER_OTLP_ENDPOINT) {
            self.endpoint = Some(endpoint);
            self.traces_endpoint = None;
            self.enabled = true;
        }
        if let Some(endpoint) = get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
            self.traces_endpoint = Some(endpoint);
            self.enabled = true;
        }

        for variable in [
            OTEL_EXPORTER_OTLP_PROTOCOL,
            OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
        ] {
            if let Some(value) = get(variable) {
                self.protocol = Protocol::parse(&value).ok_or_else(|| {
                    TracingError::invalid(
                        variable,
                        format!("{value:?} is not supported; use grpc or http/protobuf"),
                    )
                })?;
            }
        }

        for variable in [
            OTEL_EXPORTER_OTLP_HEADERS,
            OTEL_EXPORTER_OTLP_TRACES_HEADERS,
        ] {
            if let Some(value) = get(variable) {
                self.headers.extend(parse_pairs(&value));
            }
        }

        for variable in [
            OTEL_BSP_EXPORT_TIMEOUT,
            OTEL_EXPORTER_OTLP_TIMEOUT,
            OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
        ] {
            if let Some(value) = get(variable) {
                self.export_timeout_ms = parse_number(variable, &value)?;
            }
        }

        if let Some(exporter) = get(OTEL_TRACES_EXPORTER) {
            match exporter.as_str() {
                "otlp" => {}
                "none" => self.enabled = false,
                other => {
                    return Err(TracingError::invalid(
                        OTEL_TRACES_EXPORTER,
                        format!("{other:?} is not supported; use otlp or none"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn apply_sampler_env(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), TracingError> {
        let Some(sampler) = get(OTEL_TRACES_SAMPLER) else {
            return Ok(());
        };
        let ratio_argument = || -> Result<f64, TracingError> {
            // The specification's default ratio when the argument is missing.
            let Some(value) = get(OTEL_TRACES_SAMPLER_ARG) else {
                return Ok(1.0);
            };
            value
                .parse::<f64>()
                .ok()
                .filter(|ratio| (0.0..=1.0).contains(ratio))
                .ok_or_else(|| {
                    TracingError::invalid(
                        OTEL_TRACES_SAMPLER_ARG,
                        format!("{value:?} is not a number between 0.0 and 1.0"),
                    )
                })
        };
        let (parent_based, ratio) = match sampler.as_str() {
            "always_on" => (false, 1.0),
            "always_off" => (false, 0.0),
            "traceidratio" => (false, ratio_argument()?),
            "parentbased_always_on" => (true, 1.0),
            "parentbased_always_off" => (true, 0.0),
            "parentbased_traceidratio" => (true, ratio_argument()?),
            other => {
                return Err(TracingError::invalid(
                    OTEL_TRACES_SAMPLER,
                    format!(
                        "{other:?} is not supported; use always_on, always_off, traceidratio \
                         or their parentbased_ forms"
                    ),
                ));
            }
        };
        self.parent_based = parent_based;
        self.sampler_ratio = ratio;
        Ok(())
    }

    fn apply_batch_env(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), TracingError> {
        if let Some(value) = get(OTEL_BSP_SCHEDULE_DELAY) {
            self.scheduled_delay_ms = parse_number(OTEL_BSP_SCHEDULE_DELAY, &value)?;
        }
        if let Some(value) = get(OTEL_BSP_MAX_QUEUE_SIZE) {
            self.max_queue_size = parse_number(OTEL_BSP_MAX_QUEUE_SIZE, &value)?;
        }
        if let Some(value) = get(OTEL_BSP_MAX_EXPORT_BATCH_SIZE) {
            self.max_export_batch_size = parse_number(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, &value)?;
        }
        Ok(())
    }
}

fn parse_number<T: std::str::FromStr>(variable: &str, value: &str) -> Result<T, TracingError> {
    value.parse().map_err(|_| {
        TracingError::invalid(
            variable,
            format!("{value:?} is not a non-negative whole number"),
        )
    })
}

/// Parses `key=value,key2=value2` as the OpenTelemetry variables write it: pairs without
/// `=` or with an empty key are skipped, and values are percent-decoded.
pub(crate) fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = key.trim();
            if key.is_empty() {
                return None;
            }
            Some((key.to_owned(), percent_decode(value.trim())))
        })
        .collect()
}

/// Decodes `%XX` escapes, keeping invalid escapes as they are written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = match (byte, bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_digit(high).zip(hex_digit(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                decoded.push(high * 16 + low);
                index += 3;
            }
            None => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex_digit(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn apply(vars: &[(&str, &str)]) -> Result<TracingConfig, TracingError> {
        apply_to(TracingConfig::default(), vars)
    }

    fn apply_to(
        config: TracingConfig,
        vars: &[(&str, &str)],
    ) -> Result<TracingConfig, TracingError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        config.apply_env(|name| vars.get(name).cloned())
    }

    #[test]
    fn no_variables_keep_configuration() {
        let config = apply(&[]).expect("valid");
        assert_eq!(config, TracingConfig::default());
    }

    #[test]
    fn endpoint_variable_enables_and_overrides_file() {
        let file = TracingConfig {
            endpoint: Some("http://file:4318".into()),
            ..TracingConfig::default()
        };
        let config =
            apply_to(file, &[(OTEL_EXPORTER_OTLP_ENDPOINT, "http://env:4318")]).expect("valid");
        assert!(config.enabled);
        assert_eq!(config.traces_url(), "http://env:4318/v1/traces");
    }

    #[test]
    fn traces_endpoint_wins_over_base_endpoint() {
        let config = apply(&[
            (OTEL_EXPORTER_OTLP_ENDPOINT, "http://base:4318"),
            (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "http://traces:9999/t"),
        ])
        .expect("valid");
        assert_eq!(config.traces_url(), "http://traces:9999/t");
    }

    #[test]
    fn sdk_disabled_wins_over_endpoint() {
        let config = apply(&[
            (OTEL_EXPORTER_OTLP_ENDPOINT, "http://env:4318"),
            (OTEL_SDK_DISABLED, "TRUE"),
        ])
        .expect("valid");
        assert!(!config.enabled);
    }

    #[test]
    fn traces_exporter_none_disables() {
        let enabled = TracingConfig {
            enabled: true,
            ..TracingConfig::default()
        };
        let config = apply_to(enabled, &[(OTEL_TRACES_EXPORTER, "none")]).expect("valid");
        assert!(!config.enabled);
        assert!(apply(&[(OTEL_TRACES_EXPORTER, "zipkin")]).is_err());
    }

    #[test]
    fn protocol_variables_in_order() {
        let config = apply(&[(OTEL_EXPORTER_OTLP_PROTOCOL, "grpc")]).expect("valid");
        assert_eq!(config.protocol, Protocol::Grpc);
        let config = apply(&[
            (OTEL_EXPORTER_OTLP_PROTOCOL, "grpc"),
            (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, "http/protobuf"),
        ])
        .expect("valid");
        assert_eq!(config.protocol, Protocol::HttpProtobuf);
        let error = apply(&[(OTEL_EXPORTER_OTLP_PROTOCOL, "http/json")])
            .expect_err("json is not supported")
            .to_string();
        assert!(error.contains(OTEL_EXPORTER_OTLP_PROTOCOL), "{error}");
    }

    #[test]
    fn headers_merge_with_traces_winning() {
        let file = TracingConfig {
            headers: [("a".to_owned(), "file".to_owned())].into(),
            ..TracingConfig::default()
        };
        let config = apply_to(
            file,
            &[
                (OTEL_EXPORTER_OTLP_HEADERS, "a=general,b=general%20value"),
                (OTEL_EXPORTER_OTLP_TRACES_HEADERS, "b=traces"),
            ],
        )
        .expect("valid");
        assert_eq!(config.headers.get("a").map(String::as_str), Some("general"));
        assert_eq!(config.headers.get("b").map(String::as_str), Some("traces"));
    }

    #[test]
    fn sampler_variables_map_to_ratio() {
        let cases = [
            ("always_on", None, false, 1.0),
            ("always_off", None, false, 0.0),
            ("traceidratio", Some("0.25"), false, 0.25),
            ("parentbased_always_off", None, true, 0.0),
            ("parentbased_traceidratio", Some("0.5"), true, 0.5),
            ("parentbased_traceidratio", None, true, 1.0),
        ];
        for (sampler, argument, parent_based, ratio) in cases {
            let mut vars = vec![(OTEL_TRACES_SAMPLER, sampler)];
            if let Some(argument) = argument {
                vars.push((OTEL_TRACES_SAMPLER_ARG, argument));
            }
            let config = apply(&vars).expect("valid");
            assert_eq!(config.parent_based, parent_based, "{sampler}");
            assert_eq!(config.sampler_ratio, ratio, "{sampler}");
        }
    }

    #[test]
    fn invalid_sampler_values_are_rejected() {
        assert!(apply(&[(OTEL_TRACES_SAMPLER, "jaeger_remote")]).is_err());
        assert!(
            apply(&[
                (OTEL_TRACES_SAMPLER, "traceidratio"),
                (OTEL_TRACES_SAMPLER_ARG, "2")
            ])
            .is_err()
        );
        assert!(
            apply(&[
                (OTEL_TRACES_SAMPLER, "traceidratio"),
                (OTEL_TRACES_SAMPLER_ARG, "half")
            ])
            .is_err()
        );
    }

    #[test]
    fn batch_variables_apply_and_validate() {
        let config = apply(&[
            (OTEL_BSP_MAX_QUEUE_SIZE, "100"),
            (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, "10"),
            (OTEL_BSP_SCHEDULE_DELAY, "250"),
            (OTEL_BSP_EXPORT_TIMEOUT, "3000"),
        ])
        .expect("valid");
        assert_eq!(config.max_queue_size, 100);
        assert_eq!(config.max_export_batch_size, 10);
        assert_eq!(config.scheduled_delay_ms, 250);
        assert_eq!(config.export_timeout_ms, 3_000);

        let error = apply(&[(OTEL_BSP_MAX_QUEUE_SIZE, "100")])
            .expect_err("batch larger than queue")
            .to_string();
        assert!(error.contains("max_export_batch_size"), "{error}");
        assert!(apply(&[(OTEL_BSP_MAX_QUEUE_SIZE, "-1")]).is_err());
    }

    #[test]
    fn otlp_timeout_wins_over_batch_timeout() {
        let config = apply(&[
            (OTEL_BSP_EXPORT_TIMEOUT, "3000"),
            (OTEL_EXPORTER_OTLP_TIMEOUT, "2000"),
            (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, "1000"),
        ])
        .expect("valid");
        assert_eq!(config.export_timeout_ms, 1_000);
    }

    #[test]
    fn resource_attributes_fill_fields_and_map() {
        let config = apply(&[(
            OTEL_RESOURCE_ATTRIBUTES,
            "service.name=from-attributes,deployment.environment.name=staging,\
             k8s.pod.name=pod%2D1,broken,=empty",
        )])
        .expect("valid");
        assert_eq!(config.service_name, "from-attributes");
        assert_eq!(config.deployment_environment.as_deref(), Some("staging"));
        assert_eq!(
            config
                .resource_attributes
                .get("k8s.pod.name")
                .map(String::as_str),
            Some("pod-1")
        );
        assert_eq!(config.resource_attributes.len(), 1);

        let config = apply(&[
            (OTEL_RESOURCE_ATTRIBUTES, "service.name=from-attributes"),
            (OTEL_SERVICE_NAME, "from-service-name"),
        ])
        .expect("valid");
        assert_eq!(config.service_name, "from-service-name");
    }
}
