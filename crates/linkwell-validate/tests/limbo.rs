//! Conformance harness: every case of the x509-limbo path-validation suite
//! (`../shared/data/x509-limbo/limbo.json`) through our verifier.
//!
//! CLIENT-kind cases go through `ClientCertVerifier::verify` (clientAuth EKU,
//! keyUsage digitalSignature). SERVER-kind cases go through
//! `verify_server` with the expected peer name: same trust store, path
//! builder, CRL handling and error mapping, only the EKU (serverAuth) and the
//! name check differ. Running them keeps the chain-building, validity,
//! signature and name-constraint logic that the client path relies on under
//! test; the suite has only 10 client cases.
//!
//! `limbo-expected-failures.txt` lists, with a reason, every case where our
//! answer differs from the suite's. The test fails when a case off the list
//! disagrees, and when a listed case now agrees (so the list stays honest).
//!
//! Run with `--nocapture` to see the score table.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use linkwell_core::Timestamp;
use linkwell_validate::mtls::{
    CertificateDer, ClientCertVerifier, ServerName, TrustStore, UnixTime, VerifyOptions,
};
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;

#[derive(Deserialize)]
struct Limbo {
    version: u32,
    testcases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    #[serde(default)]
    key_usage: Vec<String>,
    #[serde(default)]
    extended_key_usage: Vec<String>,
    expected_result: String,
    expected_peer_name: Option<PeerName>,
    max_chain_depth: Option<usize>,
    #[serde(default)]
    crls: Vec<String>,
    #[serde(default)]
    signature_algorithms: Vec<String>,
}

#[derive(Deserialize)]
struct PeerName {
    kind: String,
    value: String,
}

/// 2026-12-01T00:00:00Z, used for cases without a validation time.
const SUITE_NOW: u64 = 1_796_083_200;

/// What running a case gave.
enum Outcome {
    Pass,
    Fail(String),
}

fn data_path() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/x509-limbo/limbo.json"
    ))
}

fn pem_der(pem: &str) -> Result<CertificateDer<'static>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| format!("pem: {e}"))
}

