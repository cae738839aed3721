//! Learning parameters from traffic, re-keying, caps and noise handling.

mod common;

use common::{call, find, names};
use linkwell_core::EndpointKey;
use linkwell_inventory::template::static_template;
use linkwell_inventory::{Inventory, InventoryConfig};

const RESOURCES: [&str; 12] = [
    "accounts",
    "payments",
    "cards",
    "beneficiaries",
    "transactions",
    "standing-orders",
    "direct-debits",
    "statements",
    "consents",
    "loans",
    "savings",
    "fx-rates",
];

fn inv() -> Inventory {
    Inventory::new(InventoryConfig::default())
}

fn learns_usernames(n_users: usize) {
    let mut inv = inv();
    let users = names(n_users);
    for u in &users {
        assert_eq!(
            static_template(&format!("/{u}")),
            format!("/{u}"),
            "test names must be literal"
        );
    }
    let per_user = 3;
    for round in 0..per_user {
        for u in &users {
            inv.observe(&call(
                "GET",
                "api.example.com",
                &format!("/v1/users/{u}/profile"),
                200,
            ));
        }
        for (i, r) in RESOURCES.iter().enumerate() {
            inv.observe(&call("GET", "api.example.com", &format!("/v1/{r}"), 200));
            inv.observe(&call(
                "GET",
                "api.example.com",
                &format!("/v1/{r}/{}", i * 10 + round),
                200,
            ));
        }
    }
    let eps = inv.finish();
    let merged = find(&eps, "GET", "/v1/users/{param}/profile").expect("learned template");
    assert_eq!(merged.calls, (n_users * per_user) as u64);
    assert!(
        !eps.iter()
            .any(|e| e.template.starts_with("/v1/users/")
                && e.template != "/v1/users/{param}/profile"),
        "no per-user endpoint left"
    );
    for r in RESOURCES {
        let lit = find(&eps, "GET", &format!("/v1/{r}")).unwrap_or_else(|| panic!("/v1/{r} kept"));
        assert_eq!(lit.calls, per_user as u64);
        assert_eq!(
            find(&eps, "GET", &format!("/v1/{r}/{{id}}")).map(|e| e.calls),
            Some(3)
        );
    }
    assert_eq!(eps.len(), 1 + 2 * RESOURCES.len());
    assert_eq!(
        eps[0].template, "/v1/users/{param}/profile",
        "sorted by calls"
    );
}

#[test]
fn learns_a_parameter_decided_at_finish() {
    // 50 values: above the threshold (30), below the online cap.
    learns_usernames(50);
}

#[test]
fn learns_a_parameter_that_overflowed_online() {
    learns_usernames(200);
}

#[test]
fn below_threshold_stays_literal() {
    let mut inv = inv();
    for u in names(20) {
        inv.observe(&call("GET", "h", &format!("/v1/users/{u}/profile"), 200));
    }
    let eps = inv.finish();
    assert_eq!(eps.len(), 20);
    assert!(eps.iter().all(|e| !e.template.contains("{param}")));
}

#[test]
fn many_resource_collections_stay_literal() {
    // 40 resource names (more than the threshold), each followed by an id:
    // that is a large API, not a variable.
    let mut inv = inv();
    let resources = names(40);
    for (i, r) in resources.iter().enumerate() {
        for j in 0..3 {
            inv.observe(&call("GET", "h", &format!("/v1/{r}/{}", i * 100 + j), 200));
        }
    }
    let eps = inv.finish();
    assert_eq!(eps.len(), 40);
    for r in &resources {
        assert!(
            find(&eps, "GET", &format!("/v1/{r}/{{id}}")).is_some(),
            "{r}"
        );
    }
}

#[test]
fn heavy_child_stays_literal() {
    let mut inv = inv();
    for u in names(60) {
        inv.observe(&call("GET", "h", &format!("/v1/users/{u}"), 200));
    }
    for _ in 0..100 {
        inv.observe(&call("GET", "h", "/v1/users/search", 200));
    }
    let eps = inv.finish();
    assert_eq!(
        find(&eps, "GET", "/v1/users/search").map(|e| e.calls),
        Some(100)
    );
    assert_eq!(
        find(&eps, "GET", "/v1/users/{param}").map(|e| e.calls),
        Some(60)
    );
}

#[test]
fn nested_parameters_are_learned_on_merged_data() {
    // Each user has 3 files: no single `files` node is wide, but all users'
    // files together are.
    let mut inv = inv();
    let users = names(60);
    let files = names(60 * 3 + 1000);
    for (i, u) in users.iter().enumerate() {
        for f in &files[1000 + i * 3..1000 + i * 3 + 3] {
            inv.observe(&call("GET", "h", &format!("/v1/users/{u}/files/{f}"), 200));
        }
    }
    let eps = inv.finish();
    assert_eq!(
        eps.len(),
        1,
        "{:?}",
        eps.iter().map(|e| &e.template).collect::<Vec<_>>()
    );
    assert_eq!(eps[0].template, "/v1/users/{param}/files/{param}");
    assert_eq!(eps[0].calls, 180);
}

