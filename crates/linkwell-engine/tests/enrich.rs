//! Enrichment from MaxMind-format databases built by the test itself, and
//! the detectors that use it, through the engine's public API.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod support;

use linkwell_core::{CallRecord, EndpointKey, FindingKind, Method, Owasp, Timestamp};
use linkwell_engine::enrich::{EnrichError, IntelKind};
use linkwell_engine::{Engine, EngineConfig, Enricher, Enrichment};
use support::mmdb::{Writer, asn, city};

fn city_db() -> Vec<u8> {
    let mut w = Writer::new("GeoLite2-City", 6);
    w.insert("81.2.69.0/24", &city("GB", "London", 51.5142, -0.0931, 10))
        .insert("2001:db8:1::/48", &city("DE", "Berlin", 52.52, 13.405, 20))
        .insert("1.120.0.0/16", &city("AU", "Sydney", -33.87, 151.21, 20))
        .insert(
            "185.220.101.0/24",
            &city("DE", "Frankfurt am Main", 50.11, 8.68, 100),
        );
    w.finish()
}

fn asn_db() -> Vec<u8> {
    let mut w = Writer::new("GeoLite2-ASN", 4);
    w.insert("81.2.69.0/24", &asn(20712, "Andrews & Arnold Ltd"))
        .insert("1.120.0.0/16", &asn(1221, "Telstra Limited"));
    w.finish()
}

fn call(ip: &str, secs: i64) -> CallRecord<'static> {
    let mut c = CallRecord {
        time: Timestamp::from_secs(1_772_400_000 + secs),
        client_ip: ip.parse().ok(),
        method: Some(Method::Get),
        host: Some("api.example.com".into()),
        status: 200,
        user_agent: Some("ExampleBank/7.12.0 (iPhone; iOS 17.4; Scale/3.00)".into()),
        ..Default::default()
    };
    c.set_target("/v1/accounts/1".to_string().into());
    c
}

fn enricher() -> Enricher {
    let mut b = Enricher::builder();
    b.city_db(city_db()).unwrap();
    b.asn_db(asn_db()).unwrap();
    b.build()
}

fn enrich(e: &mut Enricher, c: &CallRecord<'_>) -> Enrichment {
    let mut out = Enrichment::default();
    e.enrich(c, &mut out);
    out
}

#[test]
fn ipv4_and_ipv6_lookups() {
    let mut e = enricher();
    let london = enrich(&mut e, &call("81.2.69.160", 0));
    assert_eq!(london.country.unwrap().as_str(), "GB");
    assert_eq!(london.city.as_deref(), Some("London"));
    let loc = london.location.unwrap();
    assert!((loc.lat - 51.5142).abs() < 1e-4 && (loc.lon + 0.0931).abs() < 1e-4);
    assert_eq!(loc.radius_km, 10);
    assert_eq!(london.asn, Some(20712));
    assert_eq!(london.as_org.as_deref(), Some("Andrews & Arnold Ltd"));

    // IPv6 in the City database; the ASN database is IPv4-only: no answer, no error.
    let berlin = enrich(&mut e, &call("2001:db8:1::42", 0));
    assert_eq!(berlin.country.unwrap().as_str(), "DE");
    assert_eq!(berlin.city.as_deref(), Some("Berlin"));
    assert_eq!(berlin.asn, None);

    // IPv4-mapped IPv6 is looked up as IPv4.
    let mapped = enrich(&mut e, &call("::ffff:1.120.3.4", 0));
    assert_eq!(mapped.city.as_deref(), Some("Sydney"));
    assert_eq!(mapped.asn, Some(1221));

    // Not covered: nothing, and no error.
    let none = enrich(&mut e, &call("192.0.2.1", 0));
    assert_eq!(none, Enrichment::default());
    assert_eq!(e.lookup_errors(), 0);

    // Repeat lookups come from the cache with the same answer.
    assert_eq!(enrich(&mut e, &call("81.2.69.160", 1)), london);
}

#[test]
fn gateway_fields_win() {
    let mut e = enricher();
    // Cloudflare says France: the database's London is not mixed in.
    let mut c = call("81.2.69.160", 0);
    c.country = Some("FR".into());
    let out = enrich(&mut e, &c);
    assert_eq!(out.country.unwrap().as_str(), "FR");
    assert_eq!((out.city, out.location), (None, None));
    assert_eq!(out.asn, Some(20712));
    // The same country: the city stays.
    let mut c = call("81.2.69.160", 0);
    c.country = Some("gb".into());
    c.asn = Some(64_500);
    let out = enrich(&mut e, &c);
    assert_eq!(out.city.as_deref(), Some("London"));
    assert_eq!(out.asn, Some(64_500));
    assert_eq!(out.as_org, None);
}