fn run_case(c: &Case) -> Outcome {
    match try_case(c) {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

fn try_case(c: &Case) -> Result<(), String> {
    let anchors = c
        .trusted_certs
        .iter()
        .map(|p| pem_der(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut store = TrustStore::from_der(&anchors).map_err(|e| e.to_string())?;
    for crl in &c.crls {
        store = store.with_crls(crl.as_bytes()).map_err(|e| e.to_string())?;
    }
    let mut chain = vec![pem_der(&c.peer_certificate)?];
    for p in &c.untrusted_intermediates {
        chain.push(pem_der(p)?);
    }
    let client = c.validation_kind == "CLIENT";
    let options = VerifyOptions {
        max_intermediates: c
            .max_chain_depth
            .unwrap_or(VerifyOptions::default().max_intermediates),
        // The client path always requires digitalSignature; server cases
        // only when the case asks for it.
        require_digital_signature: client || c.key_usage.iter().any(|k| k == "digitalSignature"),
        ..VerifyOptions::default()
    };
    let verifier = ClientCertVerifier::with_options(Arc::new(store), options);
    let now = match &c.validation_time {
        Some(t) => {
            let ts = Timestamp::parse_rfc3339(t).ok_or_else(|| format!("bad time {t}"))?;
            UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(ts.secs()).unwrap_or(0)))
        }
        // The suite means "now"; a fixed instant keeps the test from
        // changing verdict when the online cases' certificates expire.
        None => UnixTime::since_unix_epoch(Duration::from_secs(SUITE_NOW)),
    };
    let verdict = if client {
        verifier.verify(&chain, now)
    } else {
        let name = match &c.expected_peer_name {
            Some(n) if n.kind == "DNS" || n.kind == "IP" => Some(
                ServerName::try_from(n.value.as_str())
                    .map_err(|e| format!("peer name {}: {e}", n.value))?,
            ),
            Some(n) => return Err(format!("unsupported peer name kind {}", n.kind)),
            None => None,
        };
        verifier.verify_server(&chain, now, name.as_ref())
    };
    verdict
        .result
        .map(|_| ())
        .map_err(|e| e.reason().to_string())
}

/// `id  # category: reason` per line; `#` lines and blank lines ignored.
fn expected_failures() -> BTreeMap<String, String> {
    let text = include_str!("limbo-expected-failures.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once('#').unwrap_or((l, ""));
            let reason = reason.trim();
            assert!(!reason.is_empty(), "expected failure without a reason: {l}");
            (id.trim().to_string(), reason.to_string())
        })
        .collect()
}

fn category(reason: &str) -> &str {
    reason.split_once(':').map_or(reason, |(c, _)| c.trim())
}

#[test]
fn limbo_suite() {
    let path = data_path();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and the limbo suite is missing at {}: {e}",
                path.display()
            );
            println!("SKIP limbo_suite: {} not readable ({e})", path.display());
            return;
        }
    };
    let limbo: Limbo = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(limbo.version, 1, "unknown limbo format version");
    assert!(limbo.testcases.len() > 9000, "suite looks truncated");
    let xfail = expected_failures();

    let mut agree = 0usize;
    let mut agree_kind: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut listed_disagree: BTreeMap<String, usize> = BTreeMap::new();
    let mut unexpected: Vec<String> = Vec::new();
    let mut now_agree: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &limbo.testcases {
        assert!(
            c.signature_algorithms.is_empty(),
            "{}: signature_algorithms unsupported",
            c.id
        );
        assert!(
            c.extended_key_usage.iter().all(|e| {
                (c.validation_kind == "CLIENT" && e == "clientAuth")
                    || (c.validation_kind == "SERVER" && e == "serverAuth")
            }),
            "{}: EKU expectation {:?} does not match the {} path",
            c.id,
            c.extended_key_usage,
            c.validation_kind
        );
        seen.insert(c.id.clone());
        let outcome = run_case(c);
        let want_pass = c.expected_result == "SUCCESS";
        let (ok, got) = match &outcome {
            Outcome::Pass => (want_pass, "SUCCESS".to_string()),
            Outcome::Fail(r) => (!want_pass, format!("FAILURE ({r})")),
        };
        match (ok, xfail.get(&c.id)) {
            (true, None) => {
                agree += 1;
                let family = c.id.split("::").next().unwrap_or("").to_string();
                *agree_kind
                    .entry((family, c.expected_result.clone()))
                    .or_default() += 1;
            }
            (true, Some(_)) => now_agree.push(c.id.clone()),
            (false, Some(reason)) => {
                *listed_disagree
                    .entry(category(reason).to_string())
                    .or_default() += 1;
            }
            (false, None) => unexpected.push(format!(
                "{}: expected {}, got {got}",
                c.id, c.expected_result
            )),
        }
    }
    let stale: Vec<_> = xfail.keys().filter(|id| !seen.contains(*id)).collect();

    let total = limbo.testcases.len();
    let disagree: usize = listed_disagree.values().sum();
    println!("x509-limbo: {total} cases");
    println!("| result | cases |");
    println!("|---|---|");
    println!("| agree with expected result | {agree} |");
    for ((family, want), n) in &agree_kind {
        println!("|   {family} ({want}) | {n} |");
    }
    println!("| disagree, listed in limbo-expected-failures.txt | {disagree} |");
    for (cat, n) in &listed_disagree {
        println!("|   {cat} | {n} |");
    }
    println!("| disagree, not listed | {} |", unexpected.len());
    for u in &unexpected {
        println!("UNEXPECTED {u}");
    }
    for id in &now_agree {
        println!("NOW AGREES (remove from list) {id}");
    }
    for id in &stale {
        println!("NOT IN SUITE (remove from list) {id}");
    }
    assert!(
        unexpected.is_empty(),
        "{} cases disagree and are not listed",
        unexpected.len()
    );
    assert!(
        now_agree.is_empty(),
        "{} listed cases now agree",
        now_agree.len()
    );
    assert!(
        stale.is_empty(),
        "{} listed cases are not in the suite",
        stale.len()
    );
    assert_eq!(agree + disagree, total);
}
