//! One module per subcommand.

mod audit;
mod bench;
mod bench_proxy;
mod demo;
mod inventory;
mod keys;
mod run;
mod scan;
mod simulate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use linkwell_core::SourceFormat;
use linkwell_inventory::openapi::{self, Spec};

use crate::cli::{AuditCommand, BenchCommand, Cli, Command, InventoryCommand};

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(a) => scan::run(&a),
        Command::Simulate(a) => simulate::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Inventory(InventoryCommand::Export(a)) => inventory::export(&a),
        Command::Bench(BenchCommand::Scan(a)) => bench::scan(&a),
        Command::Bench(BenchCommand::Engine(a)) => bench::engine(&a),
        Command::Bench(BenchCommand::Audit(a)) => audit::bench(&a),
        Command::Bench(BenchCommand::Proxy(a)) => bench_proxy::proxy(&a),
        Command::Audit(AuditCommand::Verify(a)) => audit::verify(&a),
        Command::Audit(AuditCommand::Show(a)) => audit::show(&a),
        Command::Run(a) => run::run(&a),
        Command::Killswitch(a) => run::killswitch(&a),
        Command::Keys(k) => keys::run(k),
    }
}

/// `auto` means detect; anything else must be a format name.
pub(crate) fn parse_format(name: &str) -> anyhow::Result<Option<SourceFormat>> {
    if name.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    match SourceFormat::from_name(name) {
        Some(SourceFormat::Live) | None => {
            let names: Vec<_> = SourceFormat::ALL_LOG_FORMATS
                .iter()
                .map(|f| f.name())
                .collect();
            bail!(
                "unknown format '{name}'; use auto or one of: {}",
                names.join(", ")
            )
        }
        Some(f) => Ok(Some(f)),
    }
}

/// Expands directories into their files (sorted, hidden files skipped).
pub(crate) fn expand_inputs(inputs: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for i in inputs {
        let p = Path::new(i);
        if i != "-" && p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list {i}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| f.to_string_lossy().into_owned()));
        } else {
            out.push(i.clone());
        }
    }
    if out.is_empty() {
        bail!("no input files");
    }
    Ok(out)
}

pub(crate) fn load_specs(paths: &[PathBuf]) -> anyhow::Result<Vec<Spec>> {
    paths
        .iter()
        .map(|p| {
            openapi::load_file(p)
                .with_context(|| format!("cannot load OpenAPI spec {}", p.display()))
        })
        .collect()
}

/// Opens FILE for writing, or stdout for `-`.
pub(crate) fn create_output(path: &Path) -> anyhow::Result<Box<dyn std::io::Write>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdout().lock()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}
