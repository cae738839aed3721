//! Behaviour of the simulator as its users see it: determinism, valid lines
//! in every format, time order, exact labels, diurnal shape, bench mode.

use std::collections::{BTreeMap, BTreeSet};

use linkwell_core::Timestamp;
use linkwell_simulate::{AttackLabel, OutputFormat, SimConfig, SimSummary, simulate};
use serde_json::Value;

fn cfg(calls: u64, format: OutputFormat) -> SimConfig {
    SimConfig {
        calls,
        format,
        ..SimConfig::default()
    }
}

fn run(cfg: &SimConfig) -> (Vec<u8>, SimSummary) {
    let mut out = Vec::new();
    let summary = simulate(cfg, &mut out).expect("writing to a Vec cannot fail");
    (out, summary)
}

fn lines(out: &[u8]) -> Vec<&str> {
    std::str::from_utf8(out)
        .expect("output is UTF-8")
        .lines()
        .collect()
}

fn json(line: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => m,
        other => panic!("not a JSON object: {other:?}\n{line}"),
    }
}

fn in_clients(ip: &str, clients: &[String]) -> bool {
    clients.iter().any(|c| match c.strip_suffix("0/24") {
        Some(net) => ip.starts_with(net),
        None => c == ip,
    })
}

const NGINX_KEYS: &[&str] = &[
    "ts",
    "msec",
    "request_id",
    "remote_addr",
    "remote_port",
    "xff",
    "remote_user",
    "method",
    "host",
    "uri",
    "proto",
    "status",
    "request_length",
    "bytes_sent",
    "body_bytes_sent",
    "request_time",
    "upstream_addr",
    "upstream_status",
    "upstream_response_time",
    "ua",
    "auth_subject",
    "fapi_interaction_id",
    "ssl_protocol",
    "ssl_cipher",
    "sni",
    "client_verify",
    "client_s_dn",
    "client_i_dn",
    "client_serial",
    "client_fp_sha1",
    "client_v_end",
];

const ENVOY_KEYS: &[&str] = &[
    "ts",
    "request_id",
    "client",
    "peer",
    "method",
    "authority",
    "path",
    "protocol",
    "status",
    "flags",
    "details",
    "req_body_bytes",
    "resp_body_bytes",
    "duration_ms",
    "upstream_ms",
    "route",
    "tls_version",
    "sni",
    "peer_subject",
    "peer_issuer",
    "peer_uri_san",
    "peer_fp256",
    "peer_serial",
    "jwt_sub",
    "jwt_client_id",
];

/// A parsed `combined` line.
struct Combined {
    ip: String,
    user: String,
    time: Timestamp,
    method: String,
    uri: String,
    status: u16,
    bytes: u64,
    ua: String,
}

fn parse_combined(line: &str) -> Option<Combined> {
    let (ip, rest) = line.split_once(" - ")?;
    let (user, rest) = rest.split_once(" [")?;
    let (time, rest) = rest.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let mut req = request.split(' ');
    let (method, uri, proto) = (req.next()?, req.next()?, req.next()?);
    if req.next().is_some() || !proto.starts_with("HTTP/") {
        return None;
    }
    let (status, rest) = rest.split_once(' ')?;
    let (bytes, rest) = rest.split_once(" \"")?;
    let (_referer, rest) = rest.split_once("\" \"")?;
    let ua = rest.strip_suffix('"')?;
    if ip.parse::<std::net::IpAddr>().is_err() || user.is_empty() || user.contains(' ') {
        return None;
    }
    Some(Combined {
        ip: ip.to_string(),
        user: user.to_string(),
        time: Timestamp::parse_clf(time)?,
        method: method.to_string(),
        uri: uri.to_string(),
        status: status.parse().ok()?,
        bytes: bytes.parse().ok()?,
        ua: ua.to_string(),
    })
}

