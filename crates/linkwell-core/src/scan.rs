//! The result of a scan: the stable JSON schema documented in
//! `docs/scan-json.md`, and the input of the HTML report and the store.

use serde::{Deserialize, Serialize};

use crate::endpoint::EndpointSummary;
use crate::finding::Finding;
use crate::time::Timestamp;

/// Bumped on any incompatible change to this module's types.
pub const SCAN_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScanOutput {
    pub schema_version: u32,
    pub summary: ScanSummary,
    pub inputs: Vec<InputSummary>,
    pub endpoints: Vec<EndpointSummary>,
    pub findings: Vec<Finding>,
    /// The first rejected lines (all are counted in `summary.rejected`).
    pub rejected: Vec<RejectedLine>,
    /// Calls per time bucket, for "calls over time".
    pub timeline: Vec<TimeBucket>,
    pub top_clients: Vec<ClientSummary>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScanSummary {
    pub lines: u64,
    pub parsed: u64,
    pub rejected: u64,
    pub calls: u64,
    pub endpoints: u64,
    pub findings: u64,
    pub elapsed_ms: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Endpoints by classification name.
    pub classification: Vec<(String, u64)>,
    /// Findings by severity name.
    pub severity: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InputSummary {
    /// The path as given, or `-` for standard input.
    pub path: String,
    /// The format used (detected or forced).
    pub format: String,
    /// True when `format` was detected rather than forced.
    pub detected: bool,
    pub lines: u64,
    pub parsed: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RejectedLine {
    pub input: String,
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TimeBucket {
    pub start: Timestamp,
    pub calls: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub findings: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientSummary {
    pub ip: String,
    pub calls: u64,
    pub client_errors: u64,
    pub findings: u64,
    /// The worst severity among this client's findings, if any.
    pub worst: Option<crate::finding::Severity>,
}
