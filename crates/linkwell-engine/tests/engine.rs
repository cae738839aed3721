//! The engine as the pipeline uses it: per-call verdicts, incidents, modes.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use linkwell_core::{Action, CallRecord, EndpointKey, FindingKind, Method, Risk, Timestamp};
use linkwell_engine::{Engine, EngineConfig, Mode};

fn login(ip: &str, status: u16, t: i64) -> CallRecord<'static> {
    let mut c = CallRecord {
        time: Timestamp::from_secs(1_772_400_000 + t),
        client_ip: ip.parse().ok(),
        method: Some(Method::Post),
        status,
        ..Default::default()
    };
    c.set_target("/v1/auth/login".into());
    c
}

#[test]
fn stuffing_run_becomes_one_incident_and_blocks_in_enforce_mode() {
    let key = EndpointKey::new("POST", "api.example.com", "/v1/auth/login");
    let mut engine = Engine::new(EngineConfig {
        mode: Mode::Enforce,
        ..Default::default()
    });
    let mut first_block = None;
    for i in 0..100 {
        let v = engine.process(&login("198.51.100.23", 401, i), &key);
        if v.action == Action::Block && first_block.is_none() {
            first_block = Some(i);
            assert!(v.enforced);
            assert_eq!(v.risk, Risk::High);
        }
    }
    // One failure a second: the tenth within ten seconds (index 9) is the
    // first one judged an attack (the inline burst rule).
    assert_eq!(first_block, Some(9));
    // Benign neighbour traffic is untouched.
    let v = engine.process(&login("203.0.113.9", 200, 101), &key);
    assert!(v.is_clean());
    assert_eq!(v.action, Action::Allow);
    let findings = engine.finish();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, FindingKind::CredentialStuffing);
    assert_eq!(findings[0].evidence.get("flagged_calls"), Some(91));
    assert_eq!(findings[0].evidence.get("failed_logins"), Some(100));
}

#[test]
fn shadow_mode_never_enforces() {
    let key = EndpointKey::new("POST", "api.example.com", "/v1/auth/login");
    let mut engine = Engine::new(EngineConfig::default());
    for i in 0..50 {
        let v = engine.process(&login("198.51.100.23", 401, i), &key);
        assert!(!v.enforced);
    }
    assert_eq!(engine.incidents().len(), 1);
}
