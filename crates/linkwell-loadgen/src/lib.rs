//! A small HTTP/1.1 load generator for Linkwell's proxy benchmarks.
//!
//! Why not only `wrk`: the benchmark that matters puts Linkwell in front of
//! an API with mTLS on every call, and `wrk`, `h2load` and `ab` cannot present
//! a client certificate. Measuring the three targets (upstream directly,
//! NGINX, Linkwell) with one instrument keeps the comparison fair: same
//! connection handling, same clock, same histogram.
//!
//! Two load shapes:
//! - **closed loop** — each connection sends its next request as soon as the
//!   previous answer is read: the throughput ceiling (requests/s).
//! - **open loop** — requests are scheduled at a fixed rate and each latency
//!   is measured from its *scheduled* time, so a stalled server is charged
//!   for the requests it delayed (no coordinated omission): the latency a
//!   client sees at that rate (p50/p99).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::{HeaderName, HeaderValue, Request};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// Longest latency the histogram keeps exactly (60 s, in µs); slower answers
/// are clamped to it rather than dropped.
const MAX_TRACKED_US: u64 = 60_000_000;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS handshake with {addr} failed: {source}")]
    Tls {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("HTTP handshake with {addr} failed: {source}")]
    Http {
        addr: SocketAddr,
        source: hyper::Error,
    },
    #[error("invalid request: {0}")]
    Request(#[from] http::Error),
    #[error("load shape: {0}")]
    Shape(&'static str),
}

/// TLS towards the target, with or without a client certificate (that is
/// the rustls config's business).
#[derive(Clone)]
pub struct TlsTarget {
    pub config: Arc<rustls::ClientConfig>,
    pub server_name: ServerName<'static>,
}

/// Where to send the requests and what they carry.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// The `Host` header.
    pub authority: String,
    /// Path and query of every request.
    pub path: String,
    pub tls: Option<TlsTarget>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Debug, Clone, Copy)]
pub enum Load {
    Closed {
        connections: usize,
    },
    Open {
        rate_per_sec: u64,
        connections: usize,
    },
}

impl Load {
    fn connections(self) -> usize {
        match self {
            Load::Closed { connections } | Load::Open { connections, .. } => connections,
        }
    }
}

/// What one run measured (after the warm-up).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub requests: u64,
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Answers with any other status.
    pub non_2xx: u64,
    /// Connection or protocol failures (each followed by a reconnect).
    pub errors: u64,
    pub seconds: f64,
    pub requests_per_sec: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

/// Runs `load` against `target` for `warmup + measure`, counting only what
/// completes after the warm-up.
pub async fn run(
    target: &Target,
    load: Load,
    warmup: Duration,
    measure: Duration,
) -> Result<Report, LoadError> {
    let connections = load.connections();
    if connections == 0 {
        return Err(LoadError::Shape("at least one connection"));
    }
    if let Load::Open {
        rate_per_sec: 0, ..
    } = load
    {
        return Err(LoadError::Shape("an open-loop rate above zero"));
    }
    // Fail fast with a clear message when the target is not there at all.
    drop(connect(target).await?);

    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + warmup;
    let end = measure_from + measure;
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        let target = target.clone();
        let schedule = match load {
            Load::Closed { .. } => None,
            Load::Open {
                rate_per_sec,
                connections,
            } => {
                // Each connection carries an equal share of the rate, offset
                // so the connections do not fire in lockstep.
                let interval = Duration::from_secs_f64(connections as f64 / rate_per_sec as f64);
                let offset = interval.mul_f64(i as f64 / connections as f64);
                Some((interval, offset))
            }
        };
        tasks.push(tokio::spawn(async move {
            drive(&target, start, measure_from, end, schedule).await
        }));
    }
    let mut total = Tally::new();
    for t in tasks {
        if let Ok(tally) = t.await {
            total.merge(&tally);
        }
    }
    Ok(total.report(measure))
}

struct Tally {
    hist: Histogram<u64>,
    ok: u64,
    non_2xx: u64,
    errors: u64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            hist: Histogram::new_with_bounds(1, MAX_TRACKED_US, 3)
                .expect("static histogram bounds are valid"),
            ok: 0,
            non_2xx: 0,
            errors: 0,
        }
    }

    fn record(&mut self, latency: Duration, status: u16) {
        let us = (latency.as_micros() as u64).clamp(1, MAX_TRACKED_US);
        // Saturated above: cannot fail within the bounds set in `new`.
        self.hist.saturating_record(us);
        if (200..300).contains(&status) {
            self.ok += 1;
        } else {
            self.non_2xx += 1;
        }
    }

    fn merge(&mut self, other: &Tally) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
    }

    fn report(&self, measure: Duration) -> Report {
        let requests = self.hist.len();
        let seconds = measure.as_secs_f64();
        Report {
            requests,
            ok: self.ok,
            non_2xx: self.non_2xx,
            errors: self.errors,
            seconds,
            requests_per_sec: requests as f64 / seconds,
            p50_us: self.hist.value_at_quantile(0.50),
            p90_us: self.hist.value_at_quantile(0.90),
            p99_us: self.hist.value_at_quantile(0.99),
            p999_us: self.hist.value_at_quantile(0.999),
            max_us: self.hist.max(),
        }
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(target: &Target) -> Result<Sender, LoadError> {
    let addr = target.addr;
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|source| LoadError::Connect { addr, source })?;
    // Small requests: Nagle would add 40 ms stalls, which is not what a
    // real client sees.
    let _ = tcp.set_nodelay(true);
    match &target.tls {
        None => handshake(addr, TokioIo::new(tcp)).await,
        Some(tls) => {
            let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
            let stream = connector
                .connect(tls.server_name.clone(), tcp)
                .await
                .map_err(|source| LoadError::Tls { addr, source })?;
            handshake(addr, TokioIo::new(stream)).await
        }
    }
}

