//! API key authentication and per-client rate limits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{ApiKeyConfig, RateLimitConfig};

/// The header that carries an API key when `Authorization: Bearer` is not used.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Who made a request: the name of its API key, or anonymous.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    /// A request with a valid key; the key's configured name.
    Key(String),
    /// A request without a key, allowed because no keys are configured; keyed by the
    /// peer address for rate limits when it is known.
    Anonymous(Option<IpAddr>),
}

/// The configured keys, as SHA-256 digests.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<(String, [u8; 32])>,
}

impl KeyRing {
    /// Decodes the configured hashes; entries that are not 64 hex digits are skipped
    /// (`ApiConfig::validate` reports them).
    pub fn new(keys: &[ApiKeyConfig]) -> Self {
        let keys = keys
            .iter()
            .filter_map(|key| Some((key.name.clone(), decode_digest(&key.sha256)?)))
            .collect();
        Self { keys }
    }

    /// Whether any key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Returns the name of the key whose secret is `secret`. Compares the digest with
    /// every key in constant time, so the time taken does not reveal how much of a
    /// digest matched or which key did.
    pub fn verify(&self, secret: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut found = None;
        for (name, expected) in &self.keys {
            if bool::from(expected.ct_eq(&digest)) && found.is_none() {
                found = Some(name.as_str());
            }
        }
        found
    }
}

fn decode_digest(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0_u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

/// The API key of a request: `Authorization: Bearer KEY` or `x-api-key: KEY`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.trim().split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            return Some(token.trim());
        }
        return None;
    }
    headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Failed authentications allowed per second from one client address, sustained.
pub const AUTH_FAILURES_PER_SECOND: f64 = 1.0;

/// Failed authentications allowed from one client address in a burst, before
/// [`AUTH_FAILURES_PER_SECOND`] applies.
pub const AUTH_FAILURE_BURST: u32 = 10;

/// Token buckets, one per client.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<Client, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets kept before idle ones are dropped; bounds memory under many client addresses.
const MAX_BUCKETS: usize = 10_000;

impl RateLimiter {
    /// Buckets of `config.burst` tokens refilled at `config.per_second`.
    pub fn new(config: &RateLimitConfig) -> Self {
        Self {
            rate: config.per_second.max(f64::MIN_POSITIVE),
            burst: f64::from(config.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Buckets for failed authentications, keyed by client address:
    /// [`AUTH_FAILURE_BURST`] tokens refilled at [`AUTH_FAILURES_PER_SECOND`].
    pub fn for_auth_failures() -> Self {
        Self::new(&RateLimitConfig {
            per_second: AUTH_FAILURES_PER_SECOND,
            burst: AUTH_FAILURE_BURST,
        })
    }

    /// Takes one token from `client`'s bucket. Returns `Err` with the time until a token
    /// is available when the bucket is empty.
    pub fn check(&self, client: &Client) -> Result<(), Duration> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: &Client, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(client) {
            // A full bucket is the same as no bucket, so dropping those loses nothing.
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(client.clone()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate;
            Err(Duration::from_secs_f64(wait.min(86_400.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn key_ring_accepts_only_configured_secrets() {
        let ring = KeyRing::new(&[
            ApiKeyConfig::from_secret("ci", "s3cret"),
            ApiKeyConfig::from_secret("ops", "other"),
        ]);
        assert_eq!(ring.verify("s3cret"), Some("ci"));
        assert_eq!(ring.verify("other"), Some("ops"));
        assert_eq!(ring.verify("s3cre"), None);
        assert_eq!(ring.verify(""), None);
    }

    #[test]
    fn presented_key_reads_both_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(presented_key(&headers), Some("abc"));

        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, HeaderValue::from_static("xyz"));
        assert_eq!(presented_key(&headers), Some("xyz"));

        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(presented_key(&headers), None);
    }

    #[test]
    fn bucket_refuses_after_burst_and_refills() {
        let limiter = RateLimiter::new(&RateLimitConfig {
            per_second: 2.0,
            burst: 3,
        });
        let client = Client::Key("ci".to_owned());
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(&client, start).is_ok());
        }
        let wait = limiter.check_at(&client, start).unwrap_err();
        assert!(wait <= Duration::from_millis(500), "wait {wait:?}");
        assert!(
            limiter
                .check_at(&client, start + Duration::from_millis(500))
                .is_ok()
        );
        let other = Client::Key("ops".to_owned());
        assert!(limiter.check_at(&other, start).is_ok());
    }
}
