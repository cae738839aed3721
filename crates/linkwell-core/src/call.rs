//! [`CallRecord`]: the one normalised shape of an API call.
//!
//! Every source (log line, proxy, gateway hook) converts into this type and
//! nothing downstream needs to know which one it came from. Text fields are
//! `Cow<'a, str>` so a parser can borrow straight from its input line and only
//! allocate when it had to unescape something; [`CallRecord::into_owned`]
//! detaches a record from its buffer when it must travel further.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Where a call came from, precise enough to point a human at the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SourceRef {
    /// Index into the run's list of inputs (files, stdin, listeners).
    pub input: u32,
    /// 1-based line number (or record number for non-line sources).
    pub line: u64,
}

/// The input format an adapter understood; recorded so a finding can say
/// what kind of evidence it stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    NginxCombined,
    NginxJson,
    Envoy,
    EnvoyJson,
    AwsApigw,
    Cloudflare,
    Kong,
    Traefik,
    Har,
    Ndjson,
    /// A live call seen by the inline proxy or a gateway hook.
    Live,
}

impl SourceFormat {
    pub const ALL_LOG_FORMATS: [SourceFormat; 10] = [
        SourceFormat::NginxCombined,
        SourceFormat::NginxJson,
        SourceFormat::Envoy,
        SourceFormat::EnvoyJson,
        SourceFormat::AwsApigw,
        SourceFormat::Cloudflare,
        SourceFormat::Kong,
        SourceFormat::Traefik,
        SourceFormat::Har,
        SourceFormat::Ndjson,
    ];

    /// The name users type after `--format`.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::NginxCombined => "nginx-combined",
            SourceFormat::NginxJson => "nginx-json",
            SourceFormat::Envoy => "envoy",
            SourceFormat::EnvoyJson => "envoy-json",
            SourceFormat::AwsApigw => "aws-apigw",
            SourceFormat::Cloudflare => "cloudflare",
            SourceFormat::Kong => "kong",
            SourceFormat::Traefik => "traefik",
            SourceFormat::Har => "har",
            SourceFormat::Ndjson => "ndjson",
            SourceFormat::Live => "live",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL_LOG_FORMATS
            .into_iter()
            .chain([SourceFormat::Live])
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// HTTP method; the common ones are a byte, anything else keeps its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method<'a> {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Trace,
    Connect,
    Other(Cow<'a, str>),
}

impl<'a> Method<'a> {
    pub fn parse(s: &'a str) -> Method<'a> {
        match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "CONNECT" => Method::Connect,
            other => {
                let upper = other.to_ascii_uppercase();
                match upper.as_str() {
                    "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "TRACE"
                    | "CONNECT" => Method::parse_static(upper),
                    _ if other.bytes().all(|b| b.is_ascii_uppercase()) => {
                        Method::Other(Cow::Borrowed(other))
                    }
                    _ => Method::Other(Cow::Owned(upper)),
                }
            }
        }
    }

    fn parse_static(upper: String) -> Method<'a> {
        match Method::parse(&upper) {
            Method::Other(_) => Method::Other(Cow::Owned(upper)),
            m => m.into_owned(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Connect => "CONNECT",
            Method::Other(s) => s,
        }
    }

    pub fn into_owned(self) -> Method<'static> {
        match self {
            Method::Get => Method::Get,
            Method::Head => Method::Head,
            Method::Post => Method::Post,
            Method::Put => Method::Put,
            Method::Patch => Method::Patch,
            Method::Delete => Method::Delete,
            Method::Options => Method::Options,
            Method::Trace => Method::Trace,
            Method::Connect => Method::Connect,
            Method::Other(s) => Method::Other(Cow::Owned(s.into_owned())),
        }
    }

    /// Methods that change server state (where bodies and CSRF matter).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Method::Post | Method::Put | Method::Patch | Method::Delete
        )
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a call enters our APIs or leaves them for a third party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
}

/// What the gateway (or our own verifier) concluded about a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertVerify {
    /// No certificate was presented.
    #[default]
    None,
    Success,
    Failed,
    /// Presented, but the source did not say whether it verified.
    Unknown,
}

