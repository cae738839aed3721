//! The binary as a user runs it: arguments, stdin, exit codes, output files.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn linkwell() -> Command {
    Command::new(env!("CARGO_BIN_EXE_linkwell"))
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = linkwell()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Runs `cmd` and fails the test, with its stderr, unless it succeeds.
fn succeed(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn simulated(calls: u64, attacks: bool) -> Vec<u8> {
    let mut args = vec!["simulate".to_string(), "--calls".into(), calls.to_string()];
    if !attacks {
        args.push("--no-attacks".into());
    }
    let out = linkwell().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn help_explains_formats_and_examples() {
    let out = linkwell().args(["scan", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "nginx-combined",
        "nginx-json",
        "envoy",
        "envoy-json",
        "aws-apigw",
        "cloudflare",
        "kong",
        "traefik",
        "har",
        "ndjson",
        "Examples:",
    ] {
        assert!(text.contains(name), "scan --help lacks {name}");
    }
}

#[test]
fn stdin_scan_with_json_on_stdout() {
    let logs = simulated(5_000, true);
    let lines = logs.iter().filter(|b| **b == b'\n').count() as u64;
    let out = run_with_stdin(&["scan", "-", "--quiet", "--json", "-"], &logs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["summary"]["lines"], lines);
    assert_eq!(v["summary"]["rejected"], 0);
    assert_eq!(v["inputs"][0]["path"], "-");
    assert_eq!(v["inputs"][0]["format"], "nginx-json");
    assert!(v["summary"]["findings"].as_u64().unwrap() > 0);
    let f = &v["findings"][0];
    for key in [
        "kind",
        "owasp",
        "severity",
        "client",
        "endpoint",
        "explanation",
        "evidence",
    ] {
        assert!(!f[key].is_null(), "finding lacks {key}");
    }
    let e = &v["endpoints"][0];
    for key in ["method", "host", "template", "calls", "classification"] {
        assert!(!e[key].is_null(), "endpoint lacks {key}");
    }
}

#[test]
fn fail_on_sets_the_exit_status() {
    let attacks = simulated(3_000, true);
    let out = run_with_stdin(&["scan", "-", "--quiet", "--fail-on", "high"], &attacks);
    assert_eq!(out.status.code(), Some(1));
    let benign = simulated(3_000, false);
    let out = run_with_stdin(&["scan", "-", "--quiet", "--fail-on", "high"], &benign);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unknown_format_is_a_clear_error() {
    let out = run_with_stdin(&["scan", "-", "--format", "bogus"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown format 'bogus'"), "{err}");
    assert!(err.contains("nginx-combined"), "{err}");
}

#[test]
fn unrecognisable_input_names_the_way_out() {
    let out = run_with_stdin(&["scan", "-"], b"hello\nworld\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format"));
}

#[test]
fn report_store_and_inventory_export() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.json");
    std::fs::write(&log, simulated(5_000, true)).unwrap();
    let report = dir.path().join("r.html");
    let store = dir.path().join("store");
    let out = linkwell()
        .arg("scan")
        .arg(&log)
        .arg("--quiet")
        .arg("--report")
        .arg(&report)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<svg"));
    assert!(
        !html.contains("<script src"),
        "report must be self-contained"
    );

    let exported = dir.path().join("observed.json");
    succeed(
        linkwell()
            .args(["inventory", "export", "--store"])
            .arg(&store)
            .arg("-o")
            .arg(&exported),
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(
        doc["paths"]["/v1/accounts/{id}"]["get"].is_object(),
        "{}",
        doc["paths"]
    );
}

#[test]
fn example_config_is_valid() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/linkwell.toml");
    let out = run_with_stdin(
        &["scan", "-", "--quiet", "-c", cfg, "--json", "-"],
        &simulated(1_000, false),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scan_scores_against_simulator_labels_and_bench_engine_times_calls() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("day.json");
    let labels = dir.path().join("labels.json");
    succeed(
        linkwell()
            .args(["simulate", "--calls", "20000", "--out"])
            .arg(&log)
            .arg("--labels")
            .arg(&labels),
    );
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&labels).unwrap()).unwrap();
    assert!(truth["benign_clients"].as_u64().unwrap() > 100);
    assert!(truth["labels"].as_array().unwrap().len() >= 20);

    let out = succeed(
        linkwell()
            .arg("scan")
            .arg(&log)
            .arg("--labels")
            .arg(&labels)
            .arg("--quiet"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("attacking clients caught per class"),
        "{text}"
    );
    assert!(text.contains("scanning"), "{text}");
    assert!(text.contains("Benign clients flagged:"), "{text}");

    let out = succeed(linkwell().args(["bench", "engine", "--json"]).arg(&log));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["calls"].as_u64().unwrap() > 19_000, "{v}");
    assert!(v["p50_ns"].as_u64().unwrap() > 0);
    assert!(v["max_ns"].as_u64().unwrap() >= v["p99_ns"].as_u64().unwrap());
    assert!(v["findings"].as_u64().unwrap() > 0);
}

#[test]
fn keys_are_issued_once_listed_without_secrets_and_revoked_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("keys.json");
    let reg = reg.to_str().unwrap();
    let out = succeed(linkwell().args([
        "keys",
        "add",
        "--registry",
        reg,
        "--owner",
        "partner-acme",
        "--scope",
        "quotes:read",
        "--route",
        "partners",
        "--json",
    ]));
    let issued: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = issued["key"].as_str().unwrap();
    let id = issued["id"].as_str().unwrap();
    assert!(key.starts_with(&format!("lwk_{id}_")));
    let stored = std::fs::read_to_string(reg).unwrap();
    assert!(!stored.contains(&key[17..]), "the secret was stored");

    let audit = dir.path().join("audit");
    succeed(linkwell().args([
        "keys",
        "revoke",
        "--registry",
        reg,
        id,
        "--reason",
        "leaked",
        "--audit",
        audit.to_str().unwrap(),
    ]));
    let out = succeed(linkwell().args(["keys", "list", "--registry", reg, "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["status"], "revoked");
    assert_eq!(list[0]["revoked_reason"], "leaked");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key));
    succeed(linkwell().args(["audit", "verify", audit.to_str().unwrap()]));
    // Unknown ids are a clear error.
    let out = linkwell()
        .args(["keys", "rotate", "--registry", reg, "000000000000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key with id"));
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request on a new connection; the status code.
fn http_status(port: u16, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn run_serves_the_proxy_and_killswitch_flips_it() {
    // A one-thread upstream answering 200 to everything.
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let up_port = upstream.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut c in upstream.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("linkwell.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[proxy]
mode = "enforce"
audit_dir = "audit"
workers = 2
[proxy.admin]
listen = "127.0.0.1:{admin}"
token = "t0ken"
[[proxy.listeners]]
listen = "127.0.0.1:{port}"
[[proxy.upstreams]]
name = "api"
url = "http://127.0.0.1:{up_port}"
[[proxy.routes]]
name = "api"
upstream = "api"
"#
        ),
    )
    .unwrap();
    let mut child = linkwell()
        .args(["run", "--quiet", "-c", cfg.to_str().unwrap()])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "linkwell run did not listen"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(http_status(port, "/v1/accounts"), 200);
    assert_eq!(
        http_status(port, "/v1/accounts?id=1%27%20OR%20%271%27%3D%271"),
        403
    );

    let admin_url = format!("127.0.0.1:{admin}");
    let flip = |state: &str| {
        let out = succeed(linkwell().args([
            "killswitch",
            state,
            "--admin",
            &admin_url,
            "--token",
            "t0ken",
            "--reason",
            "test",
            "--json",
        ]));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(flip("on")["kill_switch"], true);
    // Pass-through now, even for the source blocked a moment ago.
    assert_eq!(
        http_status(port, "/v1/accounts?id=1%27%20OR%20%271%27%3D%271"),
        200
    );
    assert_eq!(flip("status")["kill_switch"], true);
    assert_eq!(flip("off")["kill_switch"], false);
    // A wrong token is refused with a clear message.
    let out = linkwell()
        .args(["killswitch", "on", "--admin", &admin_url, "--token", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));

    // SIGTERM: drains and exits cleanly; the trail verifies.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    succeed(linkwell().args([
        "audit",
        "verify",
        dir.path().join("audit").to_str().unwrap(),
    ]));
}
