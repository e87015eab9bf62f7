//! Time sources for the fakes that expire entries or leases.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A monotonic time source.
///
/// [`TokioClock`] follows `tokio::time`, so a test that calls `tokio::time::pause()` and
/// `tokio::time::advance()` controls it. [`ManualClock`] moves only when advanced and
/// works without a runtime.
pub trait Clock: Send + Sync {
    /// Returns the current instant.
    fn now(&self) -> Instant;
}

/// The `tokio::time` clock, paused and advanced by tokio's test utilities.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that does not move until [`ManualClock::advance`] is called. Clones share the
/// same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    start: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// The largest offset from the start, about 100 years. It is far beyond any test
    /// deadline and small enough to add to an `Instant` on Linux, macOS and Windows. The
    /// addition is checked anyway.
    pub const MAX_OFFSET: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

    /// Creates a clock that starts at the current instant.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// Moves the clock forward by `by`. The total offset saturates at [`ManualClock::MAX_OFFSET`].
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by).min(Self::MAX_OFFSET);
    }

    /// Returns the time passed since the clock was created.
    pub fn elapsed(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        // `advance` caps the offset at `MAX_OFFSET`, so the sum always fits; the fallback
        // only keeps this free of panics.
        self.start.checked_add(self.elapsed()).unwrap_or(self.start)
    }
}

/// Adds `ttl` to `now`, or returns `None` ("never") when the sum does not fit in an
/// `Instant`.
pub(crate) fn deadline(now: Instant, ttl: Duration) -> Option<Instant> {
    now.checked_add(ttl)
}

/// Whole milliseconds in `duration`, saturating at `u64::MAX`.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::new();
        let first = clock.now();
        assert_eq!(clock.now(), first);

        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now() - first, Duration::from_secs(5));
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new();
        let copy = clock.clone();
        clock.advance(Duration::from_millis(250));
        assert_eq!(copy.elapsed(), Duration::from_millis(250));
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let before = TokioClock.now();
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(TokioClock.now() - before, Duration::from_secs(60));
    }
}