#[test]
fn missing_and_broken_databases() {
    // No databases: gateway fields only.
    let mut e = Enricher::builder().build();
    assert_eq!(
        enrich(&mut e, &call("81.2.69.160", 0)),
        Enrichment::default()
    );

    let mut b = Enricher::builder();
    let err = b.city_db(b"\x00\x01garbage".to_vec()).unwrap_err();
    assert!(
        matches!(err, EnrichError::Database { role: "city", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("not a readable MaxMind DB"),
        "{err}"
    );
    // A truncated file loses its metadata.
    let db = city_db();
    let err = b.city_db(db[..db.len() / 2].to_vec()).unwrap_err();
    assert!(matches!(err, EnrichError::Database { .. }), "{err}");
    // Swapped paths are caught by the database type.
    let err = b.city_db(asn_db()).unwrap_err();
    assert!(
        matches!(err, EnrichError::WrongDatabase { role: "city", .. }),
        "{err}"
    );
    let err = b.asn_db(city_db()).unwrap_err();
    assert!(
        matches!(err, EnrichError::WrongDatabase { role: "asn", .. }),
        "{err}"
    );
}

#[test]
fn damaged_databases_never_panic() {
    let good = city_db();
    let ips = [
        "81.2.69.160",
        "2001:db8:1::42",
        "1.120.3.4",
        "192.0.2.1",
        "::1",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut opened = 0;
    for _ in 0..400 {
        let mut db = good.clone();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % db.len();
            db[i] = (x >> 32) as u8;
        }
        let mut b = Enricher::builder();
        if b.city_db(db).is_ok() {
            opened += 1;
            let mut e = b.build();
            for ip in ips {
                let _ = enrich(&mut e, &call(ip, 0));
            }
        }
    }
    assert!(
        opened > 0,
        "every mutation was refused; the test exercises nothing"
    );
}

fn engine_with(enricher: Enricher) -> Engine {
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_enricher(enricher);
    engine
}

#[test]
fn impossible_travel_through_the_engine() {
    let mut engine = engine_with(enricher());
    let k = EndpointKey::new("GET", "api.example.com", "/v1/accounts/{id}");
    let mut c = call("81.2.69.160", 0);
    c.identity.subject = Some("alice".into());
    assert!(engine.process(&c, &k).findings.is_empty());
    let mut c = call("1.120.3.4", 900);
    c.identity.subject = Some("alice".into());
    let v = engine.process(&c, &k);
    let f = v
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Anomaly)
        .expect("impossible travel");
    assert_eq!(f.owasp, Owasp::Api2);
    assert!(f.explanation.contains("Sydney (AU)") && f.explanation.contains("London (GB)"));
    let travel = engine.features().travel.clone().unwrap();
    assert!(travel.kmh > 50_000.0, "{travel:?}");
    assert_eq!(engine.enrichment().city.as_deref(), Some("Sydney"));
}

#[test]
fn intel_lists_and_reload() {
    let mut b = Enricher::builder();
    let report = b
        .intel_list(
            "tor-exits",
            IntelKind::Tor,
            None,
            "# exits\n185.220.101.5\nnonsense\n",
        )
        .unwrap();
    assert_eq!((report.entries, report.bad_count), (1, 1));
    assert_eq!(report.bad[0].line, 3);
    let mut engine = engine_with(b.build());
    let k = EndpointKey::new("GET", "api.example.com", "/v1/accounts/{id}");
    let v = engine.process(&call("185.220.101.5", 0), &k);
    assert_eq!(v.findings.len(), 1);
    assert_eq!(v.findings[0].kind, FindingKind::ThreatIntel);
    assert!(v.findings[0].explanation.contains("'tor-exits'"));
    assert!(
        engine
            .process(&call("185.220.101.6", 1), &k)
            .findings
            .is_empty()
    );

    // Reload: a new list replaces the old one between two calls.
    let mut b = Enricher::builder();
    b.intel_list("tor-exits", IntelKind::Tor, None, "185.220.101.6\n")
        .unwrap();
    engine.set_enricher(b.build());
    let v = engine.process(&call("185.220.101.6", 2), &k);
    assert_eq!(v.findings.len(), 1);
    assert!(
        engine
            .process(&call("185.220.101.7", 3), &k)
            .findings
            .is_empty()
    );
}
