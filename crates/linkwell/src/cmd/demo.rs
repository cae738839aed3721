//! `linkwell demo`: the quick start. Simulates a day of a bank's API traffic
//! with labelled attacks, scans it against the bank's own specifications and
//! writes the report, JSON and store, then says which attacks were found.

use std::process::ExitCode;

use anyhow::Context;
use linkwell_simulate::{OutputFormat, SimConfig};

use super::simulate::write_simulation;
use crate::cli::ScanArgs;

const BANK_SPEC: &str = include_str!("../../../../examples/bank-api.yaml");
const OPEN_BANKING_SPEC: &str = include_str!("../../../../examples/bank-api-legacy.json");

pub(crate) fn run(a: &crate::cli::DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = &a.out;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let log = dir.join("access.json.gz");
    let cfg = SimConfig {
        seed: a.seed,
        calls: a.calls,
        format: OutputFormat::NginxJson,
        ..SimConfig::default()
    };
    eprintln!(
        "Simulating about {} calls of a bank's API traffic into {} …",
        a.calls,
        log.display()
    );
    let sim = write_simulation(&cfg, Some(&log))?;
    let labels = dir.join("labels.json");
    std::fs::write(&labels, serde_json::to_vec_pretty(&sim.ground_truth())?)?;
    let spec = dir.join("bank-api.yaml");
    let spec2 = dir.join("open-banking-api.json");
    std::fs::write(&spec, BANK_SPEC)?;
    std::fs::write(&spec2, OPEN_BANKING_SPEC)?;
    let store = dir.join("store");
    if store.exists() {
        std::fs::remove_dir_all(&store)
            .with_context(|| format!("cannot replace {}", store.display()))?;
    }
    let args = ScanArgs {
        inputs: vec![log.to_string_lossy().into_owned()],
        format: "auto".into(),
        openapi: vec![spec, spec2],
        json: Some(dir.join("scan.json")),
        report: Some(dir.join("report.html")),
        store: Some(store),
        config: None,
        fail_on: None,
        quiet: false,
        top: 12,
        labels: Some(labels),
        audit: None,
    };
    let code = super::scan::run(&args)?;
    let json = std::fs::read(dir.join("scan.json"))?;
    let out: linkwell_scan::ScanOutput = serde_json::from_slice(&json)?;
    let scored = linkwell_simulate::score(&sim.labels, &out.findings);
    let found = scored.iter().filter(|s| s.detected).count();
    println!();
    println!("Labelled attacks found: {found} of {}", scored.len());
    for s in &scored {
        println!(
            "  [{}] {:<24} {:<40} {}",
            if s.detected { "x" } else { " " },
            s.label.kind,
            s.label.endpoint,
            s.label.clients.first().map(String::as_str).unwrap_or("")
        );
    }
    println!();
    println!("Open {} in a browser.", dir.join("report.html").display());
    Ok(code)
}