impl CertVerify {
    /// Reads NGINX `$ssl_client_verify` (`SUCCESS`, `FAILED:reason`, `NONE`),
    /// Kong's copy of it, and Cloudflare's `ClientMTLSAuthStatus`.
    pub fn parse(s: &str) -> CertVerify {
        let s = s.trim();
        if s.is_empty() || s == "-" || s.eq_ignore_ascii_case("none") || s == "absent" {
            CertVerify::None
        } else if s.eq_ignore_ascii_case("success") || s == "ok" {
            CertVerify::Success
        } else if s.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("failed"))
            || matches!(s, "untrusted" | "notyetvalid" | "expired")
        {
            CertVerify::Failed
        } else {
            CertVerify::Unknown
        }
    }
}

/// Facts about a client certificate as far as the source tells them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientCert<'a> {
    pub verify: CertVerify,
    pub subject: Option<Cow<'a, str>>,
    pub issuer: Option<Cow<'a, str>>,
    pub serial: Option<Cow<'a, str>>,
    pub uri_san: Option<Cow<'a, str>>,
    /// Lower-case hex SHA-256 of the DER certificate.
    pub fingerprint_sha256: Option<Cow<'a, str>>,
    /// Lower-case hex SHA-1 (NGINX only logs this one).
    pub fingerprint_sha1: Option<Cow<'a, str>>,
    pub not_after: Option<Cow<'a, str>>,
    /// Why verification failed (`expired`, `unknown-issuer`, `revoked`,
    /// `wrong-eku`, ...), when Linkwell verified the chain itself or the
    /// source said (NGINX `FAILED:reason`).
    pub reason: Option<Cow<'a, str>>,
}

/// TLS facts of the client connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls<'a> {
    pub version: Option<Cow<'a, str>>,
    pub cipher: Option<Cow<'a, str>>,
    pub sni: Option<Cow<'a, str>>,
    pub client_cert: Option<ClientCert<'a>>,
}

/// Who the caller is, as far as the source knows.
///
/// `basic_user` is the user name from an `Authorization: Basic` header as
/// NGINX's `$remote_user` decodes it: attacker-controlled and unverified,
/// kept for login-abuse detection, never for authorization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity<'a> {
    pub api_key_id: Option<Cow<'a, str>>,
    pub subject: Option<Cow<'a, str>>,
    pub client_id: Option<Cow<'a, str>>,
    pub consumer: Option<Cow<'a, str>>,
    pub basic_user: Option<Cow<'a, str>>,
    /// Login user name extracted from a request body, where bodies are seen.
    pub login_user: Option<Cow<'a, str>>,
    pub scopes: Option<Cow<'a, str>>,
}

impl Identity<'_> {
    /// The most trustworthy name for the caller, for display and grouping.
    pub fn principal(&self) -> Option<&str> {
        self.subject
            .as_deref()
            .or(self.client_id.as_deref())
            .or(self.consumer.as_deref())
            .or(self.api_key_id.as_deref())
    }

    pub fn is_empty(&self) -> bool {
        self.principal().is_none() && self.basic_user.is_none() && self.login_user.is_none()
    }
}

/// One authentication scheme observed on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthScheme {
    None,
    Basic,
    Bearer,
    ApiKey,
    Mtls,
    Session,
}

impl AuthScheme {
    pub const ALL: [AuthScheme; 6] = [
        AuthScheme::None,
        AuthScheme::Basic,
        AuthScheme::Bearer,
        AuthScheme::ApiKey,
        AuthScheme::Mtls,
        AuthScheme::Session,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    pub fn name(self) -> &'static str {
        match self {
            AuthScheme::None => "none",
            AuthScheme::Basic => "basic",
            AuthScheme::Bearer => "bearer",
            AuthScheme::ApiKey => "api-key",
            AuthScheme::Mtls => "mtls",
            AuthScheme::Session => "session",
        }
    }
}

/// A small set of [`AuthScheme`]s (a bit set: calls carry several at once,
/// e.g. mTLS plus a bearer token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AuthSchemes(u8);

impl AuthSchemes {
    pub fn insert(&mut self, s: AuthScheme) {
        self.0 |= s.bit();
    }

    pub fn contains(self, s: AuthScheme) -> bool {
        self.0 & s.bit() != 0
    }

    pub fn union(self, other: AuthSchemes) -> AuthSchemes {
        AuthSchemes(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = AuthScheme> {
        AuthScheme::ALL
            .into_iter()
            .filter(move |s| self.contains(*s))
    }
}

impl Serialize for AuthSchemes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for AuthSchemes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<AuthScheme>::deserialize(d)?;
        let mut set = AuthSchemes::default();
        v.into_iter().for_each(|s| set.insert(s));
        Ok(set)
    }
}

