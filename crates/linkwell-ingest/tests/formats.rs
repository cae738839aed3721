//! Every format parses realistic lines into the right fields.
#![allow(clippy::unwrap_used)] // tests may unwrap (workspace policy)

mod common;

use std::borrow::Cow;

use common::{T0, at, data, ip, lines, parse};
use linkwell_core::{AuthScheme, CertVerify, Method, SourceFormat, Timestamp};
use linkwell_ingest::{FieldMap, IngestConfig, LatencyUnit, TimeFormat, parse_bytes, parse_line};

#[test]
fn every_sample_line_parses_and_is_tagged() {
    for (format, file) in common::SAMPLES {
        let text = data(file);
        for line in lines(&text) {
            let r = parse(format, line);
            assert_eq!(r.format, Some(format));
            assert!(!r.auth.is_empty(), "infer_auth ran for {format}");
            assert!(r.time.0 > 0, "{format}: time set");
        }
    }
}

#[test]
fn nginx_combined() {
    let text = data("nginx_combined.log");
    let l = lines(&text);

    let r = parse(SourceFormat::NginxCombined, l[0]);
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.time, at(0, 0));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(r.path, "/v1/accounts/123");
    assert_eq!(r.query.as_deref(), Some("limit=10"));
    assert_eq!(r.protocol.as_deref(), Some("HTTP/1.1"));
    assert_eq!(r.status, 200);
    assert_eq!(r.response_bytes, Some(2310));
    assert_eq!(r.referer, None);
    assert_eq!(r.user_agent.as_deref(), Some("okhttp/4.12.0"));
    assert_eq!(r.latency_us, None);
    assert_eq!(r.identity.basic_user, None);
    assert!(r.auth.contains(AuthScheme::None));
    assert!(matches!(r.path, Cow::Borrowed(_)), "zero-copy path");

    // Basic user (unverified), referer, XFF appended by the `main` format.
    let r = parse(SourceFormat::NginxCombined, l[1]);
    assert_eq!(r.identity.basic_user.as_deref(), Some("alice"));
    assert!(r.auth.contains(AuthScheme::Basic));
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.status, 401);
    assert_eq!(r.referer.as_deref(), Some("https://app.example.com/login"));
    assert!(
        r.user_agent
            .as_deref()
            .unwrap()
            .starts_with("Mozilla/5.0 (X11")
    );
    assert_eq!(r.forwarded_for.as_deref(), Some("203.0.113.99, 10.0.0.1"));
    assert_eq!(r.client_ip, ip("198.51.100.23"), "peer, not XFF");

    // IPv6, a +0100 offset, NGINX \x22 escaping, trailing $request_time.
    let r = parse(SourceFormat::NginxCombined, l[2]);
    assert_eq!(r.client_ip, ip("2001:db8::17"));
    assert_eq!(r.time, at(2, 0));
    assert_eq!(r.path, "/v1/search");
    assert_eq!(r.query.as_deref(), Some("q=\"%27+OR+1=1--"));
    assert_eq!(r.latency_us, Some(4_000));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("sqlmap/1.8#stable (https://sqlmap.org)")
    );

    // No request line at all (client connected and left).
    let r = parse(SourceFormat::NginxCombined, l[3]);
    assert_eq!(r.status, 400);
    assert_eq!(r.method, None);
    assert_eq!(r.response_bytes, Some(0));

    // ingress-nginx: $request_length $request_time ... $req_id.
    let r = parse(SourceFormat::NginxCombined, l[4]);
    assert_eq!(r.method, Some(Method::Delete));
    assert_eq!(r.request_bytes, Some(412));
    assert_eq!(r.latency_us, Some(13_000));
    assert_eq!(
        r.request_id.as_deref(),
        Some("7f3c2a9e4b1d4c8e9a0b1c2d3e4f5a6b")
    );
    assert_eq!(r.protocol.as_deref(), Some("HTTP/2.0"));

    // Common log format (no referer / UA).
    let r = parse(SourceFormat::NginxCombined, l[5]);
    assert_eq!(r.path, "/healthz");
    assert_eq!(r.response_bytes, Some(2));
    assert_eq!(r.user_agent, None);
}

