//! The SLO state store contract on Redis, and merges from many processes at once.

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use podgraph_redis::{DEFAULT_RETENTION, RedisStateStore};
use podgraph_slo::events::EPISODE_PROCESSED;
use podgraph_slo::store::contract::{self, batch, counts};
use podgraph_slo::store::{MergeOutcome, SloStateStore};
use podgraph_slo::{Clock, Event, ManualClock, SloSpec, SloStatus, SloTracker, TrackerConfig};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn store(test: &str) -> Option<RedisStateStore> {
    let config = support::shared_config(test)?;
    Some(RedisStateStore::open(&config, DEFAULT_RETENTION).unwrap())
}

#[test]
fn redis_store_meets_contract() {
    if store("slo_contract_probe").is_none() {
        return;
    }
    contract::check_all("redis", &mut |check| {
        let store = store(&format!("slo_contract_{check}")).expect("REDIS_URL is set");
        Box::new(store)
    });
}

#[test]
fn prune_forgets_stale_processes() {
    let Some(store) = store("slo_prune_stale") else {
        return;
    };
    let old = start() - TimeDelta::days(40);
    let recent = start();
    store
        .merge(&batch("stale", 1, vec![counts("y", old, 1, 1)]))
        .unwrap();
    assert_eq!(store.prune(recent - TimeDelta::days(30)).unwrap(), 1);

    // The pruned process's sequence was forgotten, so its next batch counts again.
    let again = batch("stale", 1, vec![counts("y", recent, 1, 1)]);
    assert_eq!(store.merge(&again).unwrap(), MergeOutcome::Applied);
}

#[test]
fn counts_above_i64_are_rejected() {
    let Some(store) = store("slo_overflow") else {
        return;
    };
    let error = store
        .merge(&batch("a", 1, vec![counts("x", start(), 0, u64::MAX)]))
        .unwrap_err();
    assert!(error.to_string().contains("does not fit"), "{error}");
    assert!(store.load(start()).unwrap().is_empty());
}

#[test]
fn concurrent_processes_add_up_exactly() {
    let Some(config) = support::shared_config("slo_concurrent") else {
        return;
    };
    let processes = 6;
    let batches = 40;
    let at = start();
    let mut threads = Vec::new();
    for process in 0..processes {
        // One store, and so one connection, per simulated process.
        let store = Arc::new(RedisStateStore::open(&config, DEFAULT_RETENTION).unwrap());
        threads.push(std::thread::spawn(move || {
            for sequence in 1..=batches {
                let batch = batch(
                    &format!("process-{process}"),
                    sequence,
                    vec![
                        counts("api", at, 2, 3),
                        counts("api", at + TimeDelta::minutes(1), 1, 1),
                    ],
                );
                assert_eq!(store.merge(&batch).unwrap(), MergeOutcome::Applied);
                // A resend after a lost reply changes nothing.
                assert_eq!(store.merge(&batch).unwrap(), MergeOutcome::AlreadyApplied);
            }
        }));
    }
    for thread in threads {
        thread.join().unwrap();
    }

    let store = RedisStateStore::open(&config, DEFAULT_RETENTION).unwrap();
    let n = processes * batches;
    assert_eq!(
        store.load(at).unwrap(),
        [
            counts("api", at, 2 * n, 3 * n),
            counts("api", at + TimeDelta::minutes(1), n, n),
        ]
    );
}

/// Returns the status of the shipped spec with one failed episode recorded at `at`.
fn status_at(at: DateTime<Utc>) -> SloStatus {
    let clock = ManualClock::new(at);
    let tracker = SloTracker::with_config(
        SloSpec::default_spec().unwrap(),
        Arc::new(clock),
        TrackerConfig::default(),
        None,
    );
    tracker.record(&Event::outcome(EPISODE_PROCESSED, false));
    tracker.evaluate()
}

#[test]
fn status_snapshot_is_shared_between_stores() {
    let Some(config) = support::shared_config("slo_status") else {
        return;
    };
    let writer = RedisStateStore::open(&config, Duration::from_secs(600)).unwrap();
    let reader = RedisStateStore::open(&config, Duration::from_secs(600)).unwrap();
    assert_eq!(reader.load_status().unwrap(), None);

    let first = status_at(start());
    writer.save_status(&first).unwrap();
    assert_eq!(reader.load_status().unwrap().as_ref(), Some(&first));

    // A later save replaces the snapshot whole.
    let second = status_at(start() + TimeDelta::minutes(5));
    reader.save_status(&second).unwrap();
    let loaded = writer.load_status().unwrap().unwrap();
    assert_eq!(loaded.evaluated_at, second.evaluated_at);
    assert_eq!(loaded, second);

    let mut connection = redis::Client::open(config.url.clone().unwrap())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = format!("{}:{{slo}}:status", config.key_prefix);
    let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut connection).unwrap();
    assert!((1..=600).contains(&ttl), "status key expires in {ttl} s");
}

