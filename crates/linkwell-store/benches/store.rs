//! CallWriter throughput (rows/s) and drill-down query latency on 10⁶ calls.
//!
//! `cargo bench -p linkwell-store --bench store`

#![allow(unreachable_pub)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use linkwell_store::{CallFilter, CallRow, Store};

const ROWS: u64 = 100_000;

fn writer(c: &mut Criterion) {
    let mut g = c.benchmark_group("call_writer");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(ROWS));
    g.bench_function("send_100k_and_finish", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let mut store = Store::create(dir.path()).expect("create");
                let id = store.begin_scan().expect("scan");
                let rows: Vec<CallRow> = (0..ROWS).map(common::row).collect();
                (dir, store, id, rows)
            },
            |(dir, store, id, rows)| {
                let w = store.call_writer(id).expect("writer");
                for r in rows {
                    w.send(r).expect("send");
                }
                let n = w.finish().expect("finish");
                assert_eq!(n, ROWS);
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn queries(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::create(dir.path()).expect("create");
    let id = store.begin_scan().expect("scan");
    let w = store.call_writer(id).expect("writer");
    for i in 0..N {
        let mut r = common::row(i);
        r.template = format!("/v1/resource{}/{{id}}", i % 200);
        w.send(r).expect("send");
    }
    w.finish().expect("finish");

    let mut g = c.benchmark_group("queries_1m_calls");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("count_calls", |b| {
        b.iter(|| black_box(store.count_calls(id).expect("count")))
    });
    g.bench_function("calls_by_client_limit_100", |b| {
        let f = CallFilter {
            client_ip: Some("10.0.3.7".into()),
            ..CallFilter::default()
        };
        b.iter(|| black_box(store.calls(id, &f, 100).expect("calls")))
    });
    g.bench_function("calls_by_template_status_ge_400_limit_100", |b| {
        let f = CallFilter {
            template: Some("/v1/resource7/{id}".into()),
            status_min: Some(400),
            ..CallFilter::default()
        };
        b.iter(|| black_box(store.calls(id, &f, 100).expect("calls")))
    });
    g.bench_function("calls_per_minute_rollup", |b| {
        b.iter(|| black_box(store.calls_per_minute(id).expect("rollup")))
    });
    g.finish();
}

criterion_group!(benches, writer, queries);
criterion_main!(benches);