#[test]
fn nginx_combined_user_with_spaces_and_apache_escapes() {
    let line = r#"203.0.113.7 - john doe [02/Mar/2026:10:15:30 +0000] "GET /a HTTP/1.1" 200 - "-" "agent \"quoted\" here""#;
    let r = parse(SourceFormat::NginxCombined, line);
    assert_eq!(r.identity.basic_user.as_deref(), Some("john doe"));
    assert_eq!(r.response_bytes, None);
    assert_eq!(r.user_agent.as_deref(), Some("agent \"quoted\" here"));
    let r = parse(
        SourceFormat::NginxCombined,
        "unix: - - [02/Mar/2026:10:15:30 +0000] \"GET / HTTP/1.1\" 200 1",
    );
    assert_eq!(r.client_ip, None);
}

#[test]
fn nginx_json_recommended_format() {
    let text = data("nginx_json.log");
    let l = lines(&text);
    let r = parse(SourceFormat::NginxJson, l[0]);
    assert_eq!(r.time, at(0, 123_000), "msec wins over ts");
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.client_port, Some(51514));
    assert_eq!(r.forwarded_for, None, "empty string is absent");
    assert_eq!(r.identity.basic_user, None);
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/payments");
    assert_eq!(r.query.as_deref(), Some("dry_run=false"));
    assert_eq!(r.protocol.as_deref(), Some("HTTP/2.0"));
    assert_eq!(r.status, 201);
    assert_eq!(r.request_bytes, Some(1342));
    assert_eq!(r.response_bytes, Some(512), "body bytes, like combined");
    assert_eq!(r.latency_us, Some(57_000));
    assert_eq!(r.user_agent.as_deref(), Some("okhttp/4.12.0"));
    assert_eq!(
        r.request_id.as_deref(),
        Some("7f3c2a9e4b1d4c8e9a0b1c2d3e4f5a6b")
    );
    assert_eq!(r.identity.subject.as_deref(), Some("tpp-42"));
    assert_eq!(
        r.header("x-fapi-interaction-id"),
        Some("93bac548-d2de-4546-b106-880a5018460d")
    );
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
    assert_eq!(tls.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(tls.sni.as_deref(), Some("api.example.com"));
    let cert = tls.client_cert.as_ref().unwrap();
    assert_eq!(cert.verify, CertVerify::Success);
    assert_eq!(
        cert.subject.as_deref(),
        Some("CN=tpp-42,O=Example TPP Ltd,C=GB")
    );
    assert_eq!(
        cert.issuer.as_deref(),
        Some("CN=Example Issuing CA,O=Example PKI,C=GB")
    );
    assert_eq!(cert.serial.as_deref(), Some("0C7F3A19"));
    assert_eq!(
        cert.fingerprint_sha1.as_deref(),
        Some("3d1f0c2a6b7e4c1f9a0b7c55e2d41a8e12345678")
    );
    assert_eq!(cert.not_after.as_deref(), Some("Jan 31 23:59:59 2027 GMT"));
    assert!(r.auth.contains(AuthScheme::Mtls));
    assert!(
        r.auth.contains(AuthScheme::Bearer),
        "auth_subject is a verified subject"
    );
}