/// The log time of one line, in milliseconds (seconds for `combined`).
fn line_time(format: OutputFormat, line: &str) -> i64 {
    match format {
        OutputFormat::NginxJson => {
            let m = json(line);
            let msec = m["msec"].to_string();
            Timestamp::parse_epoch_decimal(&msec)
                .expect("msec")
                .millis()
        }
        OutputFormat::EnvoyJson => {
            let m = json(line);
            Timestamp::parse_rfc3339(m["ts"].as_str().expect("ts"))
                .expect("ts")
                .millis()
        }
        OutputFormat::Kong => json(line)["started_at"].as_i64().expect("started_at"),
        OutputFormat::NginxCombined => parse_combined(line).expect("combined").time.millis(),
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for format in OutputFormat::ALL {
        let c = cfg(20_000, format);
        let (a, sa) = run(&c);
        let (b, sb) = run(&c);
        assert!(a == b, "{format}: two runs differ");
        assert_eq!(sa.lines, sb.lines);
        let (other, _) = run(&SimConfig { seed: 2, ..c });
        assert!(a != other, "{format}: seed has no effect");
    }
}

#[test]
fn every_line_is_valid_and_in_time_order() {
    for format in OutputFormat::ALL {
        let (out, summary) = run(&cfg(20_000, format));
        let lines = lines(&out);
        assert_eq!(lines.len() as u64, summary.lines, "{format}");
        assert_eq!(summary.lines, summary.benign + summary.attack);
        let mut last = i64::MIN;
        for line in &lines {
            match format {
                OutputFormat::NginxJson => {
                    let m = json(line);
                    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
                    let mut want = NGINX_KEYS.to_vec();
                    want.sort_unstable();
                    assert_eq!(keys, want, "{line}");
                    assert!(m["status"].is_u64() && m["request_time"].is_f64());
                    assert!(m["msec"].is_f64() && m["bytes_sent"].is_u64());
                    assert_eq!(m["request_id"].as_str().map(str::len), Some(32));
                    assert!(m["ts"].as_str().is_some_and(|t| t.ends_with("+00:00")));
                    let verify = m["client_verify"].as_str();
                    assert!(matches!(verify, Some("NONE" | "SUCCESS")), "{line}");
                }
                OutputFormat::EnvoyJson => {
                    let m = json(line);
                    for k in ENVOY_KEYS {
                        assert!(m.contains_key(*k), "{k} missing: {line}");
                    }
                    assert_eq!(m.len(), ENVOY_KEYS.len());
                    assert!(m["status"].is_u64() && m["duration_ms"].is_u64());
                }
                OutputFormat::Kong => {
                    let m = json(line);
                    for k in [
                        "request",
                        "response",
                        "latencies",
                        "client_ip",
                        "started_at",
                    ] {
                        assert!(m.contains_key(k), "{k} missing: {line}");
                    }
                    let req = m["request"].as_object().expect("request object");
                    for k in [
                        "id",
                        "method",
                        "uri",
                        "url",
                        "querystring",
                        "headers",
                        "size",
                        "tls",
                    ] {
                        assert!(req.contains_key(k), "request.{k} missing: {line}");
                    }
                    assert!(m["response"]["status"].is_u64());
                    assert!(m["latencies"]["request"].is_u64());
                }
                OutputFormat::NginxCombined => {
                    let c =
                        parse_combined(line).unwrap_or_else(|| panic!("bad combined line: {line}"));
                    // Only the brute-force crews send Basic auth.
                    let basic = c.user != "-" && c.uri.starts_with("/v1/legacy/statement");
                    assert!(c.user == "-" || basic, "{line}");
                    assert!((100..600).contains(&c.status), "{line}");
                    assert!(c.method.bytes().all(|b| b.is_ascii_uppercase()));
                    assert!(c.uri.starts_with('/') && !c.ua.is_empty() && !c.ip.is_empty());
                    assert!(c.bytes < 100_000_000);
                }
            }
            let t = line_time(format, line);
            assert!(t >= last, "{format}: time goes back at {line}");
            last = t;
        }
    }
}

#[test]
fn labels_match_the_lines_exactly() {
    let (out, summary) = run(&cfg(40_000, OutputFormat::NginxJson));
    let rows: Vec<_> = lines(&out).into_iter().map(json).collect();
    let kinds: BTreeSet<&str> = summary.labels.iter().map(|l| l.kind.as_str()).collect();
    let expected = [
        "account-takeover",
        "brute-force",
        "credential-in-url",
        "credential-stuffing",
        "enumeration",
        "injection",
        "resource-abuse",
        "scanning",
        "sensitive-data-exposure",
        "shadow-endpoint",
        "zombie-endpoint",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), expected);

    let str_of = |m: &serde_json::Map<String, Value>, k: &str| {
        m[k].as_str().map(str::to_string).unwrap_or_default()
    };
    let mut attack_lines = 0;
    for label in &summary.labels {
        assert!(label.start <= label.end, "{label:?}");
        assert!(label.owasp.starts_with("API") && label.owasp.ends_with(":2023"));
        let mine: Vec<_> = rows
            .iter()
            .filter(|m| in_clients(&str_of(m, "remote_addr"), &label.clients))
            .collect();
        let counted: Vec<_> = if label.kind == "account-takeover" {
            mine.iter().filter(|m| m["status"] == 200).collect()
        } else {
            attack_lines += mine.len() as u64;
            mine.iter().collect()
        };
        assert_eq!(counted.len() as u64, label.calls, "{label:?}");
        for m in &counted {
            let t = Timestamp::parse_epoch_decimal(&m["msec"].to_string()).expect("msec");
            assert!(
                t >= label.start && t <= label.end,
                "{label:?} outside window"
            );
            if label.endpoint != "*" {
                let (method, template) = label.endpoint.split_once(' ').expect("METHOD path");
                assert_eq!(str_of(m, "method"), method);
                let uri = str_of(m, "uri");
                let path = uri.split('?').next().unwrap_or_default();
                let fixed = template.split('{').next().unwrap_or_default();
                assert!(path.starts_with(fixed), "{path} vs {template}");
                assert_eq!(path.matches('/').count(), template.matches('/').count());
            }
        }
    }
    assert_eq!(attack_lines, summary.attack);

    let by_kind = |k: &str| {
        summary
            .labels
            .iter()
            .filter(|l| l.kind == k)
            .collect::<Vec<_>>()
    };
    // Single-address stuffing: hundreds of failures within minutes.
    let stuffing = by_kind("credential-stuffing");
    let single = stuffing
        .iter()
        .find(|l| l.clients.len() == 1)
        .expect("single");
    assert!(single.calls >= 60);
    assert!(single.end.0 - single.start.0 < 30 * 60 * 1_000_000);
    // Distributed: dozens of addresses, each only a few failures.
    let dist = stuffing
        .iter()
        .find(|l| l.clients.len() == 2)
        .expect("distributed");
    let mut per_ip: BTreeMap<String, u32> = BTreeMap::new();
    for m in &rows {
        let ip = str_of(m, "remote_addr");
        if in_clients(&ip, &dist.clients) {
            assert_eq!(m["status"], 401);
            *per_ip.entry(ip).or_default() += 1;
        }
    }
    assert!(per_ip.len() >= 60, "{}", per_ip.len());
    assert!(per_ip.values().all(|&n| (3..=6).contains(&n)));
    // Brute force carries the Basic-auth user name.
    let brute = by_kind("brute-force")[0];
    assert!(
        rows.iter()
            .any(|m| in_clients(&str_of(m, "remote_addr"), &brute.clients)
                && str_of(m, "remote_user") == "d.okafor"
                && m["status"] == 401)
    );
    // Credentials and card numbers in URLs.
    assert!(rows.iter().any(|m| str_of(m, "uri").contains("api_key=")));
    assert!(
        rows.iter()
            .any(|m| str_of(m, "uri").contains("access_token=eyJ"))
    );
    assert!(
        rows.iter()
            .any(|m| str_of(m, "uri").contains("4111111111111111"))
    );
}