/// The most headers a record keeps; the rest are counted, not stored, so a
/// hostile request cannot make a record arbitrarily large.
pub const MAX_HEADERS: usize = 64;
/// The largest body sample a record keeps, in bytes.
pub const MAX_BODY_SAMPLE: usize = 16 * 1024;

/// One API call, normalised. See the module docs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallRecord<'a> {
    pub time: Timestamp,
    pub source: SourceRef,
    pub format: Option<SourceFormat>,
    pub direction: Direction,
    pub request_id: Option<Cow<'a, str>>,

    pub client_ip: Option<IpAddr>,
    pub client_port: Option<u16>,
    /// Raw `X-Forwarded-For` as the source logged it (spoofable; kept as evidence).
    pub forwarded_for: Option<Cow<'a, str>>,

    pub method: Option<Method<'a>>,
    pub host: Option<Cow<'a, str>>,
    /// The path without the query string, still percent-encoded as received.
    pub path: Cow<'a, str>,
    /// The raw query string without the leading `?`.
    pub query: Option<Cow<'a, str>>,
    pub protocol: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub referer: Option<Cow<'a, str>>,
    pub content_type: Option<Cow<'a, str>>,
    /// Selected request headers (lower-case names), at most [`MAX_HEADERS`].
    pub headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub request_body: Option<Cow<'a, str>>,
    pub response_body: Option<Cow<'a, str>>,

    /// Final status sent to the client; 0 when the client left before a response.
    pub status: u16,
    pub request_bytes: Option<u64>,
    pub response_bytes: Option<u64>,
    pub latency_us: Option<u64>,

    pub tls: Option<Tls<'a>>,
    pub identity: Identity<'a>,
    pub auth: AuthSchemes,

    /// ISO 3166 alpha-2 country, upper case, when a gateway or CDN supplied it.
    pub country: Option<Cow<'a, str>>,
    pub asn: Option<u32>,
    /// The gateway's own verdict or flags (Envoy `RESPONSE_FLAGS`, Cloudflare
    /// `SecurityAction`), kept as evidence.
    pub gateway_flags: Option<Cow<'a, str>>,
}

fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|c| Cow::Owned(c.into_owned()))
}