#[test]
fn nginx_json_variable_names() {
    let text = data("nginx_json.log");
    let l = lines(&text);
    // $request line, quoted numbers, header variables, list-valued upstream_*.
    let r = parse(SourceFormat::NginxJson, l[1]);
    assert_eq!(r.time, at(1, 0));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(r.path, "/v1/accounts/9");
    assert_eq!(r.query.as_deref(), Some("expand=owner"));
    assert_eq!(r.protocol.as_deref(), Some("HTTP/1.1"));
    assert_eq!(r.status, 200);
    assert_eq!(r.response_bytes, Some(2310));
    assert_eq!(r.request_bytes, Some(380));
    assert_eq!(r.latency_us, Some(120_000));
    assert_eq!(r.user_agent.as_deref(), Some("python-requests/2.32"));
    assert_eq!(r.referer, None);
    assert_eq!(r.header("authorization"), Some("Bearer [redacted]"));
    assert!(r.auth.contains(AuthScheme::Bearer));

    // $uri + $args, IPv6, $bytes_sent fallback, failed client cert, API key header.
    let r = parse(SourceFormat::NginxJson, l[2]);
    assert_eq!(r.time, at(2, 0));
    assert_eq!(r.client_ip, ip("2001:db8::5"));
    assert_eq!(r.client_port, Some(443));
    assert_eq!(r.method, Some(Method::Put));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/profile");
    assert_eq!(r.query.as_deref(), Some("lang=en"));
    assert_eq!(r.status, 403);
    assert_eq!(r.response_bytes, Some(187));
    assert_eq!(r.latency_us, Some(2_000));
    assert_eq!(r.header("x-api-key"), Some("[redacted]"));
    assert!(r.auth.contains(AuthScheme::ApiKey));
    let cert = r.tls.as_ref().unwrap().client_cert.as_ref().unwrap();
    assert_eq!(cert.verify, CertVerify::Failed);
    assert_eq!(cert.subject.as_deref(), Some("CN=old-client,O=Example"));
    assert!(
        !r.auth.contains(AuthScheme::Mtls),
        "a failed certificate is not mTLS auth"
    );
}

#[test]
fn envoy_default_text() {
    let text = data("envoy.log");
    let l = lines(&text);
    let r = parse(SourceFormat::Envoy, l[0]);
    assert_eq!(r.time, at(0, 123_000));
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.path, "/v1/payments");
    assert_eq!(r.protocol.as_deref(), Some("HTTP/2"));
    assert_eq!(r.status, 403);
    assert_eq!(r.gateway_flags.as_deref(), Some("UAEX"));
    assert_eq!(r.request_bytes, Some(184));
    assert_eq!(r.response_bytes, Some(0));
    assert_eq!(r.latency_us, Some(3_000), "Envoy duration is ms");
    assert_eq!(r.forwarded_for.as_deref(), Some("203.0.113.7"));
    assert_eq!(r.client_ip, ip("203.0.113.7"), "only XFF exists");
    assert_eq!(r.user_agent.as_deref(), Some("okhttp/4.12.0"));
    assert_eq!(
        r.request_id.as_deref(),
        Some("5d8a9c1e-2f3b-4c5d-8e9f-0a1b2c3d4e5f")
    );
    assert_eq!(r.host.as_deref(), Some("api.example.com"));

    // Unescaped quotes inside the user agent, XFF list.
    let r = parse(SourceFormat::Envoy, l[1]);
    assert_eq!(r.gateway_flags, None);
    assert_eq!(r.query.as_deref(), Some("limit=10"));
    assert_eq!(r.latency_us, Some(43_000));
    assert_eq!(r.client_ip, ip("198.51.100.9"));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 \"quoted\" agent")
    );
    assert_eq!(
        r.request_id.as_deref(),
        Some("6e9b0d2f-3a4c-4d5e-9f0a-1b2c3d4e5f60")
    );

    // Downstream closed before any request.
    let r = parse(SourceFormat::Envoy, l[2]);
    assert_eq!(r.status, 0);
    assert_eq!(r.method, None);
    assert_eq!(r.gateway_flags.as_deref(), Some("DC"));
    assert_eq!(r.client_ip, None);

    // Istio's default text format.
    let r = parse(SourceFormat::Envoy, l[3]);
    assert_eq!(r.status, 418);
    assert_eq!(r.response_bytes, Some(135));
    assert_eq!(r.latency_us, Some(4_000));
    assert_eq!(r.host.as_deref(), Some("httpbin:8000"));
    assert_eq!(r.client_ip, ip("198.51.100.44"));
    assert_eq!(r.client_port, Some(46520));
    assert_eq!(
        r.tls.as_ref().unwrap().sni.as_deref(),
        Some("httpbin.example.com")
    );
}