async fn handshake<T>(addr: SocketAddr, io: TokioIo<T>) -> Result<Sender, LoadError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|source| LoadError::Http { addr, source })?;
    tokio::spawn(async move {
        // The connection ends when the sender is dropped or the peer closes;
        // either way the driving loop notices and reconnects.
        let _ = conn.await;
    });
    Ok(sender)
}

fn request(target: &Target) -> Result<Request<Empty<Bytes>>, http::Error> {
    let mut b = Request::get(target.path.as_str()).header(http::header::HOST, &target.authority);
    for (name, value) in &target.headers {
        b = b.header(name, value);
    }
    b.body(Empty::new())
}

/// One connection's loop: send, read the whole answer, record, repeat;
/// reconnect after any failure so one bad answer does not end the run.
async fn drive(
    target: &Target,
    start: Instant,
    measure_from: Instant,
    end: Instant,
    schedule: Option<(Duration, Duration)>,
) -> Tally {
    let mut tally = Tally::new();
    let mut sender: Option<Sender> = None;
    let mut next = schedule.map(|(_, offset)| start + offset);
    tokio::time::sleep_until(start.into()).await;
    let mut prev_done = start;
    loop {
        let due = match next {
            Some(at) => {
                tokio::time::sleep_until(at.into()).await;
                at
            }
            None => Instant::now(),
        };
        if due >= end {
            break;
        }
        let sent = Instant::now();
        let outcome = once(target, &mut sender).await;
        let done = Instant::now();
        // Charged from the scheduled time when the previous answer on this
        // connection came after it (the server held the request back: no
        // coordinated omission); otherwise from the send, because the timer
        // waking up late (tokio's timer ticks in milliseconds) is the load
        // generator's delay, not the server's.
        let from = if prev_done > due { due } else { sent };
        prev_done = done;
        if due >= measure_from && done <= end {
            match outcome {
                Some(status) => tally.record(done - from, status),
                None => tally.errors += 1,
            }
        }
        if let (Some(at), Some((interval, _))) = (next.as_mut(), schedule) {
            *at += interval;
        }
    }
    tally
}

/// Sends one request on the connection (opening it if needed); the status,
/// or `None` when the connection failed and was dropped.
async fn once(target: &Target, sender: &mut Option<Sender>) -> Option<u16> {
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        *sender = connect(target).await.ok();
    }
    let s = sender.as_mut()?;
    if s.ready().await.is_err() {
        *sender = None;
        return None;
    }
    let req = request(target).ok()?;
    let result = async {
        let resp = s.send_request(req).await?;
        let status = resp.status().as_u16();
        resp.into_body().collect().await?;
        Ok::<u16, hyper::Error>(status)
    }
    .await;
    match result {
        Ok(status) => Some(status),
        Err(_) => {
            *sender = None;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A plain HTTP server that answers 200 to everything and counts calls.
    async fn server() -> (SocketAddr, Arc<AtomicU64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let count = Arc::new(AtomicU64::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |_req| {
                        seen.fetch_add(1, Ordering::Relaxed);
                        async {
                            Ok::<_, Infallible>(http::Response::new(http_body_util::Full::new(
                                Bytes::from_static(b"ok"),
                            )))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        (addr, count)
    }

    fn target(addr: SocketAddr) -> Target {
        Target {
            addr,
            authority: addr.to_string(),
            path: "/ping".into(),
            tls: None,
            headers: vec![],
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn open_loop_sends_the_scheduled_number_of_requests() {
        let (addr, count) = server().await;
        let load = Load::Open {
            rate_per_sec: 400,
            connections: 4,
        };
        let r = run(
            &target(addr),
            load,
            Duration::from_millis(100),
            Duration::from_millis(500),
        )
        .await
        .expect("run");
        // 400/s for 0.5 s = 200 measured requests, give or take the edges.
        assert!((180..=220).contains(&r.requests), "{r:?}");
        assert_eq!(r.ok, r.requests);
        assert_eq!(r.errors, 0);
        // Warm-up requests reached the server but are not counted.
        assert!(count.load(Ordering::Relaxed) > r.requests);
        assert!(r.p50_us <= r.p99_us && r.p99_us <= r.max_us);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closed_loop_counts_every_answer() {
        let (addr, count) = server().await;
        let r = run(
            &target(addr),
            Load::Closed { connections: 2 },
            Duration::ZERO,
            Duration::from_millis(300),
        )
        .await
        .expect("run");
        assert!(r.requests > 0);
        assert_eq!(r.ok, r.requests);
        assert!(count.load(Ordering::Relaxed) >= r.requests);
    }

    #[tokio::test]
    async fn a_missing_target_is_a_clear_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let err = run(
            &target(addr),
            Load::Closed { connections: 1 },
            Duration::ZERO,
            Duration::from_millis(10),
        )
        .await
        .expect_err("nothing listens there");
        assert!(err.to_string().contains("cannot connect"), "{err}");
    }
}
