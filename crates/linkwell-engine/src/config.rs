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
    /// the least recently touched are forgotten first. Each costs at most
    /// 160 bytes; the default (two generations of 2^18 slots) stays under
    /// 90 MiB however many clients an attack brings.
    pub max_state_entries: usize,
    // auth: login abuse (credential stuffing, brute force, account takeover).
    /// Extra login endpoints (path templates) beyond the automatic ones.
    pub login_paths: Vec<String>,
    /// Failed logins from one client within `auth_window_secs` that make stuffing.
    pub stuffing_failures: u32,
    /// Failed logins from one group of clients (a /24 or /64 network, an ASN
    /// with one user agent, a user agent, a TLS fingerprint) within the
    /// window, from at least `distributed_min_clients` addresses, that make
    /// distributed stuffing.
    pub distributed_failures: u32,
    pub distributed_min_clients: u32,
    /// The long window every login counter slides over (a low-and-slow attack
    /// spreads over an hour, so shorter windows would miss it).
    pub auth_window_secs: u32,
    /// The short window of the inline rule: a stuffing burst must be blocked
    /// within a fraction of a second, long before `stuffing_failures` are
    /// reached at a slow rate.
    pub auth_burst_secs: u32,
    /// Failed logins from one client within `auth_burst_secs` that make stuffing
    /// at once (no person mistypes ten passwords in ten seconds).
    pub auth_burst_failures: u32,
    /// Distinct user names failing from one client within the window that make
    /// stuffing even below `stuffing_failures` (when the source names users).
    pub stuffing_usernames: u32,
    /// The least share of a source's login outcomes that must be failures for
    /// the client and group rules: a carrier NAT or an office fails often in
    /// absolute numbers but mostly succeeds, an attacker mostly fails.
    pub auth_min_failure_share: f32,
    /// Failed logins from one client within the window that make stuffing
    /// whatever its success share, so padding an attack with logins to the
    /// attacker's own account does not hide it.
    pub stuffing_max_failures: u32,
    /// Failed logins for one user name within the window, from any number of
    /// addresses, that make brute force on that account.
    pub brute_force_failures: u32,
    /// The window of the per-endpoint failure-rate spike check; its baseline
    /// is the endpoint's failure rate over the previous day.
    pub auth_spike_secs: u32,
    /// Failed logins at one endpoint within `auth_spike_secs` needed before a
    /// spike is considered (small numbers say nothing about a rate).
    pub auth_spike_failures: u32,
    /// How many times its baseline failure rate an endpoint must fail at to
    /// spike (never below a 30% failure rate).
    pub auth_spike_factor: f32,
    // end auth
    /// 404s from one client within `scan_window_secs` that make scanning.
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
    // enrichment, intel, bots
    /// `[engine.enrich]`: geolocation databases and threat-intelligence lists.
    pub enrich: crate::enrich::EnrichConfig,
    /// `[engine.behaviour]`: sessions, timing, travel and automation thresholds.
    pub behaviour: crate::features::BehaviourConfig,
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
            max_state_entries: 450_000,
            // auth
            login_paths: Vec::new(),
            stuffing_failures: 20,
            distributed_failures: 40,
            distributed_min_clients: 10,
            auth_window_secs: 3600,
            auth_burst_secs: 10,
            auth_burst_failures: 10,
            stuffing_usernames: 10,
            auth_min_failure_share: 0.5,
            stuffing_max_failures: 1000,
            brute_force_failures: 10,
            auth_spike_secs: 300,
            auth_spike_failures: 30,
            auth_spike_factor: 4.0,
            // end auth
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
            // enrichment, intel, bots
            enrich: Default::default(),
            behaviour: Default::default(),
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