#[test]
fn envoy_json_sample_and_istio() {
    let text = data("envoy_json.log");
    let l = lines(&text);
    let r = parse(SourceFormat::EnvoyJson, l[0]);
    assert_eq!(r.time, at(0, 123_000));
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/accounts/123");
    assert_eq!(r.query.as_deref(), Some("limit=10"));
    assert_eq!(r.status, 200);
    assert_eq!(r.gateway_flags, None);
    assert_eq!(r.request_bytes, Some(0));
    assert_eq!(r.response_bytes, Some(2310));
    assert_eq!(r.latency_us, Some(43_000));
    assert_eq!(r.identity.subject.as_deref(), Some("user-123"));
    assert_eq!(r.identity.client_id.as_deref(), Some("tpp-42"));
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
    assert_eq!(tls.sni.as_deref(), Some("api.example.com"));
    let cert = tls.client_cert.as_ref().unwrap();
    assert_eq!(
        cert.verify,
        CertVerify::Unknown,
        "Envoy does not log the verdict"
    );
    assert_eq!(cert.uri_san.as_deref(), Some("spiffe://example.org/tpp/42"));
    assert_eq!(
        cert.fingerprint_sha256.as_deref(),
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert_eq!(cert.serial.as_deref(), Some("0c7f3a19"));
    assert!(r.auth.contains(AuthScheme::Bearer));

    let r = parse(SourceFormat::EnvoyJson, l[1]);
    assert_eq!(r.time, at(1, 0));
    assert_eq!(r.client_ip, ip("198.51.100.23"));
    assert_eq!(r.client_port, Some(51514));
    assert_eq!(r.status, 429);
    assert_eq!(r.gateway_flags.as_deref(), Some("RL"));
    assert_eq!(r.request_bytes, Some(128));
    assert_eq!(r.latency_us, Some(7_000));
    assert_eq!(r.tls, None, "null SNI is absent");
}

#[test]
fn aws_api_gateway() {
    let text = data("aws_apigw.log");
    let l = lines(&text);
    let r = parse(SourceFormat::AwsApigw, l[0]);
    assert_eq!(r.time, at(0, 0));
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(
        r.path, "/v1/accounts/{id}",
        "template when no concrete path is logged"
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.response_bytes, Some(2310));
    assert_eq!(r.latency_us, Some(43_000));
    assert_eq!(
        r.request_id.as_deref(),
        Some("LZ3sAFxGIAMFR5A="),
        "extendedRequestId preferred"
    );
    assert_eq!(r.identity.subject.as_deref(), Some("tpp-42"));
    assert_eq!(r.identity.api_key_id.as_deref(), Some("abcd1234ef"));
    let cert = r.tls.as_ref().unwrap().client_cert.as_ref().unwrap();
    assert_eq!(cert.verify, CertVerify::Success);
    assert_eq!(
        cert.subject.as_deref(),
        Some("CN=tpp-42,O=Example TPP Ltd,C=GB")
    );
    assert_eq!(cert.serial.as_deref(), Some("0c7f3a19"));
    assert_eq!(cert.not_after.as_deref(), Some("Jan 31 23:59:59 2027 GMT"));
    assert!(r.auth.contains(AuthScheme::ApiKey) && r.auth.contains(AuthScheme::Mtls));

    // HTTP API default format: routeKey only.
    let r = parse(SourceFormat::AwsApigw, l[1]);
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.path, "/v1/login");
    assert_eq!(r.status, 401);
    assert_eq!(r.identity.subject, None, "`-` is absent");
    assert!(r.auth.contains(AuthScheme::None));

    // requestTimeEpoch (ms), concrete path, domain, `-` sizes.
    let r = parse(SourceFormat::AwsApigw, l[2]);
    assert_eq!(r.time, at(2, 123_000));
    assert_eq!(r.path, "/prod/v1/accounts/77");
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.response_bytes, None);
    assert_eq!(r.latency_us, Some(12_000));
    assert_eq!(r.identity.subject.as_deref(), Some("user-77"));
    assert_eq!(r.identity.api_key_id, None);
    assert_eq!(r.gateway_flags, None);
}

