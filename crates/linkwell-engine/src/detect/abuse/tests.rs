use super::*;
use crate::detect::testkit::{Harness, call, key};
use linkwell_core::{CallRecord, EndpointKey, Method};

const TX: &str = "/v1/accounts/{id}/transactions";

fn tx(ip: &str, who: Option<&str>, secs: i64) -> CallRecord<'static> {
    let mut c = call(
        ip,
        Method::Get,
        "/v1/accounts/40100013/transactions?limit=50",
        200,
        secs,
    );
    c.identity.subject = who.map(|w| w.to_string().into());
    c
}

/// One endpoint's traffic through one detector.
struct Run {
    h: Harness,
    d: Abuse,
    k: EndpointKey,
    out: Vec<Finding>,
}

impl Run {
    fn new(cfg: &EngineConfig) -> Self {
        Run {
            h: Harness::default(),
            d: Abuse::new(cfg),
            k: key("GET", TX),
            out: vec![],
        }
    }

    fn one(&mut self, c: &CallRecord<'_>, k: Option<&EndpointKey>) {
        let k = k.unwrap_or(&self.k).clone();
        self.h.run(&mut self.d, c, &k, &mut self.out);
    }

    /// `n` customers, each active for three minutes at 1–6 calls a minute,
    /// spread over `minutes` from `t0`.
    fn customers(&mut self, t0: i64, minutes: i64, n: i64) {
        for u in 0..n {
            let start = t0 + (u * 60 * minutes) / n;
            let per_min = 1 + u % 6;
            for m in 0..3 {
                for j in 0..per_min {
                    let ip = format!("81.2.{}.{}", u / 250, u % 250);
                    let c = tx(
                        &ip,
                        Some(&format!("cus_{u}")),
                        start + m * 60 + j * 60 / per_min,
                    );
                    self.one(&c, None);
                }
            }
        }
    }

    /// `per_min` calls a minute by one caller for `minutes` from `t0`.
    fn steady(&mut self, (ip, who): (&str, Option<&str>), t0: i64, minutes: i64, per_min: i64) {
        for i in 0..minutes * per_min {
            let c = tx(ip, who, t0 + i * 60 / per_min);
            self.one(&c, None);
        }
    }

    fn rate_findings(&self) -> usize {
        rate_findings(&self.out)
    }
}

fn rate_findings(out: &[Finding]) -> usize {
    out.iter()
        .filter(|f| f.evidence.get("peer_p99").is_some())
        .count()
}

#[test]
fn huge_pages() {
    let mut h = Harness::default();
    let mut d = Abuse::new(&EngineConfig::default());
    let mut out = vec![];
    let k = key("GET", TX);
    let c = call(
        "203.0.113.1",
        Method::Get,
        "/v1/accounts/1/transactions?limit=100000",
        200,
        0,
    );
    h.run(&mut d, &c, &k, &mut out);
    let c = call(
        "203.0.113.1",
        Method::Get,
        "/v1/accounts/1/transactions?limit=50",
        200,
        0,
    );
    h.run(&mut d, &c, &k, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].evidence.get("page_size"), Some(100_000));
}

#[test]
fn oversized_response() {
    let mut h = Harness::default();
    let mut d = Abuse::new(&EngineConfig::default());
    let mut out = vec![];
    let mut c = call("203.0.113.1", Method::Get, "/v1/export", 200, 0);
    c.response_bytes = Some(64 << 20);
    h.run(&mut d, &c, &key("GET", "/v1/export"), &mut out);
    c.response_bytes = Some(2 << 20);
    h.run(&mut d, &c, &key("GET", "/v1/export"), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::Low);
}

#[test]
fn a_caller_far_above_its_peers_is_caught_and_the_peers_are_not() {
    let mut r = Run::new(&EngineConfig::default());
    r.customers(0, 60, 300);
    assert!(
        r.out.is_empty(),
        "{:?}",
        r.out.first().map(|f| &f.explanation)
    );
    // A new client pulls transactions twice a second.
    r.steady(("52.56.33.90", Some("cus_scraper")), 3600, 10, 120);
    assert!(r.rate_findings() > 0);
    let f = &r.out[0];
    assert_eq!((f.kind, f.owasp), (FindingKind::ResourceAbuse, Owasp::Api4));
    let p99 = f.evidence.get("peer_p99").unwrap_or(0);
    assert!((1..=8).contains(&p99), "{p99}");
    assert!(
        f.explanation.contains("no earlier history"),
        "{}",
        f.explanation
    );
    // It fired once the rate passed max(5 × p99, 30), not before.
    let rate = f.evidence.get("rate").unwrap_or(0);
    assert_eq!(rate, (5 * p99).max(30) + 1, "p99 {p99}");
}

