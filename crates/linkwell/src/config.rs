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
    toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))
}
