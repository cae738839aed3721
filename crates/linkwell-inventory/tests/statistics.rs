//! Per-endpoint statistics as they appear in the summaries.

mod common;

use std::borrow::Cow;
use std::net::IpAddr;

use common::{call, find, names};
use linkwell_core::sensitive::SensitiveKind;
use linkwell_core::{AuthScheme, Timestamp};
use linkwell_inventory::{Inventory, InventoryConfig};

fn inv() -> Inventory {
    Inventory::new(InventoryConfig::default())
}

#[test]
fn latency_and_size_quantiles() {
    let mut inv = inv();
    for ms in 1..=100u64 {
        let mut c = call("GET", "h", "/v1/accounts", 200);
        c.latency_us = Some(ms * 1000);
        c.request_bytes = Some(100);
        c.response_bytes = Some(ms * 10);
        inv.observe(&c);
    }
    inv.observe(&call("GET", "h", "/v1/quiet", 200));
    let eps = inv.finish();
    let e = find(&eps, "GET", "/v1/accounts").unwrap();
    let l = e.latency_ms.unwrap();
    assert!((l.p50 - 50.0).abs() <= 2.5, "{l:?}");
    assert!((l.p90 - 90.0).abs() <= 4.5, "{l:?}");
    assert!((l.p99 - 99.0).abs() <= 5.0, "{l:?}");
    assert_eq!(l.max, 100.0);
    let rq = e.request_bytes.unwrap();
    assert!((rq.p50 - 100.0).abs() <= 5.0 && rq.max == 100.0, "{rq:?}");
    let rs = e.response_bytes.unwrap();
    assert!((rs.p50 - 500.0).abs() <= 25.0 && rs.max == 1000.0, "{rs:?}");
    // No call had a latency: no quantiles rather than zeros.
    let q = find(&eps, "GET", "/v1/quiet").unwrap();
    assert_eq!(q.latency_ms, None);
    assert_eq!(q.response_bytes, None);
}

#[test]
fn exact_quantiles_for_few_calls() {
    let mut inv = inv();
    for ms in [5u64, 1, 3] {
        let mut c = call("GET", "h", "/x", 200);
        c.latency_us = Some(ms * 1000);
        inv.observe(&c);
    }
    let eps = inv.finish();
    let l = eps[0].latency_ms.unwrap();
    assert_eq!((l.p50, l.p90, l.max), (3.0, 5.0, 5.0));
}

#[test]
fn status_mix() {
    let mut inv = inv();
    for (status, n) in [(200u16, 90), (404, 8), (500, 2), (0, 1), (302, 3)] {
        for _ in 0..n {
            inv.observe(&call("GET", "h", "/v1/accounts/7", status));
        }
    }
    let eps = inv.finish();
    let s = &eps[0].status;
    assert_eq!((s.s2xx, s.s3xx, s.s4xx, s.s5xx, s.other), (90, 3, 8, 2, 1));
    assert_eq!(s.total(), eps[0].calls);
    assert_eq!(s.codes, [(200, 90), (404, 8), (302, 3), (500, 2), (0, 1)]);
}

#[test]
fn query_and_body_params_and_sensitive_kinds() {
    let mut inv = inv();
    let mut c = call(
        "GET",
        "h",
        "/v1/accounts?limit=10&offset=0&owner=alice%40example.com&limit=20&filter%5Bstatus%5D=open",
        200,
    );
    c.auth.insert(AuthScheme::Bearer);
    inv.observe(&c);
    let mut c = call("GET", "h", "/v1/accounts?api_key=s3cr3t", 200);
    c.auth.insert(AuthScheme::ApiKey);
    inv.observe(&c);

    let mut p = call("POST", "h", "/v1/payments", 201);
    p.request_body = Some(Cow::Borrowed(
        r#"{"amount": 10, "creditor": {"iban": "DE89370400440532013000"}, "reference": "rent"}"#,
    ));
    inv.observe(&p);
    let mut l = call("POST", "h", "/v1/login", 200);
    l.content_type = Some(Cow::Borrowed("application/x-www-form-urlencoded"));
    l.request_body = Some(Cow::Borrowed("username=alice&password=hunter2"));
    inv.observe(&l);

    inv.observe(&call("GET", "h", "/v1/cards/4111111111111111", 200));
    inv.observe(&call("GET", "h", "/v1/users/bob%40example.com", 200));

    let eps = inv.finish();
    let a = find(&eps, "GET", "/v1/accounts").unwrap();
    assert_eq!(
        a.query_params,
        ["api_key", "filter[status]", "limit", "offset", "owner"]
    );
    assert_eq!(a.sensitive, [SensitiveKind::Email, SensitiveKind::ApiKey]);
    assert!(a.auth.contains(AuthScheme::Bearer) && a.auth.contains(AuthScheme::ApiKey));
    assert!(!a.auth.contains(AuthScheme::Basic));
    assert!(a.body_params.is_empty());

    let p = find(&eps, "POST", "/v1/payments").unwrap();
    assert_eq!(p.body_params, ["amount", "creditor", "reference"]);
    assert_eq!(p.sensitive, [SensitiveKind::Iban]);
    let l = find(&eps, "POST", "/v1/login").unwrap();
    assert_eq!(l.body_params, ["password", "username"]);
    assert_eq!(l.sensitive, [SensitiveKind::Password]);

    assert_eq!(
        find(&eps, "GET", "/v1/cards/{id}").unwrap().sensitive,
        [SensitiveKind::CardNumber]
    );
    assert_eq!(
        find(&eps, "GET", "/v1/users/{email}").unwrap().sensitive,
        [SensitiveKind::Email]
    );
}

