//! Client certificates on a `required` route: each failure refused with its
//! reason in the audit record, the valid one forwarded with its facts.

use linkwell_core::CertVerify;

use crate::support::*;

const CONFIG: &str = r#"
[proxy]
mode = "enforce"
[[proxy.listeners]]
listen = "127.0.0.1:0"
[proxy.listeners.tls]
cert = "{dir}/server.pem"
key = "{dir}/server.key"
client_ca = "{dir}/ca.pem"
[[proxy.upstreams]]
name = "api"
url = "http://UPSTREAM"
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
async fn every_certificate_case_gets_the_right_answer_and_reason() {
    let up = Upstream::start().await;
    let pki = Pki::new();
    let cfg = CONFIG.replace("UPSTREAM", &up.addr.to_string());
    let p = start(&cfg, |d| pki.write(d, &[REVOKED_SERIAL])).await;

    // Valid: forwarded, and the record carries the verified certificate.
    let a = send(
        p.addr,
        Some(pki.client_config(Some(&pki.good))),
        get("/v1/accounts/42"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.validation.cert_verify, CertVerify::Success);
    assert_eq!(rec.validation.cert_subject.as_deref(), Some("CN=tpp-good"));
    assert_eq!(
        rec.validation.cert_issuer.as_deref(),
        Some("CN=Bank Test CA")
    );
    assert_eq!(rec.validation.cert_serial.as_deref(), Some("1001"));
    assert_eq!(
        rec.validation.cert_uri_san.as_deref(),
        Some("spiffe://bank.test/tpp-good")
    );
    assert!(rec.validation.cert_fingerprint_sha256.is_some());
    assert!(rec.validation.problems.is_empty());

    for (who, reason) in [
        (&pki.expired, "expired"),
        (&pki.unknown, "unknown_issuer"),
        (&pki.revoked, "revoked"),
        (&pki.wrong_eku, "wrong_eku"),
    ] {
        let before = up.count.load(std::sync::atomic::Ordering::SeqCst);
        let a = send(
            p.addr,
            Some(pki.client_config(Some(who))),
            get("/v1/accounts/42"),
        )
        .await;
        assert_eq!(a.status, 403, "{reason}: {}", a.body);
        assert_eq!(a.headers["content-type"], "application/problem+json");
        assert!(
            !a.body.contains(reason),
            "the client is not told why: {}",
            a.body
        );
        assert_eq!(
            up.count.load(std::sync::atomic::Ordering::SeqCst),
            before,
            "{reason} reached the API"
        );
        let rec = p.call_audit(&a.decision());
        assert_eq!(rec.validation.cert_verify, CertVerify::Failed, "{reason}");
        assert_eq!(rec.validation.cert_reason.as_deref(), Some(reason));
        assert_eq!(rec.validation.problems, vec![format!("mtls:{reason}")]);
        assert!(rec.enforced);
    }

    // No certificate at all on a required route.
    let a = send(
        p.addr,
        Some(pki.client_config(None)),
        get("/v1/accounts/42"),
    )
    .await;
    assert_eq!(a.status, 403);
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.validation.cert_verify, CertVerify::None);
    assert_eq!(
        rec.validation.problems,
        vec!["mtls:no_certificate".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_crl_revokes_a_certificate_without_a_restart() {
    let up = Upstream::start().await;
    let pki = Pki::new();
    let cfg = CONFIG.replace("UPSTREAM", &up.addr.to_string());
    let p = start(&cfg, |d| pki.write(d, &[])).await;
    let a = send(
        p.addr,
        Some(pki.client_config(Some(&pki.good))),
        get("/v1/accounts/1"),
    )
    .await;
    assert_eq!(a.status, 200);

    // The CA revokes the good certificate; the proxy re-reads the file.
    let good_serial = 0x1001;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    pki.write_crl(&p.dir, &[good_serial]);
    p.gw.refresh_files();
    let a = send(
        p.addr,
        Some(pki.client_config(Some(&pki.good))),
        get("/v1/accounts/1"),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        p.call_audit(&a.decision())
            .validation
            .cert_reason
            .as_deref(),
        Some("revoked")
    );
}
