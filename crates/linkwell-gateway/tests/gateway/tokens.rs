//! Bearer tokens per route: every check of issue 4 point 3, through the
//! proxy, with the reason in the audit record.

use serde_json::json;

use crate::support::*;

const CONFIG: &str = r#"
[proxy]
mode = "enforce"
[[proxy.listeners]]
listen = "127.0.0.1:0"
[proxy.listeners.tls]
cert = "{dir}/server.pem"
key = "{dir}/server.key"
[[proxy.upstreams]]
name = "api"
url = "http://UPSTREAM"
[[proxy.routes]]
name = "accounts"
path_prefix = "/v1/accounts"
upstream = "api"
[proxy.routes.jwt]
issuer = "https://idp.bank.test"
[proxy.routes.jwt.scopes]
GET = ["accounts:read"]
POST = ["accounts:write"]
[[proxy.routes]]
name = "payments"
path_prefix = "/v1/payments"
upstream = "api"
[proxy.routes.mtls]
mode = "optional"
trust = "{dir}/ca.pem"
[proxy.routes.jwt]
issuer = "https://idp.bank.test"
require_cnf = true

[oauth]
deny_list = "{dir}/revoked-jti.txt"
[[oauth.issuers]]
issuer = "https://idp.bank.test"
jwks_file = "{dir}/jwks.json"
algorithms = ["ES256"]
audiences = ["accounts-api"]
leeway_secs = 30
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_check_refuses_with_its_reason() {
    let up = Upstream::start().await;
    let pki = Pki::new();
    let cfg = CONFIG.replace("UPSTREAM", &up.addr.to_string());
    let mut issuer = None;
    let p = start(&cfg, |d| {
        pki.write(d, &[]);
        std::fs::write(d.join("revoked-jti.txt"), "# revoked\nstolen-1\n").unwrap();
        issuer = Some(Issuer::new(d));
    })
    .await;
    let iss = issuer.unwrap();
    let tls = Some(pki.client_config(None));
    let now = now_secs();

    // A valid token passes, and the identity is on record.
    let a = send(
        p.addr,
        tls.clone(),
        bearer("/v1/accounts/42", &iss.token(json!({}))),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.identity.as_deref(), Some("customer-42"));
    // Within the leeway, an expired token still passes.
    let a = send(
        p.addr,
        tls.clone(),
        bearer("/v1/accounts/42", &iss.token(json!({"exp": now - 10}))),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);

    let hs_confusion = {
        // HS256 signed with the issuer's public JWK as the secret.
        let header = b64(br#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
        let claims = b64(format!(
            r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{}}}"#,
            now + 600
        )
        .as_bytes());
        let input = format!("{header}.{claims}");
        let jwks = std::fs::read(p.dir.join("jwks.json")).unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &jwks);
        let sig = ring::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", b64(sig.as_ref()))
    };
    let alg_none = {
        let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = b64(format!(
            r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{}}}"#,
            now + 600
        )
        .as_bytes());
        format!("{header}.{claims}.")
    };
    let cases: Vec<(&str, http::Request<_>, u16, &str)> = vec![
        (
            "missing",
            get("/v1/accounts/42"),
            401,
            "token:token-missing",
        ),
        (
            "alg none",
            bearer("/v1/accounts/42", &alg_none),
            401,
            "token:alg-none",
        ),
        (
            "HS/RS confusion",
            bearer("/v1/accounts/42", &hs_confusion),
            401,
            "token:alg-not-allowed",
        ),
        (
            "wrong audience",
            bearer("/v1/accounts/42", &iss.token(json!({"aud": "other-api"}))),
            401,
            "token:wrong-audience",
        ),
        (
            "wrong issuer",
            bearer(
                "/v1/accounts/42",
                &iss.token(json!({"iss": "https://evil.test"})),
            ),
            401,
            "token:wrong-issuer",
        ),
        (
            "expired",
            bearer("/v1/accounts/42", &iss.token(json!({"exp": now - 3600}))),
            401,
            "token:expired",
        ),
        (
            "not yet valid",
            bearer("/v1/accounts/42", &iss.token(json!({"nbf": now + 3600}))),
            401,
            "token:not-yet-valid",
        ),
        (
            "revoked",
            bearer("/v1/accounts/42", &iss.token(json!({"jti": "stolen-1"}))),
            401,
            "token:revoked",
        ),
        (
            "bad signature",
            bearer("/v1/accounts/42", &tamper(&iss.token(json!({})))),
            401,
            "token:bad-signature",
        ),
        (
            "garbage",
            bearer("/v1/accounts/42", "not.a.token!!"),
            401,
            "token:token-malformed",
        ),
        (
            "missing scope for POST",
            {
                let mut r = post_json("/v1/accounts/42/limits", "{}");
                r.headers_mut().insert(
                    "authorization",
                    format!("Bearer {}", iss.token(json!({}))).parse().unwrap(),
                );
                r
            },
            403,
            "token:missing-scope",
        ),
        (
            "not certificate-bound",
            bearer("/v1/payments", &iss.token(json!({}))),
            403,
            "token:cnf-missing",
        ),
        (
            "bound to another certificate",
            bearer(
                "/v1/payments",
                &iss.token(json!({"cnf": {"x5t#S256": b64(&[7u8; 32])}})),
            ),
            403,
            "token:cnf-mismatch",
        ),
    ];
    let before = up.count.load(std::sync::atomic::Ordering::SeqCst);
    for (name, req, status, problem) in cases {
        let a = send(p.addr, tls.clone(), req).await;
        assert_eq!(a.status, status, "{name}: {}", a.body);
        if status == 401 {
            assert!(a.headers.contains_key("www-authenticate"), "{name}");
        }
        let rec = p.call_audit(&a.decision());
        assert_eq!(rec.validation.problems, vec![problem.to_string()], "{name}");
    }
    assert_eq!(
        up.count.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "no refused token reached the API"
    );

    // A token bound to the certificate the client presents passes.
    let x5t = linkwell_jwt::cert_thumbprint(pki.good.cert.as_ref());
    let bound = iss.token(json!({"cnf": {"x5t#S256": x5t}}));
    let a = send(
        p.addr,
        Some(pki.client_config(Some(&pki.good))),
        bearer("/v1/payments", &bound),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // The same token from a connection without that certificate does not.
    let a = send(p.addr, tls, bearer("/v1/payments", &bound)).await;
    assert_eq!(a.status, 403);
}

/// Flips the first character of the signature part.
fn tamper(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let first = if sig.starts_with('A') { 'B' } else { 'A' };
    format!("{input}.{first}{}", &sig[1..])
}