#[test]
fn response_bodies_add_sensitive_kinds_but_not_parameters() {
    let mut inv = Inventory::new(InventoryConfig::default());
    let mut c = call("GET", "h", "/v1/customers/me", 200);
    c.response_body = Some(Cow::Borrowed(
        r#"{"name": "Ann", "ssn": "123-45-6789", "mobile": "+447700900123", "card": {"pan": "4111111111111111"}}"#,
    ));
    inv.observe(&c);
    let mut t = call("POST", "h", "/oauth2/token", 200);
    t.response_body = Some(Cow::Borrowed(
        r#"{"access_token": "opaque-abc", "expires_in": 3600}"#,
    ));
    inv.observe(&t);
    let mut quiet = call("GET", "h", "/v1/orders", 200);
    quiet.response_body = Some(Cow::Borrowed(
        r#"{"order": 123456789, "at": "2026-03-02T10:00:00Z", "amount": "1234.56", "id": "0b9e4a7c-2f59-4bb4-9d3b-6a2b8f0c1d2e"}"#,
    ));
    inv.observe(&quiet);
    let eps = inv.finish();
    let me = find(&eps, "GET", "/v1/customers/me").unwrap();
    assert_eq!(
        me.sensitive,
        [
            SensitiveKind::CardNumber,
            SensitiveKind::Ssn,
            SensitiveKind::Phone
        ]
    );
    assert!(me.body_params.is_empty(), "{:?}", me.body_params);
    assert_eq!(
        find(&eps, "POST", "/oauth2/token").unwrap().sensitive,
        [SensitiveKind::ApiKey]
    );
    assert!(
        find(&eps, "GET", "/v1/orders")
            .unwrap()
            .sensitive
            .is_empty()
    );
}

#[test]
fn parameter_names_are_bounded() {
    let mut inv = inv();
    let q: Vec<String> = names(200).iter().map(|n| format!("{n}=1")).collect();
    for chunk in q.chunks(40) {
        inv.observe(&call(
            "GET",
            "h",
            &format!("/search?{}", chunk.join("&")),
            200,
        ));
    }
    let long = format!("/search?{}=1", "x".repeat(500));
    inv.observe(&call("GET", "h", &long, 200));
    let eps = inv.finish();
    assert_eq!(eps[0].query_params.len(), 50);
    assert!(eps[0].query_params.iter().all(|n| n.len() <= 64));
}

#[test]
fn clients_and_seen_times() {
    let mut inv = inv();
    let ips = ["203.0.113.7", "203.0.113.8", "2001:db8::1"];
    for (i, n) in [5u32, 2, 1].into_iter().enumerate() {
        for k in 0..n {
            let mut c = call("GET", "h", "/v1/accounts", 200);
            c.client_ip = Some(ips[i].parse::<IpAddr>().unwrap());
            c.time = Timestamp::from_secs(1_772_446_530 + i64::from(k) * 10 - i as i64 * 100);
            inv.observe(&c);
        }
    }
    let eps = inv.finish();
    let e = &eps[0];
    assert_eq!(e.clients, 3);
    assert_eq!(e.top_clients[0], ("203.0.113.7".to_string(), 5));
    assert_eq!(e.top_clients.len(), 3);
    assert_eq!(
        e.first_seen,
        Some(Timestamp::from_secs(1_772_446_530 - 200))
    );
    assert_eq!(e.last_seen, Some(Timestamp::from_secs(1_772_446_530 + 40)));
}

#[test]
fn many_clients_are_estimated() {
    let mut inv = inv();
    for i in 0..5000u32 {
        let mut c = call("GET", "h", "/v1/accounts", 200);
        c.client_ip = Some(IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000u32 + i)));
        inv.observe(&c);
    }
    let eps = inv.finish();
    let est = eps[0].clients as f64;
    assert!((est - 5000.0).abs() / 5000.0 < 0.1, "{est}");
    assert_eq!(eps[0].top_clients.len(), 10);
}

#[test]
fn merged_endpoints_merge_all_statistics() {
    let mut inv = inv();
    for (i, u) in names(50).iter().enumerate() {
        let mut c = call(
            "GET",
            "h",
            &format!("/v1/users/{u}?fields=name"),
            if i == 0 { 500 } else { 200 },
        );
        c.latency_us = Some(1000 * (i as u64 + 1));
        c.client_ip = Some(IpAddr::from([10, 0, 0, (i % 7) as u8]));
        if i == 49 {
            c.auth.insert(AuthScheme::Basic);
        }
        inv.observe(&c);
    }
    let eps = inv.finish();
    assert_eq!(eps.len(), 1);
    let e = &eps[0];
    assert_eq!(e.template, "/v1/users/{param}");
    assert_eq!(e.calls, 50);
    assert_eq!((e.status.s2xx, e.status.s5xx), (49, 1));
    assert_eq!(e.latency_ms.unwrap().max, 50.0);
    assert_eq!(e.clients, 7);
    assert_eq!(e.query_params, ["fields"]);
    assert!(e.auth.contains(AuthScheme::Basic));
}

#[test]
fn jwt_in_a_long_path_segment_is_seen() {
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMiLCJwYWRkaW5nIjoi{}In0.c2lnbmF0dXJl",
        "QUFB".repeat(60)
    );
    assert!(jwt.len() > 200);
    let mut inv = inv();
    inv.observe(&call("GET", "h", &format!("/v1/reset/{jwt}"), 200));
    let eps = inv.finish();
    assert_eq!(eps[0].template, "/v1/reset/{id}");
    assert_eq!(eps[0].sensitive, [SensitiveKind::Jwt]);
}
