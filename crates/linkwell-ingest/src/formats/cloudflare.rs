//! Cloudflare Logpush, dataset `http_requests` (integrations §1.7).
//!
//! Each job picks its own fields, so every field is optional here except the
//! edge status and start time. Timestamps are RFC 3339 strings or integers
//! (`unixnano` by default in the API, `unix` seconds in some jobs) depending
//! on the job's `timestamp_format`; the unit of an integer is guessed from
//! its magnitude. Country codes arrive in either case and are upper-cased.

use std::borrow::Cow;

use linkwell_core::CallRecord;
use serde::Deserialize;

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts};
use crate::json::{HeaderList, Val, parse_typed};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow, rename = "ClientIP")]
    client_ip: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientSrcPort")]
    client_port: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientASN")]
    asn: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientCountry")]
    country: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestMethod")]
    method: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestHost")]
    host: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestPath")]
    path: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestURI")]
    uri: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestProtocol")]
    protocol: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestUserAgent")]
    user_agent: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestReferer")]
    referer: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientRequestBytes")]
    request_bytes: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientSSLProtocol")]
    ssl_protocol: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientSSLCipher")]
    ssl_cipher: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientMTLSAuthStatus")]
    mtls_status: Option<Val<'a>>,
    #[serde(borrow, rename = "ClientMTLSAuthCertFingerprint")]
    mtls_fingerprint: Option<Val<'a>>,
    #[serde(borrow, rename = "EdgeStartTimestamp")]
    start: Option<Val<'a>>,
    #[serde(borrow, rename = "EdgeEndTimestamp")]
    end: Option<Val<'a>>,
    #[serde(borrow, rename = "EdgeResponseStatus")]
    status: Option<Val<'a>>,
    #[serde(borrow, rename = "EdgeResponseBytes")]
    response_bytes: Option<Val<'a>>,
    #[serde(borrow, rename = "EdgeTimeToFirstByteMs")]
    ttfb_ms: Option<Val<'a>>,
    #[serde(borrow, rename = "OriginResponseDurationMs")]
    origin_ms: Option<Val<'a>>,
    #[serde(borrow, rename = "RayID")]
    ray_id: Option<Val<'a>>,
    #[serde(borrow, rename = "SecurityAction")]
    security_action: Option<Val<'a>>,
    #[serde(borrow, rename = "SecurityActions")]
    security_actions: Option<Vec<Val<'a>>>,
    #[serde(borrow, rename = "RequestHeaders")]
    request_headers: Option<HeaderList<'a>>,
    #[serde(borrow, rename = "Cookies")]
    cookies: Option<HeaderList<'a>>,
}

/// Keys that mark a line as Cloudflare's (used by detection).
pub(crate) const SIGNATURE: &[&str] = &[
    "ClientRequestHost",
    "EdgeStartTimestamp",
    "RayID",
    "ClientRequestURI",
    "ClientRequestMethod",
    "EdgeResponseStatus",
    "ClientIP",
    "ClientRequestPath",
];

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let l: Line<'_> = parse_typed(line)?;
    let status = fields::status("EdgeResponseStatus", l.status)?;
    let time = fields::require_time("EdgeStartTimestamp", l.start.clone())?;
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };

    let target = l
        .uri
        .and_then(Val::text)
        .or_else(|| l.path.and_then(Val::text))
        .ok_or(ParseError::MissingField("ClientRequestURI"))?;
    fields::set_target(&mut rec, target);
    if let Some(m) = l.method.and_then(Val::text) {
        rec.method = Some(fields::method("ClientRequestMethod", m)?);
    }
    rec.host = l.host.and_then(Val::text);
    rec.protocol = l.protocol.and_then(Val::text);
    rec.user_agent = l.user_agent.and_then(Val::text);
    rec.referer = l.referer.and_then(Val::text);

    let (ip, _) = fields::peer("ClientIP", l.client_ip.and_then(Val::text).as_deref())?;
    rec.client_ip = ip;
    rec.client_port = match fields::u32_val("ClientSrcPort", l.client_port)? {
        Some(p) => {
            Some(u16::try_from(p).map_err(|_| ParseError::bad("ClientSrcPort", &p.to_string()))?)
        }
        None => None,
    };
    rec.asn = fields::u32_val("ClientASN", l.asn)?;
    rec.country = l.country.and_then(Val::text).map(fields::upper);

    rec.request_bytes = fields::count("ClientRequestBytes", l.request_bytes)?;
    rec.response_bytes = fields::count("EdgeResponseBytes", l.response_bytes)?;
    rec.latency_us = match fields::duration_us("EdgeTimeToFirstByteMs", l.ttfb_ms, LatencyUnit::Ms)?
    {
        Some(v) => Some(v),
        None => {
            match fields::duration_us("OriginResponseDurationMs", l.origin_ms, LatencyUnit::Ms)? {
                Some(v) => Some(v),
                None => elapsed(l.start.as_ref(), l.end.as_ref(), rec.time.0),
            }
        }
    };
    rec.request_id = l.ray_id.and_then(Val::text);

    rec.gateway_flags = l.security_action.and_then(Val::text).or_else(|| {
        let acts: Vec<String> = l
            .security_actions
            .unwrap_or_default()
            .into_iter()
            .filter_map(Val::text)
            .map(Cow::into_owned)
            .collect();
        (!acts.is_empty()).then(|| Cow::Owned(acts.join(",")))
    });

    let version = l
        .ssl_protocol
        .and_then(Val::text)
        .filter(|v| !v.eq_ignore_ascii_case("none"));
    let status = l.mtls_status.and_then(Val::text);
    rec.tls = TlsParts {
        cipher: l
            .ssl_cipher
            .and_then(Val::text)
            .filter(|_| version.is_some()),
        version,
        verify: status.as_deref().map(fields::cert_verify),
        fp256: l.mtls_fingerprint.and_then(Val::text),
        ..Default::default()
    }
    .build();

    for (name, value) in l.request_headers.unwrap_or_default().0 {
        fields::add_header(&mut rec, name, value);
    }
    let cookies = l.cookies.unwrap_or_default().0;
    if !cookies.is_empty() && rec.header("cookie").is_none() {
        let names: Vec<String> = cookies.iter().map(|(n, _)| format!("{n}=x")).collect();
        fields::add_header(
            &mut rec,
            Cow::Borrowed("cookie"),
            Cow::Owned(names.join("; ")),
        );
    }
    Ok(rec)
}

/// End minus start, when both are precise integers (RFC 3339 timestamps in
/// Logpush have whole seconds only, too coarse for a latency).
fn elapsed(start: Option<&Val<'_>>, end: Option<&Val<'_>>, start_us: i64) -> Option<u64> {
    match (start, end) {
        (Some(Val::U(_)), Some(e @ Val::U(_))) => {
            let end_us = fields::time_val(e)?.0;
            u64::try_from(end_us.checked_sub(start_us)?).ok()
        }
        _ => None,
    }
}
