//! Global installation. This file contains the only test that installs the process-wide
//! recorder, because a test binary can install one only once.

use std::time::Duration;

use podgraph_core::pipeline::{PipelineObserver, RunSummary};
use podgraph_metrics::{MetricsConfig, MetricsError, MetricsObserver, install};

#[test]
fn install_once_then_reject() {
    let config = MetricsConfig {
        upkeep_interval: Duration::from_millis(20),
        ..MetricsConfig::default()
    };
    let handle = install(&config).expect("first install succeeds");

    // Emission without a local recorder reaches the global one, from any thread.
    std::thread::spawn(|| MetricsObserver::default().run_finished(&RunSummary::default()))
        .join()
        .expect("observer thread finishes");
    let text = handle.render();
    assert!(
        text.contains("\npodgraph_pipeline_runs_total 1\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE podgraph_build_info gauge\n"),
        "{text}"
    );

    let upkeep_threads = || {
        std::fs::read_dir("/proc/self/task")
            .map(|tasks| {
                tasks
                    .filter_map(Result::ok)
                    .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
                    .filter(|name| name.trim() == "podgraph-metric")
                    .count()
            })
            .ok()
    };
    // Linux truncates thread names to 15 bytes, and a new thread sets its own name, so
    // it may take a moment to appear.
    if upkeep_threads().is_some() {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while upkeep_threads() != Some(1) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(upkeep_threads(), Some(1), "one upkeep thread runs");
    }

    // The upkeep thread refreshes the process sample: burn CPU, wait for a few upkeep
    // intervals, and the rendered CPU time must have grown.
    if cfg!(target_os = "linux") {
        let before = cpu_seconds(&handle.render());
        let busy_until = std::time::Instant::now() + Duration::from_millis(200);
        let mut spin = 0_u64;
        while std::time::Instant::now() < busy_until {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        std::thread::sleep(Duration::from_millis(200));
        let after = cpu_seconds(&handle.render());
        assert!(
            after > before,
            "CPU time stayed at {before}: the upkeep did not refresh it"
        );
    }

    let error = install(&config).expect_err("second install fails");
    assert!(matches!(error, MetricsError::AlreadyInstalled), "{error:?}");
}

fn cpu_seconds(text: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix("podgraph_process_cpu_seconds_total "))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no CPU time in the exposition:\n{text}"))
}
