//! One simulated request, in the union of the fields the four output
//! formats need. A single `Event` is reused for every line: producers fill
//! it, [`crate::format`] renders it.

use crate::bank::{ClientCert, Ep, Proto};
use crate::ids::push_ipv4;
use crate::rng::Rng;

/// "No label" in [`Event::labels`].
pub(crate) const NO_LABEL: u8 = u8::MAX;

/// The upstream hop that answered, when the gateway forwarded the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upstream {
    pub(crate) ip: &'static str,
    pub(crate) port: u16,
    pub(crate) addr: &'static str,
    pub(crate) status: u16,
    pub(crate) ms: u32,
}

pub(crate) struct Event<'w> {
    /// Log time in milliseconds since the epoch.
    pub(crate) time_ms: i64,
    pub(crate) ip: String,
    pub(crate) port: u16,
    pub(crate) method: &'static str,
    pub(crate) host: &'static str,
    /// Path and query, exactly as sent.
    pub(crate) uri: String,
    pub(crate) ep: Ep,
    pub(crate) proto: Proto,
    pub(crate) status: u16,
    pub(crate) request_length: u64,
    pub(crate) request_body: u64,
    pub(crate) body_bytes: u64,
    pub(crate) header_bytes: u64,
    pub(crate) request_ms: u32,
    pub(crate) upstream: Option<Upstream>,
    pub(crate) ua: &'w str,
    /// Empty when the client sent none.
    pub(crate) referer: &'w str,
    /// The Basic-auth user name, empty when none.
    pub(crate) remote_user: &'w str,
    /// The authenticated principal (customer or TPP id), empty when none.
    pub(crate) subject: &'w str,
    /// The OAuth client the token was issued to (Envoy `jwt_client_id`).
    pub(crate) client_id: &'w str,
    /// Kong consumer `custom_id` (the TPP's FCA reference).
    pub(crate) custom_id: &'w str,
    /// An `Authorization` header was sent (Bearer or Basic).
    pub(crate) authorization: bool,
    pub(crate) fapi: Option<u128>,
    pub(crate) request_id: u128,
    pub(crate) tls_version: &'static str,
    pub(crate) cipher: &'static str,
    pub(crate) cert: Option<&'w ClientCert>,
    /// The gateway answered itself (no route, rate limited).
    pub(crate) gateway_reply: bool,
    /// Up to two attack labels this line belongs to ([`NO_LABEL`] if none).
    pub(crate) labels: [u8; 2],
}

impl<'w> Event<'w> {
    pub(crate) fn new() -> Self {
        Event {
            time_ms: 0,
            ip: String::with_capacity(40),
            port: 0,
            method: "GET",
            host: crate::bank::API_HOST,
            uri: String::with_capacity(256),
            ep: Ep::Unknown,
            proto: Proto::H2,
            status: 200,
            request_length: 0,
            request_body: 0,
            body_bytes: 0,
            header_bytes: 0,
            request_ms: 0,
            upstream: None,
            ua: "",
            referer: "",
            remote_user: "",
            subject: "",
            client_id: "",
            custom_id: "",
            authorization: false,
            fapi: None,
            request_id: 0,
            tls_version: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
            cert: None,
            gateway_reply: false,
            labels: [NO_LABEL; 2],
        }
    }

    /// Clears everything a producer sets, keeping the buffers.
    pub(crate) fn reset(&mut self, time_ms: i64) {
        self.time_ms = time_ms;
        self.ip.clear();
        self.uri.clear();
        self.ep = Ep::Unknown;
        self.method = "GET";
        self.host = crate::bank::API_HOST;
        self.proto = Proto::H2;
        self.upstream = None;
        self.ua = "";
        self.referer = "";
        self.remote_user = "";
        self.subject = "";
        self.client_id = "";
        self.custom_id = "";
        self.authorization = false;
        self.fapi = None;
        self.tls_version = "TLSv1.3";
        self.cipher = "TLS_AES_128_GCM_SHA256";
        self.cert = None;
        self.gateway_reply = false;
        self.labels = [NO_LABEL; 2];
    }

    pub(crate) fn set_ipv4(&mut self, ip: u32) {
        self.ip.clear();
        push_ipv4(&mut self.ip, ip);
    }

    /// Sets the route and method from an endpoint.
    pub(crate) fn route(&mut self, ep: Ep) {
        self.ep = ep;
        self.method = ep.info().method;
    }

    /// Fills the request id, sizes and timings for the answer `status`.
    /// Producers set everything else first (the request length depends on
    /// the URI, the user agent and the credentials sent).
    pub(crate) fn complete(&mut self, rng: &mut Rng, status: u16) {
        let info = self.ep.info();
        self.status = status;
        self.request_id = rng.next_u128();
        if self.ep == Ep::Unknown || status == 429 {
            self.gateway_reply = true;
        }

        self.body_bytes = match status {
            204 | 304 => 0,
            200..=299 => {
                if info.body <= 0.0 {
                    0
                } else {
                    rng.lognormal(info.body, info.body_sigma).max(2.0) as u64
                }
            }
            400 => 187,
            401 => 114,
            403 => 102,
            404 if self.gateway_reply => 153,
            404 => 96,
            409 => 141,
            422 => 163,
            429 => 86,
            500 => 64,
            502 => 150,
            503 => 92,
            504 => 160,
            _ => 80,
        };
        self.header_bytes = match status {
            304 => 240,
            204 => 260,
            200..=299 => 380 + rng.below(40),
            _ => 330 + rng.below(30),
        };

        let is_post = matches!(self.method, "POST" | "PATCH" | "PUT");
        self.request_body = if is_post {
            u64::from(info.req_body) + rng.below(u64::from(info.req_body / 8 + 1))
        } else {
            0
        };
        let mut req = 150 + self.uri.len() + self.ua.len() + self.host.len();
        if self.authorization {
            req += if self.remote_user.is_empty() {
                1030
            } else {
                44
            };
        }
        if self.fapi.is_some() {
            req += 60;
        }
        if !self.referer.is_empty() {
            req += 10 + self.referer.len();
        }
        self.request_length = req as u64 + rng.below(40) + self.request_body;

        if self.gateway_reply {
            self.upstream = None;
            self.request_ms = rng.below(2) as u32;
            return;
        }
        let mut median = info.latency_ms;
        match status {
            500 => median *= 2.5,
            502 | 503 => median = 4.0,
            400..=499 if self.ep != Ep::Login && self.ep != Ep::LegacyStatement => median *= 0.5,
            _ => {}
        }
        let mut ms = if status == 504 {
            60_000.0
        } else {
            rng.lognormal(median.max(1.0), info.latency_sigma.max(0.1))
                .clamp(1.0, 60_000.0)
        };
        // Large bodies take time to send.
        ms += self.body_bytes as f64 / 5_000.0;
        let svc = info.svc.info();
        let pick = (self.request_id as usize) % svc.upstreams.len();
        let (ip, port) = svc.upstreams[pick];
        let upstream_ms = ms as u32;
        self.upstream = Some(Upstream {
            ip,
            port,
            addr: svc.addrs[pick],
            status,
            ms: upstream_ms,
        });
        self.request_ms = upstream_ms + rng.below(3) as u32;
    }

    /// Overrides the response body size (and the time to send it).
    pub(crate) fn set_body(&mut self, bytes: u64) {
        let extra = (bytes.saturating_sub(self.body_bytes) / 5_000) as u32;
        self.body_bytes = bytes;
        self.request_ms = self.request_ms.saturating_add(extra);
        if let Some(u) = self.upstream.as_mut() {
            u.ms = u.ms.saturating_add(extra);
        }
    }
}
