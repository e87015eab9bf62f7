//! Failed exports produce one warning per interval, with the failures counted and the
//! collector's credentials removed.
//!
//! The warning is logged from the batch processor's thread, which only uses the global
//! subscriber, so this file installs one and contains a single test.

use std::time::Duration;

use podgraph_tracing::log::{LineFormat, log_layer_with_writer};
use podgraph_tracing::testing::CapturedLogs;
use podgraph_tracing::{LogConfig, TraceExport, TracingConfig};
use tracing_subscriber::layer::SubscriberExt as _;

#[test]
fn failed_exports_warn_once_per_interval() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let address = listener.local_addr().expect("local address");
    drop(listener);

    let config = TracingConfig {
        enabled: true,
        endpoint: Some(format!("http://collector:s3cret@{address}")),
        scheduled_delay_ms: 20,
        export_timeout_ms: 1_000,
        export_warning_interval_secs: 3_600,
        ..TracingConfig::default()
    };
    let mut export = TraceExport::start(&config).expect("export starts");
    let logs = CapturedLogs::new();
    let log_layer = log_layer_with_writer(&LogConfig::default(), LineFormat::Json, logs.clone())
        .expect("valid filter");
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(log_layer)
            .with(export.layer()),
    )
    .expect("no global subscriber yet");

    for round in 0..5 {
        tracing::info_span!("doomed", round).in_scope(|| {});
        std::thread::sleep(Duration::from_millis(100));
    }
    let stats = export.shutdown();
    assert_eq!(stats.submitted, 5);
    assert_eq!(stats.exported, 0);
    assert!(stats.failed >= 3, "{stats:?}");

    let output = logs.contents();
    let warnings: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("could not export spans"))
        .collect();
    assert_eq!(warnings.len(), 1, "{output}");
    assert!(warnings[0].contains(&address.to_string()), "{output}");
    assert!(!output.contains("s3cret"), "{output}");
}
