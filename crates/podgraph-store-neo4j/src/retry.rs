//! Retries of transactions that failed with a transient error.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use podgraph_core::{ErrorKind, ProviderResult};

/// First backoff ceiling; it doubles per attempt up to [`MAX_BACKOFF`].
const INITIAL_BACKOFF: Duration = Duration::from_millis(20);
/// Largest backoff ceiling.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Runs `attempt` until it succeeds, fails with an error that a retry cannot fix, or the
/// budget is spent.
///
/// Only temporary `Conflict` (Neo4j's `Neo.TransientError.*`: deadlocks, lock timeouts,
/// leader switches) and `Unavailable` errors (lost connections) are retried. Each wait is
/// drawn uniformly from zero to a ceiling that doubles per attempt ("full jitter"), so
/// writers that deadlocked on the same nodes do not retry in step. The last error is
/// returned when the next wait would end after the budget.
pub(crate) async fn with_retry<T, F, Fut>(
    budget: Duration,
    operation: &'static str,
    mut attempt: F,
) -> ProviderResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ProviderResult<T>>,
{
    let started = Instant::now();
    let mut ceiling = INITIAL_BACKOFF;
    let mut attempts: u32 = 1;
    loop {
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let retryable = error.is_temporary()
            && matches!(error.kind(), ErrorKind::Conflict | ErrorKind::Unavailable);
        let delay = jitter(ceiling);
        if !retryable || started.elapsed().saturating_add(delay) > budget {
            return Err(error);
        }
        tracing::warn!(
            target: "podgraph::store::neo4j",
            operation,
            attempt = attempts,
            delay_ms = delay.as_millis() as u64,
            error = %error,
            "retrying transaction after a transient error"
        );
        tokio::time::sleep(delay).await;
        attempts = attempts.saturating_add(1);
        ceiling = ceiling.saturating_mul(2).min(MAX_BACKOFF);
    }
}

/// Returns a uniformly random duration in `[0, ceiling]`.
fn jitter(ceiling: Duration) -> Duration {
    // Each `RandomState` is seeded randomly, so hashing nothing yields a fresh random value.
    let random = RandomState::new().hash_one(());
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    match nanos.checked_add(1) {
        Some(range) => Duration::from_nanos(random % range),
        None => ceiling,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use podgraph_core::ProviderError;

    use super::*;

    fn transient() -> ProviderError {
        ProviderError::new(
            ErrorKind::Conflict,
            "store.write_episode",
            "deadlock detected",
        )
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_until_success() {
        let calls = AtomicU32::new(0);
        let result = with_retry(Duration::from_secs(10), "store.write_episode", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(transient())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_invalid_input() {
        let calls = AtomicU32::new(0);
        let result: ProviderResult<()> =
            with_retry(Duration::from_secs(10), "store.write_episode", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ProviderError::new(
                    ErrorKind::InvalidInput,
                    "store.write_episode",
                    "bad",
                ))
            })
            .await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_budget_is_spent() {
        let calls = AtomicU32::new(0);
        let result: ProviderResult<()> = with_retry(
            Duration::from_millis(500),
            "store.write_episode",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(transient())
            },
        )
        .await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Conflict);
        let calls = calls.load(Ordering::SeqCst);
        assert!(calls > 1, "retried {calls} times");
        assert!(calls < 100, "retried {calls} times within a 500 ms budget");
    }

    #[test]
    fn jitter_stays_below_ceiling() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(5)) <= Duration::from_millis(5));
        }
    }
}
