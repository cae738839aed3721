//! `linkwell inventory export`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use linkwell_inventory::openapi;
use linkwell_scan::{NoProgress, ScanOptions};
use linkwell_store::Store;

use super::{create_output, expand_inputs, load_specs, parse_format};
use crate::cli::ExportArgs;

pub(crate) fn export(a: &ExportArgs) -> anyhow::Result<ExitCode> {
    let specs = load_specs(&a.openapi)?;
    let mut endpoints = if let Some(dir) = &a.store {
        let store =
            Store::open(dir).with_context(|| format!("cannot open store {}", dir.display()))?;
        let Some((_, scan)) = store.latest_scan()? else {
            bail!("the store {} holds no scan yet", dir.display());
        };
        scan.endpoints
    } else {
        if a.inputs.is_empty() {
            bail!("give log files to scan, or --store DIR");
        }
        let cfg = crate::config::load(a.config.as_deref())?;
        let out = linkwell_scan::scan(
            &expand_inputs(&a.inputs)?,
            ScanOptions {
                format: parse_format(&a.format)?,
                specs: &specs,
                progress: &NoProgress,
                sink: None,
            },
            &cfg,
        )?;
        out.endpoints
    };
    endpoints.retain(|e| e.calls > 0);
    if !specs.is_empty() {
        openapi::classify(&mut endpoints, &specs);
        endpoints.retain(|e| e.calls > 0);
    }
    let doc = openapi::export(&endpoints, &a.title);
    let json_out = a
        .output
        .as_ref()
        .is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
    let mut w = create_output(a.output.as_deref().unwrap_or(std::path::Path::new("-")))?;
    if json_out {
        serde_json::to_writer_pretty(&mut w, &doc)?;
        writeln!(w)?;
    } else {
        let text = yaml_serde::to_string(&doc).context("cannot render YAML")?;
        w.write_all(text.as_bytes())?;
    }
    w.flush()?;
    if let Some(p) = &a.output {
        eprintln!("wrote {} endpoints to {}", endpoints.len(), p.display());
    }
    Ok(ExitCode::SUCCESS)
}
