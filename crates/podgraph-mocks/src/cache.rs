//! [`MemoryCache`]: an in-process [`Cache`] with expiry and a bounded size.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::provider::{Cache, CacheKey};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use tokio::time::Instant;

use crate::clock::{Clock, TokioClock, deadline};

/// Entries kept by [`MemoryCache::default`].
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

struct Entry {
    value: Bytes,
    /// `None` when the TTL is too long to represent: the entry never expires.
    expires_at: Option<Instant>,
    /// Insertion order, to evict the oldest of entries that expire together.
    sequence: u64,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(Default)]
struct Entries {
    map: HashMap<CacheKey, Entry>,
    next_sequence: u64,
}

/// An in-process cache with per-entry expiry and a maximum entry count.
///
/// When a new key arrives at the maximum, expired entries are dropped first. If the cache
/// is still full, the entry that expires soonest is evicted, and among entries that expire
/// at the same moment, the oldest. A maximum of 0 stores nothing. Time comes from a [`Clock`]:
/// the default [`TokioClock`] follows `tokio::time::pause()` in tests.
pub struct MemoryCache<C = TokioClock> {
    entries: Mutex<Entries>,
    max_entries: usize,
    max_value_bytes: Option<usize>,
    clock: C,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ENTRIES)
    }
}

impl MemoryCache {
    /// Creates a cache of at most `max_entries` entries that reads time from the tokio clock.
    pub fn new(max_entries: usize) -> Self {
        Self::with_clock(max_entries, TokioClock)
    }
}

impl<C: Clock> MemoryCache<C> {
    /// Creates a cache of at most `max_entries` entries that reads time from `clock`.
    pub fn with_clock(max_entries: usize, clock: C) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            max_entries,
            max_value_bytes: None,
            clock,
        }
    }

    /// Rejects values larger than `max_bytes` with `LimitExceeded`, like a backend with a
    /// value size limit.
    pub fn with_max_value_bytes(mut self, max_bytes: usize) -> Self {
        self.max_value_bytes = Some(max_bytes);
        self
    }

    /// Returns the number of entries that have not expired.
    pub fn len(&self) -> usize {
        let now = self.clock.now();
        match self.lock("cache.len") {
            Ok(entries) => entries.map.values().filter(|e| e.is_live(now)).count(),
            Err(_) => 0,
        }
    }

    /// Checks whether no unexpired entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self, operation: &'static str) -> ProviderResult<MutexGuard<'_, Entries>> {
        self.entries.lock().map_err(|_| {
            ProviderError::new(
                ErrorKind::Unexpected,
                operation,
                "cache lock poisoned by a panicking thread; create a new cache",
            )
        })
    }
}

impl Entries {
    /// Makes room for one new key: drops expired entries, then evicts the entry that
    /// expires soonest (the oldest among equals) until fewer than `max_entries` remain.
    fn make_room(&mut self, now: Instant, max_entries: usize) {
        if self.map.len() < max_entries {
            return;
        }
        self.map.retain(|_, entry| entry.is_live(now));
        while self.map.len() >= max_entries {
            // `None` (never expires) sorts after every instant.
            let victim = self
                .map
                .iter()
                .min_by_key(|(_, e)| (e.expires_at.is_none(), e.expires_at, e.sequence))
                .map(|(key, _)| key.clone());
            match victim {
                Some(key) => self.map.remove(&key),
                None => break,
            };
        }
    }
}