impl<'a> CallRecord<'a> {
    /// Detaches the record from the buffer it was parsed from.
    pub fn into_owned(self) -> CallRecord<'static> {
        CallRecord {
            time: self.time,
            source: self.source,
            format: self.format,
            direction: self.direction,
            request_id: own(self.request_id),
            client_ip: self.client_ip,
            client_port: self.client_port,
            forwarded_for: own(self.forwarded_for),
            method: self.method.map(Method::into_owned),
            host: own(self.host),
            path: Cow::Owned(self.path.into_owned()),
            query: own(self.query),
            protocol: own(self.protocol),
            user_agent: own(self.user_agent),
            referer: own(self.referer),
            content_type: own(self.content_type),
            headers: self
                .headers
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
            request_body: own(self.request_body),
            response_body: own(self.response_body),
            status: self.status,
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            latency_us: self.latency_us,
            tls: self.tls.map(|t| Tls {
                version: own(t.version),
                cipher: own(t.cipher),
                sni: own(t.sni),
                client_cert: t.client_cert.map(|c| ClientCert {
                    verify: c.verify,
                    subject: own(c.subject),
                    issuer: own(c.issuer),
                    serial: own(c.serial),
                    uri_san: own(c.uri_san),
                    fingerprint_sha256: own(c.fingerprint_sha256),
                    fingerprint_sha1: own(c.fingerprint_sha1),
                    not_after: own(c.not_after),
                    reason: own(c.reason),
                }),
            }),
            identity: Identity {
                api_key_id: own(self.identity.api_key_id),
                subject: own(self.identity.subject),
                client_id: own(self.identity.client_id),
                consumer: own(self.identity.consumer),
                basic_user: own(self.identity.basic_user),
                login_user: own(self.identity.login_user),
                scopes: own(self.identity.scopes),
            },
            auth: self.auth,
            country: own(self.country),
            asn: self.asn,
            gateway_flags: own(self.gateway_flags),
        }
    }

    /// Splits a request target (`/a/b?x=1`, or an absolute URL) into path and query.
    pub fn set_target(&mut self, target: Cow<'a, str>) {
        let (path, query) = split_target(target);
        self.path = path;
        self.query = query;
    }

    /// Adds a header, respecting [`MAX_HEADERS`]; returns false when it was dropped.
    pub fn push_header(&mut self, name: Cow<'a, str>, value: Cow<'a, str>) -> bool {
        if self.headers.len() >= MAX_HEADERS {
            return false;
        }
        self.headers.push((name, value));
        true
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The query string's parameter names (not values), in order.
    pub fn query_param_names(&self) -> impl Iterator<Item = &str> {
        self.query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k == name).then_some(v)
        })
    }

    /// Marks the schemes visible in the record's credentials (headers,
    /// identity, client certificate). Sources call this after filling fields.
    pub fn infer_auth(&mut self) {
        if let Some(auth) = self.header("authorization") {
            let lower = auth
                .trim_start()
                .get(..7)
                .unwrap_or("")
                .to_ascii_lowercase();
            if lower.starts_with("bearer") || lower.starts_with("dpop") {
                self.auth.insert(AuthScheme::Bearer);
            } else if lower.starts_with("basic") {
                self.auth.insert(AuthScheme::Basic);
            } else if !auth.is_empty() && auth != "-" {
                // Kong writes "REDACTED": a credential was present; call it bearer.
                self.auth.insert(AuthScheme::Bearer);
            }
        }
        if self.identity.basic_user.is_some() {
            self.auth.insert(AuthScheme::Basic);
        }
        if self.identity.subject.is_some() || self.identity.client_id.is_some() {
            self.auth.insert(AuthScheme::Bearer);
        }
        if self.identity.api_key_id.is_some()
            || self
                .headers
                .iter()
                .any(|(k, _)| matches!(k.as_ref(), "x-api-key" | "apikey" | "api-key"))
            || self
                .query_param_names()
                .any(|n| n.eq_ignore_ascii_case("api_key") || n.eq_ignore_ascii_case("apikey"))
        {
            self.auth.insert(AuthScheme::ApiKey);
        }
        if self
            .tls
            .as_ref()
            .and_then(|t| t.client_cert.as_ref())
            .is_some_and(|c| c.verify == CertVerify::Success)
        {
            self.auth.insert(AuthScheme::Mtls);
        }
        if self.header("cookie").is_some() {
            self.auth.insert(AuthScheme::Session);
        }
        if self.auth.is_empty() {
            self.auth.insert(AuthScheme::None);
        }
    }
}

/// Copies `src` into `dst`, reusing `dst`'s buffer when it owns one.
fn assign(dst: &mut Option<Cow<'static, str>>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(Cow::Owned(s)), Some(v)) => {
            s.clear();
            s.push_str(v);
        }
        (_, Some(v)) => *dst = Some(Cow::Owned(v.to_owned())),
        (_, None) => *dst = None,
    }
}

fn assign_str(dst: &mut Cow<'static, str>, src: &str) {
    match dst {
        Cow::Owned(s) => {
            s.clear();
            s.push_str(src);
        }
        Cow::Borrowed(_) => *dst = Cow::Owned(src.to_owned()),
    }
}

