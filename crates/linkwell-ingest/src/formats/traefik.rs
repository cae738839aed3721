//! Traefik JSON access logs (integrations §1.9).
//!
//! The field names are fixed, except request headers, which appear as
//! `request_<Header-Name>` keys when the operator keeps them; that open key
//! set is why this format is read key by key instead of into a struct.
//! `ClientHost` is overwritten by Traefik with the whole `X-Forwarded-For`
//! value when one is present (spoofable, possibly a list), so the client is
//! `ClientAddr`, the TCP peer, and `ClientHost` is kept as forwarded-for
//! evidence when it differs. Durations are nanoseconds.

use std::borrow::Cow;

use linkwell_core::CallRecord;

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts};
use crate::flat;
use crate::json::Val;

#[derive(Default)]
struct Slots<'a> {
    client_addr: Option<Val<'a>>,
    client_host: Option<Val<'a>>,
    client_port: Option<Val<'a>>,
    username: Option<Val<'a>>,
    downstream_size: Option<Val<'a>>,
    downstream_status: Option<Val<'a>>,
    origin_status: Option<Val<'a>>,
    duration: Option<Val<'a>>,
    request_host: Option<Val<'a>>,
    request_addr: Option<Val<'a>>,
    request_size: Option<Val<'a>>,
    method: Option<Val<'a>>,
    path: Option<Val<'a>>,
    protocol: Option<Val<'a>>,
    start_utc: Option<Val<'a>>,
    time: Option<Val<'a>>,
    tls_version: Option<Val<'a>>,
    tls_cipher: Option<Val<'a>>,
    tls_subject: Option<Val<'a>>,
    headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Slots<'a> {
    fn take(&mut self, key: Cow<'a, str>, v: Val<'a>) -> bool {
        let slot = match key.as_ref() {
            "ClientAddr" => &mut self.client_addr,
            "ClientHost" => &mut self.client_host,
            "ClientPort" => &mut self.client_port,
            "ClientUsername" => &mut self.username,
            "DownstreamContentSize" => &mut self.downstream_size,
            "DownstreamStatus" => &mut self.downstream_status,
            "OriginStatus" => &mut self.origin_status,
            "Duration" => &mut self.duration,
            "RequestHost" => &mut self.request_host,
            "RequestAddr" => &mut self.request_addr,
            "RequestContentSize" => &mut self.request_size,
            "RequestMethod" => &mut self.method,
            "RequestPath" => &mut self.path,
            "RequestProtocol" => &mut self.protocol,
            "StartUTC" => &mut self.start_utc,
            "time" => &mut self.time,
            "TLSVersion" => &mut self.tls_version,
            "TLSCipher" => &mut self.tls_cipher,
            "TLSClientSubject" => &mut self.tls_subject,
            _ => {
                if key.starts_with("request_") {
                    if let Some(value) = v.text()
                        && self.headers.len() < linkwell_core::call::MAX_HEADERS
                    {
                        let name = match key {
                            Cow::Borrowed(k) => Cow::Borrowed(&k["request_".len()..]),
                            Cow::Owned(k) => Cow::Owned(k["request_".len()..].to_string()),
                        };
                        self.headers.push((name, value));
                    }
                    return true;
                }
                return false;
            }
        };
        *slot = Some(v);
        true
    }
}

/// Keys that mark a line as Traefik's (used by detection).
pub(crate) const SIGNATURE: &[&str] = &[
    "RequestMethod",
    "DownstreamStatus",
    "ClientAddr",
    "RequestPath",
    "OriginStatus",
    "StartUTC",
    "RouterName",
    "DownstreamContentSize",
];

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let mut s = Slots::default();
    flat::scan(line, |f| {
        s.take(f.key, f.val);
        Ok(())
    })?;
    build(s)
}

fn build(s: Slots<'_>) -> Result<CallRecord<'_>, ParseError> {
    let status = match s.downstream_status.filter(|v| !v.is_missing()) {
        Some(v) => fields::status("DownstreamStatus", Some(v))?,
        None => fields::status("DownstreamStatus", s.origin_status)?,
    };
    let time = match s.start_utc.filter(|v| !v.is_missing()) {
        Some(v) => fields::require_time("StartUTC", Some(v))?,
        None => fields::require_time("StartUTC", s.time)?,
    };
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };
    let target = s
        .path
        .and_then(Val::text)
        .ok_or(ParseError::MissingField("RequestPath"))?;
    fields::set_target(&mut rec, target);
    if let Some(m) = s.method.and_then(Val::text) {
        rec.method = Some(fields::method("RequestMethod", m)?);
    }
    rec.protocol = s.protocol.and_then(Val::text);
    rec.host = s
        .request_host
        .and_then(Val::text)
        .or_else(|| s.request_addr.and_then(Val::text));

    let (ip, port) = fields::peer("ClientAddr", s.client_addr.and_then(Val::text).as_deref())?;
    rec.client_ip = ip;
    rec.client_port = port;
    if let Some(host) = s.client_host.and_then(Val::text) {
        let same =
            rec.client_ip.is_some() && fields::parse_ip(&host).map(|(ip, _)| ip) == rec.client_ip;
        if rec.client_ip.is_none() {
            rec.client_ip = fields::first_forwarded(&host);
            if rec.client_port.is_none() {
                rec.client_port = s
                    .client_port
                    .and_then(Val::text)
                    .and_then(|p| p.parse().ok());
            }
        }
        if !same {
            rec.forwarded_for = Some(host);
        }
    }

    rec.request_bytes = fields::count("RequestContentSize", s.request_size)?;
    rec.response_bytes = fields::count("DownstreamContentSize", s.downstream_size)?;
    rec.latency_us = fields::duration_us("Duration", s.duration, LatencyUnit::Ns)?;
    // Set only by Traefik's basicAuth/digestAuth middlewares (or headerField).
    rec.identity.basic_user = s.username.and_then(Val::text);

    rec.tls = TlsParts {
        version: s.tls_version.and_then(Val::text).map(fields::tls_version),
        cipher: s.tls_cipher.and_then(Val::text),
        subject: s.tls_subject.and_then(Val::text),
        ..Default::default()
    }
    .build();

    for (name, value) in s.headers {
        fields::add_header(&mut rec, name, value);
    }
    Ok(rec)
}