#[async_trait]
impl<C: Clock> Cache for MemoryCache<C> {
    async fn get(&self, key: &CacheKey) -> ProviderResult<Option<Bytes>> {
        let now = self.clock.now();
        let mut entries = self.lock("cache.get")?;
        match entries.map.get(key) {
            Some(entry) if entry.is_live(now) => Ok(Some(entry.value.clone())),
            Some(_) => {
                entries.map.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &CacheKey, value: Bytes, ttl: Duration) -> ProviderResult<()> {
        if let Some(max) = self.max_value_bytes.filter(|max| value.len() > *max) {
            return Err(ProviderError::new(
                ErrorKind::LimitExceeded,
                "cache.set",
                format!(
                    "value of {} bytes for key {} is larger than the maximum of {max} bytes",
                    value.len(),
                    key.as_str()
                ),
            ));
        }

        let now = self.clock.now();
        let mut entries = self.lock("cache.set")?;
        // The replaced value is gone even when the new one is not stored.
        entries.map.remove(key);
        if ttl.is_zero() || self.max_entries == 0 {
            return Ok(());
        }

        entries.make_room(now, self.max_entries);
        let sequence = entries.next_sequence;
        entries.next_sequence = sequence.wrapping_add(1);
        entries.map.insert(
            key.clone(),
            Entry {
                value,
                expires_at: deadline(now, ttl),
                sequence,
            },
        );
        Ok(())
    }

    async fn delete(&self, key: &CacheKey) -> ProviderResult<()> {
        self.lock("cache.delete")?.map.remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn key(name: &str) -> CacheKey {
        CacheKey::from_parts([b"test".as_slice(), name.as_bytes()])
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn value_expires_after_ttl() {
        let cache = MemoryCache::new(10);
        cache
            .set(&key("a"), Bytes::from_static(b"1"), MINUTE)
            .await
            .unwrap();

        tokio::time::advance(MINUTE - Duration::from_millis(1)).await;
        assert_eq!(
            cache.get(&key("a")).await.unwrap(),
            Some(Bytes::from_static(b"1"))
        );

        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(cache.get(&key("a")).await.unwrap(), None);
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn zero_ttl_stores_nothing_and_drops_old_value() {
        let cache = MemoryCache::new(10);
        cache
            .set(&key("a"), Bytes::from_static(b"old"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("a"), Bytes::from_static(b"new"), Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(cache.get(&key("a")).await.unwrap(), None);
        assert_eq!(cache.len(), 0);
    }

    #[tokio::test]
    async fn set_replaces_and_empty_value_round_trips() {
        let cache = MemoryCache::new(10);
        cache
            .set(&key("a"), Bytes::from_static(b"1"), MINUTE)
            .await
            .unwrap();
        cache.set(&key("a"), Bytes::new(), MINUTE).await.unwrap();
        assert_eq!(cache.get(&key("a")).await.unwrap(), Some(Bytes::new()));
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn delete_of_missing_key_succeeds() {
        let cache = MemoryCache::new(10);
        cache.delete(&key("missing")).await.unwrap();
        cache
            .set(&key("a"), Bytes::from_static(b"1"), MINUTE)
            .await
            .unwrap();
        cache.delete(&key("a")).await.unwrap();
        assert_eq!(cache.get(&key("a")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn full_cache_evicts_soonest_to_expire() {
        let clock = ManualClock::new();
        let cache = MemoryCache::with_clock(2, clock.clone());
        cache
            .set(&key("long"), Bytes::from_static(b"l"), 10 * MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("short"), Bytes::from_static(b"s"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("new"), Bytes::from_static(b"n"), 5 * MINUTE)
            .await
            .unwrap();

        assert_eq!(cache.get(&key("short")).await.unwrap(), None);
        assert!(cache.get(&key("long")).await.unwrap().is_some());
        assert!(cache.get(&key("new")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn full_cache_evicts_oldest_among_equal_expiry() {
        let cache = MemoryCache::with_clock(2, ManualClock::new());
        cache
            .set(&key("first"), Bytes::from_static(b"1"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("second"), Bytes::from_static(b"2"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("third"), Bytes::from_static(b"3"), MINUTE)
            .await
            .unwrap();

        assert_eq!(cache.get(&key("first")).await.unwrap(), None);
        assert!(cache.get(&key("second")).await.unwrap().is_some());
        assert!(cache.get(&key("third")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn full_cache_drops_expired_entries_before_evicting() {
        let clock = ManualClock::new();
        let cache = MemoryCache::with_clock(2, clock.clone());
        cache
            .set(&key("expiring"), Bytes::from_static(b"e"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("kept"), Bytes::from_static(b"k"), 10 * MINUTE)
            .await
            .unwrap();
        clock.advance(2 * MINUTE);
        cache
            .set(&key("new"), Bytes::from_static(b"n"), 20 * MINUTE)
            .await
            .unwrap();

        assert!(cache.get(&key("kept")).await.unwrap().is_some());
        assert!(cache.get(&key("new")).await.unwrap().is_some());
        assert_eq!(cache.len(), 2);
    }

    #[tokio::test]
    async fn replacing_a_key_at_capacity_evicts_nothing() {
        let cache = MemoryCache::with_clock(2, ManualClock::new());
        cache
            .set(&key("a"), Bytes::from_static(b"1"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("b"), Bytes::from_static(b"2"), MINUTE)
            .await
            .unwrap();
        cache
            .set(&key("a"), Bytes::from_static(b"3"), MINUTE)
            .await
            .unwrap();

        assert_eq!(
            cache.get(&key("a")).await.unwrap(),
            Some(Bytes::from_static(b"3"))
        );
        assert!(cache.get(&key("b")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn huge_ttl_never_expires() {
        let clock = ManualClock::new();
        let cache = MemoryCache::with_clock(1, clock.clone());
        cache
            .set(&key("a"), Bytes::from_static(b"1"), Duration::MAX)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(50 * 365 * 24 * 3600));
        assert!(cache.get(&key("a")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn zero_capacity_stores_nothing() {
        let cache = MemoryCache::new(0);
        cache
            .set(&key("a"), Bytes::from_static(b"1"), MINUTE)
            .await
            .unwrap();
        assert_eq!(cache.get(&key("a")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn oversized_value_is_limit_exceeded() {
        let cache = MemoryCache::new(10).with_max_value_bytes(3);
        let error = cache
            .set(&key("a"), Bytes::from_static(b"1234"), MINUTE)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        assert!(error.message().contains("4 bytes"), "{error}");
        cache
            .set(&key("a"), Bytes::from_static(b"123"), MINUTE)
            .await
            .unwrap();
    }
}
