//! HTTP semantics of the proxy: what the upstream receives, the limits and
//! timeouts with their answers, HTTP/2 by ALPN, graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::support::*;

fn config(upstream: &str, tls: bool) -> String {
    let tls = if tls {
        "[proxy.listeners.tls]\ncert = \"{dir}/server.pem\"\nkey = \"{dir}/server.key\"\n"
    } else {
        ""
    };
    format!(
        r#"
[proxy]
mode = "enforce"
[proxy.limits]
max_body_bytes = 4096
[proxy.timeouts]
upstream_response_ms = 500
drain_ms = 5000
[[proxy.listeners]]
listen = "127.0.0.1:0"
{tls}
[[proxy.upstreams]]
name = "api"
url = "http://{upstream}"
[[proxy.upstreams]]
name = "gone"
url = "http://127.0.0.1:9"
[[proxy.routes]]
name = "api"
path_prefix = "/"
upstream = "api"
[[proxy.routes]]
name = "legacy"
path_prefix = "/legacy"
upstream = "gone"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_gets_the_request_without_hop_headers_and_with_forwarding_fields() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), false), |_| {}).await;
    let mut req = post_json("/v1/transfers?dry_run=1", r#"{"amount":"10.00"}"#);
    let h = req.headers_mut();
    h.insert("connection", "keep-alive, x-hop".parse().unwrap());
    h.insert("x-hop", "secret".parse().unwrap());
    h.insert("keep-alive", "timeout=5".parse().unwrap());
    h.insert("proxy-authorization", "Basic Zm9vOmJhcg==".parse().unwrap());
    h.insert("x-request-id", "req-77".parse().unwrap());
    let a = send(p.addr, None, req).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.headers.contains_key("linkwell-decision-id"));
    let seen = up.last();
    assert_eq!(seen.path, "/v1/transfers");
    assert_eq!(seen.body, br#"{"amount":"10.00"}"#);
    for hop in ["x-hop", "keep-alive", "proxy-authorization"] {
        assert!(!seen.headers.contains_key(hop), "{hop} was forwarded");
    }
    assert_eq!(seen.headers["x-request-id"], "req-77");
    assert_eq!(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-proto"], "http");
    assert_eq!(seen.headers["x-forwarded-host"], "api.bank.test");
    assert_eq!(
        seen.headers["forwarded"],
        "for=127.0.0.1;proto=http;host=\"api.bank.test\""
    );
    assert_eq!(seen.headers["via"], "1.1 linkwell");
    assert_eq!(seen.headers["host"], "api.bank.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_upstream_failures_get_clear_answers() {
    let up = Upstream::start().await;
    let p = start(&config(&up.addr.to_string(), false), |_| {}).await;
    // Body over the limit, announced by Content-Length: 413 before forwarding.
    let big = "x".repeat(10_000);
    let a = send(p.addr, None, post_json("/v1/documents", &big)).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.headers["content-type"], "application/problem+json");
    assert!(up.seen.lock().unwrap().is_empty());
    // A request head over the limit: hyper answers 431.
    let mut r = get("/v1/accounts");
    r.headers_mut()
        .insert("x-huge", "y".repeat(40_000).parse().unwrap());
    let a = send(p.addr, None, r).await;
    assert_eq!(a.status, 431);
    // Nothing listens behind the legacy route: 502.
    let a = send(p.addr, None, get("/legacy/accounts")).await;
    assert_eq!(a.status, 502, "{}", a.body);
    // The upstream takes 3 s, the proxy waits 0.5 s: 504.
    let a = send(p.addr, None, get("/slow")).await;
    assert_eq!(a.status, 504, "{}", a.body);
    let rec = p.call_audit(&a.decision());
    assert_eq!(rec.status, 504);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_served_when_the_client_asks_for_it() {
    let up = Upstream::start().await;
    let pki = Pki::new();
    let p = start(&config(&up.addr.to_string(), true), |d| pki.write(d, &[])).await;
    let mut cfg = (*pki.client_config(None)).clone();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut s, c) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(c);
    let req = http::Request::get("https://api.bank.test/v1/accounts/7")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = s.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), http::Version::HTTP_2);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"{\"ok\":true}");
    assert_eq!(up.last().path, "/v1/accounts/7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_call_in_flight_finish() {
    let up = Upstream::start().await;
    // The upstream's /slow takes 3 s; give the proxy room to wait for it.
    let cfg = config(&up.addr.to_string(), false)
        .replace("upstream_response_ms = 500", "upstream_response_ms = 10000");
    let mut p = start(&cfg, |_| {}).await;
    let addr = p.addr;
    let in_flight = tokio::spawn(async move { send(addr, None, get("/slow")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let running = p.running.take().unwrap();
    let gw = p.gw.clone();
    let stopping = tokio::spawn(async move { running.shutdown(&gw).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // No new connections once shutdown started...
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    // ...but the slow call completes normally.
    let a = in_flight.await.unwrap();
    assert_eq!(a.status, 200);
    stopping.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_threads_share_the_port_and_stop_cleanly() {
    let up = Upstream::start().await;
    let p = start_on(&config(&up.addr.to_string(), false), |_| {}, Some(3)).await;
    // One account, many connections (walking account ids would rightly be
    // throttled as enumeration).
    for _ in 0..30 {
        let a = send(p.addr, None, get("/v1/accounts/42/balance")).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert_eq!(up.count.load(std::sync::atomic::Ordering::SeqCst), 30);
    let Proxy {
        gw, workers, addr, ..
    } = p;
    tokio::task::spawn_blocking(move || workers.unwrap().shutdown(&gw))
        .await
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_swaps_routes_without_dropping_a_call_and_refuses_a_bad_config() {
    let up = Upstream::start().await;
    let cfg = config(&up.addr.to_string(), false)
        .replace("upstream_response_ms = 500", "upstream_response_ms = 10000");
    let p = start(&cfg, |_| {}).await;
    // /legacy goes to an upstream that is not there.
    assert_eq!(
        send(p.addr, None, get("/legacy/accounts")).await.status,
        502
    );
    // A slow call is in flight while the config changes under it.
    let addr = p.addr;
    let in_flight = tokio::spawn(async move { send(addr, None, get("/slow")).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let file = p.dir.join("proxy.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("upstream = \"gone\"", "upstream = \"api\""),
    )
    .unwrap();
    assert_eq!(p.gw.reload("test").unwrap(), 2);
    assert_eq!(
        send(p.addr, None, get("/legacy/accounts")).await.status,
        200
    );
    assert_eq!(in_flight.await.unwrap().status, 200);
    // A config that does not load changes nothing.
    std::fs::write(&file, "[proxy]\nlisteners = 7\n").unwrap();
    assert!(p.gw.reload("test").is_err());
    assert_eq!(
        send(p.addr, None, get("/legacy/accounts")).await.status,
        200
    );
}
