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
    // enumeration, scanning, abuse, exposure
    /// Distinct non-existent paths (404/405 on routes that never answered)
    /// from one address within `scan_window_secs` that make scanning.
    /// Distinct, not a count: a broken link retried all day is one path.
    pub scan_not_found: u32,
    pub scan_window_secs: u32,
    /// A fast sweep: this many 404s within one minute, over at least
    /// `scan_burst_distinct` different paths, is scanning before the
    /// window's distinct threshold is reached.
    pub scan_burst: u32,
    pub scan_burst_distinct: u32,
    /// Well-known scanner targets (`/.env`, `/.git/config`) from one address
    /// within the window that make scanning.
    pub scan_probe_paths: u32,
    /// Distinct object ids of one endpoint walked by one caller (identity
    /// when known, else address) within `enum_window_secs`, with at least
    /// `enum_denied_share` of calls refused (401/403/404), that make enumeration.
    pub enum_distinct_ids: u32,
    pub enum_denied_share: f32,
    pub enum_window_secs: u32,
    /// Numeric ids each above the last by at most `enum_max_step`, this many
    /// in a row, make a sequential sweep (raises confidence; with an
    /// authenticated caller it is reported even when the calls succeed).
    pub enum_sequential_run: u32,
    pub enum_max_step: u64,
    /// A caller whose busiest earlier window touched at most this many ids
    /// of an endpoint is "outside its usual objects" when it reaches
    /// `enum_distinct_ids`.
    pub enum_usual_ids: u32,
    /// Identities or addresses exempt from the rate baseline and from the
    /// success-only sequential check (integration partners known to sweep
    /// their own objects). Pagination, oversized responses and refused
    /// enumeration are still reported for them.
    pub trusted_clients: Vec<String>,
    /// A page size above this in `limit=`/`per_page=`/`size=` is pagination abuse.
    pub max_page_size: u64,
    /// A response larger than this (bytes) is flagged as oversized.
    pub max_response_bytes: u64,
    /// A caller's calls to one endpoint per `abuse_rate_window_secs` above
    /// max(`abuse_rate_factor` × the endpoint's peer p99, `abuse_rate_floor`)
    /// are resource abuse, once the endpoint has seen `abuse_min_clients`
    /// callers and when the rate is also `abuse_jump_factor` × the caller's
    /// own usual peak (a partner that was always busy is its own normal).
    pub abuse_rate_window_secs: u32,
    pub abuse_rate_factor: f32,
    pub abuse_rate_floor: u32,
    pub abuse_min_clients: u32,
    pub abuse_jump_factor: f32,
    /// Most endpoints with a learned rate baseline.
    pub abuse_max_endpoints: usize,
    /// Bytes of each request and response body sample scanned for
    /// sensitive data.
    pub exposure_body_scan_bytes: usize,
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
            // enumeration, scanning, abuse, exposure
            scan_not_found: 30,
            scan_window_secs: 600,
            scan_burst: 20,
            scan_burst_distinct: 10,
            scan_probe_paths: 3,
            enum_distinct_ids: 25,
            enum_denied_share: 0.5,
            enum_window_secs: 900,
            enum_sequential_run: 15,
            enum_max_step: 16,
            enum_usual_ids: 5,
            trusted_clients: Vec::new(),
            max_page_size: 1000,
            max_response_bytes: 10 * 1024 * 1024,
            abuse_rate_window_secs: 60,
            abuse_rate_factor: 5.0,
            abuse_rate_floor: 30,
            abuse_min_clients: 20,
            abuse_jump_factor: 4.0,
            abuse_max_endpoints: 4096,
            exposure_body_scan_bytes: 4096,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The documented example must stay loadable, and say what the defaults are.
    #[test]
    fn the_example_engine_table_parses_to_the_defaults() {
        let text = include_str!("../../../examples/linkwell.toml");
        let doc: toml::Table = toml::from_str(text).unwrap();
        let engine = doc["engine"].clone();
        let cfg: EngineConfig = engine.try_into().unwrap();
        let d = EngineConfig::default();
        assert_eq!(cfg.scan_not_found, d.scan_not_found);
        assert_eq!(cfg.enum_sequential_run, d.enum_sequential_run);
        assert_eq!(cfg.abuse_rate_factor, d.abuse_rate_factor);
        assert_eq!(cfg.abuse_max_endpoints, d.abuse_max_endpoints);
        assert_eq!(cfg.exposure_body_scan_bytes, d.exposure_body_scan_bytes);
        assert!(cfg.trusted_clients.is_empty());
    }
}
