//! One request through the proxy: route, check, forward, judge, record.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, Uri, Version, header};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use linkwell_core::{
    Action, AuthScheme, AuthSchemes, CallRecord, Method, SourceFormat, SourceRef, Timestamp, Tls,
};

use crate::Gateway;
use crate::config::LimitKey;
use crate::guard::blocklist::Sanction;
use crate::guard::problem::Refusal;
use crate::guard::{Outcome, Recorded};
use crate::proxy::body::{InspectBody, Tap};
use crate::proxy::headers::{add_forwarding, strip_hop_by_hop};
use crate::proxy::routes::{Route, Routes};
use crate::validate::mtls::PeerChain;
use crate::validate::token::TokenOutcome;
use linkwell_apikey::KeyOutcome;

pub(crate) type RespBody = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Headers in which a gateway forwards the client certificate.
const FORWARDED_CERT_HEADERS: [&str; 4] = [
    "x-ssl-client-cert",
    "client-cert",
    "client-cert-chain",
    "x-forwarded-client-cert",
];

/// Most request headers copied into the call record, and the longest value.
const MAX_RECORDED_HEADERS: usize = 48;
const MAX_HEADER_VALUE: usize = 1024;

/// What the connection knows about its client, fixed for its lifetime.
#[derive(Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: Option<TlsInfo>,
    pub chain: Option<PeerChain>,
}

#[derive(Debug)]
pub struct TlsInfo {
    pub version: &'static str,
    pub cipher: String,
    pub sni: Option<String>,
}

fn boxed<B>(body: B) -> RespBody
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    body.map_err(Into::into).boxed()
}

/// The request as the record needs it, owned so it outlives the request.
pub(crate) struct Facts {
    time: Timestamp,
    method: String,
    host: Option<String>,
    path: String,
    query: Option<String>,
    protocol: &'static str,
    headers: Vec<(String, String)>,
    user_agent: Option<String>,
    referer: Option<String>,
    content_type: Option<String>,
    authorization: Option<String>,
    auth: AuthSchemes,
    request_bytes: Option<u64>,
}

fn header_str<'h>(h: &'h HeaderMap, name: &header::HeaderName) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

impl Facts {
    fn new(req: &Request<Incoming>, api_key_header: Option<&str>) -> Facts {
        Facts::from_parts(
            req.method(),
            req.uri(),
            req.version(),
            req.headers(),
            api_key_header,
        )
    }

    /// From the request's parts, or from what a gateway says the original
    /// request was (`auth_request`).
    pub(crate) fn from_parts(
        method: &http::Method,
        uri: &Uri,
        version: Version,
        h: &HeaderMap,
        api_key_header: Option<&str>,
    ) -> Facts {
        let host = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| header_str(h, &header::HOST).map(str::to_string));
        let authorization = header_str(h, &header::AUTHORIZATION).map(str::to_string);
        let mut auth = AuthSchemes::default();
        match authorization.as_deref().and_then(|a| a.split(' ').next()) {
            Some(s) if s.eq_ignore_ascii_case("bearer") => auth.insert(AuthScheme::Bearer),
            Some(s) if s.eq_ignore_ascii_case("basic") => auth.insert(AuthScheme::Basic),
            _ => {}
        }
        if api_key_header.is_some_and(|k| h.contains_key(k)) || h.contains_key("x-api-key") {
            auth.insert(AuthScheme::ApiKey);
        }
        // Credentials never enter the record: the engine needs to know that
        // they were sent, not what they are. Certificates forwarded by a
        // gateway are recorded as certificate facts, not as header text
        // (which the injection scan would misread).
        let secret = |n: &str| {
            FORWARDED_CERT_HEADERS
                .iter()
                .any(|h| n.eq_ignore_ascii_case(h))
                || n.eq_ignore_ascii_case("authorization")
                || n.eq_ignore_ascii_case("cookie")
                || n.eq_ignore_ascii_case("proxy-authorization")
                || api_key_header.is_some_and(|k| n.eq_ignore_ascii_case(k))
                || n.eq_ignore_ascii_case("x-api-key")
        };
        let headers = h
            .iter()
            .filter(|(n, _)| !secret(n.as_str()))
            .take(MAX_RECORDED_HEADERS)
            .map(|(n, v)| {
                let v = String::from_utf8_lossy(v.as_bytes());
                let end = v.floor_char_boundary(MAX_HEADER_VALUE);
                (n.as_str().to_string(), v[..end].to_string())
            })
            .collect();
        Facts {
            time: now(),
            method: method.as_str().to_string(),
            host,
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            protocol: match version {
                Version::HTTP_2 => "HTTP/2.0",
                Version::HTTP_10 => "HTTP/1.0",
                _ => "HTTP/1.1",
            },
            headers,
            user_agent: header_str(h, &header::USER_AGENT).map(str::to_string),
            referer: header_str(h, &header::REFERER).map(str::to_string),
            content_type: header_str(h, &header::CONTENT_TYPE).map(str::to_string),
            authorization,
            auth,
            request_bytes: header_str(h, &header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
        }
    }

