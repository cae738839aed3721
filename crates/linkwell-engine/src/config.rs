//! Engine settings, deserialised from the `[engine]` table of `linkwell.toml`.

use serde::Deserialize;

/// Whether verdicts are enforced or only recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Observe only: the default for new deployments and for log analysis.
    #[default]
    Shadow,
    Enforce,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub mode: Mode,
    /// Most incidents kept; beyond it new incidents are counted, not kept.
    pub max_incidents: usize,
    /// Most clients (IPs, identities) tracked per detector at once.
    pub max_tracked_clients: usize,
    /// Most shared counters (windows, distinct sets, marks) held in memory;
    /// the least recently touched are forgotten first.
    pub max_state_entries: usize,
    /// Extra login endpoints (path templates) beyond the automatic ones.
    pub login_paths: Vec<String>,
    /// Failed logins from one client within `auth_window_secs` that make stuffing.
    pub stuffing_failures: u32,
    /// Failed logins from one network (/24, /64) within the window, from at
    /// least `distributed_min_clients` addresses, that make distributed stuffing.
    pub distributed_failures: u32,
    pub distributed_min_clients: u32,
    pub auth_window_secs: u32,
    /// 404s from one client within `scan_window_secs` that make scanning.
    pub scan_not_found: u32,
    pub scan_window_secs: u32,
    /// Distinct object ids of one endpoint walked by one client within
    /// `enum_window_secs`, with at least `enum_denied_share` denied, that make enumeration.
    pub enum_distinct_ids: u32,
    pub enum_denied_share: f32,
    pub enum_window_secs: u32,
    /// A page size above this in `limit=`/`per_page=`/`size=` is pagination abuse.
    pub max_page_size: u64,
    /// A response larger than this (bytes) is flagged as oversized.
    pub max_response_bytes: u64,
    // enrichment, intel, bots
    /// `[engine.enrich]`: geolocation databases and threat-intelligence lists.
    pub enrich: crate::enrich::EnrichConfig,
    /// `[engine.behaviour]`: sessions, timing, travel and automation thresholds.
    pub behaviour: crate::features::BehaviourConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            mode: Mode::Shadow,
            max_incidents: 100_000,
            max_tracked_clients: 200_000,
            max_state_entries: 1_000_000,
            login_paths: Vec::new(),
            stuffing_failures: 20,
            distributed_failures: 40,
            distributed_min_clients: 10,
            auth_window_secs: 3600,
            scan_not_found: 30,
            scan_window_secs: 600,
            enum_distinct_ids: 25,
            enum_denied_share: 0.5,
            enum_window_secs: 900,
            max_page_size: 1000,
            max_response_bytes: 10 * 1024 * 1024,
            // enrichment, intel, bots
            enrich: Default::default(),
            behaviour: Default::default(),
        }
    }
}
