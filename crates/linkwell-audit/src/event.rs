//! What one audit record says: a call that reached a Linkwell source, or an
//! administrative event. Kept flat and owned (no borrowed `CallRecord`) so a
//! record can outlive the request buffer and be re-read years later.

use linkwell_core::{
    Action, AuthSchemes, CallRecord, CertVerify, EndpointKey, FindingKind, Owasp, Risk, Severity,
    SourceRef, Timestamp, Verdict,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AuditEvent {
    /// Boxed: a call record is much larger than an admin event.
    Call(Box<CallAudit>),
    Admin(AdminEvent),
}

/// One finding as the audit keeps it: enough to show why a decision was
/// taken, without the evidence samples (those live in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingAudit {
    pub kind: FindingKind,
    pub owasp: Owasp,
    pub severity: Severity,
    /// Detector confidence in percent; an integer so the canonical bytes
    /// never depend on float formatting.
    pub confidence_pct: u8,
}

/// Validation facts the decision stood on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ValidationAudit {
    pub cert_verify: CertVerify,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_fingerprint_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_serial: Option<String>,
    /// The URI SAN (a SPIFFE id or an Open Banking directory URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_uri_san: Option<String>,
    /// Why the certificate did not verify (`expired`, `revoked`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_reason: Option<String>,
    pub auth: AuthSchemes,
    /// Every validation that failed, as `check:reason` (`mtls:expired`,
    /// `token:wrong-audience`, `api-key:revoked`, `rate-limit:exceeded`,
    /// `blocklist:source-blocked`), whether or not it was enforced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// One call that reached a Linkwell source, with the verdict it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallAudit {
    /// The call's own time (from the source), not the time it was logged.
    pub time: Timestamp,
    pub source: SourceRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_port: Option<u16>,
    /// The authenticated principal (`Identity::principal`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The endpoint template when the inventory knew it, else the raw path.
    pub path: String,
    pub templated: bool,
    pub status: u16,
    pub validation: ValidationAudit,
    pub findings: Vec<FindingAudit>,
    pub risk: Risk,
    pub action: Action,
    /// False when the action was only observed (shadow mode, kill switch).
    pub enforced: bool,
}

impl CallAudit {
    pub fn new(call: &CallRecord<'_>, endpoint: Option<&EndpointKey>, verdict: &Verdict) -> Self {
        let cert = call.tls.as_ref().and_then(|t| t.client_cert.as_ref());
        let (method, host, path, templated) = match endpoint {
            Some(k) => (
                k.method.clone(),
                (!k.host.is_empty()).then(|| k.host.clone()),
                k.template.clone(),
                true,
            ),
            None => (
                call.method
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |m| m.as_str().to_string()),
                call.host.as_deref().map(str::to_string),
                call.path.to_string(),
                false,
            ),
        };
        CallAudit {
            time: call.time,
            source: call.source,
            request_id: call.request_id.as_deref().map(str::to_string),
            client_ip: call.client_ip.map(|i| i.to_string()),
            client_port: call.client_port,
            identity: call.identity.principal().map(str::to_string),
            method,
            host,
            path,
            templated,
            status: call.status,
            validation: ValidationAudit {
                cert_verify: cert.map_or(CertVerify::None, |c| c.verify),
                cert_fingerprint_sha256: cert
                    .and_then(|c| c.fingerprint_sha256.as_deref())
                    .map(str::to_string),
                cert_subject: cert.and_then(|c| c.subject.as_deref()).map(str::to_string),
                cert_issuer: cert.and_then(|c| c.issuer.as_deref()).map(str::to_string),
                cert_serial: cert.and_then(|c| c.serial.as_deref()).map(str::to_string),
                cert_uri_san: cert.and_then(|c| c.uri_san.as_deref()).map(str::to_string),
                cert_reason: cert.and_then(|c| c.reason.as_deref()).map(str::to_string),
                auth: call.auth,
                problems: Vec::new(),
            },
            findings: verdict
                .findings
                .iter()
                .map(|f| FindingAudit {
                    kind: f.kind,
                    owasp: f.owasp,
                    severity: f.severity,
                    confidence_pct: (f.confidence.clamp(0.0, 1.0) * 100.0).round() as u8,
                })
                .collect(),
            risk: verdict.risk,
            action: verdict.action,
            enforced: verdict.enforced,
        }
    }
}

/// Administrative events; each names who did it (`actor`) where a person
/// or API client did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum AdminEvent {
    ModeChange {
        from: String,
        to: String,
        actor: String,
    },
    KillSwitch {
        on: bool,
        actor: String,
        reason: String,
    },
    ReviewDecision {
        decision_id: String,
        approved: bool,
        reviewer: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        note: String,
    },
    KeyRevocation {
        key_id: String,
        actor: String,
        reason: String,
    },
    ConfigReload {
        /// Hex SHA-256 of the new configuration text.
        digest: String,
        actor: String,
    },
    /// Whole segments removed by the retention policy (written by the log itself).
    RetentionDeleted {
        segments: Vec<u64>,
        through_seq: u64,
    },
    /// A torn, never-acknowledged tail cut off when the log was reopened
    /// after a crash (written by the log itself).
    TornTailRecovered { segment: u64, bytes: u64 },
}
