//! Webhook notifications for `notify` policies.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{SloError, SloResult};
use crate::spec::WebhookConfig;

/// The JSON body POSTed to the webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Format version of this body, 1.
    pub version: u32,
    /// Always `podgraph`.
    pub source: String,
    /// The SLO.
    pub slo: String,
    /// The policy that sent it.
    pub policy: String,
    /// `firing` when the policy became active, `resolved` when it was released.
    pub state: String,
    /// The policy's trigger, such as `a page alert firing`.
    pub trigger: String,
    /// Alerts of the SLO firing at the time.
    pub firing_alerts: Vec<String>,
    /// Objective in percent.
    pub objective_percent: f64,
    /// Share of the error budget left, in `[0, 1]`.
    pub budget_remaining_ratio: f64,
    /// Share of the budget spent, unclamped.
    pub budget_consumed_ratio: f64,
    /// Current burn rate, when the burn window has events.
    pub burn_rate: Option<f64>,
    /// When the policy became active or was released.
    pub at: DateTime<Utc>,
    /// One line for chat messages.
    pub summary: String,
    /// Runbook link.
    pub runbook_url: String,
}

/// Sends notifications somewhere.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers one notification, retrying as the implementation chooses.
    ///
    /// # Errors
    /// When delivery failed for good.
    async fn notify(&self, notification: &Notification) -> SloResult<()>;
}

/// Checks that `url` is an absolute `http` or `https` URL with a host.
///
/// # Errors
/// A message that does not repeat the URL, which may contain a token.
pub fn check_webhook_url(url: &str) -> Result<(), String> {
    parse_webhook_url(url).map(drop)
}

fn parse_webhook_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|error| format!("invalid webhook URL: {error}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "webhook URL scheme \"{}\" is not http or https",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("webhook URL has no host".to_owned());
    }
    Ok(parsed)
}

/// Scheme, host and port of `url`, the only parts safe to log: paths and queries of
/// chat webhooks carry tokens.
fn endpoint_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// POSTs notifications as JSON, retrying with exponential backoff.
///
/// Connection failures, timeouts, `429 Too Many Requests` and 5xx responses are
/// retried up to `max_attempts`; other 4xx responses fail at once, since the same body
/// will be rejected again. Logs and errors name only the scheme, host and port.
pub struct WebhookNotifier {
    client: reqwest::Client,
    url: Url,
    endpoint: String,
    config: WebhookConfig,
}

impl WebhookNotifier {
    /// Creates a notifier for `url` with the timeouts and retries of `config`.
    ///
    /// # Errors
    /// [`SloError::NotifyConfig`] when the URL is not http(s) or the HTTP client cannot
    /// be built.
    pub fn new(url: &str, config: WebhookConfig) -> SloResult<Self> {
        let url = parse_webhook_url(url).map_err(SloError::NotifyConfig)?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("podgraph-slo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                SloError::NotifyConfig(format!(
                    "cannot build the HTTP client: {}",
                    error.without_url()
                ))
            })?;
        Ok(Self {
            endpoint: endpoint_of(&url),
            client,
            url,
            config,
        })
    }

    /// Builds a notifier from the spec's webhook settings: the `url` written in the spec,
    /// else the URL in the environment variable `url_env`. Returns `None` when neither
    /// is set.
    ///
    /// # Errors
    /// [`SloError::NotifyConfig`] when the URL is invalid.
    pub fn from_config(config: &WebhookConfig) -> SloResult<Option<Self>> {
        let url = match &config.url {
            Some(url) => Some(url.clone()),
            None => std::env::var(&config.url_env)
                .ok()
                .filter(|value| !value.trim().is_empty()),
        };
        url.map(|url| {
            Self::new(url.trim(), config.clone()).map_err(|error| match error {
                SloError::NotifyConfig(message) => {
                    SloError::NotifyConfig(format!("{message} (from {})", config.url_env))
                }
                other => other,
            })
        })
        .transpose()
    }

    /// Scheme, host and port of the webhook.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn backoff(&self, failed_attempts: u32) -> Duration {
        let factor = 2_u32.saturating_pow(failed_attempts.saturating_sub(1));
        self.config
            .initial_backoff
            .saturating_mul(factor)
            .min(self.config.max_backoff)
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    async fn notify(&self, notification: &Notification) -> SloResult<()> {
        let body = serde_json::to_vec(notification).map_err(|error| SloError::Notify {
            endpoint: self.endpoint.clone(),
            attempts: 0,
            reason: format!("cannot serialise the notification: {error}"),
        })?;
        let attempts = self.config.max_attempts.max(1);
        let mut made = 0;
        let mut reason = String::new();
        while made < attempts {
            made += 1;
            let response = self
                .client
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            let retryable = match response {
                Ok(response) if response.status().is_success() => {
                    tracing::debug!(
                        target: "podgraph::slo",
                        endpoint = %self.endpoint,
                        slo = %notification.slo,
                        attempt = made,
                        "webhook notification sent"
                    );
                    return Ok(());
                }
                Ok(response) => {
                    let status = response.status();
                    reason = format!("HTTP status {status}");
                    status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                }
                Err(error) => {
                    reason = error.without_url().to_string();
                    true
                }
            };
            if !retryable || made == attempts {
                break;
            }
            let wait = self.backoff(made);
            tracing::warn!(
                target: "podgraph::slo",
                endpoint = %self.endpoint,
                slo = %notification.slo,
                attempt = made,
                retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %reason,
                "webhook notification failed, retrying"
            );
            tokio::time::sleep(wait).await;
        }
        Err(SloError::Notify {
            endpoint: self.endpoint.clone(),
            attempts: made,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hides_path_and_query() {
        let url =
            Url::parse("https://user:secret@hooks.example.com:8443/services/T0/B1/XYZ?token=abc")
                .unwrap();
        assert_eq!(endpoint_of(&url), "https://hooks.example.com:8443");
    }

    #[test]
    fn url_check_rejects_other_schemes_without_echoing() {
        let error = check_webhook_url("ftp://host/secret-token").unwrap_err();
        assert!(error.contains("ftp"), "{error}");
        assert!(!error.contains("secret-token"), "{error}");
        assert!(check_webhook_url("not a url").is_err());
        assert!(check_webhook_url("http://127.0.0.1:9/hook").is_ok());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = WebhookConfig {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..WebhookConfig::default()
        };
        let notifier = WebhookNotifier::new("http://127.0.0.1:9/hook", config).unwrap();
        assert_eq!(notifier.backoff(1), Duration::from_millis(100));
        assert_eq!(notifier.backoff(2), Duration::from_millis(200));
        assert_eq!(notifier.backoff(3), Duration::from_millis(350));
    }
}