#[test]
fn benign_traffic_has_no_false_alarms_in_urls() {
    let (out, summary) = run(&SimConfig {
        attacks: false,
        ..cfg(30_000, OutputFormat::NginxJson)
    });
    assert!(summary.labels.is_empty());
    assert_eq!(summary.attack, 0);
    for m in lines(&out).into_iter().map(json) {
        let uri = m["uri"].as_str().unwrap_or_default();
        let mut kinds = Vec::new();
        linkwell_core::sensitive::scan_text(uri, |k| kinds.push(k));
        assert!(kinds.is_empty(), "{uri}: {kinds:?}");
        assert!(!uri.contains('\'') && !uri.contains('<'), "{uri}");
    }
}

#[test]
fn without_attacks_the_output_is_the_benign_part() {
    let with = cfg(20_000, OutputFormat::NginxJson);
    let (out_with, s_with) = run(&with);
    let (out_without, s_without) = run(&SimConfig {
        attacks: false,
        ..with
    });
    assert!(s_without.labels.is_empty());
    assert_eq!(s_without.attack, 0);
    assert_eq!(s_without.benign, s_with.benign);
    let clients: Vec<String> = s_with
        .labels
        .iter()
        .flat_map(|l| l.clients.clone())
        .collect();
    let benign_part: Vec<&str> = lines(&out_with)
        .into_iter()
        .filter(|l| {
            !in_clients(
                json(l)["remote_addr"].as_str().unwrap_or_default(),
                &clients,
            )
        })
        .collect();
    let without = lines(&out_without);
    assert!(without.iter().all(|l| !in_clients(
        json(l)["remote_addr"].as_str().unwrap_or_default(),
        &clients
    )));
    assert_eq!(benign_part, without);
}