    /// The call record, borrowing from these facts and the connection.
    pub(crate) fn record<'a>(
        &'a self,
        conn: &'a ConnInfo,
        cert: Option<&'a CertView>,
    ) -> CallRecord<'a> {
        let mut auth = self.auth;
        if conn.chain.is_some() {
            auth.insert(AuthScheme::Mtls);
        }
        if auth == AuthSchemes::default() {
            auth.insert(AuthScheme::None);
        }
        CallRecord {
            time: self.time,
            source: SourceRef::default(),
            format: Some(SourceFormat::Live),
            client_ip: Some(conn.peer.ip()),
            client_port: Some(conn.peer.port()),
            method: Some(Method::parse(&self.method)),
            host: self.host.as_deref().map(Cow::Borrowed),
            path: Cow::Borrowed(&self.path),
            query: self.query.as_deref().map(Cow::Borrowed),
            protocol: Some(Cow::Borrowed(self.protocol)),
            user_agent: self.user_agent.as_deref().map(Cow::Borrowed),
            referer: self.referer.as_deref().map(Cow::Borrowed),
            content_type: self.content_type.as_deref().map(Cow::Borrowed),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (Cow::Borrowed(n.as_str()), Cow::Borrowed(v.as_str())))
                .collect(),
            request_bytes: self.request_bytes,
            tls: conn.tls.as_ref().map(|t| Tls {
                version: Some(Cow::Borrowed(t.version)),
                cipher: Some(Cow::Borrowed(t.cipher.as_str())),
                sni: t.sni.as_deref().map(Cow::Borrowed),
                client_cert: cert.map(|c| {
                    let mut cc = c.chain.facts.to_client_cert(c.verify);
                    cc.reason = c.reason.map(Cow::Borrowed);
                    cc
                }),
            }),
            auth,
            ..Default::default()
        }
    }
}

/// The connection's certificate with this route's verdict on it.
pub(crate) struct CertView<'a> {
    chain: &'a PeerChain,
    verify: linkwell_core::CertVerify,
    reason: Option<&'static str>,
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Timestamp::from_millis(ms)
}

/// Header fields added to a refusal (the rate-limit fields).
type ExtraHeaders = Vec<(&'static str, String)>;

/// What the checks concluded before forwarding.
#[derive(Default)]
pub(crate) struct Checks {
    pub(crate) problems: Vec<String>,
    /// The first refusal, whether or not the mode enforces it.
    pub(crate) refusal: Option<(Refusal, ExtraHeaders)>,
    pub(crate) subject: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) scopes: Option<String>,
    pub(crate) api_key_id: Option<String>,
    pub(crate) consumer: Option<String>,
}

impl Checks {
    pub(crate) fn fail(&mut self, problem: String, refusal: Refusal) {
        self.problems.push(problem);
        if self.refusal.is_none() {
            self.refusal = Some((refusal, Vec::new()));
        }
    }
}