#[test]
fn cloudflare_logpush() {
    let text = data("cloudflare.log");
    let l = lines(&text);
    let r = parse(SourceFormat::Cloudflare, l[0]);
    assert_eq!(r.time, at(0, 0));
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.asn, Some(64496));
    assert_eq!(r.country.as_deref(), Some("GB"), "upper-cased");
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/payments");
    assert_eq!(r.query.as_deref(), Some("dry_run=false"));
    assert_eq!(r.protocol.as_deref(), Some("HTTP/2"));
    assert_eq!(r.request_bytes, Some(1342));
    assert_eq!(r.response_bytes, Some(915));
    assert_eq!(r.status, 201);
    assert_eq!(r.latency_us, Some(57_000), "TTFB in ms");
    assert_eq!(r.request_id.as_deref(), Some("8d2f6c1a9b3e4f21"));
    assert_eq!(r.gateway_flags, None, "empty SecurityActions");
    assert_eq!(
        r.header("x-fapi-interaction-id"),
        Some("93bac548-d2de-4546-b106-880a5018460d")
    );
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
    let cert = tls.client_cert.as_ref().unwrap();
    assert_eq!(cert.verify, CertVerify::Success);
    assert_eq!(
        cert.fingerprint_sha256.as_deref(),
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert!(r.auth.contains(AuthScheme::Mtls));

    // unixnano timestamps, no TLS, SecurityAction, credential headers.
    let r = parse(SourceFormat::Cloudflare, l[1]);
    assert_eq!(r.time, at(1, 0));
    assert_eq!(r.latency_us, Some(5_000), "end - start");
    assert_eq!(r.client_ip, ip("2001:db8::99"));
    assert_eq!(r.client_port, Some(443));
    assert_eq!(r.country.as_deref(), Some("DE"));
    assert_eq!(r.tls, None, "ClientSSLProtocol none");
    assert_eq!(r.gateway_flags.as_deref(), Some("block"));
    assert_eq!(r.header("authorization"), Some("Bearer [redacted]"));
    assert_eq!(r.header("cookie"), Some("session=[redacted]"));
    assert!(r.auth.contains(AuthScheme::Bearer) && r.auth.contains(AuthScheme::Session));
}

#[test]
fn kong_file_log() {
    let text = data("kong.log");
    let l = lines(&text);
    let r = parse(SourceFormat::Kong, l[0]);
    assert_eq!(r.time, at(0, 123_000), "started_at is epoch ms");
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/accounts/123");
    assert_eq!(r.query.as_deref(), Some("limit=10"));
    assert_eq!(r.status, 200);
    assert_eq!(r.request_bytes, Some(412));
    assert_eq!(r.response_bytes, Some(2590));
    assert_eq!(r.latency_us, Some(44_000));
    assert_eq!(
        r.request_id.as_deref(),
        Some("3d1f0c2a6b7e4c1f9a0b7c55e2d41a8e")
    );
    assert_eq!(r.user_agent.as_deref(), Some("okhttp/4.12.0"));
    assert_eq!(r.identity.consumer.as_deref(), Some("tpp-42"));
    assert_eq!(
        r.identity.api_key_id.as_deref(),
        Some("4d924084-1adb-40a5-c042-63b19db421d1")
    );
    assert_eq!(r.header("authorization"), Some("[redacted]"));
    assert_eq!(r.gateway_flags, None);
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(
        tls.client_cert.as_ref().unwrap().verify,
        CertVerify::Success
    );
    assert!(
        r.auth.contains(AuthScheme::Bearer),
        "REDACTED authorization still counts"
    );
    assert!(r.auth.contains(AuthScheme::Mtls));

    // API key in clear in Kong's log, array-valued header, proxy latency -1.
    let r = parse(SourceFormat::Kong, l[1]);
    assert_eq!(r.status, 429);
    assert_eq!(r.request_bytes, Some(733), "quoted number");
    assert_eq!(r.latency_us, Some(1_000));
    assert_eq!(r.header("apikey"), Some("[redacted]"));
    assert_eq!(r.header("cookie"), Some("a=[redacted]"));
    assert_eq!(r.forwarded_for.as_deref(), Some("198.51.100.7, 10.0.0.1"));
    assert_eq!(r.client_ip, ip("10.0.0.1"), "Kong's client_ip, not XFF");
    assert_eq!(r.gateway_flags.as_deref(), Some("source=kong"));
    assert_eq!(r.identity.consumer, None);
    assert!(r.auth.contains(AuthScheme::ApiKey) && r.auth.contains(AuthScheme::Session));
}

