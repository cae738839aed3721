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
