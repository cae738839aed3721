//! Per-call engine latency on real log lines, for `linkwell bench engine`.
//!
//! Throughput hides the slow call that matters inline: a proxy waits for
//! every verdict, so the engine must answer each call quickly, not just
//! many calls per second on average. This parses and templates the input
//! first (untimed), then times `Engine::process` alone for every call.
//!
//! Each call is timed twice: by the wall clock (what a caller waits) and by
//! the thread's CPU clock (what the engine spends). On a shared machine the
//! wall clock also counts the time the thread was descheduled, so the
//! "over 1 ms" budget is judged on CPU time, and both maxima are reported.

use std::time::Instant;

use cpu_time::ThreadTime;

use linkwell_core::sketch::LogHistogram;
use linkwell_core::{CallRecord, EndpointKey, SourceFormat, SourceRef};
use linkwell_engine::Engine;
use linkwell_ingest::reader::{Input, LineReader};
use linkwell_inventory::Inventory;

use crate::{ScanConfig, ScanError};

/// The engine's time per call over one input.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Latency {
    pub calls: u64,
    pub findings: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    pub mean_ns: u64,
    /// The most CPU time one call used.
    pub max_cpu_ns: u64,
    /// Calls that used more than a millisecond of CPU.
    pub over_1ms_cpu: u64,
    /// Calls that took more than a millisecond by the wall clock
    /// (includes time the thread was descheduled).
    pub over_1ms_wall: u64,
    /// The input line of the call that used the most CPU.
    pub slowest_line: u64,
}

/// Calls read at most: each is kept in memory (about a kilobyte) while
/// timing, so half a million stays under half a gigabyte.
pub const MAX_CALLS: usize = 500_000;

/// Times the engine on up to [`MAX_CALLS`] calls of `path`.
pub fn engine_latency(
    path: &str,
    format: Option<SourceFormat>,
    cfg: &ScanConfig,
) -> Result<Latency, ScanError> {
    let calls = load(path, format, cfg)?;
    // Warm the lazily built matchers on a throwaway engine, so the first
    // timed call is not charged for building them.
    let mut warm = Engine::new(cfg.engine.clone());
    for (c, k) in calls.iter().take(1000) {
        warm.process(c, k);
    }
    let mut engine = Engine::new(cfg.engine.clone());
    let mut hist = LogHistogram::default();
    let (mut findings, mut over_wall, mut over_cpu) = (0u64, 0u64, 0u64);
    let mut slowest = (0u64, 0u64);
    for (c, k) in &calls {
        let cpu0 = ThreadTime::now();
        let t0 = Instant::now();
        let v = engine.process(c, k);
        let ns = t0.elapsed().as_nanos() as u64;
        let cpu = cpu0.elapsed().as_nanos() as u64;
        findings += v.findings.len() as u64;
        hist.record(ns);
        over_wall += u64::from(ns > 1_000_000);
        over_cpu += u64::from(cpu > 1_000_000);
        if cpu > slowest.0 {
            slowest = (cpu, c.source.line);
        }
    }
    let q = |p| hist.quantile(p).unwrap_or(0);
    Ok(Latency {
        calls: hist.count(),
        findings,
        p50_ns: q(0.5),
        p90_ns: q(0.9),
        p99_ns: q(0.99),
        p999_ns: q(0.999),
        max_ns: hist.max(),
        mean_ns: hist.mean().unwrap_or(0.0).round() as u64,
        max_cpu_ns: slowest.0,
        over_1ms_cpu: over_cpu,
        over_1ms_wall: over_wall,
        slowest_line: slowest.1,
    })
}

fn load(
    path: &str,
    format: Option<SourceFormat>,
    cfg: &ScanConfig,
) -> Result<Vec<(CallRecord<'static>, EndpointKey)>, ScanError> {
    let open = |p: &str| {
        Input::open(p).map_err(|source| ScanError::Open {
            path: p.to_string(),
            source,
        })
    };
    let read_error = |source| ScanError::Read {
        path: path.to_string(),
        source,
    };
    let format = match format {
        Some(f) => f,
        None => {
            let mut sample = Vec::new();
            let mut r = LineReader::new(open(path)?, cfg.ingest.max_line_bytes);
            while let Some(line) = r.next_line() {
                let line = line.map_err(read_error)?;
                sample.push(String::from_utf8_lossy(line.bytes).into_owned());
                if sample.len() >= 50 {
                    break;
                }
            }
            let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
            linkwell_ingest::detect(&refs, &cfg.ingest)
                .ok_or_else(|| ScanError::UnknownFormat {
                    path: path.to_string(),
                    reason: "no format parses its first lines".to_string(),
                })?
                .format
        }
    };
    let mut inventory = Inventory::new(cfg.inventory.clone());
    let mut calls = Vec::new();
    let mut r = LineReader::new(open(path)?, cfg.ingest.max_line_bytes);
    while let Some(line) = r.next_line() {
        let line = line.map_err(read_error)?;
        let Ok(mut rec) = linkwell_ingest::parse_bytes(format, line.bytes, &cfg.ingest) else {
            continue;
        };
        rec.source = SourceRef {
            input: 0,
            line: line.number,
        };
        let key = inventory.observe(&rec).clone();
        calls.push((rec.into_owned(), key));
        if calls.len() >= MAX_CALLS {
            break;
        }
    }
    Ok(calls)
}
