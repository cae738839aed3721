//! Static templating: each shape class, the words that must stay literal,
//! and path normalisation.

use linkwell_inventory::template::{MAX_SEGMENTS, classify_segment, static_template};

#[test]
fn templating_table() {
    let long_path: String = (0..40).map(|i| format!("/s{i}x")).collect();
    let mut long_want: String = (0..MAX_SEGMENTS).map(|i| format!("/s{i}x")).collect();
    long_want.push_str("/{truncated}");
    let huge_segment = format!("/v1/blob/{}", "a".repeat(300));

    let cases: Vec<(&str, &str)> = vec![
        // The brief's example.
        (
            "/api/v1/users/4711/cards/9f1c3a7be2d84c61",
            "/api/v1/users/{id}/cards/{id}",
        ),
        // Normalisation.
        ("/", "/"),
        ("", "/"),
        ("/v1/accounts/", "/v1/accounts"),
        ("//v1//accounts///", "/v1/accounts"),
        ("/v1/accounts?limit=10#frag", "/v1/accounts"),
        ("https://api.example.com/v1/accounts/1", "/v1/accounts/{id}"),
        ("v1/accounts", "/v1/accounts"),
        ("/login;jsessionid=0A1B2C3D4E5F", "/login"),
        ("/v1/%61ccounts", "/v1/accounts"),
        ("/v1/a%2fb", "/v1/a%2Fb"),
        ("/v1/caf%C3%A9", "/v1/café"),
        // Braces, quotes and spaces never spell a resource name: data, not a literal.
        ("/v1/%7Bid%7D/x", "/v1/{id}/x"),
        ("/v1/{id}", "/v1/{id}"),
        ("/v1/hello%20world", "/v1/{id}"),
        ("/v1/accounts/40900037'%20OR%20'1'='1", "/v1/accounts/{id}"),
        (
            "/v1/search/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "/v1/search/{id}",
        ),
        // Traversal stays visible, in one spelling.
        ("/v1/./accounts/../admin", "/v1/./accounts/../admin"),
        ("/v1/%2e%2e/admin", "/v1/../admin"),
        ("/v1/.%2E/admin", "/v1/../admin"),
        // Words that must stay literal.
        ("/v1/transactions", "/v1/transactions"),
        ("/v1/beneficiaries", "/v1/beneficiaries"),
        ("/v1/users/me", "/v1/users/me"),
        ("/oauth2/token", "/oauth2/token"),
        ("/v2/standing-orders", "/v2/standing-orders"),
        ("/v1/keys/deadbeef", "/v1/keys/deadbeef"),
        (
            "/v1/getAccountBalanceHistory",
            "/v1/getAccountBalanceHistory",
        ),
        ("/v1/OAuth2Callback", "/v1/OAuth2Callback"),
        ("/iso20022/pain00100103", "/iso20022/pain00100103"),
        ("/v1/sha256", "/v1/sha256"),
        ("/api/v1.2.3/x", "/api/v1.2.3/x"),
        ("/v1/top-100", "/v1/top-100"),
        ("/v1/user-v2", "/v1/user-v2"),
        ("/v1/open-banking/psd2", "/v1/open-banking/psd2"),
        (
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration",
        ),
        ("/v1/openapi.json", "/v1/openapi.json"),
        // Numbers and ids.
        ("/v1/accounts/0", "/v1/accounts/{id}"),
        ("/v1/accounts/1234-5678-9012", "/v1/accounts/{id}"),
        (
            "/v1/accounts/550e8400-e29b-41d4-a716-446655440000",
            "/v1/accounts/{id}",
        ),
        (
            "/v1/accounts/550E8400-E29B-41D4-A716-446655440000",
            "/v1/accounts/{id}",
        ),
        (
            "/v1/accounts/550e8400e29b41d4a716446655440000",
            "/v1/accounts/{id}",
        ),
        ("/v1/keys/cafebabe1", "/v1/keys/{id}"),
        ("/v1/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/v1/orders/{id}"),
        ("/v1/customers/cus_8f7a6b5c4d3e", "/v1/customers/{id}"),
        ("/v1/accounts/acc-000123", "/v1/accounts/{id}"),
        (
            "/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "/v1/payment_intents/{id}",
        ),
        ("/v1/keys/sk_live_4eC39HqLyjWDarjtT1zdp7dc", "/v1/keys/{id}"),
        // Tokens.
        (
            "/v1/sessions/dGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0",
            "/v1/sessions/{id}",
        ),
        ("/v1/sessions/YWJjZGVmZ2hpams=", "/v1/sessions/{id}"),
        (
            "/v1/sessions/Zm9vYmFyX2Jhei1xdXV4LTEyMzQ",
            "/v1/sessions/{id}",
        ),
        ("/v1/refs/k3j4h5g6f7d8s9a0", "/v1/refs/{id}"),
        ("/v1/refs/x7k2m9q4", "/v1/refs/{id}"),
        (
            "/v1/t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc_-DEF",
            "/v1/t/{id}",
        ),
        // Bank data.
        ("/v1/ibans/DE89370400440532013000", "/v1/ibans/{id}"),
        ("/v1/cards/4111111111111111", "/v1/cards/{id}"),
        // E-mails and dates.
        (
            "/v1/users/alice@example.com/profile",
            "/v1/users/{email}/profile",
        ),
        (
            "/v1/users/alice%40example.com/profile",
            "/v1/users/{email}/profile",
        ),
        ("/v1/statements/2026-03-02", "/v1/statements/{date}"),
        ("/v1/statements/20260302", "/v1/statements/{date}"),
        ("/v1/statements/2026-03", "/v1/statements/{date}"),
        ("/v1/fx/2026-03-02T10:15:30Z", "/v1/fx/{date}"),
        // Extensions are kept after a templated stem.
        ("/v1/accounts/123.json", "/v1/accounts/{id}.json"),
        ("/v1/statements/2026-03-02.PDF", "/v1/statements/{date}.pdf"),
        // Bounded output.
        (&long_path, &long_want),
        (&huge_segment, "/v1/blob/{id}"),
    ];
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for (path, want) in &cases {
        let got = static_template(path);
        if got != *want {
            failures.push(format!("{path:?}: got {got:?}, want {want:?}"));
        }
        assert!(got.starts_with('/'));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn classify_segment_directly() {
    assert_eq!(classify_segment("4711"), Some("{id}"));
    assert_eq!(classify_segment("alice%40example.com"), Some("{email}"));
    assert_eq!(classify_segment("20260302"), Some("{date}"));
    assert_eq!(classify_segment("transactions"), None);
    assert_eq!(classify_segment("v1"), None);
    assert_eq!(classify_segment("me"), None);
    assert_eq!(classify_segment(""), None);
}
