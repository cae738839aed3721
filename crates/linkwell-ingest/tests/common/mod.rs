//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use linkwell_core::{CallRecord, SourceFormat, Timestamp};
use linkwell_ingest::{IngestConfig, parse_line};

/// 2026-03-02T10:15:30Z, the time of the reference samples.
pub const T0: i64 = 1_772_446_530;

pub fn at(secs_after_t0: i64, micros: i64) -> Timestamp {
    Timestamp((T0 + secs_after_t0) * 1_000_000 + micros)
}

pub fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The non-empty lines of a sample file.
pub fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

pub fn parse(format: SourceFormat, line: &str) -> CallRecord<'_> {
    parse_line(format, line, &IngestConfig::default())
        .unwrap_or_else(|e| panic!("{format} failed on {line}: {e}"))
}

pub fn ip(s: &str) -> Option<std::net::IpAddr> {
    Some(s.parse().unwrap())
}

pub const SAMPLES: [(SourceFormat, &str); 9] = [
    (SourceFormat::NginxCombined, "nginx_combined.log"),
    (SourceFormat::NginxJson, "nginx_json.log"),
    (SourceFormat::Envoy, "envoy.log"),
    (SourceFormat::EnvoyJson, "envoy_json.log"),
    (SourceFormat::AwsApigw, "aws_apigw.log"),
    (SourceFormat::Cloudflare, "cloudflare.log"),
    (SourceFormat::Kong, "kong.log"),
    (SourceFormat::Traefik, "traefik.log"),
    (SourceFormat::Ndjson, "ndjson.log"),
];
