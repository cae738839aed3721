//! A scan with every field populated, shared by the store tests and bench.

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
use linkwell_store::CallRow;

/// 2026-03-02T10:00:00Z plus some microseconds, so sub-millisecond precision is checked.
pub const T0: i64 = 1_772_445_600_000_000 + 123_457;

pub fn rich_scan() -> ScanOutput {
    let mut auth = AuthSchemes::default();
    auth.insert(AuthScheme::Bearer);
    auth.insert(AuthScheme::Mtls);
    let ep1 = EndpointSummary {
        method: "GET".into(),
        host: "api.bank.example".into(),
        template: "/v1/accounts/{id}".into(),
        calls: 12_345,
        status: StatusMix {
            s1xx: 1,
            s2xx: 12_000,
            s3xx: 4,
            s4xx: 300,
            s5xx: 39,
            other: 1,
            codes: vec![(200, 12_000), (404, 250), (401, 50), (503, 39)],
        },
        latency_ms: Some(Quantiles {
            p50: 12.345_678_9,
            p90: 40.1,
            p99: 250.000_000_1,
            max: 1_234.5,
        }),
        request_bytes: None,
        response_bytes: Some(Quantiles {
            p50: 512.0,
            p90: 2048.0,
            p99: 8192.5,
            max: 1e9,
        }),
        auth,
        query_params: vec!["limit".into(), "cursor".into()],
        body_params: vec![],
        sensitive: vec![SensitiveKind::Iban, SensitiveKind::Jwt],
        clients: 812,
        top_clients: vec![("203.0.113.7".into(), 4000), ("198.51.100.1".into(), 12)],
        first_seen: Some(Timestamp(T0)),
        last_seen: Some(Timestamp(T0 + 3_600_000_001)),
        classification: Classification::Documented,
        spec_path: Some("/v1/accounts/{accountId}".into()),
        findings: 3,
        risk_score: 87,
    };
    let ep2 = EndpointSummary {
        method: "POST".into(),
        host: String::new(),
        template: "/internal/debug/\u{e9}t\u{e9}".into(),
        calls: 2,
        classification: Classification::Shadow,
        ..EndpointSummary::default()
    };
    let f1 = Finding {
        kind: FindingKind::CredentialStuffing,
        owasp: Owasp::Api2,
        severity: Severity::Critical,
        confidence: 0.93,
        client: ClientRef {
            ip: Some("203.0.113.0/24".into()),
            identity: Some("alice@example.com".into()),
            user_agent: Some("python-requests/2.31 \"quoted\"".into()),
        },
        endpoint: Some(EndpointKey::new("POST", "api.bank.example", "/v1/login")),
        first_seen: Timestamp(T0 + 1),
        last_seen: Timestamp(T0 + 999_999),
        evidence: Evidence {
            counts: vec![
                ("failed_logins".into(), 412),
                ("distinct_usernames".into(), 390),
            ],
            samples: vec![
                SourceRef { input: 0, line: 42 },
                SourceRef { input: 1, line: 7 },
            ],
            excerpts: vec!["user=alice' OR 1=1".into()],
        },
        explanation: "412 failed logins for 390 user names from one /24 in 10 minutes.".into(),
        cwe: None,
    };
    let f2 = Finding {
        kind: FindingKind::ZombieEndpoint,
        owasp: Owasp::Api9,
        severity: Severity::Low,
        confidence: 1.0,
        client: ClientRef::default(),
        endpoint: None,
        first_seen: Timestamp(T0),
        last_seen: Timestamp(T0),
        evidence: Evidence::default(),
        explanation: "Deprecated endpoint still called.".into(),
        cwe: Some(89),
    };
    ScanOutput {
        schema_version: SCAN_SCHEMA_VERSION,
        summary: ScanSummary {
            lines: 20_000,
            parsed: 19_990,
            rejected: 10,
            calls: 19_990,
            endpoints: 2,
            findings: 2,
            elapsed_ms: 1234,
            first_seen: Some(Timestamp(T0)),
            last_seen: Some(Timestamp(T0 + 3_600_000_001)),
            classification: vec![("documented".into(), 1), ("shadow".into(), 1)],
            severity: vec![("critical".into(), 1), ("low".into(), 1)],
        },
        inputs: vec![
            InputSummary {
                path: "/var/log/nginx/access.log".into(),
                format: "nginx-combined".into(),
                detected: true,
                lines: 15_000,
                parsed: 14_995,
                rejected: 5,
            },
            InputSummary {
                path: "-".into(),
                format: "envoy-json".into(),
                detected: false,
                lines: 5_000,
                parsed: 4_995,
                rejected: 5,
            },
        ],
        endpoints: vec![ep1, ep2],
        findings: vec![f1, f2],
        rejected: vec![RejectedLine {
            input: "/var/log/nginx/access.log".into(),
            line: 17,
            reason: "no request line".into(),
        }],
        timeline: vec![
            TimeBucket {
                start: Timestamp(T0),
                calls: 10_000,
                client_errors: 150,
                server_errors: 20,
                findings: 1,
            },
            TimeBucket {
                start: Timestamp(T0 + 60_000_000),
                calls: 9_990,
                client_errors: 150,
                server_errors: 19,
                findings: 1,
            },
        ],
        top_clients: vec![
            ClientSummary {
                ip: "203.0.113.7".into(),
                calls: 4000,
                client_errors: 400,
                findings: 1,
                worst: Some(Severity::Critical),
            },
            ClientSummary {
                ip: "2001:db8::1".into(),
                calls: 12,
                client_errors: 0,
                findings: 0,
                worst: None,
            },
        ],
    }
}

/// A deterministic call row number `i`.
pub fn row(i: u64) -> CallRow {
    CallRow {
        time: Timestamp(T0 + i as i64 * 10_000),
        input: (i % 2) as u32,
        line: i + 1,
        client_ip: Some(format!("10.0.{}.{}", (i / 256) % 256, i % 256)),
        method: if i.is_multiple_of(3) { "POST" } else { "GET" }.into(),
        host: "api.bank.example".into(),
        path: format!("/v1/accounts/{}", 1000 + i % 50),
        template: "/v1/accounts/{id}".into(),
        status: if i.is_multiple_of(10) { 404 } else { 200 },
        latency_us: Some(1000 + i % 700),
        request_bytes: Some(120),
        response_bytes: if i.is_multiple_of(4) {
            None
        } else {
            Some(2048)
        },
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        identity: if i.is_multiple_of(5) {
            Some("alice".into())
        } else {
            None
        },
        country: Some("DE".into()),
        asn: Some(64_500),
        findings: if i.is_multiple_of(100) {
            vec!["enumeration".into()]
        } else {
            vec![]
        },
        action: "allow".into(),
    }
}
