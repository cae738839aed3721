//! Modes and verdicts on the wire: credential stuffing cut off within
//! 500 ms, injection refused before it reaches the API, rate limits, shadow
//! mode that never refuses, and the kill switch.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use linkwell_audit::{AdminEvent, AuditEvent};
use linkwell_core::Action;

use crate::support::*;

fn config(upstream: &str, mode: &str) -> String {
    format!(
        r#"
[proxy]
mode = "{mode}"
[proxy.admin]
listen = "127.0.0.1:0"
token = "admin-secret"
[[proxy.listeners]]
listen = "127.0.0.1:0"
[[proxy.upstreams]]
name = "api"
url = "http://{upstream}"
[[proxy.routes]]
name = "api"
path_prefix = "/"
upstream = "api"
[[proxy.routes]]
name = "fx"
path_prefix = "/v1/fx"
upstream = "api"
[proxy.routes.rate_limit]
requests = 5
per_secs = 1
burst = 2
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_stuffing_is_cut_off_within_half_a_second() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), "enforce"), |_| {}).await;
    // A realistic stuffing tool: one address, a new user name every 20 ms.
    let first = Instant::now();
    let mut blocked_after = None;
    let mut sent = 0;
    for i in 0..100 {
        let body = format!(r#"{{"username":"victim{i}@mail.test","password":"hunter{i}"}}"#);
        let a = send(p.addr, None, post_json("/api/v1/auth/login", &body)).await;
        sent += 1;
        if a.status == 403 {
            blocked_after = Some(first.elapsed());
            let rec = p.call_audit(&a.decision());
            assert_eq!(rec.action, Action::Block);
            assert!(rec.enforced);
            assert_eq!(
                rec.validation.problems,
                vec!["blocklist:source-blocked".to_string()]
            );
            break;
        }
        assert_eq!(a.status, 401, "attempt {i}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let blocked_after = blocked_after.expect("the stuffing source was never blocked");
    let reached = up.count.load(Ordering::SeqCst);
    println!(
        "stuffing source blocked {blocked_after:?} after its first attempt; {reached} of {sent} attempts reached the upstream"
    );
    assert!(
        blocked_after < Duration::from_millis(500),
        "{blocked_after:?}"
    );
    assert!(reached <= 12, "{reached} attempts reached the upstream");
    // The block holds for the next requests from that source, whatever they are.
    let a = send(p.addr, None, get("/v1/accounts/1")).await;
    assert_eq!(a.status, 403);
    assert_eq!(up.count.load(Ordering::SeqCst), reached);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_is_refused_in_enforce_and_only_recorded_in_shadow() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), "enforce"), |_| {}).await;
    let attack = "/v1/accounts?id=1%27%20OR%20%271%27%3D%271";
    // Benign traffic with quotes in it passes.
    let a = send(p.addr, None, get("/v1/accounts?q=O%27Reilly")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = send(p.addr, None, get(attack)).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        up.count.load(Ordering::SeqCst),
        1,
        "the attack reached the API"
    );
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.validation.problems, vec!["injection:sqli".to_string()]);
    assert!(
        rec.findings
            .iter()
            .any(|f| f.kind == linkwell_core::FindingKind::Injection)
    );
    // A known attack blocks its source for what it sends next.
    let a = send(p.addr, None, get("/v1/accounts?q=O%27Reilly")).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(up.count.load(Ordering::SeqCst), 1);

    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), "shadow"), |_| {}).await;
    let a = send(p.addr, None, get(attack)).await;
    assert_eq!(a.status, 200, "shadow mode refused a call");
    assert_eq!(up.count.load(Ordering::SeqCst), 1);
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.validation.problems, vec!["injection:sqli".to_string()]);
    assert!(!rec.enforced);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_never_refuses_anything() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), "shadow"), |_| {}).await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let body = format!(r#"{{"username":"u{i}","password":"p"}}"#);
        statuses.push(
            send(p.addr, None, post_json("/api/v1/auth/login", &body))
                .await
                .status,
        );
        statuses.push(send(p.addr, None, get("/v1/fx/rates")).await.status);
        statuses.push(
            send(
                p.addr,
                None,
                get("/v1/x?q=%3Cscript%3Ealert(1)%3C/script%3E"),
            )
            .await
            .status,
        );
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
    assert_eq!(up.count.load(Ordering::SeqCst), 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_the_headers() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), "enforce"), |_| {}).await;
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(send(p.addr, None, get("/v1/fx/rates")).await);
    }
    let ok = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(ok, 3, "burst 2 + 1");
    let refused = answers.iter().find(|a| a.status == 429).unwrap();
    assert!(refused.headers.contains_key("retry-after"));
    assert!(
        refused.headers["ratelimit-policy"]
            .to_str()
            .unwrap()
            .contains("q=3")
    );
    assert!(refused.headers.contains_key("ratelimit"));
    let rec = p.call_audit(&refused.decision());
    assert_eq!(rec.action, Action::RateLimit);
    assert_eq!(
        rec.validation.problems,
        vec!["rate-limit:exceeded".to_string()]
    );
}

async fn admin(p: &Proxy, path: &str, body: &str, token: &str) -> (u16, serde_json::Value) {
    let req = http::Request::post(path)
        .header("host", "admin")
        .header("authorization", format!("Bearer {token}"))
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .unwrap();
    let a = send(p.admin.unwrap(), None, req).await;
    (a.status, serde_json::from_str(&a.body).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_passes_everything_and_is_itself_recorded() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), "enforce"), |_| {}).await;
    let attack = "/v1/accounts?id=1%27%20OR%20%271%27%3D%271";
    assert_eq!(send(p.addr, None, get(attack)).await.status, 403);

    // A wrong token changes nothing.
    let (status, _) = admin(&p, "/admin/killswitch", r#"{"on":true}"#, "guess").await;
    assert_eq!(status, 401);
    let (status, state) = admin(
        &p,
        "/admin/killswitch",
        r#"{"on":true,"reason":"INC-4711","actor":"alice"}"#,
        "admin-secret",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(state["kill_switch"], true);
    let id = state["decision_id"].as_str().unwrap().to_string();
    match p.audit(&id) {
        AuditEvent::Admin(AdminEvent::KillSwitch { on, actor, reason }) => {
            assert!(on);
            assert_eq!(actor, "alice");
            assert_eq!(reason, "INC-4711");
        }
        other => panic!("{other:?}"),
    }

    // Untouched pass-through: the attack and a rate-limited route both pass,
    // and each call still has its record.
    let a = send(p.addr, None, get(attack)).await;
    assert_eq!(a.status, 200);
    let rec = p.call_audit(&a.decision());
    assert!(!rec.enforced);
    assert!(
        rec.findings
            .iter()
            .any(|f| f.kind == linkwell_core::FindingKind::Injection)
    );
    for _ in 0..10 {
        assert_eq!(send(p.addr, None, get("/v1/fx/rates")).await.status, 200);
    }

    let (_, state) = admin(&p, "/admin/killswitch", r#"{"on":false}"#, "admin-secret").await;
    assert_eq!(state["kill_switch"], false);
    assert_eq!(send(p.addr, None, get(attack)).await.status, 403);
}
