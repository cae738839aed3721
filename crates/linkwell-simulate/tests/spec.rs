//! The simulator and the example OpenAPI documents tell one consistent
//! story: benign traffic stays inside the documented API, the shadow
//! endpoints are exactly the undocumented ones called, the zombie endpoint is
//! the deprecated one, and some documented operations are never called.

use std::collections::BTreeSet;
use std::path::PathBuf;

use linkwell_simulate::{OutputFormat, SimConfig, simulate};
use serde_json::Value;

fn example(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "examples", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (method, path template, deprecated) of every documented operation.
fn operations(spec: &Value) -> Vec<(String, String, bool)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if matches!(method.as_str(), "get" | "put" | "post" | "delete" | "patch") {
                let deprecated = op["deprecated"].as_bool().unwrap_or(false);
                ops.push((method.to_uppercase(), path.clone(), deprecated));
            }
        }
    }
    ops
}

fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

fn find<'a>(
    ops: &'a [(String, String, bool)],
    method: &str,
    path: &str,
) -> Option<&'a (String, String, bool)> {
    // Prefer literal matches (`/v1/accounts` before `/v1/{x}`).
    ops.iter()
        .filter(|(m, t, _)| m == method && matches(t, path))
        .min_by_key(|(_, t, _)| t.matches('{').count())
}

#[test]
fn traffic_agrees_with_the_specs() {
    let api: Value = yaml_serde::from_str(&example("bank-api.yaml")).expect("YAML");
    let ob: Value = serde_json::from_str(&example("bank-api-legacy.json")).expect("JSON");
    assert_eq!(api["openapi"], "3.1.0");
    assert_eq!(api["servers"][0]["url"], "https://api.examplebank.com");
    assert_eq!(ob["openapi"], "3.0.3");
    let api_ops = operations(&api);
    let ob_ops = operations(&ob);

    let mut out = Vec::new();
    let summary = simulate(
        &SimConfig {
            calls: 40_000,
            format: OutputFormat::NginxJson,
            ..SimConfig::default()
        },
        &mut out,
    )
    .expect("simulate");
    let clients_of = |kind: &str| -> Vec<String> {
        summary
            .labels
            .iter()
            .filter(|l| l.kind == kind)
            .flat_map(|l| l.clients.clone())
            .collect()
    };
    let scanner = clients_of("scanning");
    let zombies = clients_of("zombie-endpoint");
    let attackers: Vec<String> = summary
        .labels
        .iter()
        .flat_map(|l| l.clients.clone())
        .collect();

    let mut undocumented = BTreeSet::new();
    let mut used = BTreeSet::new();
    for line in std::str::from_utf8(&out).expect("UTF-8").lines() {
        let m: Value = serde_json::from_str(line).expect("JSON line");
        let ip = m["remote_addr"].as_str().expect("ip");
        let method = m["method"].as_str().expect("method");
        let path = m["uri"]
            .as_str()
            .expect("uri")
            .split('?')
            .next()
            .unwrap_or("");
        let is_attacker = attackers.iter().any(|c| {
            c.strip_suffix("0/24")
                .map_or(c == ip, |net| ip.starts_with(net))
        });
        let host = m["host"].as_str().expect("host");
        let ops = if host == "openbanking.examplebank.com" {
            &ob_ops
        } else {
            &api_ops
        };
        match find(ops, method, path) {
            Some(op) => {
                used.insert((host.to_string(), op.0.clone(), op.1.clone()));
                if op.2 {
                    assert!(zombies.iter().any(|z| z == ip), "deprecated op from {ip}");
                }
            }
            None => {
                assert!(is_attacker, "benign call outside the spec: {method} {path}");
                if !scanner.iter().any(|s| s == ip) {
                    undocumented.insert(format!("{method} {path}"));
                }
            }
        }
    }
    let expected: BTreeSet<String> = [
        "GET /v1/internal/debug/config",
        "POST /v1/admin/users/export",
        "GET /v1/legacy/statement",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(undocumented, expected);
    for shadow in summary
        .labels
        .iter()
        .filter(|l| l.kind == "shadow-endpoint")
    {
        assert!(expected.contains(&shadow.endpoint));
    }
    let zombie = summary
        .labels
        .iter()
        .find(|l| l.kind == "zombie-endpoint")
        .expect("zombie label");
    assert!(
        api_ops
            .iter()
            .any(|(m, t, dep)| *dep && zombie.endpoint == format!("{m} {t}"))
    );

    // Documented but never called: shows up as "unused" in the inventory.
    let unused: Vec<_> = api_ops
        .iter()
        .filter(|(m, t, _)| !used.contains(&("api.examplebank.com".into(), m.clone(), t.clone())))
        .map(|(m, t, _)| format!("{m} {t}"))
        .collect();
    assert_eq!(unused, ["DELETE /v1/beneficiaries/{beneficiaryId}"]);
    // Every other operation of both documents is exercised.
    assert!(
        used.len() >= api_ops.len() - 1 + ob_ops.len() - 1,
        "{used:?}"
    );
}
