//! A real NGINX in front of a test API, with Linkwell as its
//! `auth_request` target: NGINX terminates TLS and forwards the client
//! certificate; Linkwell verifies it, checks the call and answers
//! 204 / 401 / 403.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::support::*;

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The NGINX binary, or `None` (a failure under CI, where `.ci/run`
/// installs it).
fn nginx() -> Option<std::path::PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nginx is not installed; .ci/run installs it with apt-get"
        );
        eprintln!("skipped: nginx is not installed (apt-get install nginx)");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const LINKWELL: &str = r#"
[proxy]
mode = "enforce"
[proxy.auth_request]
listen = "127.0.0.1:AUTH"
trusted_gateways = ["127.0.0.1"]
[[proxy.listeners]]
listen = "127.0.0.1:0"
[[proxy.upstreams]]
name = "api"
url = "http://127.0.0.1:9"
[[proxy.routes]]
name = "open-banking"
path_prefix = "/"
upstream = "api"
[proxy.routes.mtls]
mode = "required"
trust = "{dir}/ca.pem"
crls = ["{dir}/crl.pem"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_asks_linkwell_and_enforces_the_answer() {
    let Some(nginx) = nginx() else { return };
    let up = Upstream::start().await;
    let pki = Pki::new();
    let auth = free_port();
    let p = start(&LINKWELL.replace("AUTH", &auth.to_string()), |d| {
        pki.write(d, &[REVOKED_SERIAL])
    })
    .await;
    let port = free_port();
    let dir = p.dir.display().to_string();
    // The shipped example, with the test's addresses and paths.
    let server = include_str!("../../../../examples/nginx-auth-request.conf")
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port} ssl;"))
        .replace("/etc/nginx/tls", &dir)
        .replace("http://127.0.0.1:8080", &format!("http://{}", up.addr))
        .replace("http://127.0.0.1:9902", &format!("http://127.0.0.1:{auth}"));
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log warn;\n\
         events {{ worker_connections 256; }}\nhttp {{\n  access_log {dir}/nginx-access.log;\n{server}\n}}\n"
    );
    std::fs::write(p.dir.join("nginx.conf"), conf).unwrap();
    let _nginx = Nginx(
        Command::new(nginx)
            .args(["-p", &dir, "-c", "nginx.conf"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(p.dir.join("nginx-error.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    // A verified client certificate: allowed, and the API sees the decision id.
    let a = send(
        addr,
        Some(pki.client_config(Some(&pki.good))),
        get("/v1/accounts/42"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(up.count.load(Ordering::SeqCst), 1);
    let id = up.last().headers["x-linkwell-decision-id"].clone();
    let rec = p.call_audit(&id);
    assert_eq!(rec.validation.cert_subject.as_deref(), Some("CN=tpp-good"));
    assert_eq!(rec.client_ip.as_deref(), Some("127.0.0.1"));

    // Certificates NGINX lets through (`optional_no_ca`) that Linkwell's
    // verification refuses: an unknown CA, and one revoked by the CRL.
    for (who, reason) in [(&pki.unknown, "unknown_issuer"), (&pki.revoked, "revoked")] {
        let a = send(
            addr,
            Some(pki.client_config(Some(who))),
            get("/v1/accounts/42"),
        )
        .await;
        assert_eq!(a.status, 403, "{reason}");
        assert_eq!(
            up.count.load(Ordering::SeqCst),
            1,
            "a denied call reached the API"
        );
        let rec = p.call_audit(a.headers["x-linkwell-decision-id"].to_str().unwrap());
        assert_eq!(rec.validation.problems, vec![format!("mtls:{reason}")]);
    }

    // An injection with a good certificate: denied before the API.
    let a = send(
        addr,
        Some(pki.client_config(Some(&pki.good))),
        get("/v1/accounts?id=1%27%20OR%20%271%27%3D%271"),
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(up.count.load(Ordering::SeqCst), 1);
    let rec = p.call_audit(a.headers["x-linkwell-decision-id"].to_str().unwrap());
    assert_eq!(rec.validation.problems, vec!["injection:sqli".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_believes_only_its_gateways_and_never_answers_5xx() {
    let pki = Pki::new();
    let auth = free_port();
    let p = start(&LINKWELL.replace("AUTH", &auth.to_string()), |d| {
        pki.write(d, &[])
    })
    .await;
    let hook = std::net::SocketAddr::from(([127, 0, 0, 1], auth));
    let ask = |cert: &str, method: &str| {
        http::Request::get("/_linkwell")
            .header("host", "api.bank.test")
            .header("x-original-uri", "/v1/accounts/1")
            .header("x-original-method", method)
            .header("x-real-ip", "203.0.113.7")
            .header("x-ssl-client-cert", cert)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap()
    };
    // A forwarded certificate that is not one: denied, on record.
    let a = send(
        hook,
        None,
        ask("-----BEGIN%20CERTIFICATE-----%0AAAAA%0A", "GET"),
    )
    .await;
    assert_eq!(a.status, 403);
    let rec = p.call_audit(a.headers["x-linkwell-decision-id"].to_str().unwrap());
    assert!(
        rec.validation
            .problems
            .contains(&"mtls:malformed-forwarded-certificate".to_string())
    );
    assert_eq!(rec.client_ip.as_deref(), Some("203.0.113.7"));
    // Hostile values: a clean answer, never a 5xx.
    let long = "A".repeat(40_000);
    for cert in ["%ZZ%00", long.as_str()] {
        let a = send(hook, None, ask(cert, "GET")).await;
        assert!([403, 431].contains(&a.status), "{}", a.status);
    }
    let a = send(hook, None, ask("", "BR EW")).await;
    assert!(a.status < 500, "{}", a.status);

    // The same hook behind an address it does not trust: 403 whatever is claimed.
    let auth2 = free_port();
    let cfg = LINKWELL.replace("AUTH", &auth2.to_string()).replace(
        r#"trusted_gateways = ["127.0.0.1"]"#,
        r#"trusted_gateways = ["10.9.9.9"]"#,
    );
    let _p2 = start(&cfg, |d| pki.write(d, &[])).await;
    let a = send(
        std::net::SocketAddr::from(([127, 0, 0, 1], auth2)),
        None,
        ask("", "GET"),
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.headers["x-linkwell-decision-id"], "untrusted-gateway");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_forwarded_as_rfc9440_or_xfcc_are_verified_too() {
    use base64::Engine as _;
    let pki = Pki::new();
    let auth = free_port();
    let p = start(&LINKWELL.replace("AUTH", &auth.to_string()), |d| {
        pki.write(d, &[REVOKED_SERIAL])
    })
    .await;
    let hook = std::net::SocketAddr::from(([127, 0, 0, 1], auth));
    let ask = |name: &str, value: String| {
        http::Request::get("/_linkwell")
            .header("host", "api.bank.test")
            .header("x-original-uri", "/v1/accounts/1")
            .header("x-original-method", "GET")
            .header("x-real-ip", "203.0.113.7")
            .header(name, value)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap()
    };
    let rfc9440 = |id: &Identity| {
        format!(
            ":{}:",
            base64::engine::general_purpose::STANDARD.encode(id.cert.as_ref())
        )
    };
    let xfcc = |id: &Identity| {
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(id.cert.as_ref())
        );
        let escaped: String = pem
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("By=spiffe://bank.test/envoy;Hash=00;Cert=\"{escaped}\";Subject=\"CN=x\"")
    };
    for (name, value, status, problem) in [
        ("client-cert", rfc9440(&pki.good), 204, None),
        ("x-forwarded-client-cert", xfcc(&pki.good), 204, None),
        (
            "client-cert",
            rfc9440(&pki.revoked),
            403,
            Some("mtls:revoked"),
        ),
        (
            "x-forwarded-client-cert",
            xfcc(&pki.unknown),
            403,
            Some("mtls:unknown_issuer"),
        ),
        (
            "client-cert",
            ":not base64!:".to_string(),
            403,
            Some("mtls:malformed-forwarded-certificate"),
        ),
    ] {
        let a = send(hook, None, ask(name, value)).await;
        let rec = p.call_audit(a.headers["x-linkwell-decision-id"].to_str().unwrap());
        assert_eq!(
            a.status, status,
            "{name} {problem:?}: {:?}",
            rec.validation.problems
        );
        match problem {
            None => assert_eq!(
                rec.validation.cert_verify,
                linkwell_core::CertVerify::Success
            ),
            Some(pr) => assert!(
                rec.validation.problems.contains(&pr.to_string()),
                "{:?}",
                rec.validation.problems
            ),
        }
    }
}