#[test]
fn invalid_status_snapshot_is_corrupt_state() {
    let Some(config) = support::shared_config("slo_status_invalid") else {
        return;
    };
    let mut connection = redis::Client::open(config.url.clone().unwrap())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = format!("{}:{{slo}}:status", config.key_prefix);
    redis::cmd("SET")
        .arg(&key)
        .arg("{not json")
        .query::<()>(&mut connection)
        .unwrap();
    let store = RedisStateStore::open(&config, DEFAULT_RETENTION).unwrap();
    let error = store.load_status().unwrap_err();
    assert!(
        matches!(error, podgraph_slo::SloError::CorruptState { .. }),
        "{error}"
    );
    assert!(error.to_string().contains(&key), "{error}");
}

#[test]
fn unreachable_server_is_a_temporary_error() {
    let mut config = podgraph_redis::RedisConfig::with_url(format!(
        "redis://127.0.0.1:{}/",
        support::free_port()
    ));
    config.connect_timeout_ms = 200;
    let store = RedisStateStore::open(&config, Duration::from_secs(60)).unwrap();
    let error = store.load(start()).unwrap_err();
    assert!(error.is_temporary(), "{error}");
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
}

#[test]
fn store_reconnects_after_a_restart() {
    let Some(mut server) = support::PrivateServer::start("slo_restart") else {
        return;
    };
    let store = RedisStateStore::open(&server.config("slo_restart"), DEFAULT_RETENTION).unwrap();
    store
        .merge(&batch("a", 1, vec![counts("x", start(), 1, 1)]))
        .unwrap();
    server.restart();
    // The first call may find the old connection closed; the next opens a new one.
    let _ = store.load(start());
    assert!(store.load(start()).unwrap().is_empty());
    store
        .merge(&batch("a", 2, vec![counts("x", start(), 1, 1)]))
        .unwrap();
    assert_eq!(store.load(start()).unwrap(), [counts("x", start(), 1, 1)]);
}

fn tracker(
    store: Arc<dyn SloStateStore>,
    clock: &podgraph_slo::ManualClock,
    process: &str,
) -> podgraph_slo::SloTracker {
    podgraph_slo::SloTracker::with_config(
        podgraph_slo::SloSpec::default_spec().unwrap(),
        Arc::new(clock.clone()),
        podgraph_slo::TrackerConfig {
            process_id: process.to_owned(),
            ..podgraph_slo::TrackerConfig::default()
        },
        Some(store),
    )
}

fn api_total(tracker: &podgraph_slo::SloTracker) -> Option<u64> {
    let status = tracker.evaluate();
    let api = status.slo("api-availability").unwrap();
    api.windows.iter().find(|w| w.window == "5m").unwrap().total
}

#[test]
fn trackers_of_two_workers_share_one_budget() {
    let Some(config) = support::shared_config("slo_trackers") else {
        return;
    };
    let clock = podgraph_slo::ManualClock::new(start());
    let open = || -> Arc<dyn SloStateStore> {
        Arc::new(RedisStateStore::open(&config, DEFAULT_RETENTION).unwrap())
    };
    let first = tracker(open(), &clock, "worker-a");
    let second = tracker(open(), &clock, "worker-b");
    let api = podgraph_slo::events::API_REQUEST;

    first.record_outcomes(api, &[], 9, 1, clock.now());
    second.record_outcomes(api, &[], 5, 0, clock.now());
    first.save().unwrap();
    second.save().unwrap();
    first.refresh(Duration::from_secs(600)).unwrap();
    second.refresh(Duration::from_secs(600)).unwrap();
    assert_eq!(api_total(&first), Some(15));
    assert_eq!(api_total(&second), Some(15));

    // Saving and refreshing again counts nothing twice.
    first.save().unwrap();
    first.refresh(Duration::from_secs(600)).unwrap();
    assert_eq!(api_total(&first), Some(15));
}
