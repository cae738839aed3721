//! NGINX `auth_request`: NGINX sends a subrequest per call with the
//! original method, URI, client address and (when NGINX terminated TLS)
//! the client certificate in headers; Linkwell answers 2xx to allow, 401
//! or 403 to deny — never another status, which NGINX would turn into a
//! 500 for the client.
//!
//! Those headers are believed only from the configured gateway addresses:
//! anyone else could claim any client address or certificate.
//!
//! The upstream's answer is not known here, so the engine's stateful
//! detectors (login failures, enumeration) learn about these calls from the
//! gateway's access log (`POST /ingest`); this hook records its decision and
//! applies the sanctions those detectors set.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Uri, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use linkwell_core::Action;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::Gateway;
use crate::guard::Outcome;
use crate::guard::problem::Refusal;
use crate::proxy::handler::{CertView, Checks, Facts, run_checks};
use crate::proxy::{ConnInfo, TlsInfo};
use crate::validate::mtls::PeerChain;

/// Largest forwarded certificate header read (a chain of a few PEMs).
const MAX_CERT_HEADER: usize = 32 * 1024;

pub(crate) async fn serve(
    listener: TcpListener,
    gw: Arc<Gateway>,
    trusted: Arc<[IpAddr]>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r { Ok(c) => c, Err(_) => continue },
            _ = stopped.changed() => return,
        };
        let (gw, trusted) = (gw.clone(), trusted.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| check(gw.clone(), trusted.clone(), peer, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The client certificate a gateway that terminated TLS forwards, in the
/// first of these it sends:
/// - `X-SSL-Client-Cert`: NGINX `$ssl_client_escaped_cert`, URL-encoded PEM;
/// - `Client-Cert`: RFC 9440, the DER as a structured-field byte sequence
///   (`:base64:`);
/// - `X-Forwarded-Client-Cert`: Envoy's XFCC, the `Cert="..."` of its first
///   element (URL-encoded PEM).
///
/// `Err` when a header is there but does not hold a certificate.
fn forwarded_chain(h: &HeaderMap) -> Result<Option<PeerChain>, ()> {
    let present = |name| header(h, name).filter(|v| !v.is_empty() && *v != "-");
    let certs: Vec<CertificateDer<'static>> = if let Some(raw) = present("x-ssl-client-cert") {
        pem_certs(raw)?
    } else if let Some(raw) = present("client-cert") {
        use base64::Engine as _;
        let b64 = raw
            .trim()
            .strip_prefix(':')
            .and_then(|r| r.strip_suffix(':'))
            .ok_or(())?;
        if b64.len() > MAX_CERT_HEADER {
            return Err(());
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| ())?;
        vec![CertificateDer::from(der)]
    } else if let Some(raw) = present("x-forwarded-client-cert") {
        let first = raw.split(',').next().unwrap_or("");
        let cert = first
            .split(';')
            .find_map(|kv| kv.trim().strip_prefix("Cert="))
            .ok_or(())?;
        pem_certs(cert.trim_matches('"'))?
    } else {
        return Ok(None);
    };
    PeerChain::new(certs).map(Some).ok_or(())
}

fn pem_certs(url_encoded: &str) -> Result<Vec<CertificateDer<'static>>, ()> {
    if url_encoded.len() > MAX_CERT_HEADER {
        return Err(());
    }
    let pem = linkwell_core::pct::decode_form(url_encoded);
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|_| ())
}

fn answer(status: StatusCode, decision_id: &str, identity: Option<&str>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(decision_id) {
        h.insert("x-linkwell-decision-id", v);
    }
    if let Some(v) = identity.and_then(|i| HeaderValue::from_str(i).ok()) {
        h.insert("x-linkwell-identity", v);
    }
    r
}

async fn check(
    gw: Arc<Gateway>,
    trusted: Arc<[IpAddr]>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if !trusted.contains(&peer.ip()) {
        // Not a gateway we know: its claims about the client mean nothing.
        return Ok(answer(StatusCode::FORBIDDEN, "untrusted-gateway", None));
    }
    let started = Instant::now();
    let h = req.headers();
    let method = header(h, "x-original-method")
        .and_then(|m| http::Method::from_bytes(m.as_bytes()).ok())
        .unwrap_or(http::Method::GET);
    let uri: Uri = header(h, "x-original-uri")
        .and_then(|u| u.parse().ok())
        .unwrap_or_else(|| Uri::from_static("/"));
    let client = header(h, "x-real-ip")
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer.ip());
    let mut bad_cert = false;
    let chain = forwarded_chain(h).unwrap_or_else(|()| {
        bad_cert = true;
        None
    });
    let conn = ConnInfo {
        peer: SocketAddr::new(client, 0),
        tls: chain.as_ref().map(|_| TlsInfo {
            version: "forwarded",
            cipher: String::new(),
            sni: None,
        }),
        chain,
    };
    let routes = gw.routes.load_full();
    let host = header(h, "host");
    let Some(route) = routes.find(host, uri.path()) else {
        let facts = Facts::from_parts(&method, &uri, Version::HTTP_11, h, None);
        let recorded = record(
            &gw,
            &facts,
            &conn,
            None,
            Checks::default(),
            Some(Refusal::NoRoute),
            started,
        );
        return Ok(answer(StatusCode::FORBIDDEN, &recorded, None));
    };
    let facts = Facts::from_parts(
        &method,
        &uri,
        Version::HTTP_11,
        h,
        route.api_key.as_ref().map(|k| k.header.as_str()),
    );
    let kill = gw.guard.switches.kill_switch();
    let (mut checks, cert) = run_checks(&gw, &routes, route, &facts, &conn, h, kill).await;
    if bad_cert && !kill {
        checks.fail(
            "mtls:malformed-forwarded-certificate".into(),
            Refusal::Forbidden,
        );
    }
    let refusal = checks
        .refusal
        .take()
        .map(|(r, _)| r)
        .filter(|_| gw.guard.switches.enforcing());
    let identity = checks.subject.clone().or_else(|| checks.consumer.clone());
    let id = record(&gw, &facts, &conn, cert.as_ref(), checks, refusal, started);
    // NGINX understands 2xx, 401 and 403 only.
    let status = match refusal {
        None => StatusCode::NO_CONTENT,
        Some(Refusal::Unauthenticated) => StatusCode::UNAUTHORIZED,
        Some(_) => StatusCode::FORBIDDEN,
    };
    Ok(answer(status, &id, identity.as_deref()))
}

/// Records the decision (the upstream's answer is not known here).
fn record(
    gw: &Gateway,
    facts: &Facts,
    conn: &ConnInfo,
    cert: Option<&CertView<'_>>,
    checks: Checks,
    refusal: Option<Refusal>,
    started: Instant,
) -> String {
    let mut call = facts.record(conn, cert);
    call.status = refusal.map_or(204, |r| match r {
        Refusal::Unauthenticated => 401,
        _ => 403,
    });
    call.latency_us = Some(started.elapsed().as_micros() as u64);
    call.identity.subject = checks.subject.as_deref().map(std::borrow::Cow::Borrowed);
    call.identity.api_key_id = checks.api_key_id.as_deref().map(std::borrow::Cow::Borrowed);
    call.identity.consumer = checks.consumer.as_deref().map(std::borrow::Cow::Borrowed);
    let action = refusal.map(|r| match r {
        Refusal::TooManyRequests { .. } => Action::RateLimit,
        _ => Action::Block,
    });
    gw.guard
        .record_decision(
            &call,
            Outcome {
                problems: checks.problems,
                refused: action,
            },
        )
        .decision_id
}
