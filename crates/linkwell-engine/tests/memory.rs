//! Memory stays bounded under attack: a million distinct client addresses
//! and user names through every detector.
//!
//! Measured as the process's resident memory (Linux `/proc/self/status`),
//! so it counts everything the engine holds, not what it thinks it holds.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::net::{IpAddr, Ipv4Addr};

use linkwell_core::{CallRecord, EndpointKey, Method, Timestamp};
use linkwell_engine::{Engine, EngineConfig};

/// The documented ceiling for the engine's state at default settings
/// (docs/detections.md, "Memory").
const BOUND_MIB: f64 = 256.0;

fn rss_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Call `i` of a spray: every call from a new address, each failing a login
/// for a new user name, probing a new missing path, or walking a new id.
fn call(i: u32) -> (CallRecord<'static>, EndpointKey) {
    let ip = IpAddr::V4(Ipv4Addr::from(0x0B00_0000u32 + i * 7));
    let (method, target, template, status) = match i % 4 {
        0 => (
            Method::Post,
            "/v1/auth/login".to_string(),
            "/v1/auth/login",
            401,
        ),
        1 => (Method::Get, format!("/v1/x{i}/.env"), "/v1/{id}/.env", 404),
        2 => (
            Method::Get,
            format!("/v1/accounts/{i}"),
            "/v1/accounts/{id}",
            403,
        ),
        _ => (
            Method::Get,
            format!("/v1/accounts/{i}/transactions?limit=50"),
            "/v1/accounts/{id}/transactions",
            200,
        ),
    };
    let mut c = CallRecord {
        time: Timestamp::from_secs(1_772_400_000 + i64::from(i / 300)),
        client_ip: Some(ip),
        method: Some(method.clone()),
        host: Some("api.example.com".into()),
        status,
        user_agent: Some(format!("agent-{}", i % 5000).into()),
        ..Default::default()
    };
    c.identity.login_user = Some(format!("user{i}@example.com").into());
    c.identity.subject = (i % 4 == 3).then(|| format!("cus_{i}").into());
    c.set_target(target.into());
    (
        c,
        EndpointKey::new(method.as_str(), "api.example.com", template),
    )
}

#[test]
fn a_million_distinct_clients_stay_under_the_bound() {
    let Some(before) = rss_mib("VmRSS:") else {
        eprintln!("skipped: no /proc/self/status on this system");
        return;
    };
    let mut engine = Engine::new(EngineConfig::default());
    let mut at = Vec::new();
    for i in 0..1_000_000u32 {
        let (c, k) = call(i);
        engine.process(&c, &k);
        if (i + 1) % 250_000 == 0 {
            at.push(rss_mib("VmRSS:").unwrap_or(0.0) - before);
        }
    }
    let peak = rss_mib("VmHWM:").unwrap_or(0.0) - before;
    let stats = engine.state_stats();
    eprintln!(
        "engine memory after 250k/500k/750k/1M distinct clients: {at:.1?} MiB; peak {peak:.1} MiB; state {stats:?}"
    );
    assert!(stats.entries <= stats.capacity, "{stats:?}");
    assert!(
        stats.evicted > 0,
        "a million clients must have evicted some: {stats:?}"
    );
    assert!(
        peak < BOUND_MIB,
        "peak {peak:.1} MiB over the {BOUND_MIB} MiB bound"
    );
    // Flat: the last quarter million clients add little.
    let growth = at[3] - at[2];
    assert!(
        growth < 0.15 * at[3].max(1.0) + 8.0,
        "still growing: {at:?}"
    );
}
