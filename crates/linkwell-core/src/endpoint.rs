//! Endpoint identity: method + host + path template.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One API operation as the inventory knows it (`GET api.example.com
/// /v1/accounts/{id}`). Hosts are consolidated (lower-case, default port
/// dropped) before they get here, so the key is stable across sources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EndpointKey {
    pub method: String,
    pub host: String,
    pub template: String,
}

impl EndpointKey {
    pub fn new(
        method: impl Into<String>,
        host: impl Into<String>,
        template: impl Into<String>,
    ) -> Self {
        EndpointKey {
            method: method.into(),
            host: host.into(),
            template: template.into(),
        }
    }
}

impl fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.is_empty() {
            write!(f, "{} {}", self.method, self.template)
        } else {
            write!(f, "{} {}{}", self.method, self.host, self.template)
        }
    }
}

/// How an observed endpoint relates to the API specifications given.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    /// No specification was supplied, so nothing can be said.
    #[default]
    Unclassified,
    /// In traffic and in a spec.
    Documented,
    /// In traffic, in no spec.
    Shadow,
    /// Marked deprecated in a spec, still called.
    Zombie,
    /// In a spec, never called.
    Unused,
}

impl Classification {
    pub fn name(self) -> &'static str {
        match self {
            Classification::Unclassified => "unclassified",
            Classification::Documented => "documented",
            Classification::Shadow => "shadow",
            Classification::Zombie => "zombie",
            Classification::Unused => "unused",
        }
    }
}

/// Quantiles of a distribution (latency in ms, sizes in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Status codes by class, plus the most frequent exact codes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusMix {
    #[serde(rename = "1xx")]
    pub s1xx: u64,
    #[serde(rename = "2xx")]
    pub s2xx: u64,
    #[serde(rename = "3xx")]
    pub s3xx: u64,
    #[serde(rename = "4xx")]
    pub s4xx: u64,
    #[serde(rename = "5xx")]
    pub s5xx: u64,
    /// Status 0 or out of range: the client left before a response.
    pub other: u64,
    /// Exact codes, most frequent first.
    pub codes: Vec<(u16, u64)>,
}

impl StatusMix {
    pub fn record(&mut self, status: u16) {
        match status {
            100..=199 => self.s1xx += 1,
            200..=299 => self.s2xx += 1,
            300..=399 => self.s3xx += 1,
            400..=499 => self.s4xx += 1,
            500..=599 => self.s5xx += 1,
            _ => self.other += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.s1xx + self.s2xx + self.s3xx + self.s4xx + self.s5xx + self.other
    }
}

/// Everything the inventory knows about one endpoint: the row of the
/// inventory table, the JSON output and the store all use this shape.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub method: String,
    pub host: String,
    pub template: String,
    pub calls: u64,
    pub status: StatusMix,
    pub latency_ms: Option<Quantiles>,
    pub request_bytes: Option<Quantiles>,
    pub response_bytes: Option<Quantiles>,
    pub auth: crate::call::AuthSchemes,
    pub query_params: Vec<String>,
    pub body_params: Vec<String>,
    pub sensitive: Vec<crate::sensitive::SensitiveKind>,
    /// Estimated distinct client IPs (HyperLogLog, ~3% error).
    pub clients: u64,
    pub top_clients: Vec<(String, u64)>,
    pub first_seen: Option<crate::time::Timestamp>,
    pub last_seen: Option<crate::time::Timestamp>,
    pub classification: Classification,
    /// The spec path this endpoint matched (`/v1/accounts/{accountId}`), if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub spec_path: Option<String>,
    /// Number of findings attached to this endpoint (filled by the scan).
    #[serde(default)]
    pub findings: u64,
    /// 0–100: the worst finding severity weighted by count (filled by the scan).
    #[serde(default)]
    pub risk_score: u32,
}

impl EndpointSummary {
    pub fn key(&self) -> EndpointKey {
        EndpointKey::new(&self.method, &self.host, &self.template)
    }
}
