//! The work queue contract, checked against the in-memory queue and the Redis queue with
//! real time, plus what only the Redis queue promises: several consumers on one server
//! and the dead-letter stream.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use podgraph_core::ErrorKind;
use podgraph_core::provider::{Job, JobId, QueueStats, WorkQueue};
use podgraph_mocks::MemoryQueue;
use podgraph_redis::{Enqueued, FailOutcome, RedisConnection, RedisQueue, Retry};

const LEASE: Duration = Duration::from_millis(400);
const MAX_ATTEMPTS: u32 = 2;

fn job(key: &str) -> Job {
    Job {
        key: key.to_owned(),
        payload: serde_json::json!({ "episode": key, "title": "Ünïcode \"quoted\"\nline" }),
    }
}

async fn redis_queue(test: &str) -> Option<RedisQueue> {
    let mut config = support::shared_config(test)?;
    config.queue.max_attempts = MAX_ATTEMPTS;
    let connection = RedisConnection::connect(&config).await.unwrap();
    Some(RedisQueue::new(connection, &config.queue))
}

/// Both implementations, each named for assertion messages.
async fn queues(test: &str) -> Vec<(&'static str, Box<dyn WorkQueue>)> {
    let mut queues: Vec<(&'static str, Box<dyn WorkQueue>)> =
        vec![("memory", Box::new(MemoryQueue::new(MAX_ATTEMPTS)))];
    if let Some(queue) = redis_queue(test).await {
        queues.push(("redis", Box::new(queue)));
    }
    queues
}

async fn wait_for_lease() {
    tokio::time::sleep(LEASE + Duration::from_millis(100)).await;
}

#[tokio::test]
async fn claim_returns_jobs_in_arrival_order() {
    for (name, queue) in queues("arrival_order").await {
        let a = queue.enqueue(&job("a")).await.unwrap();
        let b = queue.enqueue(&job("b")).await.unwrap();

        let claimed = queue.claim("worker-1", 10, LEASE).await.unwrap();
        let ids: Vec<&JobId> = claimed.iter().map(|c| &c.id).collect();
        assert_eq!(ids, [&a, &b], "{name}");
        assert_eq!(claimed[0].attempt, 1, "{name}");
        assert_eq!(claimed[0].job, job("a"), "{name}");
    }
}

#[tokio::test]
async fn claim_respects_max_and_empty_queue() {
    for (name, queue) in queues("claim_max").await {
        assert!(
            queue.claim("w", 5, LEASE).await.unwrap().is_empty(),
            "{name}"
        );
        queue.enqueue(&job("a")).await.unwrap();
        queue.enqueue(&job("b")).await.unwrap();

        assert!(
            queue.claim("w", 0, LEASE).await.unwrap().is_empty(),
            "{name}"
        );
        assert_eq!(queue.claim("w", 1, LEASE).await.unwrap().len(), 1, "{name}");
        assert_eq!(queue.claim("w", 5, LEASE).await.unwrap().len(), 1, "{name}");
        assert!(
            queue.claim("w", 5, LEASE).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn expired_lease_is_redelivered_to_another_consumer() {
    for (name, queue) in queues("expired_lease").await {
        let first = queue.enqueue(&job("first")).await.unwrap();
        queue.claim("dies", 1, LEASE).await.unwrap();
        assert!(
            queue.claim("w2", 1, LEASE).await.unwrap().is_empty(),
            "{name}: leased job claimed twice"
        );
        queue.enqueue(&job("second")).await.unwrap();

        wait_for_lease().await;
        let claimed = queue.claim("w2", 1, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 1, "{name}");
        assert_eq!(claimed[0].id, first, "{name}");
        assert_eq!(claimed[0].attempt, 2, "{name}");
    }
}

#[tokio::test]
async fn ack_is_final_and_idempotent() {
    for (name, queue) in queues("ack").await {
        let id = queue.enqueue(&job("a")).await.unwrap();
        queue.claim("w", 1, LEASE).await.unwrap();
        queue.ack(&id).await.unwrap();
        queue.ack(&id).await.unwrap();
        queue.ack(&JobId("job-unknown".into())).await.unwrap();
        queue.ack(&JobId("1-1".into())).await.unwrap();

        wait_for_lease().await;
        assert!(
            queue.claim("w", 1, LEASE).await.unwrap().is_empty(),
            "{name}"
        );
        assert_eq!(
            queue.stats().await.unwrap(),
            QueueStats::default(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn failed_job_is_redelivered_after_its_lease() {
    for (name, queue) in queues("fail_retry").await {
        queue.enqueue(&job("a")).await.unwrap();
        let claimed = queue.claim("w", 1, LEASE).await.unwrap();
        queue.fail(&claimed[0], "fetch timed out").await.unwrap();

        assert!(
            queue.claim("w", 1, LEASE).await.unwrap().is_empty(),
            "{name}"
        );
        wait_for_lease().await;
        let again = queue.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(again.len(), 1, "{name}");
        assert_eq!(again[0].attempt, 2, "{name}");
        assert_eq!(queue.stats().await.unwrap().dead, 0, "{name}");
    }
}

#[tokio::test]
async fn job_is_dead_lettered_on_last_attempt() {
    for (name, queue) in queues("dead_letter").await {
        queue.enqueue(&job("a")).await.unwrap();
        let first = queue.claim("w", 1, LEASE).await.unwrap();
        queue.fail(&first[0], "first failure").await.unwrap();
        wait_for_lease().await;
        let second = queue.claim("w", 1, LEASE).await.unwrap();
        queue.fail(&second[0], "store unavailable").await.unwrap();

        wait_for_lease().await;
        assert!(
            queue.claim("w", 1, LEASE).await.unwrap().is_empty(),
            "{name}"
        );
        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.dead, 1, "{name}");
        assert_eq!(stats.in_flight, 0, "{name}");
        assert_eq!(stats.ready, 0, "{name}");
    }
}

#[tokio::test]
async fn stale_fail_from_an_older_delivery_is_ignored() {
    for (name, queue) in queues("stale_fail").await {
        queue.enqueue(&job("a")).await.unwrap();
        let stale = queue.claim("slow", 1, LEASE).await.unwrap();
        wait_for_lease().await;
        let current = queue.claim("w2", 1, LEASE).await.unwrap();
        assert_eq!(current[0].attempt, 2, "{name}");

        queue.fail(&stale[0], "late report").await.unwrap();
        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.dead, 0, "{name}");
        assert_eq!(stats.in_flight, 1, "{name}");
    }
}

#[tokio::test]
async fn enqueue_reports_existing_job() {
    let Some(queue) = redis_queue("enqueue_outcome").await else {
        return;
    };
    let first = queue.enqueue_or_find(&job("episode-1")).await.unwrap();
    let Enqueued::Queued(first_id) = first.clone() else {
        panic!("the first enqueue found an existing job: {first:?}");
    };
    assert!(first.is_new());

    // Waiting, then claimed: in both states the key is taken by the first job.
    let waiting = queue.enqueue_or_find(&job("episode-1")).await.unwrap();
    assert_eq!(waiting, Enqueued::AlreadyQueued(first_id.clone()));
    assert!(!waiting.is_new());
    let claimed = queue.claim("w", 1, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let in_flight = queue.enqueue_or_find(&job("episode-1")).await.unwrap();
    assert_eq!(in_flight, Enqueued::AlreadyQueued(first_id.clone()));
    assert_eq!(queue.stats().await.unwrap().ready, 0);

    // Once acknowledged, the key can be queued again under a new id.
    queue.ack(&first_id).await.unwrap();
    let again = queue.enqueue_or_find(&job("episode-1")).await.unwrap();
    assert!(again.is_new(), "{again:?}");
    assert_ne!(again.id(), &first_id);
}

#[tokio::test]
async fn duplicate_key_is_deduplicated_until_acknowledged() {
    for (name, queue) in queues("dedup").await {
        let first = queue.enqueue(&job("episode-1")).await.unwrap();
        assert_eq!(
            queue.enqueue(&job("episode-1")).await.unwrap(),
            first,
            "{name}"
        );
        assert_eq!(queue.stats().await.unwrap().ready, 1, "{name}");

        queue.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(
            queue.enqueue(&job("episode-1")).await.unwrap(),
            first,
            "{name}"
        );

        queue.ack(&first).await.unwrap();
        let again = queue.enqueue(&job("episode-1")).await.unwrap();
        assert_ne!(again, first, "{name}");
    }
}

#[tokio::test]
async fn stats_count_ready_in_flight_and_oldest_age() {
    for (name, queue) in queues("stats").await {
        queue.enqueue(&job("a")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        queue.enqueue(&job("b")).await.unwrap();
        queue.enqueue(&job("c")).await.unwrap();

        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.ready, 3, "{name}");
        assert_eq!(stats.in_flight, 0, "{name}");
        let age = stats.oldest_ready_age_ms.unwrap();
        assert!((300..5_000).contains(&age), "{name}: oldest age {age} ms");

        queue.claim("w", 1, LEASE).await.unwrap();
        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.ready, 2, "{name}");
        assert_eq!(stats.in_flight, 1, "{name}");
        let age = stats.oldest_ready_age_ms.unwrap();
        assert!(
            age < 300,
            "{name}: oldest age {age} ms after the first was claimed"
        );
    }
}

#[tokio::test]
async fn dead_letters_keep_job_and_reason() {
    let Some(queue) = redis_queue("dead_letters_listed").await else {
        return;
    };
    let id = queue.enqueue(&job("broken")).await.unwrap();
    for attempt in 1..=MAX_ATTEMPTS {
        let claimed = queue.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(claimed[0].attempt, attempt);
        queue
            .fail(
                &claimed[0],
                &format!("transcript invalid on attempt {attempt}"),
            )
            .await
            .unwrap();
        wait_for_lease().await;
    }

    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].job, job("broken"));
    assert_eq!(dead[0].attempts, MAX_ATTEMPTS);
    assert_eq!(dead[0].reason, "transcript invalid on attempt 2");
    assert_eq!(dead[0].kind, "");
    // The key is free again once the job is dead-lettered.
    assert_ne!(queue.enqueue(&job("broken")).await.unwrap(), id);
}

#[tokio::test]
async fn permanent_failure_is_dead_lettered_at_once() {
    let Some(queue) = redis_queue("permanent_failure").await else {
        return;
    };
    let id = queue.enqueue(&job("missing")).await.unwrap();
    let claimed = queue.claim("w", 1, LEASE).await.unwrap();
    assert_eq!(claimed[0].attempt, 1);

    let outcome = queue
        .fail_with(
            &claimed[0],
            "transcript: server returned 404 not found",
            Some(ErrorKind::NotFound),
            Retry::Never,
        )
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::DeadLettered);

    let stats = queue.stats().await.unwrap();
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.dead, 1);
    wait_for_lease().await;
    assert!(queue.claim("w", 1, LEASE).await.unwrap().is_empty());

    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(dead[0].kind, "not_found");
    assert_eq!(dead[0].reason, "transcript: server returned 404 not found");

    // A second report of the same delivery finds nothing left to fail.
    let again = queue
        .fail_with(
            &claimed[0],
            "again",
            Some(ErrorKind::NotFound),
            Retry::Never,
        )
        .await
        .unwrap();
    assert_eq!(again, FailOutcome::Ignored);
}

#[tokio::test]
async fn temporary_failure_is_retried_until_last_attempt() {
    let Some(queue) = redis_queue("temporary_failure").await else {
        return;
    };
    queue.enqueue(&job("flaky")).await.unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..MAX_ATTEMPTS {
        let claimed = queue.claim("w", 1, LEASE).await.unwrap();
        let outcome = queue
            .fail_with(
                &claimed[0],
                "transcript: server returned 503 service unavailable",
                Some(ErrorKind::Unavailable),
                Retry::Allowed,
            )
            .await
            .unwrap();
        outcomes.push(outcome);
        wait_for_lease().await;
    }
    assert_eq!(outcomes, [FailOutcome::Retried, FailOutcome::DeadLettered]);

    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, MAX_ATTEMPTS);
    assert_eq!(dead[0].kind, "unavailable");
}

#[tokio::test]
async fn concurrent_consumers_never_share_a_job() {
    let Some(queue) = redis_queue("concurrent_consumers").await else {
        return;
    };
    let queue = Arc::new(queue);
    let total = 200;
    for index in 0..total {
        queue
            .enqueue(&job(&format!("episode-{index}")))
            .await
            .unwrap();
    }

    let mut consumers = Vec::new();
    for consumer in 0..4 {
        let queue = Arc::clone(&queue);
        consumers.push(tokio::spawn(async move {
            let name = format!("consumer-{consumer}");
            let mut keys = Vec::new();
            loop {
                let claimed = queue
                    .claim(&name, 7, Duration::from_secs(30))
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return keys;
                }
                for job in claimed {
                    keys.push(job.job.key.clone());
                    queue.ack(&job.id).await.unwrap();
                }
            }
        }));
    }

    let mut seen = HashSet::new();
    let mut deliveries = 0;
    for consumer in consumers {
        for key in consumer.await.unwrap() {
            deliveries += 1;
            assert!(seen.insert(key.clone()), "{key} delivered twice");
        }
    }
    assert_eq!(deliveries, total);
    assert_eq!(queue.stats().await.unwrap(), QueueStats::default());
}

