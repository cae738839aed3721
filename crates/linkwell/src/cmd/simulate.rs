//! `linkwell simulate`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use linkwell_simulate::{OutputFormat, SimConfig, SimSummary};

use super::create_output;
use crate::cli::SimulateArgs;

pub(crate) fn run(a: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let Some(format) = OutputFormat::from_name(&a.format) else {
        bail!(
            "unknown simulate format '{}'; use nginx-json, nginx-combined, envoy-json or kong",
            a.format
        );
    };
    let cfg = SimConfig {
        seed: a.seed,
        users: a.users,
        calls: a.calls,
        days: a.days,
        attacks: !a.no_attacks,
        format,
        distinct_client_ips: a.distinct_ips,
        ..SimConfig::default()
    };
    let summary = write_simulation(&cfg, a.out.as_deref())?;
    if let Some(p) = &a.labels {
        let mut w = create_output(p)?;
        serde_json::to_writer_pretty(&mut w, &summary.ground_truth())
            .context("cannot write labels")?;
        w.flush()?;
    }
    if let Some(p) = &a.out {
        eprintln!(
            "wrote {} lines ({} benign, {} attack, {} labelled attacks) to {}",
            summary.lines,
            summary.benign,
            summary.attack,
            summary.labels.len(),
            p.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes simulated traffic to `out` (gzip when it ends in .gz) or stdout.
pub(crate) fn write_simulation(cfg: &SimConfig, out: Option<&Path>) -> anyhow::Result<SimSummary> {
    let sink = create_output(out.unwrap_or(Path::new("-")))?;
    let gz = out.is_some_and(|p| p.extension().is_some_and(|e| e == "gz"));
    let summary = if gz {
        let mut enc = flate2::write::GzEncoder::new(sink, flate2::Compression::fast());
        let s = linkwell_simulate::simulate(cfg, &mut enc)?;
        enc.finish()?.flush()?;
        s
    } else {
        let mut sink = sink;
        let s = linkwell_simulate::simulate(cfg, &mut sink)?;
        sink.flush()?;
        s
    };
    Ok(summary)
}
