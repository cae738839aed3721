//! The whole pipeline on simulated traffic with known answers: labelled
//! attacks must be found, benign traffic must pass, bad lines must be
//! counted and located.

use std::io::Write;

use linkwell_core::{Classification, FindingKind};
use linkwell_inventory::openapi;
use linkwell_scan::{NoProgress, ScanConfig, ScanOptions, ScanOutput, scan};
use linkwell_simulate::{OutputFormat, SimConfig, SimSummary, simulate};

fn simulate_to(dir: &std::path::Path, name: &str, cfg: &SimConfig) -> (String, SimSummary) {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let s = simulate(cfg, &mut f).unwrap();
    f.flush().unwrap();
    (path.to_string_lossy().into_owned(), s)
}

fn specs() -> Vec<openapi::Spec> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
    vec![
        openapi::load_file(std::path::Path::new(&format!("{root}bank-api.yaml"))).unwrap(),
        openapi::load_file(std::path::Path::new(&format!("{root}bank-api-legacy.json"))).unwrap(),
    ]
}

fn run(inputs: &[String], specs: &[openapi::Spec]) -> ScanOutput {
    scan(
        inputs,
        ScanOptions {
            format: None,
            specs,
            progress: &NoProgress,
            sink: None,
        },
        &ScanConfig::default(),
    )
    .unwrap()
}

#[test]
fn labelled_attacks_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        calls: 60_000,
        ..SimConfig::default()
    };
    let (path, sim) = simulate_to(dir.path(), "access.json", &cfg);
    let out = run(&[path], &specs());
    assert_eq!(out.summary.rejected, 0);
    assert_eq!(out.summary.parsed, sim.lines);
    assert_eq!(out.inputs[0].format, "nginx-json");
    let scored = linkwell_simulate::score(&sim.labels, &out.findings);
    let missed: Vec<_> = scored
        .iter()
        .filter(|s| !s.detected)
        .map(|s| {
            format!(
                "{} {} {:?}",
                s.label.kind, s.label.endpoint, s.label.clients
            )
        })
        .collect();
    assert!(missed.is_empty(), "missed labelled attacks: {missed:#?}");

    let class = |tpl: &str| {
        out.endpoints
            .iter()
            .find(|e| e.template == tpl)
            .map(|e| e.classification)
    };
    assert_eq!(
        class("/v1/internal/debug/config"),
        Some(Classification::Shadow)
    );
    assert_eq!(class("/v0/accounts/{id}"), Some(Classification::Zombie));
    assert_eq!(class("/v1/accounts/{id}"), Some(Classification::Documented));
    assert!(
        out.endpoints
            .iter()
            .any(|e| e.classification == Classification::Unused && e.calls == 0)
    );
    // Every finding is explained and located.
    for f in &out.findings {
        assert!(!f.explanation.is_empty());
        assert!(f.endpoint.is_some());
        assert!(f.first_seen <= f.last_seen);
    }
}

#[test]
fn benign_traffic_passes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        calls: 60_000,
        attacks: false,
        seed: 7,
        ..SimConfig::default()
    };
    let (path, sim) = simulate_to(dir.path(), "benign.json", &cfg);
    assert!(sim.labels.is_empty());
    let out = run(&[path], &specs());
    let attack_kinds: Vec<_> = out
        .findings
        .iter()
        .filter(|f| {
            !matches!(
                f.kind,
                FindingKind::ShadowEndpoint | FindingKind::ZombieEndpoint
            )
        })
        .map(|f| format!("{} {:?} {}", f.kind, f.client.ip, f.explanation))
        .collect();
    assert!(
        attack_kinds.is_empty(),
        "false positives on benign traffic: {attack_kinds:#?}"
    );
    assert!(
        out.endpoints
            .iter()
            .all(|e| e.classification != Classification::Shadow || e.calls == 0),
        "benign traffic only calls documented endpoints"
    );
}

#[test]
fn same_input_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        calls: 20_000,
        ..SimConfig::default()
    };
    let (path, _) = simulate_to(dir.path(), "a.json", &cfg);
    let mut a = run(std::slice::from_ref(&path), &[]);
    let mut b = run(&[path], &[]);
    a.summary.elapsed_ms = 0;
    b.summary.elapsed_ms = 0;
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}

#[test]
fn bad_lines_are_counted_and_located_and_gzip_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    let good = r#"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] "GET /v1/accounts/123?limit=10 HTTP/1.1" 200 2310 "-" "okhttp/4.12.0""#;
    for i in 0..30 {
        writeln!(gz, "{good}").unwrap();
        if i == 9 {
            writeln!(gz, "this is not a log line").unwrap();
        }
        if i == 19 {
            gz.write_all(b"\xff\xfe\x00 binary garbage\n").unwrap();
        }
    }
    gz.finish().unwrap();
    let out = run(&[path.to_string_lossy().into_owned()], &[]);
    assert_eq!(out.inputs[0].format, "nginx-combined");
    assert_eq!(out.summary.parsed, 30);
    assert_eq!(out.summary.rejected, 2);
    assert_eq!(out.summary.lines, 32);
    let lines: Vec<u64> = out.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [11, 22]);
    assert!(
        out.rejected
            .iter()
            .all(|r| r.input.ends_with("mixed.log.gz") && !r.reason.is_empty())
    );
    assert_eq!(out.endpoints.len(), 1);
    assert_eq!(out.endpoints[0].template, "/v1/accounts/{id}");
}