#[test]
fn traefik_json() {
    let text = data("traefik.log");
    let l = lines(&text);
    let r = parse(SourceFormat::Traefik, l[0]);
    assert_eq!(
        r.time,
        at(0, 123_456),
        "StartUTC, nanoseconds truncated to µs"
    );
    assert_eq!(r.client_ip, ip("10.0.0.2"), "ClientAddr, the TCP peer");
    assert_eq!(r.client_port, Some(40112));
    assert_eq!(r.forwarded_for.as_deref(), Some("203.0.113.7"));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/accounts/123");
    assert_eq!(r.query.as_deref(), Some("limit=10"));
    assert_eq!(r.protocol.as_deref(), Some("HTTP/2.0"));
    assert_eq!(r.status, 200);
    assert_eq!(r.request_bytes, Some(0));
    assert_eq!(r.response_bytes, Some(2310));
    assert_eq!(r.latency_us, Some(43_125), "ns to µs");
    assert_eq!(r.user_agent.as_deref(), Some("okhttp/4.12.0"));
    assert_eq!(r.identity.basic_user, None);
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
    let cert = tls.client_cert.as_ref().unwrap();
    assert_eq!(
        cert.subject.as_deref(),
        Some("CN=tpp-42,O=Example TPP Ltd,C=GB")
    );

    // ClientHost overwritten by a spoofed XFF list.
    let r = parse(SourceFormat::Traefik, l[1]);
    assert_eq!(r.client_ip, ip("198.51.100.23"));
    assert_eq!(r.forwarded_for.as_deref(), Some("1.2.3.4, 198.51.100.23"));
    assert_eq!(r.identity.basic_user.as_deref(), Some("admin"));
    assert_eq!(r.header("authorization"), Some("Basic [redacted]"));
    assert_eq!(r.header("cookie"), Some("sid=[redacted]"));
    assert_eq!(r.latency_us, Some(812));
    assert!(r.auth.contains(AuthScheme::Basic) && r.auth.contains(AuthScheme::Session));
}

#[test]
fn ndjson_default_names() {
    let text = data("ndjson.log");
    let l = lines(&text);
    let r = parse(SourceFormat::Ndjson, l[0]);
    assert_eq!(r.time, at(0, 500_000));
    assert_eq!(r.client_ip, ip("203.0.113.7"));
    assert_eq!(r.method, Some(Method::Get));
    assert_eq!(r.path, "/v1/items/42");
    assert_eq!(r.query.as_deref(), Some("verbose=true"));
    assert_eq!(r.status, 200);
    assert_eq!(r.latency_us, Some(12_500));
    assert_eq!(r.response_bytes, Some(512));
    assert_eq!(r.identity.subject.as_deref(), Some("user-7"));
    assert_eq!(r.header("authorization"), Some("Bearer [redacted]"));
    assert_eq!(
        r.request_id.as_deref(),
        Some("req-1"),
        "from the X-Request-Id header"
    );

    let r = parse(SourceFormat::Ndjson, l[1]);
    assert_eq!(r.time, at(1, 0));
    assert_eq!(r.client_ip, ip("198.51.100.23"));
    assert_eq!(r.client_port, Some(4711));
    assert_eq!(r.method, Some(Method::Post), "upper-cased");
    assert_eq!(r.host.as_deref(), Some("shop.example.com"), "from the URL");
    assert_eq!(r.path, "/api/cart");
    assert_eq!(r.status, 302);
    assert_eq!(r.latency_us, Some(3_000));
    assert_eq!(r.country.as_deref(), Some("FR"));
}

