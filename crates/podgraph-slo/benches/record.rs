//! Cost of recording one SLI event on the hot path, alone and with a second thread
//! recording into the same SLO.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use podgraph_slo::events::{API_LATENCY, API_REQUEST, PROVIDER_CALL, PROVIDER_LABEL};
use podgraph_slo::{Event, SloSpec, SloTracker, SystemClock};

fn tracker() -> Arc<SloTracker> {
    let spec = SloSpec::default_spec().expect("the shipped spec is valid");
    Arc::new(SloTracker::new(spec, Arc::new(SystemClock)))
}

fn record(c: &mut Criterion) {
    let tracker = tracker();
    let mut group = c.benchmark_group("record");

    group.bench_function("outcome", |b| {
        let event = Event::outcome(API_REQUEST, true);
        b.iter(|| black_box(tracker.record(black_box(&event))));
    });
    group.bench_function("measured", |b| {
        let event = Event::measured(API_LATENCY, 0.120);
        b.iter(|| black_box(tracker.record(black_box(&event))));
    });
    group.bench_function("labelled_outcome", |b| {
        let labels = [(PROVIDER_LABEL, "store")];
        let event = Event::outcome(PROVIDER_CALL, true).with_labels(&labels);
        b.iter(|| black_box(tracker.record(black_box(&event))));
    });
    group.bench_function("unknown_event", |b| {
        let event = Event::outcome("not.in.catalogue", true);
        b.iter(|| black_box(tracker.record(black_box(&event))));
    });

    // A second thread records into the same SLO for the whole measurement.
    let stop = Arc::new(AtomicBool::new(false));
    let rival = {
        let tracker = Arc::clone(&tracker);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let event = Event::outcome(API_REQUEST, false);
            while !stop.load(Ordering::Relaxed) {
                tracker.record(&event);
            }
        })
    };
    group.bench_function("outcome_contended", |b| {
        let event = Event::outcome(API_REQUEST, true);
        b.iter(|| black_box(tracker.record(black_box(&event))));
    });
    stop.store(true, Ordering::Relaxed);
    let _ = rival.join();

    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let tracker = tracker();
    for _ in 0..10_000 {
        tracker.record(&Event::outcome(API_REQUEST, true));
    }
    c.bench_function("evaluate_shipped_spec", |b| {
        b.iter(|| black_box(tracker.evaluate()));
    });
}

criterion_group!(benches, record, evaluate);
criterion_main!(benches);
