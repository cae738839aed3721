//! `linkwell scan -c linkwell.toml` with `[engine.enrich]`: databases and
//! threat-intelligence lists named in the config (relative to it) are read,
//! used, and their problems reported.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

#[path = "../../linkwell-engine/tests/support/mmdb.rs"]
mod mmdb;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Scans stdin; the JSON result goes to `result.json` beside the config.
fn scan(config: &std::path::Path, stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linkwell"))
        .args(["scan", "-", "-c"])
        .arg(config)
        .arg("--json")
        .arg(config.with_file_name("result.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

const LOGS: &str = "\
185.220.101.5 - - [02/Mar/2026:10:00:00 +0000] \"GET /v1/accounts/1 HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\"
81.2.69.160 - - [02/Mar/2026:10:00:01 +0000] \"GET /v1/accounts/2 HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\"
185.220.101.5 - - [02/Mar/2026:10:00:02 +0000] \"GET /v1/accounts/1 HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\"
";

fn city_db() -> Vec<u8> {
    let mut w = mmdb::Writer::new("GeoLite2-City", 6);
    w.insert(
        "81.2.69.0/24",
        &mmdb::city("GB", "London", 51.5142, -0.0931, 10),
    );
    w.finish()
}

#[test]
fn scan_with_databases_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("intel")).unwrap();
    std::fs::write(
        dir.path().join("intel/tor.txt"),
        "# exits\n185.220.101.5\nbogus line\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("city.mmdb"), city_db()).unwrap();
    let cfg = dir.path().join("linkwell.toml");
    std::fs::write(
        &cfg,
        r#"
[engine.enrich]
city_db = "city.mmdb"

[[engine.enrich.intel]]
name = "tor-exits"
kind = "tor"
path = "intel/tor.txt"
"#,
    )
    .unwrap();
    let out = scan(&cfg, LOGS.as_bytes());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("tor.txt") && stderr.contains("line 3") && stderr.contains("tor-exits"),
        "{stderr}"
    );
    let json = std::fs::read(dir.path().join("result.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let intel: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "threat-intel")
        .collect();
    assert_eq!(intel.len(), 1, "{intel:?}");
    assert_eq!(intel[0]["client"]["ip"], "185.220.101.5");
    assert_eq!(intel[0]["owasp"], "API6:2023");
    assert!(
        intel[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("'tor-exits'")
    );
}

#[test]
fn missing_or_broken_sources_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("linkwell.toml");
    std::fs::write(&cfg, "[engine.enrich]\ncity_db = \"nowhere.mmdb\"\n").unwrap();
    let out = scan(&cfg, LOGS.as_bytes());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere.mmdb"), "{err}");

    std::fs::write(dir.path().join("bad.mmdb"), b"not a database").unwrap();
    std::fs::write(&cfg, "[engine.enrich]\nasn_db = \"bad.mmdb\"\n").unwrap();
    let out = scan(&cfg, LOGS.as_bytes());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.mmdb") && err.contains("MaxMind"), "{err}");
}
