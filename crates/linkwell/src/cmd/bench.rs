//! `linkwell bench scan`: whole-pipeline throughput and peak memory;
//! `linkwell bench engine`: the engine's time per call.

use std::process::ExitCode;
use std::time::Instant;

use linkwell_scan::{NoProgress, ScanConfig, ScanOptions};

use super::parse_format;
use crate::cli::BenchScanArgs;

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) fn scan(a: &BenchScanArgs) -> anyhow::Result<ExitCode> {
    let cfg = ScanConfig::default();
    let started = Instant::now();
    let out = linkwell_scan::scan(
        std::slice::from_ref(&a.input),
        ScanOptions {
            format: parse_format(&a.format)?,
            specs: &[],
            progress: &NoProgress,
            sink: None,
        },
        &cfg,
    )?;
    let secs = started.elapsed().as_secs_f64();
    let lines = out.summary.lines;
    let rate = lines as f64 / secs.max(1e-9);
    let rss = peak_rss_kib();
    let distinct_clients: u64 = out.endpoints.iter().map(|e| e.clients).max().unwrap_or(0);
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "input": a.input,
                "lines": lines,
                "seconds": secs,
                "lines_per_sec": rate.round(),
                "peak_rss_kib": rss,
                "endpoints": out.summary.endpoints,
                "findings": out.summary.findings,
                "max_distinct_clients_per_endpoint": distinct_clients,
            })
        );
    } else {
        println!("input:           {}", a.input);
        println!("lines:           {lines}");
        println!("seconds:         {secs:.3}");
        println!("lines/s:         {rate:.0}");
        if let Some(kib) = rss {
            println!("peak RSS:        {:.1} MiB", kib as f64 / 1024.0);
        }
        println!("endpoints:       {}", out.summary.endpoints);
        println!("findings:        {}", out.summary.findings);
        println!("max distinct clients on one endpoint (HLL): {distinct_clients}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn engine(a: &BenchScanArgs) -> anyhow::Result<ExitCode> {
    let cfg = ScanConfig::default();
    let l = linkwell_scan::latency::engine_latency(&a.input, parse_format(&a.format)?, &cfg)?;
    if a.json {
        println!("{}", serde_json::to_string(&l)?);
    } else {
        let us = |ns: u64| format!("{:.2} µs", ns as f64 / 1000.0);
        println!("input:           {}", a.input);
        println!("calls timed:     {}", l.calls);
        println!("findings:        {}", l.findings);
        println!("median:          {}", us(l.p50_ns));
        println!("p90:             {}", us(l.p90_ns));
        println!("p99:             {}", us(l.p99_ns));
        println!("p99.9:           {}", us(l.p999_ns));
        println!("max (wall):      {}", us(l.max_ns));
        println!(
            "max (CPU):       {} (line {})",
            us(l.max_cpu_ns),
            l.slowest_line
        );
        println!("mean:            {}", us(l.mean_ns));
        println!("over 1 ms (CPU): {}", l.over_1ms_cpu);
        println!("over 1 ms (wall, incl. descheduled): {}", l.over_1ms_wall);
    }
    Ok(ExitCode::SUCCESS)
}