pub(crate) async fn handle(
    gw: Arc<Gateway>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, Infallible> {
    let started = Instant::now();
    let routes = gw.routes.load_full();
    let route_hint = {
        let host = req
            .uri()
            .authority()
            .map(|a| a.as_str())
            .or_else(|| header_str(req.headers(), &header::HOST));
        routes.find(host, req.uri().path())
    };
    let facts = Facts::new(
        &req,
        route_hint
            .and_then(|r| r.api_key.as_ref())
            .map(|k| k.header.as_str()),
    );
    let Some(route) = route_hint else {
        return Ok(refuse(
            &gw,
            &facts,
            &conn,
            None,
            Refusal::NoRoute,
            Vec::new(),
            vec!["route:none".into()],
            started,
        ));
    };
    let kill = gw.guard.switches.kill_switch();
    let enforcing = gw.guard.switches.enforcing();

    let (mut checks, cert_view) =
        run_checks(&gw, &routes, route, &facts, &conn, req.headers(), kill).await;
    if let (Some((refusal, extra)), true) = (checks.refusal.take(), enforcing) {
        return Ok(refuse(
            &gw,
            &facts,
            &conn,
            cert_view.as_ref(),
            refusal,
            extra,
            checks.problems,
            started,
        ));
    }

    // Forward. Whatever stops the call from here on is answered and
    // recorded the same way.
    let refused = |refusal: Refusal, problems: Vec<String>| {
        Ok(refuse(
            &gw,
            &facts,
            &conn,
            cert_view.as_ref(),
            refusal,
            Vec::new(),
            problems,
            started,
        ))
    };
    let limits = &gw.limits;
    if facts
        .request_bytes
        .is_some_and(|n| n > limits.max_body_bytes)
    {
        return refused(Refusal::BodyTooLarge, checks.problems);
    }
    let (mut parts, body) = req.into_parts();
    let (body, tap) = InspectBody::new(body, limits.inspect_body_bytes, limits.max_body_bytes);
    let pq = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let upstream = &route.upstream;
    let uri = Uri::builder()
        .scheme(upstream.scheme.clone())
        .authority(upstream.authority.clone())
        .path_and_query(pq)
        .build();
    let Ok(uri) = uri else {
        return refused(Refusal::BadGateway, checks.problems);
    };
    parts.uri = uri;
    parts.version = Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    if parts.headers.get(header::HOST).is_none()
        && let Some(h) = facts.host.as_deref().and_then(|h| h.parse().ok())
    {
        parts.headers.insert(header::HOST, h);
    }
    let proto = if conn.tls.is_some() { "https" } else { "http" };
    add_forwarding(
        &mut parts.headers,
        conn.peer.ip(),
        proto,
        facts.host.as_deref(),
    );
    let upstream_req = Request::from_parts(parts, body);
    let timeout = Duration::from_millis(gw.timeouts.upstream_response_ms);
    let answer = tokio::time::timeout(timeout, upstream.client().request(upstream_req)).await;
    let mut resp = match answer {
        Ok(Ok(r)) => r,
        Ok(Err(_)) if tap.too_large() => {
            return refused(Refusal::BodyTooLarge, checks.problems);
        }
        Ok(Err(_)) => {
            return refused(Refusal::BadGateway, checks.problems);
        }
        Err(_) => {
            return refused(Refusal::GatewayTimeout, checks.problems);
        }
    };
    strip_hop_by_hop(resp.headers_mut());
    let status = resp.status().as_u16();
    let response_bytes =
        header_str(resp.headers(), &header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let recorded = record(
        &gw,
        &facts,
        &conn,
        cert_view.as_ref(),
        &checks,
        &tap,
        status,
        response_bytes,
        started,
        None,
    );
    // The id under which this call is in the audit trail, for support
    // tickets and the dashboard.
    if let Ok(v) = http::HeaderValue::from_str(&recorded.decision_id) {
        resp.headers_mut().insert("linkwell-decision-id", v);
    }
    Ok(resp.map(boxed))
}

/// Every check of a call before it may go upstream, for the proxy and the
/// gateway hooks alike. All of them run (and are recorded) even when the
/// first fails, so shadow mode shows everything enforce mode would refuse.
pub(crate) async fn run_checks<'c>(
    gw: &Gateway,
    routes: &Routes,
    route: &Route,
    facts: &Facts,
    conn: &'c ConnInfo,
    headers: &HeaderMap,
    kill: bool,
) -> (Checks, Option<CertView<'c>>) {
    let mut checks = Checks::default();
    let mut cert_view = None;
    if !kill && let Some((s, left)) = gw.guard.sanction(conn.peer.ip()) {
        match s {
            Sanction::Block => checks.fail("blocklist:source-blocked".into(), Refusal::Forbidden),
            Sanction::Throttle => checks.fail(
                "blocklist:source-throttled".into(),
                Refusal::TooManyRequests {
                    retry_after_secs: left.as_secs().max(1),
                },
            ),
        }
    }
    if let Some(policy) = &route.mtls {
        let outcome = policy.check(conn.chain.as_ref());
        if let Some(chain) = &conn.chain {
            cert_view = Some(CertView {
                chain,
                verify: outcome.verify,
                reason: outcome.reason,
            });
        }
        if !outcome.allowed && !kill {
            checks.fail(
                format!("mtls:{}", outcome.reason.unwrap_or("not-verified")),
                Refusal::Forbidden,
            );
        }
    } else if let Some(chain) = &conn.chain {
        cert_view = Some(CertView {
            chain,
            verify: linkwell_core::CertVerify::Unknown,
            reason: None,
        });
    }
    if let Some(policy) = &route.jwt {
        let x5t = conn.chain.as_ref().map(|c| c.x5t_s256.as_str());
        match policy
            .check(
                &routes.tokens,
                facts.authorization.as_deref(),
                &facts.method,
                x5t,
                facts.time,
            )
            .await
        {
            TokenOutcome::Valid(claims) => {
                checks.subject = claims.sub.clone();
                checks.client_id = claims.client_id.clone();
                checks.scopes = (!claims.scopes.is_empty()).then(|| claims.scopes.join(" "));
            }
            TokenOutcome::Absent => {}
            o @ (TokenOutcome::Missing | TokenOutcome::Invalid(_)) if !kill => {
                let reason = o.reason().unwrap_or("invalid");
                let refusal = if reason == "missing-scope"
                    || reason == "cnf-mismatch"
                    || reason == "cnf-missing"
                {
                    Refusal::Forbidden
                } else {
                    Refusal::Unauthenticated
                };
                checks.fail(format!("token:{reason}"), refusal);
            }
            TokenOutcome::Unavailable(reason) if !kill => {
                if route.fail_open {
                    checks.problems.push(format!("token:{reason}:fail-open"));
                } else {
                    checks.fail(format!("token:{reason}"), Refusal::Unavailable);
                }
            }
            _ => {}
        }
    }
    if let (Some(cfg), Some(keys), false) = (&route.api_key, &routes.keys, kill) {
        match headers.get(cfg.header.as_str()).map(|v| v.to_str()) {
            None if cfg.required => checks.fail("api-key:missing".into(), Refusal::Unauthenticated),
            None => {}
            Some(value) => {
                let outcome = keys.check(value.unwrap_or(""), &route.name, facts.time.secs());
                match outcome {
                    KeyOutcome::Valid { id, owner, .. } => {
                        checks.api_key_id = Some(id);
                        checks.consumer = Some(owner);
                    }
                    KeyOutcome::RouteNotAllowed => {
                        checks.fail("api-key:route-not-allowed".into(), Refusal::Forbidden)
                    }
                    other => checks.fail(
                        format!("api-key:{}", other.reason().unwrap_or("invalid")),
                        Refusal::Unauthenticated,
                    ),
                }
            }
        }
    }
    let identity = checks.subject.as_ref().or(checks.api_key_id.as_ref());
    let by_ip = fast_key(&route.name, conn.peer.ip().to_string().as_bytes());
    let now_ms = gw.clock_ms();
    gw.guard.baseline.observe(route.baseline_key, by_ip, now_ms);
    if let (Some((configured, key)), false) = (&route.rate, kill) {
        let who = match (key, identity) {
            (LimitKey::Identity, Some(s)) => fast_key(&route.name, s.as_bytes()),
            _ => by_ip,
        };
        let learned = route
            .adaptive
            .then(|| gw.guard.baseline.recommend(route.baseline_key))
            .flatten()
            .map(|r| r.quota());
        let quota = learned.as_ref().unwrap_or(configured);
        let d = gw.guard.limiter.check(who, quota, now_ms);
        let headers = d.headers(&route.name, quota);
        if !d.allowed {
            checks.problems.push("rate-limit:exceeded".into());
            if checks.refusal.is_none() {
                checks.refusal = Some((
                    Refusal::TooManyRequests {
                        retry_after_secs: d.retry_after_secs.unwrap_or(1),
                    },
                    headers,
                ));
            }
        }
    }
    if !kill {
        let probe = facts.record(conn, cert_view.as_ref());
        if let Some(hit) = gw.guard.precheck(&probe) {
            checks.fail(
                format!("injection:{}", hit.class.code()),
                Refusal::Forbidden,
            );
        }
    }
    (checks, cert_view)
}

fn fast_key(route: &str, who: &[u8]) -> u64 {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(route.as_bytes());
    ctx.update(&[0]);
    ctx.update(who);
    let d = ctx.finish();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d.as_ref()[..8]);
    u64::from_le_bytes(b)
}