impl CallRecord<'static> {
    /// Makes `self` an owned copy of `src`, reusing the string buffers
    /// `self` already holds. A pipeline that parses on one thread and judges
    /// on another recycles its records with this, so after warm-up moving a
    /// call between threads costs a few memcpys and no allocation.
    pub fn assign_from(&mut self, src: &CallRecord<'_>) {
        self.time = src.time;
        self.source = src.source;
        self.format = src.format;
        self.direction = src.direction;
        assign(&mut self.request_id, src.request_id.as_deref());
        self.client_ip = src.client_ip;
        self.client_port = src.client_port;
        assign(&mut self.forwarded_for, src.forwarded_for.as_deref());
        self.method = src.method.clone().map(Method::into_owned);
        assign(&mut self.host, src.host.as_deref());
        assign_str(&mut self.path, &src.path);
        assign(&mut self.query, src.query.as_deref());
        assign(&mut self.protocol, src.protocol.as_deref());
        assign(&mut self.user_agent, src.user_agent.as_deref());
        assign(&mut self.referer, src.referer.as_deref());
        assign(&mut self.content_type, src.content_type.as_deref());
        self.headers.truncate(src.headers.len());
        for (i, (k, v)) in src.headers.iter().enumerate() {
            match self.headers.get_mut(i) {
                Some((dk, dv)) => {
                    assign_str(dk, k);
                    assign_str(dv, v);
                }
                None => self
                    .headers
                    .push((Cow::Owned(k.to_string()), Cow::Owned(v.to_string()))),
            }
        }
        assign(&mut self.request_body, src.request_body.as_deref());
        assign(&mut self.response_body, src.response_body.as_deref());
        self.status = src.status;
        self.request_bytes = src.request_bytes;
        self.response_bytes = src.response_bytes;
        self.latency_us = src.latency_us;
        match &src.tls {
            None => self.tls = None,
            Some(t) => {
                let d = self.tls.get_or_insert_with(Tls::default);
                assign(&mut d.version, t.version.as_deref());
                assign(&mut d.cipher, t.cipher.as_deref());
                assign(&mut d.sni, t.sni.as_deref());
                match &t.client_cert {
                    None => d.client_cert = None,
                    Some(c) => {
                        let dc = d.client_cert.get_or_insert_with(ClientCert::default);
                        dc.verify = c.verify;
                        assign(&mut dc.subject, c.subject.as_deref());
                        assign(&mut dc.issuer, c.issuer.as_deref());
                        assign(&mut dc.serial, c.serial.as_deref());
                        assign(&mut dc.uri_san, c.uri_san.as_deref());
                        assign(&mut dc.fingerprint_sha256, c.fingerprint_sha256.as_deref());
                        assign(&mut dc.fingerprint_sha1, c.fingerprint_sha1.as_deref());
                        assign(&mut dc.not_after, c.not_after.as_deref());
                    }
                }
            }
        }
        let (d, i) = (&mut self.identity, &src.identity);
        assign(&mut d.api_key_id, i.api_key_id.as_deref());
        assign(&mut d.subject, i.subject.as_deref());
        assign(&mut d.client_id, i.client_id.as_deref());
        assign(&mut d.consumer, i.consumer.as_deref());
        assign(&mut d.basic_user, i.basic_user.as_deref());
        assign(&mut d.login_user, i.login_user.as_deref());
        assign(&mut d.scopes, i.scopes.as_deref());
        self.auth = src.auth;
        assign(&mut self.country, src.country.as_deref());
        self.asn = src.asn;
        assign(&mut self.gateway_flags, src.gateway_flags.as_deref());
    }
}

