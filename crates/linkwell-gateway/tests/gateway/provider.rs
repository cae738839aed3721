//! An identity provider over HTTPS: JWKS fetched and refetched on an
//! unknown `kid` (rate-limited), RFC 7662 introspection with a cache, and
//! fail-open / fail-closed when the provider cannot be reached.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use serde_json::json;

use crate::support::*;

struct Idp {
    port: u16,
    jwks_hits: Arc<AtomicU64>,
    introspections: Arc<AtomicU64>,
    inactive: Arc<Mutex<HashSet<String>>>,
}

/// An HTTPS provider serving `dir/jwks.json` and an introspection endpoint
/// that wants client `linkwell` / secret `s3cret`.
async fn idp(dir: &std::path::Path) -> Idp {
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let jwks_path = dir.join("jwks.json");
    let (jwks_hits, introspections) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let inactive = Arc::new(Mutex::new(HashSet::new()));
    let (j, i, inact) = (jwks_hits.clone(), introspections.clone(), inactive.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let (j, i, inact, jwks_path) = (j.clone(), i.clone(), inact.clone(), jwks_path.clone());
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let (j, i, inact, jwks_path) =
                            (j.clone(), i.clone(), inact.clone(), jwks_path.clone());
                        async move {
                            let path = req.uri().path().to_string();
                            let auth = req
                                .headers()
                                .get("authorization")
                                .map(|v| v.to_str().unwrap().to_string());
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let (status, text) = match path.as_str() {
                                "/jwks" => {
                                    j.fetch_add(1, Ordering::SeqCst);
                                    (200, std::fs::read_to_string(&jwks_path).unwrap())
                                }
                                "/introspect" => {
                                    i.fetch_add(1, Ordering::SeqCst);
                                    // Basic base64("linkwell:s3cret")
                                    if auth.as_deref() != Some("Basic bGlua3dlbGw6czNjcmV0") {
                                        (401, "{}".to_string())
                                    } else {
                                        let form = String::from_utf8_lossy(&body).to_string();
                                        let token = form
                                            .split('&')
                                            .find_map(|kv| kv.strip_prefix("token="))
                                            .unwrap_or("")
                                            .to_string();
                                        let active = !inact.lock().unwrap().contains(&token);
                                        (200, json!({"active": active}).to_string())
                                    }
                                }
                                _ => (404, String::new()),
                            };
                            let mut r = http::Response::new(Full::new(Bytes::from(text)));
                            *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(r)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    Idp {
        port,
        jwks_hits,
        introspections,
        inactive,
    }
}

const CONFIG: &str = r#"
[proxy]
mode = "enforce"
[[proxy.listeners]]
listen = "127.0.0.1:0"
[[proxy.upstreams]]
name = "api"
url = "http://UPSTREAM"
[[proxy.routes]]
name = "accounts"
path_prefix = "/v1/accounts"
upstream = "api"
[proxy.routes.jwt]
issuer = "https://idp.bank.test"
introspect = true
[[proxy.routes]]
name = "open"
path_prefix = "/v1/open"
upstream = "api"
fail_open = true
[proxy.routes.jwt]
issuer = "https://down.bank.test"
[[proxy.routes]]
name = "closed"
path_prefix = "/v1/closed"
upstream = "api"
[proxy.routes.jwt]
issuer = "https://down.bank.test"

[[oauth.issuers]]
issuer = "https://idp.bank.test"
jwks_url = "https://127.0.0.1:IDP/jwks"
ca = "{dir}/ca.pem"
algorithms = ["ES256"]
audiences = ["accounts-api"]
[oauth.issuers.introspection]
url = "https://127.0.0.1:IDP/introspect"
client_id = "linkwell"
client_secret_file = "{dir}/idp-secret"
[[oauth.issuers]]
issuer = "https://down.bank.test"
jwks_url = "https://127.0.0.1:9/jwks"
ca = "{dir}/ca.pem"
algorithms = ["ES256"]
audiences = ["accounts-api"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_over_https_introspection_and_an_unreachable_provider() {
    let up = Upstream::start().await;
    let pki = Pki::new();
    let scratch = tempfile::tempdir().unwrap();
    pki.write(scratch.path(), &[]);
    let iss = Issuer::new(scratch.path());
    let provider = idp(scratch.path()).await;
    let cfg = CONFIG
        .replace("UPSTREAM", &up.addr.to_string())
        .replace("IDP", &provider.port.to_string());
    let src = scratch.path().to_path_buf();
    let p = start(&cfg, |d| {
        for f in ["ca.pem", "server.pem", "server.key", "jwks.json"] {
            std::fs::copy(src.join(f), d.join(f)).unwrap();
        }
        std::fs::write(d.join("idp-secret"), "s3cret\n").unwrap();
    })
    .await;

    // The first call fetches the keys and asks the provider about the token.
    let token = iss.token(json!({"iss": "https://idp.bank.test"}));
    let a = send(p.addr, None, bearer("/v1/accounts/42", &token)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 1);
    assert_eq!(provider.introspections.load(Ordering::SeqCst), 1);
    // The next uses cached keys and the cached introspection answer.
    let a = send(p.addr, None, bearer("/v1/accounts/42", &token)).await;
    assert_eq!(a.status, 200);
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 1);
    assert_eq!(provider.introspections.load(Ordering::SeqCst), 1);

    // Revoked at the provider: introspection says inactive.
    let revoked = iss.token(json!({"iss": "https://idp.bank.test", "jti": "t-2"}));
    provider.inactive.lock().unwrap().insert(revoked.clone());
    let a = send(p.addr, None, bearer("/v1/accounts/42", &revoked)).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        p.call_audit(&a.decision()).validation.problems,
        vec!["token:revoked".to_string()]
    );

    // Unknown kids: one refetch, then the gate holds for 30 s.
    for (n, kid) in ["rotated-1", "rotated-2", "rotated-3"].iter().enumerate() {
        let t = iss.token_with(
            json!({"alg": "ES256", "kid": kid}),
            json!({"iss": "https://idp.bank.test"}),
        );
        let a = send(p.addr, None, bearer("/v1/accounts/42", &t)).await;
        assert_eq!(a.status, 401, "{kid}");
        assert_eq!(
            p.call_audit(&a.decision()).validation.problems,
            vec!["token:unknown-kid".to_string()]
        );
        assert_eq!(
            provider.jwks_hits.load(Ordering::SeqCst),
            2,
            "after kid {n}"
        );
    }

    // The other provider is down: fail-open lets the call through, on record;
    // fail-closed refuses it with 503.
    let t = iss.token(json!({"iss": "https://down.bank.test"}));
    let a = send(p.addr, None, bearer("/v1/open/x", &t)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        p.call_audit(&a.decision()).validation.problems,
        vec!["token:jwks-unavailable:fail-open".to_string()]
    );
    let a = send(p.addr, None, bearer("/v1/closed/x", &t)).await;
    assert_eq!(a.status, 503);
    assert_eq!(
        p.call_audit(&a.decision()).validation.problems,
        vec!["token:jwks-unavailable".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_upstream_is_verified_against_its_ca() {
    let pki = Pki::new();
    let scratch = tempfile::tempdir().unwrap();
    pki.write(scratch.path(), &[]);
    Issuer::new(scratch.path());
    let api = idp(scratch.path()).await;
    let other = Pki::new();
    let cfg = format!(
        r#"
[proxy]
mode = "enforce"
[[proxy.listeners]]
listen = "127.0.0.1:0"
[[proxy.upstreams]]
name = "secure"
url = "https://127.0.0.1:{port}"
ca = "{{dir}}/ca.pem"
[[proxy.upstreams]]
name = "wrong-ca"
url = "https://127.0.0.1:{port}"
ca = "{{dir}}/other-ca.pem"
[[proxy.routes]]
name = "secure"
path_prefix = "/jwks"
upstream = "secure"
[[proxy.routes]]
name = "wrong"
path_prefix = "/wrong"
upstream = "wrong-ca"
"#,
        port = api.port
    );
    let src = scratch.path().to_path_buf();
    let p = start(&cfg, |d| {
        std::fs::copy(src.join("ca.pem"), d.join("ca.pem")).unwrap();
        std::fs::write(d.join("other-ca.pem"), other.ca.pem()).unwrap();
    })
    .await;
    let a = send(p.addr, None, get("/jwks")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("\"keys\""));
    assert_eq!(api.jwks_hits.load(Ordering::SeqCst), 1);
    // An upstream whose certificate the configured CA did not issue: 502.
    let a = send(p.addr, None, get("/wrong/x")).await;
    assert_eq!(a.status, 502, "{}", a.body);
}
