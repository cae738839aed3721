//! NGINX `escape=json` lines: the `apimon` format we recommend (integrations
//! §1.2) and any flat object keyed by NGINX variable names.
//!
//! Operators write their own `log_format`, so the keys are not fixed: we
//! accept both our recommended short names (`ts`, `uri`, `ua`, `client_s_dn`)
//! and the variable names themselves (`time_iso8601`, `request_uri`,
//! `http_user_agent`, `ssl_client_s_dn`). Any `http_*` variable is a request
//! header. `escape=json` writes a missing variable as `""`, and numeric
//! variables are often quoted, so every value is read leniently by type and
//! strictly by content.

use std::borrow::Cow;

use linkwell_core::{CallRecord, Timestamp};

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts};
use crate::flat;
use crate::json::Val;
use crate::text;

#[derive(Default)]
struct Slots<'a> {
    msec: Option<Val<'a>>,
    iso: Option<Val<'a>>,
    local: Option<Val<'a>>,
    remote_addr: Option<Val<'a>>,
    remote_port: Option<Val<'a>>,
    xff: Option<Val<'a>>,
    remote_user: Option<Val<'a>>,
    method: Option<Val<'a>>,
    host: Option<Val<'a>>,
    server_name: Option<Val<'a>>,
    request_uri: Option<Val<'a>>,
    uri: Option<Val<'a>>,
    request: Option<Val<'a>>,
    args: Option<Val<'a>>,
    proto: Option<Val<'a>>,
    status: Option<Val<'a>>,
    request_length: Option<Val<'a>>,
    bytes_sent: Option<Val<'a>>,
    body_bytes_sent: Option<Val<'a>>,
    request_time: Option<Val<'a>>,
    ua: Option<Val<'a>>,
    referer: Option<Val<'a>>,
    request_id: Option<Val<'a>>,
    subject: Option<Val<'a>>,
    client_id: Option<Val<'a>>,
    consumer: Option<Val<'a>>,
    api_key_id: Option<Val<'a>>,
    content_type: Option<Val<'a>>,
    country: Option<Val<'a>>,
    asn: Option<Val<'a>>,
    request_body: Option<Val<'a>>,
    ssl_protocol: Option<Val<'a>>,
    ssl_cipher: Option<Val<'a>>,
    sni: Option<Val<'a>>,
    verify: Option<Val<'a>>,
    s_dn: Option<Val<'a>>,
    i_dn: Option<Val<'a>>,
    s_dn_legacy: Option<Val<'a>>,
    i_dn_legacy: Option<Val<'a>>,
    serial: Option<Val<'a>>,
    fp1: Option<Val<'a>>,
    fp256: Option<Val<'a>>,
    v_end: Option<Val<'a>>,
    uri_san: Option<Val<'a>>,
    headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Slots<'a> {
    /// Routes one key. Returns false for keys this format does not know.
    fn take(&mut self, key: &str, v: Val<'a>) -> bool {
        let slot = match key {
            "msec" => &mut self.msec,
            "ts" | "time_iso8601" | "time" | "timestamp" | "@timestamp" => &mut self.iso,
            "time_local" => &mut self.local,
            "remote_addr" | "client_ip" => &mut self.remote_addr,
            "remote_port" => &mut self.remote_port,
            "xff" | "http_x_forwarded_for" | "x_forwarded_for" | "proxy_add_x_forwarded_for" => {
                &mut self.xff
            }
            "remote_user" => &mut self.remote_user,
            "method" | "request_method" => &mut self.method,
            "host" | "http_host" => &mut self.host,
            "server_name" => &mut self.server_name,
            "request_uri" => &mut self.request_uri,
            "uri" | "document_uri" => &mut self.uri,
            "request" => &mut self.request,
            "args" | "query_string" => &mut self.args,
            "proto" | "server_protocol" | "protocol" => &mut self.proto,
            "status" => &mut self.status,
            "request_length" => &mut self.request_length,
            "bytes_sent" => &mut self.bytes_sent,
            "body_bytes_sent" => &mut self.body_bytes_sent,
            "request_time" => &mut self.request_time,
            "ua" | "http_user_agent" | "user_agent" => &mut self.ua,
            "http_referer" | "referer" | "referrer" => &mut self.referer,
            "request_id" | "http_x_request_id" => &mut self.request_id,
            "auth_subject" | "subject" | "jwt_sub" => &mut self.subject,
            "auth_client_id" | "client_id" | "jwt_client_id" => &mut self.client_id,
            "consumer" | "auth_consumer" => &mut self.consumer,
            "api_key_id" | "auth_api_key_id" => &mut self.api_key_id,
            "content_type" | "http_content_type" => &mut self.content_type,
            "geoip_country_code" | "geoip2_country_code" | "country" | "country_code" => {
                &mut self.country
            }
            "asn" | "geoip2_asn" => &mut self.asn,
            "request_body" => &mut self.request_body,
            "ssl_protocol" => &mut self.ssl_protocol,
            "ssl_cipher" => &mut self.ssl_cipher,
            "sni" | "ssl_server_name" => &mut self.sni,
            "client_verify" | "ssl_client_verify" => &mut self.verify,
            "client_s_dn" | "ssl_client_s_dn" => &mut self.s_dn,
            "client_i_dn" | "ssl_client_i_dn" => &mut self.i_dn,
            "ssl_client_s_dn_legacy" => &mut self.s_dn_legacy,
            "ssl_client_i_dn_legacy" => &mut self.i_dn_legacy,
            "client_serial" | "ssl_client_serial" => &mut self.serial,
            "client_fp_sha1" | "ssl_client_fingerprint" => &mut self.fp1,
            "client_fp_sha256" | "ssl_client_fingerprint_sha256" => &mut self.fp256,
            "client_v_end" | "ssl_client_v_end" => &mut self.v_end,
            "client_uri_san" => &mut self.uri_san,
            "fapi_interaction_id" => {
                self.header(Cow::Borrowed("x-fapi-interaction-id"), v);
                return true;
            }
            _ => {
                if let Some(h) = key.strip_prefix("http_") {
                    self.header(Cow::Owned(h.replace('_', "-")), v);
                    return true;
                }
                return false;
            }
        };
        *slot = Some(v);
        true
    }

    fn header(&mut self, name: Cow<'a, str>, v: Val<'a>) {
        if let Some(v) = v.text()
            && self.headers.len() < linkwell_core::call::MAX_HEADERS
        {
            self.headers.push((name, v));
        }
    }
}

