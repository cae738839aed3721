use super::*;
use crate::detect::testkit::{Harness, call, key};
use linkwell_core::{CallRecord, Method};

fn as_user(mut c: CallRecord<'static>, who: &str) -> CallRecord<'static> {
    c.identity.subject = Some(who.to_string().into());
    c
}

fn det() -> Enumeration {
    Enumeration::new(&EngineConfig::default())
}

#[test]
fn sequential_sweep_with_refusals_is_high() {
    let mut h = Harness::default();
    let mut d = det();
    let k = key("GET", "/v1/accounts/{id}");
    let mut out = vec![];
    for i in 0..60 {
        let status = [200, 403, 404, 404, 404][i as usize % 5];
        let c = call(
            "198.51.100.20",
            Method::Get,
            &format!("/v1/accounts/{}", 10_000_000 + i),
            status,
            i,
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(!out.is_empty());
    let f = out.last().unwrap();
    assert_eq!((f.owasp, f.severity), (Owasp::Api1, Severity::High));
    assert!(f.confidence >= 0.85, "{}", f.confidence);
    assert!(
        f.explanation.contains("ascending order"),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains("refused 80%"), "{}", f.explanation);
}

#[test]
fn random_sweep_mostly_missing_is_high() {
    let mut h = Harness::default();
    let mut d = det();
    let k = key("GET", "/v1/orders/{id}");
    let mut out = vec![];
    let mut x: u64 = 12345;
    for i in 0..80 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let status = if i % 10 == 0 { 200 } else { 404 };
        let c = as_user(
            call(
                "198.51.100.21",
                Method::Get,
                &format!("/v1/orders/{}", x >> 40),
                status,
                i * 5,
            ),
            "cus_attacker",
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    let f = out.last().unwrap();
    assert_eq!(f.severity, Severity::High);
    assert!(f.confidence < 0.85, "no sequence: {}", f.confidence);
    assert_eq!(f.client.identity.as_deref(), Some("cus_attacker"));
    assert!(f.evidence.get("distinct_ids") >= Some(25));
}

#[test]
fn authenticated_sequential_successes_are_reported_with_lower_confidence() {
    let mut h = Harness::default();
    let mut d = det();
    let k = key("GET", "/v1/invoices/{id}");
    let mut out = vec![];
    for i in 0..40 {
        let c = as_user(
            call(
                "198.51.100.22",
                Method::Get,
                &format!("/v1/invoices/{}", 5000 + i),
                200,
                i * 3,
            ),
            "cus_curious",
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(!out.is_empty(), "a run of 40 other invoices");
    let f = &out[0];
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.confidence <= 0.6);
    assert!(f.explanation.contains("answered 100%"), "{}", f.explanation);
}

#[test]
fn anonymous_sequential_successes_are_a_crawl_not_bola() {
    // Public objects (branches, products) have no owner to bypass.
    let mut h = Harness::default();
    let mut d = det();
    let mut out = vec![];
    for i in 0..100 {
        let c = call(
            "198.51.100.23",
            Method::Get,
            &format!("/v1/branches/{}", 100 + i),
            200,
            i,
        );
        h.run(&mut d, &c, &key("GET", "/v1/branches/{id}"), &mut out);
    }
    assert!(out.is_empty());
}

#[test]
fn a_partner_reading_its_own_customers_accounts_is_quiet() {
    // An open-banking partner reads hundreds of accounts (every PSU that
    // gave it consent) from two addresses: all answered, in no particular
    // order, a rare 403 when a consent has just expired.
    let mut h = Harness::default();
    let mut d = det();
    let k = key("GET", "/open-banking/v3.1/aisp/accounts/{id}");
    let mut out = vec![];
    let mut x: u64 = 99;
    for i in 0..3000i64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let acc = 40_100_000 + 13 * ((x >> 33) % 20_000);
        let status = if i % 500 == 7 { 403 } else { 200 };
        let ip = ["3.9.120.14", "3.9.120.15"][i as usize % 2];
        let c = as_user(
            call(
                ip,
                Method::Get,
                &format!("/open-banking/v3.1/aisp/accounts/{acc}"),
                status,
                i,
            ),
            "tpp-42",
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(out.is_empty(), "{:?}", out.first().map(|f| &f.explanation));
}

#[test]
fn owners_and_a_carrier_nat_are_quiet() {
    let mut h = Harness::default();
    let mut d = det();
    let k = key("GET", "/v1/accounts/{id}");
    let mut out = vec![];
    // 500 customers behind one carrier address, each reading their own one
    // to three accounts a few times (some ids adjacent: accounts are
    // numbered in sign-up order), a rare 404.
    for u in 0..500i64 {
        for j in 0..6 {
            let acc = 40_100_000 + u * 2 + (j % 3);
            let status = if (u + j) % 97 == 0 { 404 } else { 200 };
            let c = as_user(
                call(
                    "100.64.0.1",
                    Method::Get,
                    &format!("/v1/accounts/{acc}"),
                    status,
                    u + j,
                ),
                &format!("cus_{u}"),
            );
            h.run(&mut d, &c, &k, &mut out);
        }
    }
    // And the same traffic without identities (a public, anonymous route).
    let k = key("GET", "/v1/atms/{id}");
    for i in 0..3000i64 {
        let status = if i % 50 == 0 { 404 } else { 200 };
        let c = call(
            "100.64.0.2",
            Method::Get,
            &format!("/v1/atms/{}", (i * 7919) % 4000),
            status,
            i / 5,
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(out.is_empty(), "{:?}", out.first().map(|f| &f.explanation));
}

#[test]
fn an_identity_outside_its_usual_objects_is_reported() {
    let mut h = Harness::default();
    let mut d = det();
    let k = key("GET", "/v1/statements/{id}");
    let mut out = vec![];
    let sweep =
        |h: &mut Harness, d: &mut Enumeration, out: &mut Vec<Finding>, who: &str, t0: i64| {
            let mut x: u64 = 7;
            for i in 0..40i64 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let status = if i % 3 == 0 { 404 } else { 200 };
                let c = as_user(
                    call(
                        "198.51.100.30",
                        Method::Get,
                        &format!("/v1/statements/{}", x >> 44),
                        status,
                        t0 + i * 5,
                    ),
                    who,
                );
                h.run(d, &c, &k, out);
            }
        };
    // A customer who read their two statements yesterday...
    for i in 0..6 {
        let c = as_user(
            call(
                "198.51.100.30",
                Method::Get,
                &format!("/v1/statements/{}", 77 + i % 2),
                200,
                i * 60,
            ),
            "cus_regular",
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    // ... today reads 40 random ones, a third of them missing.
    sweep(&mut h, &mut d, &mut out, "cus_regular", 86_400);
    assert!(!out.is_empty(), "novel and partly refused");
    assert_eq!(out[0].severity, Severity::Medium);
    assert!(
        out[0].explanation.contains("usually touches at most 2"),
        "{}",
        out[0].explanation
    );
    // Someone with no history doing the same is below every threshold.
    let mut fresh = vec![];
    sweep(&mut h, &mut d, &mut fresh, "cus_new", 2 * 86_400);
    assert!(
        fresh.is_empty(),
        "{:?}",
        fresh.first().map(|f| &f.explanation)
    );
}

#[test]
fn trusted_partners_may_page_through_their_objects() {
    let cfg = EngineConfig {
        trusted_clients: vec!["tpp-ledger".into()],
        ..EngineConfig::default()
    };
    let mut d = Enumeration::new(&cfg);
    let mut h = Harness::default();
    let k = key("GET", "/v1/invoices/{id}");
    let mut out = vec![];
    for i in 0..100 {
        let c = as_user(
            call(
                "18.169.5.44",
                Method::Get,
                &format!("/v1/invoices/{}", 9000 + i),
                200,
                i,
            ),
            "tpp-ledger",
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(out.is_empty());
    // Refusals are reported even for a trusted client.
    for i in 0..60 {
        let c = as_user(
            call(
                "18.169.5.44",
                Method::Get,
                &format!("/v1/invoices/{}", 20_000 + i),
                403,
                2000 + i,
            ),
            "tpp-ledger",
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(!out.is_empty());
}

#[test]
fn sensors_sharing_state_see_one_sweep() {
    // Two sensors behind a load balancer, each seeing every other call:
    // shared counts, and each sensor's ids still ascend by a small step.
    let mut h = Harness::default();
    let (mut a, mut b) = (det(), det());
    let k = key("GET", "/v1/accounts/{id}");
    let mut out = vec![];
    for i in 0..60 {
        let c = call(
            "198.51.100.40",
            Method::Get,
            &format!("/v1/accounts/{}", 500 + i),
            404,
            i,
        );
        let d: &mut dyn Detector = if i % 2 == 0 { &mut a } else { &mut b };
        h.run(d, &c, &k, &mut out);
    }
    assert!(!out.is_empty());
    let f = out.last().unwrap();
    assert!(
        f.evidence.get("distinct_ids") >= Some(45),
        "{:?}",
        f.evidence.get("distinct_ids")
    );
    assert!(f.explanation.contains("ascending"));
}

#[test]
fn memory_is_bounded_under_a_flood_of_callers() {
    let cfg = EngineConfig {
        max_tracked_clients: 1000,
        ..EngineConfig::default()
    };
    let mut d = Enumeration::new(&cfg);
    let mut h = Harness {
        state: crate::state::MemoryState::new(5000),
        ..Harness::default()
    };
    let k = key("GET", "/v1/accounts/{id}");
    let mut out = vec![];
    for i in 0..50_000u32 {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
        let c = call(
            &ip,
            Method::Get,
            &format!("/v1/accounts/{i}"),
            404,
            i64::from(i / 100),
        );
        h.run(&mut d, &c, &k, &mut out);
    }
    assert!(d.tracks.len() <= 1000);
    assert!(h.state.stats().entries <= 5000);
}

#[test]
fn object_id_is_the_path_segment_under_the_last_placeholder() {
    use super::object_id;
    assert_eq!(
        object_id("/v1/accounts/{id}", "/v1/accounts/4711"),
        Some("4711")
    );
    assert_eq!(
        object_id("/v1/users/{id}/cards/{id}", "/v1/users/7/cards/9f1c"),
        Some("9f1c")
    );
    assert_eq!(
        object_id("/v1/users/{id}/cards", "/v1/users/7/cards"),
        Some("7")
    );
    // The overflow bucket is not an id; an empty segment is none.
    assert_eq!(object_id("/v1/{overflow}", "/v1/anything"), None);
    assert_eq!(object_id("/v1/accounts/{id}", "/v1/accounts/"), None);
    // A path shorter than its template pairs only what both have.
    assert_eq!(object_id("/v1/accounts/{id}", "/v1/accounts"), None);
    assert_eq!(object_id("/v1/{id}/x/{id}", "/v1/é/x"), Some("é"));
    assert_eq!(object_id("/plain", "/plain"), None);
}