#[tokio::test]
async fn queue_survives_a_server_restart() {
    let Some(mut server) = support::PrivateServer::start("queue_restart") else {
        return;
    };
    let config = server.config("queue_restart");
    let connection = RedisConnection::connect(&config).await.unwrap();
    let queue = RedisQueue::new(connection, &config.queue);
    queue.enqueue(&job("before")).await.unwrap();

    // Without persistence the restart loses the stream and the consumer group; the
    // queue recreates both with the next call instead of failing for ever.
    server.restart();
    let mut enqueued = None;
    for _ in 0..20 {
        match queue.enqueue(&job("after")).await {
            Ok(id) => {
                enqueued = Some(id);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let id = enqueued.expect("enqueue works again after the restart");
    let claimed = queue.claim("w", 10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);
    assert!(queue.retire_consumer("w").await.is_ok());
}

#[tokio::test]
async fn consumer_is_retired_only_without_pending_jobs() {
    let Some(queue) = redis_queue("retire_consumer").await else {
        return;
    };
    let id = queue.enqueue(&job("a")).await.unwrap();
    queue.claim("busy", 1, LEASE).await.unwrap();
    assert!(!queue.retire_consumer("busy").await.unwrap());
    queue.ack(&id).await.unwrap();
    assert!(queue.retire_consumer("busy").await.unwrap());
    assert!(!queue.retire_consumer("never-seen").await.unwrap());
}
