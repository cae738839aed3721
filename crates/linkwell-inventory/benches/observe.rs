//! `Inventory::observe` on a realistic mix of banking API calls, in steady
//! state (endpoints already exist, as for all but the first calls of a scan).

use std::borrow::Cow;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use linkwell_core::{AuthScheme, CallRecord, Method, Timestamp};
use linkwell_inventory::{Inventory, InventoryConfig};

const N: usize = 10_000;

/// A small deterministic generator (no dev-dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn calls() -> Vec<CallRecord<'static>> {
    const SYL: [&str; 16] = [
        "ka", "lo", "mi", "ra", "ten", "su", "vo", "bel", "dan", "fi", "gor", "hu", "jas", "ke",
        "lin", "mar",
    ];
    let mut rng = Lcg(42);
    let hosts = [
        "api.examplebank.com",
        "API.examplebank.com:443",
        "open.examplebank.com",
    ];
    (0..N)
        .map(|i| {
            let r = rng.below(100);
            let acct = 10_000 + rng.below(5_000);
            let (method, target, status) = match r {
                0..=29 => ("GET", format!("/v1/accounts/{acct}"), 200),
                30..=49 => (
                    "GET",
                    format!(
                        "/v1/accounts/{acct}/transactions?limit=50&from=2026-03-01&offset={}",
                        rng.below(10) * 50
                    ),
                    200,
                ),
                50..=59 => ("GET", "/v1/accounts".to_string(), 200),
                60..=67 => (
                    "GET",
                    format!(
                        "/v1/users/{}{}/profile",
                        SYL[rng.below(16) as usize],
                        SYL[rng.below(16) as usize]
                    ),
                    200,
                ),
                68..=77 => ("POST", "/v1/payments".to_string(), 201),
                78..=85 => (
                    "GET",
                    format!(
                        "/v1/cards/{:08x}-{:04x}-4{:03x}-a{:03x}-{:06x}{:06x}",
                        rng.next() & 0xffff_ffff,
                        rng.below(65_536),
                        rng.below(4096),
                        rng.below(4096),
                        rng.below(1 << 24),
                        rng.below(1 << 24)
                    ),
                    200,
                ),
                86..=91 => ("POST", "/oauth2/token".to_string(), 200),
                92..=95 => ("GET", "/health".to_string(), 200),
                _ => ("GET", format!("/wp-admin/{}.php", SYL[rng.below(16) as usize]), 404),
            };
            let mut c = CallRecord {
                time: Timestamp::from_secs(1_772_446_530 + i as i64),
                method: Some(Method::parse(method).into_owned()),
                host: Some(Cow::Owned(hosts[rng.below(3) as usize].to_string())),
                status,
                latency_us: Some(2_000 + rng.below(200_000)),
                request_bytes: Some(300 + rng.below(2_000)),
                response_bytes: Some(200 + rng.below(20_000)),
                client_ip: Some(IpAddr::V4(Ipv4Addr::from(0xc000_0200 + rng.below(500) as u32))),
                ..CallRecord::default()
            };
            c.set_target(Cow::Owned(target));
            c.auth.insert(AuthScheme::Bearer);
            if method == "POST" && r < 78 {
                c.content_type = Some(Cow::Borrowed("application/json"));
                c.request_body = Some(Cow::Borrowed(
                    r#"{"amount": {"currency": "EUR", "value": "120.00"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "remittance": "invoice 4711"}"#,
                ));
            }
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let calls = calls();
    let mut inv = Inventory::new(InventoryConfig::default());
    for call in &calls {
        inv.observe(call);
    }
    let mut g = c.benchmark_group("observe");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("realistic_mix_10k_calls", |b| {
        b.iter(|| {
            for call in &calls {
                black_box(inv.observe(black_box(call)));
            }
        })
    });
    let no_body: Vec<_> = calls
        .iter()
        .cloned()
        .map(|mut c| {
            c.request_body = None;
            c
        })
        .collect();
    g.bench_function("log_lines_without_bodies_10k_calls", |b| {
        b.iter(|| {
            for call in &no_body {
                black_box(inv.observe(black_box(call)));
            }
        })
    });
    // Records that fit in cache, as a freshly parsed record is: measures
    // observe() itself rather than fetching 10k records from memory.
    let hot: Vec<_> = no_body[..1_000].to_vec();
    g.throughput(Throughput::Elements(hot.len() as u64));
    g.bench_function("log_lines_hot_1k_calls", |b| {
        b.iter(|| {
            for call in &hot {
                black_box(inv.observe(black_box(call)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