#[test]
fn ndjson_configured_nested_paths() {
    let cfg = IngestConfig {
        ndjson: FieldMap {
            time: Some("event.ts".into()),
            time_format: TimeFormat::EpochMs,
            method: Some("req.verb".into()),
            path: Some("req.url".into()),
            host: Some("req.headers.host".into()),
            status: Some("res.code|status".into()),
            latency: Some("took".into()),
            latency_unit: LatencyUnit::Us,
            subject: Some("auth.user.id".into()),
            ..FieldMap::default()
        },
        ..IngestConfig::default()
    };
    let line = r#"{"event":{"ts":1772446530123},"req":{"verb":"post","url":"https://api.example.com/v1/orders?x=1","headers":{"host":"api.example.com"}},"res":{"code":"201"},"took":1500,"auth":{"user":{"id":"u-1"}}}"#;
    let r = parse_line(SourceFormat::Ndjson, line, &cfg).unwrap();
    assert_eq!(r.time, at(0, 123_000));
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.path, "/v1/orders");
    assert_eq!(r.query.as_deref(), Some("x=1"));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.status, 201);
    assert_eq!(r.latency_us, Some(1_500));
    assert_eq!(r.identity.subject.as_deref(), Some("u-1"));

    // The alternative after `|` is used when the first key is absent.
    let line = r#"{"event":{"ts":1772446530123},"req":{"url":"/x"},"status":204}"#;
    let r = parse_line(SourceFormat::Ndjson, line, &cfg).unwrap();
    assert_eq!(r.status, 204);

    // A literal dotted key (OpenTelemetry style) wins over descending.
    let cfg = IngestConfig {
        ndjson: FieldMap {
            method: Some("http.request.method".into()),
            path: Some("url.path".into()),
            status: Some("http.response.status_code".into()),
            ..FieldMap::default()
        },
        ..IngestConfig::default()
    };
    let line = r#"{"time":"2026-03-02T10:15:30Z","http.request.method":"GET","url.path":"/otel","http.response.status_code":200}"#;
    let r = parse_line(SourceFormat::Ndjson, line, &cfg).unwrap();
    assert_eq!(
        (r.method, r.path.as_ref(), r.status),
        (Some(Method::Get), "/otel", 200)
    );
}

