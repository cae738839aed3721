//! What the engine concludes: [`Finding`]s, gathered into a [`Verdict`].
//!
//! A finding without evidence and an OWASP category is a bug (DESIGN.md,
//! "Explain every decision"), so both are required fields, not options.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::call::SourceRef;
use crate::endpoint::EndpointKey;
use crate::time::Timestamp;

/// OWASP API Security Top 10, 2023 edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Owasp {
    /// Broken Object Level Authorization.
    #[serde(rename = "API1:2023")]
    Api1,
    /// Broken Authentication.
    #[serde(rename = "API2:2023")]
    Api2,
    /// Broken Object Property Level Authorization (incl. excessive data exposure).
    #[serde(rename = "API3:2023")]
    Api3,
    /// Unrestricted Resource Consumption.
    #[serde(rename = "API4:2023")]
    Api4,
    /// Broken Function Level Authorization.
    #[serde(rename = "API5:2023")]
    Api5,
    /// Unrestricted Access to Sensitive Business Flows.
    #[serde(rename = "API6:2023")]
    Api6,
    /// Server Side Request Forgery.
    #[serde(rename = "API7:2023")]
    Api7,
    /// Security Misconfiguration.
    #[serde(rename = "API8:2023")]
    Api8,
    /// Improper Inventory Management.
    #[serde(rename = "API9:2023")]
    Api9,
    /// Unsafe Consumption of APIs.
    #[serde(rename = "API10:2023")]
    Api10,
}

impl Owasp {
    pub fn id(self) -> &'static str {
        match self {
            Owasp::Api1 => "API1:2023",
            Owasp::Api2 => "API2:2023",
            Owasp::Api3 => "API3:2023",
            Owasp::Api4 => "API4:2023",
            Owasp::Api5 => "API5:2023",
            Owasp::Api6 => "API6:2023",
            Owasp::Api7 => "API7:2023",
            Owasp::Api8 => "API8:2023",
            Owasp::Api9 => "API9:2023",
            Owasp::Api10 => "API10:2023",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Owasp::Api1 => "Broken Object Level Authorization",
            Owasp::Api2 => "Broken Authentication",
            Owasp::Api3 => "Broken Object Property Level Authorization",
            Owasp::Api4 => "Unrestricted Resource Consumption",
            Owasp::Api5 => "Broken Function Level Authorization",
            Owasp::Api6 => "Unrestricted Access to Sensitive Business Flows",
            Owasp::Api7 => "Server Side Request Forgery",
            Owasp::Api8 => "Security Misconfiguration",
            Owasp::Api9 => "Improper Inventory Management",
            Owasp::Api10 => "Unsafe Consumption of APIs",
        }
    }
}

impl fmt::Display for Owasp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a detector found. Names are stable: they appear in JSON output,
/// config (exceptions) and the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    CredentialStuffing,
    BruteForce,
    AccountTakeover,
    Injection,
    Enumeration,
    Scanning,
    ResourceAbuse,
    SensitiveDataExposure,
    CredentialInUrl,
    UnauthenticatedAccess,
    MtlsFailure,
    ShadowEndpoint,
    ZombieEndpoint,
    Anomaly,
    /// The client address is on a threat-intelligence list.
    ThreatIntel,
    /// A program driving a flow meant for people (OWASP API6).
    Automation,
}

impl FindingKind {
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::CredentialStuffing => "credential-stuffing",
            FindingKind::BruteForce => "brute-force",
            FindingKind::AccountTakeover => "account-takeover",
            FindingKind::Injection => "injection",
            FindingKind::Enumeration => "enumeration",
            FindingKind::Scanning => "scanning",
            FindingKind::ResourceAbuse => "resource-abuse",
            FindingKind::SensitiveDataExposure => "sensitive-data-exposure",
            FindingKind::CredentialInUrl => "credential-in-url",
            FindingKind::UnauthenticatedAccess => "unauthenticated-access",
            FindingKind::MtlsFailure => "mtls-failure",
            FindingKind::ShadowEndpoint => "shadow-endpoint",
            FindingKind::ZombieEndpoint => "zombie-endpoint",
            FindingKind::Anomaly => "anomaly",
            FindingKind::ThreatIntel => "threat-intel",
            FindingKind::Automation => "automation",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The client a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ClientRef {
    /// The client IP, or for distributed attacks the network (`203.0.113.0/24`).
    pub ip: Option<String>,
    /// The authenticated principal, or the login name tried, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl ClientRef {
    pub fn ip(ip: Option<IpAddr>) -> Self {
        ClientRef {
            ip: ip.map(|i| i.to_string()),
            ..Default::default()
        }
    }
}

/// The most sample locations a finding keeps.
pub const MAX_SAMPLES: usize = 10;

/// The facts a finding stands on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// Named counts (`failed_logins: 412`, `distinct_usernames: 390`).
    pub counts: Vec<(String, u64)>,
    /// Where to look: at most [`MAX_SAMPLES`] input locations.
    pub samples: Vec<SourceRef>,
    /// Short excerpts (a matched payload, a path), bounded in number and length.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub excerpts: Vec<String>,
}

impl Evidence {
    pub fn count(mut self, name: &str, v: u64) -> Self {
        self.set_count(name, v);
        self
    }

    pub fn set_count(&mut self, name: &str, v: u64) {
        match self.counts.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = v,
            None => self.counts.push((name.to_string(), v)),
        }
    }

    pub fn get(&self, name: &str) -> Option<u64> {
        self.counts.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    pub fn add_sample(&mut self, s: SourceRef) {
        if self.samples.len() < MAX_SAMPLES && !self.samples.contains(&s) {
            self.samples.push(s);
        }
    }

    pub fn add_excerpt(&mut self, s: &str) {
        const MAX_EXCERPTS: usize = 5;
        const MAX_LEN: usize = 200;
        if self.excerpts.len() < MAX_EXCERPTS {
            let e = s[..s.floor_char_boundary(MAX_LEN)].to_string();
            if !self.excerpts.contains(&e) {
                self.excerpts.push(e);
            }
        }
    }
}

/// One explained conclusion about a client's behaviour on an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub owasp: Owasp,
    pub severity: Severity,
    /// 0.0 to 1.0: how sure the detector is that this is what it says.
    pub confidence: f32,
    pub client: ClientRef,
    pub endpoint: Option<EndpointKey>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub evidence: Evidence,
    /// One sentence a security engineer can act on.
    pub explanation: String,
    /// CWE id where one applies (injection classes).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cwe: Option<u32>,
}

/// The engine's action for one call.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    #[default]
    Allow,
    Log,
    RateLimit,
    Block,
    HoldForReview,
    Escalate,
}

impl Action {
    /// The name used in JSON, the store and the dashboard.
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Log => "log",
            Action::RateLimit => "rate-limit",
            Action::Block => "block",
            Action::HoldForReview => "hold-for-review",
            Action::Escalate => "escalate",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    #[default]
    None,
    Low,
    Medium,
    High,
}

/// The engine's answer for one call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    pub risk: Risk,
    pub action: Action,
    /// False in shadow mode or with the kill switch on: the action was only recorded.
    pub enforced: bool,
}

impl Verdict {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}
