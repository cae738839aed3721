//! The admin endpoint: health, state, kill switch, mode, reload.
//!
//! A separate listener (loopback by default) so the controls never share a
//! port with the traffic they control. With a token configured every call
//! needs `Authorization: Bearer TOKEN`; without one only loopback callers
//! are served. Every change is an audit record naming who made it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::Gateway;
use crate::config::ProxyMode;

/// Largest admin request body.
const MAX_BODY: usize = 16 * 1024;

pub(crate) async fn serve(
    listener: TcpListener,
    gw: Arc<Gateway>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r { Ok(c) => c, Err(_) => continue },
            _ = stopped.changed() => return,
        };
        let gw = gw.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| admin(gw.clone(), peer, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

fn json(status: StatusCode, v: serde_json::Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

fn problem(status: StatusCode, detail: &str) -> Response<Full<Bytes>> {
    let mut r = json(
        status,
        serde_json::json!({"type": "about:blank", "title": status.canonical_reason(), "status": status.as_u16(), "detail": detail}),
    );
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// Compares in time that depends only on the lengths, not on where the
/// first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorised(gw: &Gateway, peer: SocketAddr, req: &Request<Incoming>) -> bool {
    match &gw.admin_token {
        Some(token) => req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::validate::token::bearer(Some(v)))
            .is_some_and(|t| same(t.as_bytes(), token.as_bytes())),
        None => peer.ip().is_loopback(),
    }
}

#[derive(Deserialize)]
struct KillSwitch {
    on: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    actor: Option<String>,
}

#[derive(Deserialize)]
struct ModeChange {
    mode: ProxyMode,
    #[serde(default)]
    actor: Option<String>,
}

fn state(gw: &Gateway) -> serde_json::Value {
    let s = &gw.guard.switches;
    serde_json::json!({
        "mode": s.mode().name(),
        "kill_switch": s.kill_switch(),
        "enforcing": s.enforcing(),
        "blocked_sources": gw.guard.blocked_sources(),
        "audit_errors": gw.guard.audit_errors.load(std::sync::atomic::Ordering::Relaxed),
        "routes": gw.routes.load().all().iter().map(|r| serde_json::json!({
            "name": r.name,
            "adaptive_rate_limit": r.adaptive,
            "recommended_limit": gw.guard.baseline.recommend(r.baseline_key),
        })).collect::<Vec<_>>(),
    })
}

async fn admin(
    gw: Arc<Gateway>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/healthz" {
        return Ok(json(StatusCode::OK, serde_json::json!({"status": "ok"})));
    }
    if !authorised(&gw, peer, &req) {
        return Ok(problem(StatusCode::UNAUTHORIZED, "admin token required"));
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "admin request body too large",
            ));
        }
    };
    let who = |actor: Option<String>| actor.unwrap_or_else(|| format!("admin@{}", peer.ip()));
    Ok(match (method, path.as_str()) {
        (Method::GET, "/admin/state") => json(StatusCode::OK, state(&gw)),
        (Method::POST, "/admin/killswitch") => match serde_json::from_slice::<KillSwitch>(&body) {
            Ok(k) => {
                let id = gw.guard.set_kill_switch(k.on, &who(k.actor), &k.reason);
                let mut s = state(&gw);
                s["decision_id"] = serde_json::json!(id);
                json(StatusCode::OK, s)
            }
            Err(e) => problem(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"on\": true|false, \"reason\": \"...\"}}: {e}"),
            ),
        },
        (Method::POST, "/admin/mode") => match serde_json::from_slice::<ModeChange>(&body) {
            Ok(m) => {
                let id = gw.guard.set_mode(m.mode, &who(m.actor));
                let mut s = state(&gw);
                s["decision_id"] = serde_json::json!(id);
                json(StatusCode::OK, s)
            }
            Err(e) => problem(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"mode\": \"shadow\"|\"enforce\"}}: {e}"),
            ),
        },
        (Method::POST, "/admin/reload") => match gw.reload(&who(None)) {
            Ok(n) => json(
                StatusCode::OK,
                serde_json::json!({"reloaded": true, "routes": n}),
            ),
            Err(e) => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("reload refused, old config kept: {e}"),
            ),
        },
        (Method::POST, "/admin/sanctions/clear") => {
            gw.guard.clear_sanctions();
            json(StatusCode::OK, state(&gw))
        }
        _ => problem(StatusCode::NOT_FOUND, "no such admin endpoint"),
    })
}
