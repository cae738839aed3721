//! The scan's settings: the sections of `linkwell.toml` it reads.

use linkwell_engine::EngineConfig;
use linkwell_ingest::IngestConfig;
use linkwell_inventory::InventoryConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    pub ingest: IngestConfig,
    pub inventory: InventoryConfig,
    pub engine: EngineConfig,
    /// How many rejected lines are listed (all are counted).
    pub max_rejected_shown: usize,
    /// How many clients the output lists.
    pub top_clients: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            ingest: IngestConfig::default(),
            inventory: InventoryConfig::default(),
            engine: EngineConfig::default(),
            max_rejected_shown: 20,
            top_clients: 25,
        }
    }
}