#[test]
fn no_verdict_before_the_baseline_is_warm() {
    let mut r = Run::new(&EngineConfig::default());
    r.customers(0, 10, 5);
    r.steady(("52.56.33.91", None), 600, 5, 120);
    assert_eq!(r.rate_findings(), 0);
}

#[test]
fn a_partner_busy_from_the_start_is_its_own_normal() {
    let mut r = Run::new(&EngineConfig::default());
    // The partner syncs at 150 calls a minute all day, from the first call
    // on, while customers come and go.
    for hour in 0..4 {
        r.steady(("34.89.10.7", Some("tpp-7")), hour * 3600, 60, 150);
        r.customers(hour * 3600, 60, 100);
    }
    assert_eq!(
        r.rate_findings(),
        0,
        "{:?}",
        r.out.first().map(|f| &f.explanation)
    );
}

#[test]
fn a_partner_that_starts_after_warm_up_is_reported_unless_trusted() {
    for trusted in [false, true] {
        let cfg = EngineConfig {
            trusted_clients: if trusted {
                vec!["tpp-208".into()]
            } else {
                vec![]
            },
            ..EngineConfig::default()
        };
        let mut r = Run::new(&cfg);
        r.customers(0, 60, 300);
        r.steady(("18.169.5.44", Some("tpp-208")), 3600, 30, 150);
        assert_eq!(r.rate_findings() > 0, !trusted, "trusted: {trusted}");
    }
}

#[test]
fn a_carrier_nat_address_is_judged_per_user() {
    let mut r = Run::new(&EngineConfig::default());
    r.customers(0, 60, 300);
    // 200 logged-in users behind one carrier address, each at customer
    // rates: keyed by identity, each is an ordinary caller.
    for i in 0..2000 {
        let c = tx(
            "100.64.7.1",
            Some(&format!("cus_m{}", i % 200)),
            3600 + i / 10,
        );
        r.one(&c, None);
    }
    // The same address on an anonymous route at 300 calls a minute from
    // 40 different devices (User-Agents): judged per agent.
    let pk = key("GET", "/v1/fx/rates");
    for u in 0..300 {
        let ip = format!("81.3.{}.{}", u / 250, u % 250);
        let mut c = call(&ip, Method::Get, "/v1/fx/rates?base=EUR", 200, u * 10);
        c.user_agent = Some("Mozilla/5.0".into());
        r.one(&c, Some(&pk));
        r.one(&c, Some(&pk));
    }
    for i in 0..3000 {
        let mut c = call(
            "100.64.7.1",
            Method::Get,
            "/v1/fx/rates?base=EUR",
            200,
            3600 + i / 5,
        );
        c.user_agent = Some(format!("ExampleBank/7.{} (iPhone)", i % 40).into());
        r.one(&c, Some(&pk));
    }
    assert_eq!(
        r.rate_findings(),
        0,
        "{:?}",
        r.out.first().map(|f| &f.explanation)
    );
    // One script at that rate from one address is not a NAT.
    for i in 0..600 {
        let mut c = call(
            "203.0.113.77",
            Method::Get,
            "/v1/fx/rates?base=EUR",
            200,
            7200 + i / 5,
        );
        c.user_agent = Some("python-requests/2.31.0".into());
        r.one(&c, Some(&pk));
    }
    assert!(r.rate_findings() > 0);
}

#[test]
fn memory_is_bounded_under_a_flood() {
    let cfg = EngineConfig {
        max_tracked_clients: 1000,
        abuse_max_endpoints: 50,
        ..EngineConfig::default()
    };
    let mut d = Abuse::new(&cfg);
    let mut h = Harness {
        state: crate::state::MemoryState::new(5000),
        ..Harness::default()
    };
    let mut out = vec![];
    for i in 0..30_000u32 {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
        let c = call(&ip, Method::Get, "/x", 200, i64::from(i / 100));
        h.run(&mut d, &c, &key("GET", &format!("/x{}", i % 500)), &mut out);
    }
    assert!(d.callers.len() <= 1000);
    assert!(d.baselines.len() <= 50);
    assert!(h.state.stats().entries <= 5000);
}
