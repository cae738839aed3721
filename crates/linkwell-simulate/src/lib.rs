//! A deterministic traffic simulator for a banking API, with labelled attacks.
//!
//! Why it exists:
//!
//! * The README's quick start must run a meaningful scan on a fresh machine
//!   with nothing installed: `linkwell simulate | linkwell scan` needs no
//!   gateway and no real customer data.
//! * Detectors need traffic with known answers. Every attack the simulator
//!   mixes in comes with an [`AttackLabel`] giving its kind, OWASP category,
//!   clients, endpoint, exact time window and exact number of calls, so tests
//!   can measure what a scan finds and what it misses.
//!
//! The same seed and configuration always produce byte-identical output, on
//! any machine: the PRNG and the distributions are implemented here (no wall
//! clock, no hash-map iteration order, no libm transcendental functions).
//! Lines come out in time order and memory stays proportional to the number
//! of concurrent sessions, so ten million lines stream as easily as a hundred.
//!
//! The simulated bank serves customers on `api.examplebank.com` (mobile apps
//! and web banking) and open-banking partners on
//! `openbanking.examplebank.com` (mutual TLS, FAPI interaction ids). Its
//! OpenAPI descriptions are `examples/bank-api.yaml` and
//! `examples/bank-api-legacy.json`; the shadow endpoints, the legacy Basic-auth
//! statement endpoint and the zombie `/v0` endpoint are deliberately
//! undocumented or deprecated there.

mod arrivals;
mod attacks;
mod bank;
mod benign;
mod driver;
mod event;
mod format;
mod ids;
mod rng;
mod score;

pub use score::{ClassRecall, Evaluation, Scored, Verdicts, evaluate, score};

use linkwell_core::Timestamp;
use serde::{Deserialize, Serialize};

/// The log format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// NGINX with the recommended `apimon` JSON `log_format`.
    #[default]
    NginxJson,
    /// NGINX's predefined `combined` format.
    NginxCombined,
    /// Envoy file access log with a `json_format`.
    EnvoyJson,
    /// Kong `file-log` (`kong.log.serialize()`), one object per line.
    Kong,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 4] = [
        OutputFormat::NginxJson,
        OutputFormat::NginxCombined,
        OutputFormat::EnvoyJson,
        OutputFormat::Kong,
    ];

    /// The name used on the command line (the same as the ingest format names).
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::NginxJson => "nginx-json",
            OutputFormat::NginxCombined => "nginx-combined",
            OutputFormat::EnvoyJson => "envoy-json",
            OutputFormat::Kong => "kong",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    /// Customers of the bank (default 400).
    pub users: usize,
    /// Approximate total of benign calls over the whole span (default 200 000).
    pub calls: u64,
    /// Start of the simulated span (default 2026-03-02T00:00:00Z, a Monday).
    pub start: Timestamp,
    /// Length of the span in days (default 1; 0 is taken as 1).
    pub days: u32,
    /// Mix in the labelled attacks (default true).
    pub attacks: bool,
    pub format: OutputFormat,
    /// Bench mode: spread the benign customer traffic over about this many
    /// distinct client addresses (at most one per call, so `calls` must be
    /// at least this large), to measure memory against client count.
    pub distinct_client_ips: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            users: 400,
            calls: 200_000,
            start: Timestamp::from_secs(1_772_409_600), // 2026-03-02T00:00:00Z
            days: 1,
            attacks: true,
            format: OutputFormat::NginxJson,
            distinct_client_ips: None,
        }
    }
}

/// The ground truth for one simulated attack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackLabel {
    /// A `FindingKind` name (`credential-stuffing`, `scanning`, ...).
    pub kind: String,
    /// OWASP API Security Top 10 2023 id (`API2:2023`).
    pub owasp: String,
    /// Client addresses, or networks in CIDR form for distributed attacks.
    pub clients: Vec<String>,
    /// Every address the attack came from (for distributed attacks, each
    /// address inside `clients`' networks): the denominator of per-client
    /// recall.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// `METHOD /path/template`, or `*` when the attack spans many endpoints.
    pub endpoint: String,
    /// Time of the first labelled call.
    pub start: Timestamp,
    /// Time of the last labelled call (inclusive).
    pub end: Timestamp,
    /// Exactly how many lines belong to the attack. Every line from the
    /// label's clients belongs to it, except for `account-takeover`, whose
    /// calls are the successful logins among the stuffing address's lines.
    pub calls: u64,
    pub description: String,
}

/// What a run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    pub lines: u64,
    pub benign: u64,
    pub attack: u64,
    /// Distinct addresses that sent benign calls: the denominator of the
    /// benign-clients-flagged rate.
    pub benign_clients: u64,
    pub labels: Vec<AttackLabel>,
}

/// What `linkwell simulate --labels` writes and `linkwell scan --labels`
/// reads: everything needed to score a scan of the simulated log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub benign_clients: u64,
    pub labels: Vec<AttackLabel>,
}

impl SimSummary {
    pub fn ground_truth(&self) -> GroundTruth {
        GroundTruth {
            benign_clients: self.benign_clients,
            labels: self.labels.clone(),
        }
    }
}

/// Writes the simulated log to `out`, one line per call, in time order, and
/// returns what was written and the attack labels.
pub fn simulate(cfg: &SimConfig, out: &mut dyn std::io::Write) -> std::io::Result<SimSummary> {
    driver::run(cfg, out)
}