#[test]
fn har_entries() {
    let text = data("sample.har");
    let entries = linkwell_ingest::har::parse_har(&text).unwrap();
    assert_eq!(entries.len(), 4);

    let r = entries[0].as_ref().unwrap();
    assert_eq!(r.source.line, 1);
    assert_eq!(r.format, Some(SourceFormat::Har));
    assert_eq!(r.time, at(0, 123_000));
    assert_eq!(r.latency_us, Some(57_200));
    assert_eq!(r.method, Some(Method::Post));
    assert_eq!(r.host.as_deref(), Some("api.example.com"));
    assert_eq!(r.path, "/v1/payments");
    assert_eq!(r.query.as_deref(), Some("dry_run=false"));
    assert_eq!(r.protocol.as_deref(), Some("HTTP/2"));
    assert_eq!(r.status, 201);
    assert_eq!(r.request_bytes, Some(38));
    assert_eq!(r.response_bytes, Some(64));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.header("authorization"), Some("Bearer [redacted]"));
    assert_eq!(
        r.request_body.as_deref(),
        Some(r#"{"amount":"10.00","currency":"GBP"}"#)
    );
    assert_eq!(
        r.response_body.as_deref(),
        Some(r#"{"paymentId":"p-1","status":"Pending"}"#)
    );
    assert!(r.auth.contains(AuthScheme::Bearer));
    assert_eq!(r.client_ip, None, "HAR has no client address");

    let r = entries[1].as_ref().unwrap();
    assert_eq!(r.source.line, 2);
    assert_eq!(r.latency_us, None, "time -1");
    assert_eq!(
        r.host.as_deref(),
        Some("api.example.com"),
        "user info stripped"
    );
    assert_eq!(r.query.as_deref(), Some("api_key=[redacted]&format=csv"));
    assert_eq!(r.header("cookie"), Some("sid=[redacted]; theme=[redacted]"));
    assert_eq!(r.header("x-api-key"), Some("[redacted]"));
    assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.0"));
    assert_eq!(r.request_bytes, Some(210));
    assert_eq!(
        r.response_bytes,
        Some(4),
        "content.size when bodySize is -1"
    );
    assert_eq!(r.response_body, None, "base64 bodies are not kept");
    assert!(r.auth.contains(AuthScheme::ApiKey) && r.auth.contains(AuthScheme::Session));

    let r = entries[2].as_ref().unwrap();
    assert_eq!(r.host.as_deref(), Some("app.example.com"));
    assert_eq!(r.identity.login_user.as_deref(), Some("alice"));
    assert_eq!(r.status, 401);

    assert!(matches!(
        entries[3],
        Err(linkwell_ingest::ParseError::BadField {
            field: "startedDateTime",
            ..
        })
    ));
}

#[test]
fn har_bodies_are_bounded() {
    let big = "é".repeat(20_000);
    let text = format!(
        r#"{{"log":{{"entries":[{{"startedDateTime":"2026-03-02T10:15:30Z","request":{{"method":"POST","url":"https://a.example/x","postData":{{"text":"{big}"}}}},"response":{{"status":200,"content":{{"text":"{big}"}}}}}}]}}}}"#
    );
    let entries = linkwell_ingest::har::parse_har(&text).unwrap();
    let r = entries[0].as_ref().unwrap();
    let max = linkwell_core::call::MAX_BODY_SAMPLE;
    assert!(r.request_body.as_ref().unwrap().len() <= max);
    assert!(r.request_body.as_ref().unwrap().len() > max - 4);
    assert!(r.response_body.as_ref().unwrap().len() <= max);
}

#[test]
fn parse_bytes_handles_invalid_utf8() {
    let cfg = IngestConfig::default();
    let mut line = b"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] \"GET /caf".to_vec();
    line.push(0xff);
    line.extend_from_slice(b" HTTP/1.1\" 200 5 \"-\" \"ua\"");
    let r = parse_bytes(SourceFormat::NginxCombined, &line, &cfg).unwrap();
    assert_eq!(r.path, "/caf\u{fffd}");
    let ok = b"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] \"GET /ok HTTP/1.1\" 200 5";
    let r = parse_bytes(SourceFormat::NginxCombined, ok, &cfg).unwrap();
    assert!(matches!(r.path, Cow::Borrowed("/ok")));
}

#[test]
fn time_zero_is_never_silently_produced() {
    // A line with a time field that cannot be read is rejected, not dated 1970.
    let line = r#"{"time_local":"yesterday","remote_addr":"203.0.113.7","request":"GET / HTTP/1.1","status":200}"#;
    let e = parse_line(SourceFormat::NginxJson, line, &IngestConfig::default()).unwrap_err();
    assert!(
        matches!(
            e,
            linkwell_ingest::ParseError::BadField {
                field: "time_local",
                ..
            }
        ),
        "{e}"
    );
    assert_ne!(Timestamp(0), at(0, 0));
    assert_eq!(T0, 1_772_446_530);
}
