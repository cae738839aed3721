//! Render time of a large report (20k endpoints, 5k findings).
//!
//! `cargo bench -p linkwell-report --bench render`

#![allow(unreachable_pub)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn render(c: &mut Criterion) {
    let scan = common::big_scan(20_000, 5_000);
    let opts = common::opts();
    let html = linkwell_report::render_html(&scan, &opts);
    println!("report size: {:.2} MB", html.len() as f64 / 1e6);
    let mut g = c.benchmark_group("render_html");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("20k_endpoints_5k_findings", |b| {
        b.iter(|| black_box(linkwell_report::render_html(black_box(&scan), &opts)))
    });
    g.bench_function("sample_scan", |b| {
        let small = common::sample_scan();
        b.iter(|| black_box(linkwell_report::render_html(black_box(&small), &opts)))
    });
    g.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
