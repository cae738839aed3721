//! Per-call engine cost on a realistic mix of benign calls.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use criterion::{Criterion, criterion_group, criterion_main};
use linkwell_core::{CallRecord, EndpointKey, Method, Timestamp};
use linkwell_engine::{Engine, EngineConfig};
use std::hint::black_box;

/// The calls, and the index of each one's endpoint in the key list: the
/// pipeline passes the inventory's own key for an endpoint, so a few keys
/// serve every call (not a fresh copy per call).
fn calls() -> (Vec<(CallRecord<'static>, usize)>, Vec<EndpointKey>) {
    let mut v = Vec::new();
    let mut keys: Vec<EndpointKey> = Vec::new();
    for i in 0..10_000u32 {
        let (m, target, tpl, status) = match i % 5 {
            0 => (
                Method::Get,
                format!("/v1/accounts/{}", 10_000 + i % 300),
                "/v1/accounts/{id}",
                200,
            ),
            1 => (
                Method::Get,
                format!(
                    "/v1/accounts/{}/transactions?from=2026-01-01&to=2026-02-01&limit=50",
                    10_000 + i % 300
                ),
                "/v1/accounts/{id}/transactions",
                200,
            ),
            2 => (
                Method::Post,
                "/v1/auth/login".to_string(),
                "/v1/auth/login",
                if i % 50 == 2 { 401 } else { 200 },
            ),
            3 => (
                Method::Get,
                "/v1/fx/rates?base=EUR".to_string(),
                "/v1/fx/rates",
                200,
            ),
            _ => (
                Method::Post,
                "/v1/payments".to_string(),
                "/v1/payments",
                201,
            ),
        };
        let mut c = CallRecord {
            time: Timestamp::from_secs(1_772_400_000 + i64::from(i / 10)),
            client_ip: format!("81.2.{}.{}", (i / 256) % 200, i % 256).parse().ok(),
            method: Some(m.clone()),
            host: Some("api.examplebank.com".into()),
            status,
            user_agent: Some("ExampleBank/7.12.0 (iPhone; iOS 17.4; Scale/3.00)".into()),
            ..Default::default()
        };
        c.set_target(target.into());
        let key = EndpointKey::new(m.as_str(), "api.examplebank.com", tpl);
        let k = match keys.iter().position(|k| *k == key) {
            Some(k) => k,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        v.push((c, k));
    }
    (v, keys)
}

/// The mix covers this many seconds of traffic; each pass over it is moved
/// this far on, so time keeps running forward as in a live feed (replaying
/// the same seconds again would pile every pass into the same windows and
/// turn benign clients into floods).
const SPAN_US: i64 = 1_000 * 1_000_000;

fn bench(c: &mut Criterion) {
    let (mut calls, keys) = calls();
    let mut engine = Engine::new(EngineConfig::default());
    let mut i = 0usize;
    c.bench_function("engine_process_benign_mix", |b| {
        b.iter(|| {
            let n = calls.len();
            let (call, key) = &mut calls[i % n];
            if i >= n {
                call.time.0 += SPAN_US;
            }
            i += 1;
            black_box(engine.process(black_box(call), &keys[*key]))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
