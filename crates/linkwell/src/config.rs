//! The configuration file: `linkwell.toml` (documented in examples/linkwell.toml).

use std::path::Path;

use anyhow::Context;
use linkwell_scan::ScanConfig;

pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<ScanConfig> {
    let Some(path) = path else {
        return Ok(ScanConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    let mut cfg: ScanConfig =
        toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    if let Some(dir) = path.parent() {
        resolve_enrich_paths(&mut cfg, dir);
    }
    Ok(cfg)
}

/// Database and list paths in the config are relative to the config file,
/// so a config and its lists can move together.
fn resolve_enrich_paths(cfg: &mut ScanConfig, dir: &Path) {
    let resolve = |p: &mut String| {
        if Path::new(p.as_str()).is_relative() {
            *p = dir.join(p.as_str()).to_string_lossy().into_owned();
        }
    };
    let e = &mut cfg.engine.enrich;
    e.city_db.iter_mut().for_each(resolve);
    e.asn_db.iter_mut().for_each(resolve);
    e.intel.iter_mut().for_each(|l| resolve(&mut l.path));
}