#[test]
fn traffic_follows_the_day() {
    let (out, summary) = run(&SimConfig {
        attacks: false,
        ..cfg(60_000, OutputFormat::EnvoyJson)
    });
    let mut per_hour = [0u64; 24];
    for line in lines(&out) {
        let ts = json(line)["ts"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_default();
        let hour: usize = ts[11..13].parse().expect("hour");
        per_hour[hour] += 1;
    }
    assert!(per_hour[3] * 4 < per_hour[9], "{per_hour:?}");
    assert!(per_hour[2] < per_hour[19], "{per_hour:?}");
    // About the requested number of calls.
    let n = summary.benign as f64;
    assert!((n - 60_000.0).abs() < 6_000.0, "{n}");
}

#[test]
fn partner_traffic_uses_mutual_tls() {
    let (out, _) = run(&cfg(20_000, OutputFormat::NginxJson));
    let ob: Vec<_> = lines(&out)
        .into_iter()
        .map(json)
        .filter(|m| m["host"] == "openbanking.examplebank.com")
        .collect();
    assert!(ob.len() > 100);
    for m in &ob {
        assert_eq!(m["client_verify"], "SUCCESS");
        assert!(
            m["client_s_dn"]
                .as_str()
                .is_some_and(|d| d.starts_with("CN=tpp-"))
        );
        assert_eq!(m["fapi_interaction_id"].as_str().map(str::len), Some(36));
    }
}

#[test]
fn bench_mode_spreads_clients() {
    let (out, _) = run(&SimConfig {
        attacks: false,
        distinct_client_ips: Some(5_000),
        ..cfg(60_000, OutputFormat::NginxCombined)
    });
    let ips: BTreeSet<&str> = lines(&out)
        .into_iter()
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert!(
        (4_900..=5_100).contains(&ips.len()),
        "{} distinct addresses",
        ips.len()
    );
}

#[test]
fn labels_serialise() {
    let (_, summary) = run(&cfg(5_000, OutputFormat::Kong));
    let text = serde_json::to_string(&summary).expect("serialise");
    let v: Value = serde_json::from_str(&text).expect("parse");
    let labels: Vec<AttackLabel> =
        serde_json::from_value(v["labels"].clone()).expect("labels deserialise");
    assert_eq!(labels, summary.labels);
    assert!(text.contains("\"start\":\"2026-03-02T"));
}

#[test]
fn format_names_round_trip() {
    for f in OutputFormat::ALL {
        assert_eq!(OutputFormat::from_name(f.name()), Some(f));
    }
    assert_eq!(OutputFormat::from_name("apache"), None);
}

/// `cargo test --release -p linkwell-simulate -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput() {
    for format in OutputFormat::ALL {
        let c = cfg(2_000_000, format);
        let mut sink = std::io::sink();
        let t0 = std::time::Instant::now();
        let s = simulate(&c, &mut sink).expect("sink");
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "{format}: {} lines in {secs:.2}s = {:.0} lines/s",
            s.lines,
            s.lines as f64 / secs
        );
    }
}

#[test]
fn degenerate_configurations_do_not_panic() {
    for (users, calls, days) in [(0, 1_000, 1), (1, 0, 0), (3, 2_000, 2)] {
        let (out, summary) = run(&SimConfig {
            users,
            calls,
            days,
            ..cfg(0, OutputFormat::Kong)
        });
        assert_eq!(lines(&out).len() as u64, summary.lines);
        assert!(!summary.labels.is_empty());
    }
}
