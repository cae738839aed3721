//! Scans shared by the report tests, example and bench.

#![allow(dead_code, unreachable_pub)]

use linkwell_core::call::{AuthScheme, AuthSchemes, SourceRef};
use linkwell_core::endpoint::{Classification, EndpointKey, EndpointSummary, Quantiles, StatusMix};
use linkwell_core::finding::{ClientRef, Evidence, Finding, FindingKind, Owasp, Severity};
use linkwell_core::scan::{
    ClientSummary, InputSummary, RejectedLine, SCAN_SCHEMA_VERSION, ScanOutput, ScanSummary,
    TimeBucket,
};
use linkwell_core::sensitive::SensitiveKind;
use linkwell_core::time::Timestamp;
use linkwell_report::ReportOptions;

/// 2026-03-02T10:00:00Z
pub const T0: i64 = 1_772_445_600_000_000;
pub const MIN: i64 = 60_000_000;

pub fn endpoint(method: &str, template: &str, calls: u64, risk: u32) -> EndpointSummary {
    let mut auth = AuthSchemes::default();
    auth.insert(AuthScheme::Bearer);
    EndpointSummary {
        method: method.into(),
        host: "api.bank.example".into(),
        template: template.into(),
        calls,
        status: StatusMix {
            s2xx: calls * 9 / 10,
            s4xx: calls / 10,
            ..StatusMix::default()
        },
        latency_ms: Some(Quantiles {
            p50: 12.5,
            p90: 40.0,
            p99: 187.25,
            max: 900.0,
        }),
        auth,
        sensitive: vec![SensitiveKind::Iban],
        clients: 17,
        first_seen: Some(Timestamp(T0)),
        last_seen: Some(Timestamp(T0 + 90 * MIN)),
        classification: Classification::Documented,
        spec_path: Some("/v1/accounts/{accountId}".into()),
        findings: u64::from(risk > 0),
        risk_score: risk,
        ..EndpointSummary::default()
    }
}

pub fn finding(kind: FindingKind, severity: Severity, count: u64) -> Finding {
    Finding {
        kind,
        owasp: Owasp::Api2,
        severity,
        confidence: 0.9,
        client: ClientRef {
            ip: Some("203.0.113.7".into()),
            identity: Some("alice".into()),
            user_agent: Some("curl/8.5".into()),
        },
        endpoint: Some(EndpointKey::new("POST", "api.bank.example", "/v1/login")),
        first_seen: Timestamp(T0 + MIN),
        last_seen: Timestamp(T0 + 11 * MIN),
        evidence: Evidence {
            counts: vec![("failed_logins".into(), count)],
            samples: vec![
                SourceRef { input: 0, line: 42 },
                SourceRef { input: 7, line: 3 },
            ],
            excerpts: vec![],
        },
        explanation: format!("{count} failed logins from one client."),
        cwe: None,
    }
}

pub fn sample_scan() -> ScanOutput {
    let endpoints = vec![
        endpoint("GET", "/v1/accounts/{id}", 48_213, 0),
        endpoint("POST", "/v1/login", 9_001, 91),
        EndpointSummary {
            classification: Classification::Shadow,
            ..endpoint("GET", "/internal/debug", 3, 40)
        },
    ];
    let findings = vec![
        finding(FindingKind::BruteForce, Severity::Low, 5_000),
        finding(FindingKind::CredentialStuffing, Severity::Critical, 412),
        finding(FindingKind::Enumeration, Severity::Critical, 977),
        Finding {
            owasp: Owasp::Api9,
            endpoint: None,
            ..finding(FindingKind::ShadowEndpoint, Severity::Medium, 3)
        },
    ];
    ScanOutput {
        schema_version: SCAN_SCHEMA_VERSION,
        summary: ScanSummary {
            lines: 123_456,
            parsed: 123_400,
            rejected: 56,
            calls: 57_217,
            endpoints: 3,
            findings: 4,
            elapsed_ms: 2_345,
            first_seen: Some(Timestamp(T0)),
            last_seen: Some(Timestamp(T0 + 90 * MIN)),
            classification: vec![("documented".into(), 2), ("shadow".into(), 1)],
            severity: vec![
                ("critical".into(), 2),
                ("medium".into(), 1),
                ("low".into(), 1),
            ],
        },
        inputs: vec![InputSummary {
            path: "/var/log/nginx/access.log".into(),
            format: "nginx-combined".into(),
            detected: true,
            lines: 123_456,
            parsed: 123_400,
            rejected: 56,
        }],
        endpoints,
        findings,
        rejected: vec![RejectedLine {
            input: "/var/log/nginx/access.log".into(),
            line: 99,
            reason: "truncated request line".into(),
        }],
        timeline: (0..90)
            .map(|i| TimeBucket {
                start: Timestamp(T0 + i * MIN),
                calls: 600 + (i as u64 % 7) * 10,
                client_errors: 40,
                server_errors: i as u64 % 3,
                findings: u64::from(i % 30 == 0),
            })
            .collect(),
        top_clients: vec![
            ClientSummary {
                ip: "203.0.113.7".into(),
                calls: 9_000,
                client_errors: 4_000,
                findings: 3,
                worst: Some(Severity::Critical),
            },
            ClientSummary {
                ip: "198.51.100.23".into(),
                calls: 20_000,
                client_errors: 10,
                findings: 0,
                worst: None,
            },
        ],
    }
}

pub fn opts() -> ReportOptions {
    ReportOptions {
        title: Some("Q1 API review".into()),
        generated_at: Some(Timestamp(T0 + 24 * 60 * MIN)),
    }
}

/// 20k endpoints, 5k findings, 20k timeline buckets, 1k rejected lines.
pub fn big_scan(n_endpoints: usize, n_findings: usize) -> ScanOutput {
    let endpoints: Vec<EndpointSummary> = (0..n_endpoints)
        .map(|i| {
            endpoint(
                if i % 2 == 0 { "GET" } else { "POST" },
                &format!("/v1/resource{i}/{{id}}/items"),
                (i as u64 * 7919) % 100_000,
                (i as u32 * 31) % 101,
            )
        })
        .collect();
    let findings: Vec<Finding> = (0..n_findings)
        .map(|i| {
            let sev = [
                Severity::Info,
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ][i % 5];
            finding(FindingKind::Enumeration, sev, i as u64)
        })
        .collect();
    ScanOutput {
        summary: ScanSummary {
            endpoints: n_endpoints as u64,
            findings: n_findings as u64,
            rejected: 5000,
            ..ScanSummary::default()
        },
        rejected: (0..1000)
            .map(|i| RejectedLine {
                input: "a.log".into(),
                line: i,
                reason: "bad".into(),
            })
            .collect(),
        timeline: (0..20_000)
            .map(|i| TimeBucket {
                start: Timestamp(T0 + i * MIN),
                calls: 100,
                ..TimeBucket::default()
            })
            .collect(),
        endpoints,
        findings,
        ..sample_scan()
    }
}