/// Keys that mark a line as NGINX's (used by detection).
pub(crate) const SIGNATURE: &[&str] = &[
    "remote_addr",
    "request_time",
    "time_iso8601",
    "time_local",
    "msec",
    "body_bytes_sent",
    "request_uri",
    "http_user_agent",
    "upstream_response_time",
    "request_length",
    "ssl_client_verify",
    "client_verify",
    "remote_user",
];

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let mut s = Slots::default();
    let mut known = 0usize;
    flat::scan(line, |f| {
        known += usize::from(s.take(&f.key, f.val));
        Ok(())
    })?;
    if known == 0 {
        return Err(ParseError::WrongShape(
            "no NGINX variable names in this object",
        ));
    }
    build(s)
}

fn build(s: Slots<'_>) -> Result<CallRecord<'_>, ParseError> {
    let status = fields::status("status", s.status)?;
    let time = time(s.msec, s.iso, s.local)?;
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };

    let (ip, port) = fields::peer("remote_addr", s.remote_addr.and_then(Val::text).as_deref())?;
    rec.client_ip = ip;
    rec.client_port = port.or(match s.remote_port.map(Val::text) {
        Some(Some(p)) => Some(p.parse().map_err(|_| ParseError::bad("remote_port", &p))?),
        _ => None,
    });
    rec.forwarded_for = s.xff.and_then(Val::text);
    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }

    // The target: $request_uri (original, with query), else $uri + $args,
    // else the request line.
    let request_line = match s.request.and_then(Val::text) {
        Some(r) => Some(text::request_line(r)?),
        None => None,
    };
    let (line_method, line_target, line_proto) = match request_line {
        Some(l) => (Some(l.method), Some(l.target), l.protocol),
        None => (None, None, None),
    };
    let target = s
        .request_uri
        .and_then(Val::text)
        .or_else(|| s.uri.and_then(Val::text))
        .or(line_target)
        .ok_or(ParseError::MissingField("request_uri"))?;
    fields::set_target(&mut rec, target);
    if rec.query.is_none() {
        rec.query = s.args.and_then(Val::text);
    }
    rec.method = match s.method.and_then(Val::text) {
        Some(m) => Some(fields::method("request_method", m)?),
        None => line_method,
    };
    rec.protocol = s.proto.and_then(Val::text).or(line_proto);
    rec.host = s
        .host
        .and_then(Val::text)
        .or_else(|| s.server_name.and_then(Val::text));

    rec.request_bytes = fields::count("request_length", s.request_length)?;
    rec.response_bytes = match s.body_bytes_sent {
        Some(v) if !v.is_missing() => fields::count("body_bytes_sent", Some(v))?,
        _ => fields::count("bytes_sent", s.bytes_sent)?,
    };
    rec.latency_us = fields::duration_us("request_time", s.request_time, LatencyUnit::S)?;

    rec.user_agent = s.ua.and_then(Val::text);
    rec.referer = s.referer.and_then(Val::text);
    rec.request_id = s.request_id.and_then(Val::text);
    rec.content_type = s.content_type.and_then(Val::text);
    rec.country = s.country.and_then(Val::text).map(fields::upper);
    rec.asn = fields::u32_val("asn", s.asn)?;
    rec.request_body = s.request_body.and_then(Val::text).map(fields::bound_body);

    rec.identity.basic_user = s.remote_user.and_then(Val::text);
    rec.identity.subject = s.subject.and_then(Val::text);
    rec.identity.client_id = s.client_id.and_then(Val::text);
    rec.identity.consumer = s.consumer.and_then(Val::text);
    rec.identity.api_key_id = s.api_key_id.and_then(Val::text);

    rec.tls = TlsParts {
        version: s.ssl_protocol.and_then(Val::text),
        cipher: s.ssl_cipher.and_then(Val::text),
        sni: s.sni.and_then(Val::text),
        verify: s
            .verify
            .and_then(Val::text)
            .map(|v| fields::cert_verify(&v)),
        subject: s
            .s_dn
            .and_then(Val::text)
            .or_else(|| s.s_dn_legacy.and_then(Val::text)),
        issuer: s
            .i_dn
            .and_then(Val::text)
            .or_else(|| s.i_dn_legacy.and_then(Val::text)),
        serial: s.serial.and_then(Val::text),
        uri_san: s.uri_san.and_then(Val::text),
        fp256: s.fp256.and_then(Val::text),
        fp1: s.fp1.and_then(Val::text),
        not_after: s.v_end.and_then(Val::text),
    }
    .build();

    for (name, value) in s.headers {
        fields::add_header(&mut rec, name, value);
    }
    Ok(rec)
}

/// `$msec` is the most precise; then ISO 8601; then CLF local time.
fn time(
    msec: Option<Val<'_>>,
    iso: Option<Val<'_>>,
    local: Option<Val<'_>>,
) -> Result<Timestamp, ParseError> {
    for (field, v) in [("msec", msec), ("time_iso8601", iso), ("time_local", local)] {
        if let Some(v) = v.filter(|v| !v.is_missing()) {
            return fields::require_time(field, Some(v));
        }
    }
    Err(ParseError::MissingField("time_iso8601"))
}