#[test]
fn methods_are_kept_apart_but_learn_together() {
    let mut inv = inv();
    for (i, u) in names(50).iter().enumerate() {
        let m = if i % 2 == 0 { "GET" } else { "PUT" };
        inv.observe(&call(m, "h", &format!("/v1/users/{u}"), 200));
    }
    let eps = inv.finish();
    assert_eq!(
        find(&eps, "GET", "/v1/users/{param}").map(|e| e.calls),
        Some(25)
    );
    assert_eq!(
        find(&eps, "PUT", "/v1/users/{param}").map(|e| e.calls),
        Some(25)
    );
    assert_eq!(eps.len(), 2);
}

#[test]
fn canonical_remaps_keys_before_and_after_finish() {
    let mut inv = inv();
    let users = names(50);
    let early: EndpointKey = inv
        .observe(&call(
            "GET",
            "API.example.com:443",
            "/v1/users/kalo/profile",
            200,
        ))
        .clone();
    assert_eq!(
        early,
        EndpointKey::new("GET", "api.example.com", "/v1/users/kalo/profile")
    );
    for u in &users {
        inv.observe(&call(
            "GET",
            "api.example.com",
            &format!("/v1/users/{u}/profile"),
            200,
        ));
    }
    let stable = inv
        .observe(&call("GET", "api.example.com", "/v1/accounts/17", 200))
        .clone();
    let want = EndpointKey::new("GET", "api.example.com", "/v1/users/{param}/profile");
    // The scan pipeline re-keys findings before calling finish().
    assert_eq!(inv.canonical(&early), want);
    assert_eq!(inv.canonical(&stable), stable);
    let eps = inv.finish();
    assert!(eps.iter().any(|e| e.key() == want));
    assert_eq!(inv.canonical(&early), want);
    assert_eq!(inv.canonical(&want), want);
    // Unknown hosts and paths map to themselves.
    let other = EndpointKey::new("GET", "elsewhere", "/x/y");
    assert_eq!(inv.canonical(&other), other);
}

#[test]
fn max_endpoints_folds_into_overflow() {
    let mut inv = Inventory::new(InventoryConfig {
        max_endpoints: 10,
        ..InventoryConfig::default()
    });
    let paths = names(25);
    for p in &paths {
        let k = inv
            .observe(&call("GET", "h", &format!("/{p}"), 200))
            .clone();
        assert!(
            k.template == format!("/{p}") || k.template == "/{overflow}",
            "{k}"
        );
    }
    // Existing endpoints keep receiving their calls.
    inv.observe(&call("GET", "h", &format!("/{}", paths[0]), 200));
    let eps = inv.finish();
    let overflow = find(&eps, "GET", "/{overflow}").expect("overflow endpoint");
    assert_eq!(overflow.host, "h");
    assert_eq!(overflow.calls, 15);
    assert_eq!(
        eps.iter().filter(|e| e.template != "/{overflow}").count(),
        10
    );
    assert_eq!(eps.iter().map(|e| e.calls).sum::<u64>(), 26);
    assert_eq!(
        find(&eps, "GET", &format!("/{}", paths[0])).map(|e| e.calls),
        Some(2)
    );
}

#[test]
fn full_catalog_evicts_not_found_noise_first() {
    let mut inv = Inventory::new(InventoryConfig {
        max_endpoints: 10,
        ..InventoryConfig::default()
    });
    let probes = names(10);
    for p in &probes {
        inv.observe(&call("GET", "h", &format!("/probe/{p}.php"), 404));
    }
    for r in RESOURCES.iter().take(5) {
        let k = inv.observe(&call("GET", "h", &format!("/v1/{r}"), 200));
        assert_eq!(k.template, format!("/v1/{r}"), "room was made");
    }
    let eps = inv.finish();
    assert_eq!(eps.len(), 5);
    assert!(eps.iter().all(|e| e.template != "/{overflow}"));
    assert_eq!(inv.not_found_calls(), 10);
}

#[test]
fn not_found_only_endpoints_are_excluded_but_counted() {
    let mut inv = inv();
    // A scanner: 1000 random paths, all 404.
    for (i, p) in names(1000).iter().enumerate() {
        let m = if i % 10 == 0 { "PROPFIND" } else { "GET" };
        inv.observe(&call(m, "h", &format!("/{p}/admin.php"), 404));
    }
    inv.observe(&call("DELETE", "h", "/v1/accounts", 405));
    // Real endpoints, including one that sometimes answers 404.
    for _ in 0..5 {
        inv.observe(&call("GET", "h", "/health", 200));
        inv.observe(&call("GET", "h", "/v1/accounts/1", 404));
    }
    inv.observe(&call("GET", "h", "/v1/accounts/2", 200));
    let eps = inv.finish();
    let templates: Vec<_> = eps.iter().map(|e| e.template.as_str()).collect();
    assert_eq!(templates, ["/v1/accounts/{id}", "/health"]);
    assert_eq!(
        find(&eps, "GET", "/v1/accounts/{id}").map(|e| e.calls),
        Some(6)
    );
    assert_eq!(inv.not_found_calls(), 1001);
}

