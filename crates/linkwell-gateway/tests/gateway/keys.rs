//! API keys per route against the registry `linkwell keys` writes,
//! including a revocation picked up by the running proxy.

use std::time::Duration;

use crate::support::*;

const CONFIG: &str = r#"
[proxy]
mode = "enforce"
api_keys = "{dir}/keys.json"
[[proxy.listeners]]
listen = "127.0.0.1:0"
[[proxy.upstreams]]
name = "api"
url = "http://UPSTREAM"
[[proxy.routes]]
name = "partners"
path_prefix = "/partners"
upstream = "api"
[proxy.routes.api_key]
header = "x-api-key"
[[proxy.routes]]
name = "internal"
path_prefix = "/internal"
upstream = "api"
[proxy.routes.api_key]
"#;

fn with_key(path: &str, key: &str) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut r = get(path);
    r.headers_mut().insert("x-api-key", key.parse().unwrap());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_checked_per_route_and_revocation_applies_at_once() {
    let up = Upstream::start().await;
    let now = now_secs();
    let mut reg = linkwell_apikey::Registry::new();
    let good = reg
        .add(
            "partner-a",
            vec!["read".into()],
            vec!["partners".into()],
            None,
            None,
            now,
        )
        .unwrap();
    let old = reg
        .add("partner-b", vec![], vec![], None, Some(now - 1), now - 100)
        .unwrap();
    let cfg = CONFIG.replace("UPSTREAM", &up.addr.to_string());
    let p = start(&cfg, |d| {
        linkwell_apikey::save(&reg, &d.join("keys.json")).unwrap()
    })
    .await;

    let a = send(p.addr, None, with_key("/partners/v1/quotes", &good.key)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.identity.as_deref(), Some("partner-a"));
    assert!(
        rec.validation
            .auth
            .contains(linkwell_core::AuthScheme::ApiKey)
    );
    // The key never reaches the record.
    assert!(!format!("{rec:?}").contains(&good.key));

    let forged = format!("lwk_{}_{}", good.id, "A".repeat(43));
    for (req, status, problem) in [
        (get("/partners/v1/quotes"), 401, "api-key:missing"),
        (
            with_key("/partners/v1/quotes", "lwk_nothing"),
            401,
            "api-key:malformed",
        ),
        (
            with_key("/partners/v1/quotes", &forged),
            401,
            "api-key:unknown",
        ),
        (
            with_key("/partners/v1/quotes", &old.key),
            401,
            "api-key:expired",
        ),
        (
            with_key("/internal/v1/jobs", &good.key),
            403,
            "api-key:route-not-allowed",
        ),
    ] {
        let a = send(p.addr, None, req).await;
        assert_eq!(a.status, status, "{problem}: {}", a.body);
        assert_eq!(
            p.call_audit(&a.decision()).validation.problems,
            vec![problem.to_string()]
        );
    }

    // Revoked in the registry file; the running proxy notices within a second.
    reg.revoke(&good.id, "leaked", now).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    linkwell_apikey::save(&reg, &p.dir.join("keys.json")).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let a = send(p.addr, None, with_key("/partners/v1/quotes", &good.key)).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        p.call_audit(&a.decision()).validation.problems,
        vec!["api-key:revoked".to_string()]
    );
}
