//! Findings about endpoints rather than calls (shadow and zombie APIs, OWASP
//! API9:2023), and each endpoint's risk from the findings that name it.

use std::collections::HashMap;

use linkwell_core::sensitive::SensitiveKind;
use linkwell_core::{
    AuthScheme, Classification, ClientRef, EndpointKey, EndpointSummary, Evidence, Finding,
    FindingKind, Owasp, Severity, Timestamp,
};
use linkwell_engine::incidents::FLAGGED_CALLS;

/// One finding per shadow or zombie endpoint that was actually called.
pub(crate) fn inventory_findings(endpoints: &[EndpointSummary]) -> Vec<Finding> {
    endpoints
        .iter()
        .filter(|e| e.calls > 0)
        .filter_map(|e| {
            let unauth = e.auth.contains(AuthScheme::None);
            let sensitive = !e.sensitive.is_empty()
                && e.sensitive.iter().any(|s| *s != SensitiveKind::Email);
            let (kind, severity, explanation) = match e.classification {
                Classification::Shadow => {
                    let severity = if unauth || sensitive { Severity::High } else { Severity::Medium };
                    let extra = match (unauth, sensitive) {
                        (true, _) => ", some calls without authentication",
                        (false, true) => ", carrying sensitive data",
                        _ => "",
                    };
                    (
                        FindingKind::ShadowEndpoint,
                        severity,
                        format!(
                            "{} is served in production but documented in no API specification ({} calls from about {} clients{extra}): it escapes review, testing and deprecation.",
                            e.key(),
                            e.calls,
                            e.clients
                        ),
                    )
                }
                Classification::Zombie => (
                    FindingKind::ZombieEndpoint,
                    Severity::Medium,
                    format!(
                        "{} is marked deprecated in the specification but still answered {} calls from about {} clients: retire it or move those clients off.",
                        e.key(),
                        e.calls,
                        e.clients
                    ),
                ),
                _ => return None,
            };
            let top = e.top_clients.first();
            Some(Finding {
                kind,
                owasp: Owasp::Api9,
                severity,
                confidence: 1.0,
                client: ClientRef {
                    ip: top.map(|(ip, _)| ip.clone()),
                    ..Default::default()
                },
                endpoint: Some(e.key()),
                first_seen: e.first_seen.unwrap_or(Timestamp(0)),
                last_seen: e.last_seen.unwrap_or(Timestamp(0)),
                evidence: Evidence::default()
                    .count("calls", e.calls)
                    .count("distinct_clients", e.clients),
                explanation,
                cwe: None,
            })
        })
        .collect()
}

fn weight(s: Severity) -> f64 {
    match s {
        Severity::Info => 1.0,
        Severity::Low => 3.0,
        Severity::Medium => 8.0,
        Severity::High => 20.0,
        Severity::Critical => 40.0,
    }
}

/// Sets `findings` and `risk_score` (0–100) on every endpoint: each finding
/// adds its severity weight, growing with the log of the calls it flagged.
pub(crate) fn attach_risk(endpoints: &mut [EndpointSummary], findings: &[Finding]) {
    let mut per: HashMap<&EndpointKey, (u64, f64)> = HashMap::new();
    for f in findings {
        let Some(k) = f.endpoint.as_ref() else {
            continue;
        };
        let flagged = f.evidence.get(FLAGGED_CALLS).unwrap_or(1).max(1) as f64;
        let e = per.entry(k).or_default();
        e.0 += 1;
        e.1 += weight(f.severity) * (1.0 + flagged.log10());
    }
    for e in endpoints.iter_mut() {
        if let Some((n, score)) = per.get(&e.key()) {
            e.findings = *n;
            e.risk_score = score.min(100.0).round() as u32;
        }
    }
}