#[test]
fn hosts_are_normalised_and_aliased() {
    let mut inv = Inventory::new(InventoryConfig {
        host_aliases: [(
            "API-EU.example.com:443".to_string(),
            "api.example.com".to_string(),
        )]
        .into_iter()
        .collect(),
        ..InventoryConfig::default()
    });
    for h in [
        "api.example.com",
        "API.Example.COM",
        "api.example.com.",
        "api.example.com:443",
        "api-eu.example.com",
    ] {
        inv.observe(&call("GET", h, "/v1/accounts", 200));
    }
    inv.observe(&call("GET", "api.example.com:8443", "/v1/accounts", 200));
    inv.observe(&call("GET", "-", "/v1/accounts", 200));
    let eps = inv.finish();
    let hosts: Vec<(&str, u64)> = eps.iter().map(|e| (e.host.as_str(), e.calls)).collect();
    assert_eq!(
        hosts,
        [("api.example.com", 5), ("", 1), ("api.example.com:8443", 1)]
    );
}

#[test]
fn calls_after_finish_are_merged_at_the_next_finish() {
    let mut inv = inv();
    for u in names(50) {
        inv.observe(&call("GET", "h", &format!("/v1/users/{u}"), 200));
    }
    let first = inv.finish();
    assert_eq!(first.len(), 1);
    inv.observe(&call("GET", "h", "/v1/users/kalo", 200));
    let second = inv.finish();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].calls, 51);
}

#[test]
fn hostile_input_stays_bounded() {
    fn assert_send<T: Send>() {}
    assert_send::<Inventory>();
    let mut inv = Inventory::new(InventoryConfig {
        max_endpoints: 100,
        ..InventoryConfig::default()
    });
    let huge = format!("/{}", "a/".repeat(100_000));
    let k = inv.observe(&call("GET", "h", &huge, 200)).clone();
    assert!(
        k.template.ends_with("/{truncated}") && k.template.len() < 200,
        "{k}"
    );
    let params: Vec<String> = (0..5000)
        .map(|i| format!("p{i}={}", "x".repeat(100)))
        .collect();
    inv.observe(&call("GET", "h", &format!("/q?{}", params.join("&")), 200));
    inv.observe(&call("GET", "h", "/%ff%fe/%C3%28/ok", 200));
    inv.observe(&call(
        "GET",
        "h",
        &format!("/{}", "%41".repeat(10_000)),
        200,
    ));
    for i in 0..5000 {
        // Spray hosts, methods and paths.
        inv.observe(&call(
            &format!("M{i}"),
            &format!("host{i}.example"),
            &format!("/x{i}"),
            200,
        ));
    }
    let eps = inv.finish();
    assert!(eps.len() <= 100 + 1024 + 16, "{}", eps.len());
    assert_eq!(eps.iter().map(|e| e.calls).sum::<u64>(), 5004);
    let q = find(&eps, "GET", "/q").unwrap();
    assert!(q.query_params.len() <= 50);
    assert!(eps.iter().any(|e| e.template == "/%FF%FE/%C3(/ok"));
    assert!(
        eps.iter().any(|e| e.template == "/{id}"),
        "overlong segment"
    );
    assert!(
        eps.iter()
            .any(|e| e.method == "OTHER" && e.template == "/{overflow}")
    );
}

/// A template computed elsewhere (the scan's parse workers) files calls
/// exactly as `observe` does, through learning and the final merge.
#[test]
fn observe_templated_matches_observe() {
    let (mut a, mut b) = (inv(), inv());
    let mut path = linkwell_inventory::PathTemplate::default();
    let users = names(80);
    let mut calls = Vec::new();
    for (i, u) in users.iter().enumerate() {
        calls.push(call(
            "GET",
            "api.example.com",
            &format!("/v1/users/{u}/profile"),
            200,
        ));
        calls.push(call(
            "POST",
            "API.example.com:443",
            &format!("/v1/accounts/{i}/payments?x=1"),
            201,
        ));
        calls.push(call(
            "GET",
            "api.example.com",
            "/v1/cards/4111111111111111",
            404,
        ));
    }
    for c in &calls {
        let ka = a.observe(c).clone();
        path.set(&c.path);
        let kb = b.observe_templated(c, &path).clone();
        assert_eq!(ka, kb);
    }
    assert_eq!(path.as_str(), "/v1/cards/{id}");
    let (ea, eb) = (a.finish(), b.finish());
    assert_eq!(format!("{ea:?}"), format!("{eb:?}"));
    assert!(ea.iter().any(|e| e.template == "/v1/users/{param}/profile"));
}