#[allow(clippy::too_many_arguments)]
fn record(
    gw: &Gateway,
    facts: &Facts,
    conn: &ConnInfo,
    cert: Option<&CertView<'_>>,
    checks: &Checks,
    tap: &Tap,
    status: u16,
    response_bytes: Option<u64>,
    started: Instant,
    refused: Option<Action>,
) -> Recorded {
    let window = tap.window();
    let body = (!window.is_empty()).then(|| String::from_utf8_lossy(&window).into_owned());
    let mut call = facts.record(conn, cert);
    call.status = status;
    call.response_bytes = response_bytes;
    call.request_bytes = facts.request_bytes.or(Some(tap.seen()));
    call.latency_us = Some(started.elapsed().as_micros() as u64);
    call.identity.subject = checks.subject.as_deref().map(Cow::Borrowed);
    call.identity.client_id = checks.client_id.as_deref().map(Cow::Borrowed);
    call.identity.scopes = checks.scopes.as_deref().map(Cow::Borrowed);
    call.identity.api_key_id = checks.api_key_id.as_deref().map(Cow::Borrowed);
    call.identity.consumer = checks.consumer.as_deref().map(Cow::Borrowed);
    if let Some(b) = &body {
        call.identity.login_user =
            linkwell_ingest::har::login_user(b, facts.content_type.as_deref());
        call.request_body = Some(Cow::Borrowed(b.as_str()));
    }
    gw.guard.record(
        &call,
        Outcome {
            problems: checks.problems.clone(),
            refused,
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn refuse(
    gw: &Gateway,
    facts: &Facts,
    conn: &ConnInfo,
    cert: Option<&CertView<'_>>,
    refusal: Refusal,
    extra: Vec<(&'static str, String)>,
    problems: Vec<String>,
    started: Instant,
) -> Response<RespBody> {
    let checks = Checks {
        problems,
        ..Checks::default()
    };
    let action = match refusal {
        Refusal::TooManyRequests { .. } => Action::RateLimit,
        Refusal::Forbidden | Refusal::Unauthenticated => Action::Block,
        _ => Action::Allow,
    };
    let status = refusal.status();
    let recorded = record(
        gw,
        facts,
        conn,
        cert,
        &checks,
        &Tap::default(),
        status.as_u16(),
        None,
        started,
        (action != Action::Allow).then_some(action),
    );
    refusal.response(&recorded.decision_id, &extra).map(boxed)
}
