//! Cost of `parse_line` per format, on the reference sample lines.
//!
//! The scan pipeline's budget is 500k lines/s on two cores, i.e. a few
//! microseconds per line for everything; parsing should take a fraction.

#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use linkwell_core::SourceFormat;
use linkwell_ingest::reader::{Input, LineReader};
use linkwell_ingest::{IngestConfig, detect, har, parse_line};

const SAMPLES: [(SourceFormat, &str); 9] = [
    (
        SourceFormat::NginxCombined,
        include_str!("../tests/data/nginx_combined.log"),
    ),
    (
        SourceFormat::NginxJson,
        include_str!("../tests/data/nginx_json.log"),
    ),
    (SourceFormat::Envoy, include_str!("../tests/data/envoy.log")),
    (
        SourceFormat::EnvoyJson,
        include_str!("../tests/data/envoy_json.log"),
    ),
    (
        SourceFormat::AwsApigw,
        include_str!("../tests/data/aws_apigw.log"),
    ),
    (
        SourceFormat::Cloudflare,
        include_str!("../tests/data/cloudflare.log"),
    ),
    (SourceFormat::Kong, include_str!("../tests/data/kong.log")),
    (
        SourceFormat::Traefik,
        include_str!("../tests/data/traefik.log"),
    ),
    (
        SourceFormat::Ndjson,
        include_str!("../tests/data/ndjson.log"),
    ),
];

/// A ~600-byte line in the recommended `apimon` format without the mTLS
/// fields, the common production shape.
const NGINX_JSON_600: &str = r#"{"ts":"2026-03-02T10:15:30+00:00","msec":1772446530.123,"request_id":"7f3c2a9e4b1d4c8e9a0b1c2d3e4f5a6b","remote_addr":"203.0.113.7","remote_port":"51514","xff":"","remote_user":"","method":"POST","host":"api.example.com","uri":"/v1/payments?dry_run=false","proto":"HTTP/2.0","status":201,"request_length":1342,"bytes_sent":915,"body_bytes_sent":512,"request_time":0.057,"upstream_addr":"10.0.1.12:8080","upstream_status":"201","upstream_response_time":"0.049","ua":"okhttp/4.12.0","auth_subject":"tpp-42","ssl_protocol":"TLSv1.3","ssl_cipher":"TLS_AES_128_GCM_SHA256","sni":"api.example.com"}"#;

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn per_format(c: &mut Criterion) {
    let cfg = IngestConfig::default();
    let mut g = c.benchmark_group("parse_line");
    g.throughput(Throughput::Elements(1));
    for (format, text) in SAMPLES {
        let line = first_line(text);
        assert!(parse_line(format, line, &cfg).is_ok(), "{format}");
        g.bench_function(format!("{format} ({} B)", line.len()), |b| {
            b.iter(|| parse_line(format, black_box(line), &cfg).map(|r| r.status))
        });
    }
    assert!(parse_line(SourceFormat::NginxJson, NGINX_JSON_600, &cfg).is_ok());
    g.bench_function(
        format!("nginx-json apimon ({} B)", NGINX_JSON_600.len()),
        |b| {
            b.iter(|| {
                parse_line(SourceFormat::NginxJson, black_box(NGINX_JSON_600), &cfg)
                    .map(|r| r.status)
            })
        },
    );
    g.finish();
}

fn whole_pipeline_pieces(c: &mut Criterion) {
    let cfg = IngestConfig::default();
    // Reading + parsing 10k combined lines, as the scan does.
    let line = first_line(SAMPLES[0].1);
    let mut text = String::new();
    for _ in 0..10_000 {
        text.push_str(line);
        text.push('\n');
    }
    let mut g = c.benchmark_group("read+parse");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("nginx-combined 10k lines", |b| {
        b.iter(|| {
            let mut r = LineReader::new(
                Input::from_reader("mem", Cursor::new(text.clone().into_bytes())),
                1 << 20,
            );
            let mut ok = 0u32;
            while let Some(Ok(l)) = r.next_line() {
                if let Ok(s) = std::str::from_utf8(l.bytes) {
                    ok += u32::from(parse_line(SourceFormat::NginxCombined, s, &cfg).is_ok());
                }
            }
            ok
        })
    });
    g.finish();

    let sample: Vec<&str> = SAMPLES[1].1.lines().collect();
    c.bench_function("detect nginx-json (3 lines)", |b| {
        b.iter(|| detect(black_box(&sample), &cfg))
    });
    let har_text = include_str!("../tests/data/sample.har");
    c.bench_function("har::parse_har (4 entries)", |b| {
        b.iter(|| har::parse_har(black_box(har_text)).map(|v| v.len()))
    });
}

criterion_group!(benches, per_format, whole_pipeline_pieces);
criterion_main!(benches);
