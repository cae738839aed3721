//! Per-call engine cost on a realistic mix of benign calls: every detector
//! on, first without enrichment sources, then with City and ASN databases
//! and threat-intelligence lists loaded (the cost a configured deployment
//! pays per call).

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

#[path = "../tests/support/mmdb.rs"]
mod mmdb;

use criterion::{Criterion, criterion_group, criterion_main};
use linkwell_core::{CallRecord, EndpointKey, Method, Timestamp};
use linkwell_engine::enrich::IntelKind;
use linkwell_engine::{Engine, EngineConfig, Enricher};
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
            user_agent: Some(
                match i % 3 {
                    0 => "ExampleBank/7.12.0 (iPhone; iOS 17.4; Scale/3.00)",
                    1 => "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                    _ => "okhttp/4.12.0",
                }
                .into(),
            ),
            ..Default::default()
        };
        if i % 4 == 0 {
            c.identity.subject = Some(format!("customer-{}", i % 500).into());
        }
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

/// A City database with 50,000 /24 networks (the calls' 81.2.0.0/16 among
/// them), an ASN database, and 20,000 prefixes in four lists.
fn enricher() -> Enricher {
    let cities = [
        ("GB", "London", 51.51, -0.09),
        ("GB", "Manchester", 53.48, -2.24),
        ("DE", "Berlin", 52.52, 13.40),
        ("FR", "Paris", 48.86, 2.35),
    ];
    let mut city = mmdb::Writer::new("GeoLite2-City", 6);
    let mut asn = mmdb::Writer::new("GeoLite2-ASN", 6);
    for n in 0..50_000u32 {
        let (a, b) = (1 + n / 256 % 223, n % 256);
        let net = if n < 256 {
            format!("81.2.{n}.0/24")
        } else {
            format!("{a}.{b}.{}.0/24", n % 251)
        };
        let (cc, name, lat, lon) = cities[n as usize % cities.len()];
        city.insert(&net, &mmdb::city(cc, name, lat, lon, 20));
        if n % 8 == 0 {
            asn.insert(&net, &mmdb::asn(64_500 + n % 1000, "Example Networks Ltd"));
        }
    }
    let mut lists = String::new();
    for n in 0..20_000u32 {
        lists.push_str(&format!(
            "{}.{}.{}.0/24\n",
            100 + n % 100,
            n / 100 % 256,
            n % 256
        ));
    }
    let mut b = Enricher::builder();
    b.city_db(city.finish()).unwrap();
    b.asn_db(asn.finish()).unwrap();
    for (i, kind) in [
        IntelKind::Deny,
        IntelKind::Tor,
        IntelKind::Scanner,
        IntelKind::Cloud,
    ]
    .into_iter()
    .enumerate()
    {
        let part: String = lists
            .lines()
            .skip(i * 5000)
            .take(5000)
            .map(|l| format!("{l}\n"))
            .collect();
        b.intel_list(kind.name(), kind, None, &part).unwrap();
    }
    b.build()
}

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
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_enricher(enricher());
    let mut i = 0usize;
    c.bench_function("engine_process_benign_mix_enriched", |b| {
        b.iter(|| {
            let n = calls.len();
            let (call, key) = &mut calls[i % n];
            call.time.0 += SPAN_US;
            i += 1;
            black_box(engine.process(black_box(call), &keys[*key]))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
