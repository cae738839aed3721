//! Shared helpers for the audit integration tests (included with `mod common`).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use linkwell_audit::{AuditConfig, AuditEvent, AuditLog, CallAudit, FsyncPolicy, Receipt};
use linkwell_core::{
    Action, CallRecord, ClientRef, EndpointKey, Evidence, Finding, FindingKind, Method, Owasp,
    Risk, Severity, Timestamp, Verdict,
};

pub fn call_event(i: u64) -> AuditEvent {
    let call = CallRecord {
        time: Timestamp::from_secs(1_700_000_000 + i as i64),
        client_ip: Some(format!("203.0.113.{}", i % 250).parse().unwrap()),
        method: Some(Method::Get),
        host: Some(Cow::Borrowed("api.bank.example")),
        path: Cow::Owned(format!("/v1/accounts/{i}")),
        status: 200,
        ..Default::default()
    };
    let key = EndpointKey::new("GET", "api.bank.example", "/v1/accounts/{id}");
    let verdict = if i % 7 == 3 {
        Verdict {
            findings: vec![Finding {
                kind: FindingKind::Enumeration,
                owasp: Owasp::Api1,
                severity: Severity::High,
                confidence: 0.9,
                client: ClientRef::default(),
                endpoint: Some(key.clone()),
                first_seen: call.time,
                last_seen: call.time,
                evidence: Evidence::default(),
                explanation: "walks account ids".into(),
                cwe: None,
            }],
            risk: Risk::High,
            action: Action::Block,
            enforced: false,
        }
    } else {
        Verdict::default()
    };
    AuditEvent::Call(Box::new(CallAudit::new(&call, Some(&key), &verdict)))
}

pub fn config(checkpoint_every: u64) -> AuditConfig {
    AuditConfig {
        fsync: FsyncPolicy::Always,
        checkpoint_every,
        checkpoint_interval_ms: 60_000,
        ..Default::default()
    }
}

/// Writes `n` call records and closes the log; returns the receipts.
pub fn build_log(dir: &Path, n: u64, cfg: AuditConfig) -> Vec<Receipt> {
    let log = AuditLog::open(dir, cfg).unwrap();
    let r: Vec<Receipt> = (0..n)
        .map(|i| log.append(&call_event(i)).unwrap())
        .collect();
    log.close().unwrap();
    r
}

pub fn segment(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg-{n:08}.log"))
}

/// Lines of a file with their start offsets (newline kept).
pub fn split_lines(buf: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in buf.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, buf[start..=i].to_vec()));
            start = i + 1;
        }
    }
    if start < buf.len() {
        out.push((start, buf[start..].to_vec()));
    }
    out
}

/// Index (into `split_lines`) of the record line with this seq.
pub fn record_line(lines: &[(usize, Vec<u8>)], seq: u64) -> usize {
    let needle = format!(" {{\"seq\":{seq},");
    lines
        .iter()
        .position(|(_, l)| {
            l.starts_with(b"R ") && l.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .unwrap()
}

pub fn join(lines: &[(usize, Vec<u8>)]) -> Vec<u8> {
    lines.iter().flat_map(|(_, l)| l.clone()).collect()
}
