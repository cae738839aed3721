//! `linkwell audit verify` and `linkwell audit show` as a user runs them.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::borrow::Cow;
use std::path::Path;
use std::process::{Command, Output};

use linkwell_audit::{AdminEvent, AuditConfig, AuditEvent, AuditLog, CallAudit, Receipt};
use linkwell_core::{CallRecord, EndpointKey, Method, Timestamp, Verdict};

fn linkwell(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linkwell"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn event(i: u64) -> AuditEvent {
    let call = CallRecord {
        time: Timestamp::from_secs(1_700_000_000 + i as i64),
        method: Some(Method::Post),
        host: Some(Cow::Borrowed("api.bank.example")),
        path: Cow::Owned(format!("/v1/transfers/{i}")),
        status: 201,
        ..Default::default()
    };
    let key = EndpointKey::new("POST", "api.bank.example", "/v1/transfers/{id}");
    AuditEvent::Call(Box::new(CallAudit::new(
        &call,
        Some(&key),
        &Verdict::default(),
    )))
}

fn make_log(dir: &Path) -> Vec<Receipt> {
    let cfg = AuditConfig {
        checkpoint_every: 8,
        ..Default::default()
    };
    let log = AuditLog::open(dir, cfg).unwrap();
    let mut r: Vec<Receipt> = (0..40).map(|i| log.append(&event(i)).unwrap()).collect();
    r.push(
        log.append(&AuditEvent::Admin(AdminEvent::ModeChange {
            from: "shadow".into(),
            to: "enforce".into(),
            actor: "alice".into(),
        }))
        .unwrap(),
    );
    log.close().unwrap();
    r
}

#[test]
fn verify_passes_on_an_intact_log_and_names_a_swap() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("audit");
    make_log(&dir);
    let d = dir.to_str().unwrap();

    let out = linkwell(&["audit", "verify", d]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(s.contains(": OK"), "{s}");
    assert!(s.contains("41 records (seq 0..=40)"), "{s}");

    let out = linkwell(&["audit", "verify", "--json", d]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["records"], 41);
    assert_eq!(v["signed_through"], 40);
    assert!(v["problem"].is_null());

    // swap records 10 and 11
    let seg = dir.join("seg-00000001.log");
    let body = std::fs::read_to_string(&seg).unwrap();
    let mut lines: Vec<&str> = body.split_inclusive('\n').collect();
    let i = lines
        .iter()
        .position(|l| l.contains("{\"seq\":10,"))
        .unwrap();
    let j = lines
        .iter()
        .position(|l| l.contains("{\"seq\":11,"))
        .unwrap();
    lines.swap(i, j);
    std::fs::write(&seg, lines.concat()).unwrap();

    let out = linkwell(&["audit", "verify", d]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(s.contains("TAMPERED"), "{s}");
    assert!(
        s.contains("reordered in seg-00000001.log at byte") && s.contains("(record seq 10)"),
        "{s}"
    );
    let out = linkwell(&["audit", "verify", "--json", d]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["problem"]["kind"], "reordered");
    assert_eq!(v["problem"]["seq"], 10);
}

#[test]
fn verify_with_a_pinned_key_rejects_a_log_signed_by_another() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("audit");
    make_log(&dir);
    let other = t.path().join("other");
    make_log(&other);
    let other_pub = std::fs::read_to_string(other.join("audit.pub")).unwrap();
    let out = linkwell(&[
        "audit",
        "verify",
        "--pubkey",
        other_pub.trim(),
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("forged-checkpoint"),
        "{}",
        text(&out.stdout)
    );
    let own = dir.join("audit.pub");
    let out = linkwell(&[
        "audit",
        "verify",
        "--pubkey",
        own.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn show_prints_the_record_with_a_proof_that_checks() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("audit");
    let receipts = make_log(&dir);
    let d = dir.to_str().unwrap();
    let r = &receipts[40];

    let out = linkwell(&["audit", "show", &r.decision_id, "--dir", d]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(s.contains("\"mode-change\""), "{s}");
    assert!(
        s.contains("check:      hash ok, inclusion ok, signature ok"),
        "{s}"
    );

    let out = linkwell(&[
        "audit",
        "show",
        &receipts[13].decision_id,
        "--dir",
        d,
        "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["record"]["seq"], 13);
    assert_eq!(v["record"]["event"]["path"], "/v1/transfers/{id}");
    assert_eq!(v["proof"]["index"], 13);
    assert_eq!(v["check"]["inclusion_ok"], true);
    assert_eq!(v["check"]["signature_ok"], true);

    let out = linkwell(&["audit", "show", "13-00000000", "--dir", d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no record with decision id"));

    // a changed record no longer checks against its signed checkpoint
    let seg = dir.join("seg-00000001.log");
    let body = std::fs::read_to_string(&seg).unwrap();
    std::fs::write(
        &seg,
        body.replace(
            "/v1/transfers/{id}\",\"templated\":true,\"status\":201",
            "/v1/transfers/{id}\",\"templated\":true,\"status\":200",
        ),
    )
    .unwrap();
    let out = linkwell(&["audit", "show", &receipts[13].decision_id, "--dir", d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("hash FAILED"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn verify_of_a_missing_directory_is_an_error() {
    let out = linkwell(&["audit", "verify", "/nonexistent/linkwell-audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a directory"));
}

#[test]
fn scan_records_every_call_in_a_verifiable_trail() {
    let t = tempfile::tempdir().unwrap();
    let log = t.path().join("day.json");
    let dir = t.path().join("audit");
    let out = linkwell(&[
        "simulate",
        "--calls",
        "3000",
        "--out",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = linkwell(&[
        "scan",
        log.to_str().unwrap(),
        "--quiet",
        "--json",
        "-",
        "--audit",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = scan["summary"]["calls"].as_u64().unwrap();
    assert!(calls > 2_500, "{calls}");
    let out = linkwell(&["audit", "verify", dir.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One record per call (the writer may add its own admin records).
    let records = report["records"].as_u64().unwrap();
    assert!(
        records >= calls,
        "{records} records for {calls} calls: {report}"
    );
    assert!(
        records <= calls + 4,
        "{records} records for {calls} calls: {report}"
    );
}
