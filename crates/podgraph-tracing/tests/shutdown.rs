//! Shutting down never hangs, and a collector that is down neither slows span creation
//! nor loses count of the spans it could not take.

mod support;

use std::time::{Duration, Instant};

use podgraph_tracing::span::in_span;
use podgraph_tracing::testing::OtlpReceiver;
use podgraph_tracing::{Protocol, TelemetryGuard, TraceExport, TracingConfig};
use tracing_subscriber::layer::SubscriberExt as _;

/// Returns a loopback URL that refuses connections: a port that was bound, then released.
fn stopped_collector() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let address = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{address}")
}

fn down_config(protocol: Protocol) -> TracingConfig {
    TracingConfig {
        enabled: true,
        endpoint: Some(stopped_collector()),
        protocol,
        export_timeout_ms: 1_000,
        scheduled_delay_ms: 50,
        ..TracingConfig::default()
    }
}

fn check_collector_down(protocol: Protocol) {
    const SPANS: u64 = 1_000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut export = TraceExport::start(&down_config(protocol)).expect("export starts");
        let subscriber = tracing_subscriber::registry().with(export.layer());
        let _default = tracing::subscriber::set_default(subscriber);

        let started = Instant::now();
        for index in 0..SPANS {
            in_span("work.item", &[], async { Ok::<_, std::io::Error>(index) })
                .await
                .expect("work succeeds");
            if index % 100 == 0 {
                // Give the exporter thread time to try, and fail, while spans are made.
                tokio::task::yield_now().await;
            }
        }
        let loop_time = started.elapsed();
        assert!(
            loop_time < Duration::from_secs(2),
            "1000 spans took {loop_time:?}"
        );

        let stopping = Instant::now();
        let stats = export.shutdown();
        let shutdown_time = stopping.elapsed();
        assert!(
            shutdown_time < Duration::from_secs(4),
            "shutdown took {shutdown_time:?}"
        );

        assert_eq!(stats.submitted, SPANS);
        assert_eq!(stats.exported, 0);
        assert_eq!(stats.dropped(), SPANS);
        assert!(stats.failed > 0, "{stats:?}");
    });
}

#[test]
fn stopped_http_collector_counts_drops() {
    check_collector_down(Protocol::HttpProtobuf);
}

#[test]
fn stopped_grpc_collector_counts_drops() {
    check_collector_down(Protocol::Grpc);
}

#[test]
fn full_queue_drops_are_counted() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut config = down_config(Protocol::HttpProtobuf);
        config.max_queue_size = 10;
        config.max_export_batch_size = 10;
        config.scheduled_delay_ms = 60_000;
        let mut export = TraceExport::start(&config).expect("export starts");
        let subscriber = tracing_subscriber::registry().with(export.layer());
        let _default = tracing::subscriber::set_default(subscriber);
        for _ in 0..500 {
            tracing::info_span!("burst").in_scope(|| {});
        }
        let stats = export.shutdown();
        assert_eq!(stats.submitted, 500);
        assert_eq!(stats.exported, 0);
        assert_eq!(stats.dropped(), 500);
        // Most spans never reached the exporter: the queue of 10 overflowed.
        assert!(stats.failed < 500, "{stats:?}");
    });
}

fn check_shutdown_in_current_thread_runtime(protocol: Protocol) {
    const SPANS: u64 = 50;
    let receiver = match protocol {
        Protocol::HttpProtobuf => OtlpReceiver::start_http(),
        Protocol::Grpc => OtlpReceiver::start_grpc(),
    }
    .expect("receiver starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // Started inside the runtime, as the CLI does from an async main.
        let export = TraceExport::start(&receiver.tracing_config()).expect("export starts");
        let subscriber = tracing_subscriber::registry().with(export.layer());
        let _default = tracing::subscriber::set_default(subscriber);
        let mut guard = TelemetryGuard::from_export(export);
        for index in 0..SPANS {
            in_span("work.item", &[], async { Ok::<_, std::io::Error>(index) })
                .await
                .expect("work succeeds");
        }

        let stopping = Instant::now();
        let stats = guard.shutdown();
        let shutdown_time = stopping.elapsed();
        assert!(
            shutdown_time < Duration::from_secs(3),
            "shutdown took {shutdown_time:?}"
        );
        assert_eq!(stats.exported, SPANS);
        assert_eq!(
            guard.shutdown(),
            Default::default(),
            "a second shutdown does nothing"
        );
    });
    assert_eq!(receiver.spans().len(), SPANS as usize);
}

#[test]
fn http_shutdown_inside_current_thread_runtime_returns() {
    check_shutdown_in_current_thread_runtime(Protocol::HttpProtobuf);
}

#[test]
fn grpc_shutdown_inside_current_thread_runtime_returns() {
    check_shutdown_in_current_thread_runtime(Protocol::Grpc);
}

#[test]
fn drop_inside_current_thread_runtime_does_not_panic() {
    let receiver = OtlpReceiver::start_grpc().expect("receiver starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let export = TraceExport::start(&receiver.tracing_config()).expect("export starts");
        let subscriber = tracing_subscriber::registry().with(export.layer());
        let _default = tracing::subscriber::set_default(subscriber);
        tracing::info_span!("before.drop").in_scope(|| {});
        drop(export);
    });
    assert_eq!(receiver.spans().len(), 1);
}

#[cfg(unix)]
#[test]
fn shutdown_after_sigterm_returns() {
    let receiver = OtlpReceiver::start_http().expect("receiver starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let export = TraceExport::start(&receiver.tracing_config()).expect("export starts");
        let subscriber = tracing_subscriber::registry().with(export.layer());
        let _default = tracing::subscriber::set_default(subscriber);
        let mut guard = TelemetryGuard::from_export(export);
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("handler installed");

        tracing::info_span!("until.signal").in_scope(|| {});
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(5), terminate.recv())
            .await
            .expect("signal arrives");

        let stopping = Instant::now();
        let stats = guard.shutdown();
        assert!(stopping.elapsed() < Duration::from_secs(3));
        assert_eq!(stats.exported, 1);
    });
}