/// Splits `scheme://host/path?query#frag` or `/path?query` into path and query.
/// An absolute URL's authority is dropped; callers that need the host read it
/// before calling this.
pub fn split_target(target: Cow<'_, str>) -> (Cow<'_, str>, Option<Cow<'_, str>>) {
    /// Byte ranges of (path, query) in `s`.
    fn cut(s: &str) -> ((usize, usize), Option<(usize, usize)>) {
        // Only a target that *starts* with `scheme://` is an absolute URL; a
        // `://` inside a query (`?next=http://…`) is data.
        let scheme_len = s
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
            .filter(|&i| {
                i > 0 && s.as_bytes()[0].is_ascii_alphabetic() && s[i..].starts_with("://")
            });
        let start = match scheme_len {
            Some(i) => {
                let after = i + 3;
                s[after..]
                    .find(['/', '?', '#'])
                    .map_or(s.len(), |j| after + j)
            }
            None => 0,
        };
        let frag = s[start..].find('#').map_or(s.len(), |f| start + f);
        match s[start..frag].find('?') {
            Some(q) => ((start, start + q), Some((start + q + 1, frag))),
            None => ((start, frag), None),
        }
    }
    fn path_of(s: &str, (a, b): (usize, usize)) -> &str {
        if a >= b { "/" } else { &s[a..b] }
    }
    match target {
        Cow::Borrowed(s) => {
            let (p, q) = cut(s);
            (
                Cow::Borrowed(path_of(s, p)),
                q.map(|(a, b)| Cow::Borrowed(&s[a..b])),
            )
        }
        Cow::Owned(s) => {
            let (p, q) = cut(&s);
            (
                Cow::Owned(path_of(&s, p).to_string()),
                q.map(|(a, b)| Cow::Owned(s[a..b].to_string())),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_splitting() {
        let (p, q) = split_target(Cow::Borrowed("/v1/accounts/123?limit=10"));
        assert_eq!(p, "/v1/accounts/123");
        assert_eq!(q.as_deref(), Some("limit=10"));
        let (p, q) = split_target(Cow::Borrowed("https://api.example.com:443/v1/x?a=1#frag"));
        assert_eq!(p, "/v1/x");
        assert_eq!(q.as_deref(), Some("a=1"));
        let (p, q) = split_target(Cow::Borrowed("https://api.example.com"));
        assert_eq!(p, "/");
        assert_eq!(q, None);
        let (p, q) = split_target(Cow::Owned("/a?".to_string()));
        assert_eq!(p, "/a");
        assert_eq!(q.as_deref(), Some(""));
        // A URL inside the query is data, not the target's authority.
        let (p, q) = split_target(Cow::Borrowed("/r?next=http://evil.example/x"));
        assert_eq!(p, "/r");
        assert_eq!(q.as_deref(), Some("next=http://evil.example/x"));
        let (p, q) = split_target(Cow::Borrowed("https://host?x=1"));
        assert_eq!(p, "/");
        assert_eq!(q.as_deref(), Some("x=1"));
        for hostile in [
            "#://x/y",
            "://",
            "a://",
            "?#",
            "#",
            "",
            "h://#?",
            "\u{e9}://x",
        ] {
            let _ = split_target(Cow::Borrowed(hostile));
        }
    }

    #[test]
    fn methods() {
        assert_eq!(Method::parse("GET"), Method::Get);
        assert_eq!(Method::parse("get"), Method::Get);
        assert_eq!(Method::parse("PROPFIND").as_str(), "PROPFIND");
        assert_eq!(Method::parse("weird").as_str(), "WEIRD");
    }

    #[test]
    fn cert_verify_forms() {
        assert_eq!(CertVerify::parse("SUCCESS"), CertVerify::Success);
        assert_eq!(
            CertVerify::parse("FAILED:certificate has expired"),
            CertVerify::Failed
        );
        assert_eq!(CertVerify::parse("NONE"), CertVerify::None);
        assert_eq!(CertVerify::parse(""), CertVerify::None);
        assert_eq!(CertVerify::parse("untrusted"), CertVerify::Failed);
        assert_eq!(CertVerify::parse("aaaaa\u{e9}"), CertVerify::Unknown);
    }

    #[test]
    fn auth_inference() {
        let mut r = CallRecord::default();
        r.push_header("authorization".into(), "Bearer abc".into());
        r.set_target("/x?api_key=1".into());
        r.infer_auth();
        assert!(r.auth.contains(AuthScheme::Bearer));
        assert!(r.auth.contains(AuthScheme::ApiKey));
        assert!(!r.auth.contains(AuthScheme::Basic));
        let v: Vec<_> = r.auth.iter().map(AuthScheme::name).collect();
        assert_eq!(v, ["bearer", "api-key"]);
    }

    #[test]
    fn assign_from_equals_into_owned() {
        let mut src = CallRecord {
            client_ip: "203.0.113.7".parse().ok(),
            method: Some(Method::Post),
            host: Some("api.example.com".into()),
            status: 201,
            tls: Some(Tls {
                version: Some("TLSv1.3".into()),
                client_cert: Some(ClientCert {
                    verify: CertVerify::Success,
                    subject: Some("CN=tpp".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        src.set_target("/v1/payments?dry_run=1".into());
        src.push_header("authorization".into(), "Bearer x".into());
        src.identity.subject = Some("cus_1".into());
        src.infer_auth();
        // A recycled record that held something else, longer and shorter.
        let mut dst = CallRecord {
            user_agent: Some("old".into()),
            ..src.clone().into_owned()
        };
        dst.push_header("x-old".into(), "1".into());
        dst.push_header("x-older".into(), "2".into());
        dst.assign_from(&src);
        assert_eq!(dst, src.clone().into_owned());
        let mut fresh = CallRecord::default();
        fresh.assign_from(&src);
        assert_eq!(fresh, src.into_owned());
    }

    #[test]
    fn header_cap() {
        let mut r = CallRecord::default();
        for i in 0..(MAX_HEADERS + 10) {
            r.push_header(format!("h{i}").into(), "v".into());
        }
        assert_eq!(r.headers.len(), MAX_HEADERS);
    }
}
