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

#[derive(Default, Debug)]
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
    ///
    /// Every line has 20-40 keys, so a name is first reduced to a code
    /// (length, first, middle and last byte, see [`route_code`]) that
    /// almost always leaves one candidate: one switch and one compare per
    /// key, not a walk down a list of eighty names.
    fn take(&mut self, key: &str, v: Val<'a>) -> bool {
        let slot = match route_code(key) {
            0x02747373 if key == "ts" => &mut self.iso,
            0x02756161 if key == "ua" => &mut self.ua,
            0x0361736e if key == "asn" => &mut self.asn,
            0x03736e69 if key == "sni" => &mut self.sni,
            0x03757269 if key == "uri" => &mut self.uri,
            0x03786666 if key == "xff" => &mut self.xff,
            0x04616773 if key == "args" => &mut self.args,
            0x04687374 if key == "host" => &mut self.host,
            0x046d6563 if key == "msec" => &mut self.msec,
            0x04746d65 if key == "time" => &mut self.iso,
            0x05706f6f if key == "proto" => &mut self.proto,
            0x066d6864 if key == "method" => &mut self.method,
            0x06737473 if key == "status" => &mut self.status,
            0x07636e79 if key == "country" => &mut self.country,
            0x076a5f62 if key == "jwt_sub" => &mut self.subject,
            0x07726572 if key == "referer" => &mut self.referer,
            0x07727574 if key == "request" => &mut self.request,
            0x07736a74 if key == "subject" => &mut self.subject,
            0x08637572 if key == "consumer" => &mut self.consumer,
            0x08706f6c if key == "protocol" => &mut self.proto,
            0x08727272 if key == "referrer" => &mut self.referer,
            0x09636e64 if key == "client_id" => &mut self.client_id,
            0x09636e70 if key == "client_ip" => &mut self.remote_addr,
            0x09685f74 if key == "http_host" => &mut self.host,
            0x09747370 if key == "timestamp" => &mut self.iso,
            0x0a407370 if key == "@timestamp" => &mut self.iso,
            0x0a616564 if key == "api_key_id" => &mut self.api_key_id,
            0x0a625f74 if key == "bytes_sent" => &mut self.bytes_sent,
            0x0a67326e if key == "geoip2_asn" => &mut self.asn,
            0x0a727364 if key == "request_id" => &mut self.request_id,
            0x0a736972 if key == "ssl_cipher" => &mut self.ssl_cipher,
            0x0a746c6c if key == "time_local" => &mut self.local,
            0x0a756174 if key == "user_agent" => &mut self.ua,
            0x0b63746e if key == "client_s_dn" => &mut self.s_dn,
            0x0b63746e if key == "client_i_dn" => &mut self.i_dn,
            0x0b726572 if key == "remote_addr" => &mut self.remote_addr,
            0x0b726572 if key == "remote_user" => &mut self.remote_user,
            0x0b726574 if key == "remote_port" => &mut self.remote_port,
            0x0b727369 if key == "request_uri" => &mut self.request_uri,
            0x0b737265 if key == "server_name" => &mut self.server_name,
            0x0c617574 if key == "auth_subject" => &mut self.subject,
            0x0c635f64 if key == "client_v_end" => &mut self.v_end,
            0x0c637465 if key == "content_type" => &mut self.content_type,
            0x0c637965 if key == "country_code" => &mut self.country,
            0x0c646e69 if key == "document_uri" => &mut self.uri,
            0x0c686572 if key == "http_referer" => &mut self.referer,
            0x0c717367 if key == "query_string" => &mut self.args,
            0x0c727465 if key == "request_time" => &mut self.request_time,
            0x0c727479 if key == "request_body" => &mut self.request_body,
            0x0c736f6c if key == "ssl_protocol" => &mut self.ssl_protocol,
            0x0c747331 if key == "time_iso8601" => &mut self.iso,
            0x0d616f72 if key == "auth_consumer" => &mut self.consumer,
            0x0d635f6c if key == "client_serial" => &mut self.serial,
            0x0d635f79 if key == "client_verify" => &mut self.verify,
            0x0d6a6964 if key == "jwt_client_id" => &mut self.client_id,
            0x0e616964 if key == "auth_client_id" => &mut self.client_id,
            0x0e636631 if key == "client_fp_sha1" => &mut self.fp1,
            0x0e63756e if key == "client_uri_san" => &mut self.uri_san,
            0x0e725f64 if key == "request_method" => &mut self.method,
            0x0e725f68 if key == "request_length" => &mut self.request_length,
            0x0f616964 if key == "auth_api_key_id" => &mut self.api_key_id,
            0x0f627474 if key == "body_bytes_sent" => &mut self.body_bytes_sent,
            0x0f686574 if key == "http_user_agent" => &mut self.ua,
            0x0f73656e if key == "ssl_client_s_dn" => &mut self.s_dn,
            0x0f73656e if key == "ssl_client_i_dn" => &mut self.i_dn,
            0x0f73706c if key == "server_protocol" => &mut self.proto,
            0x0f737665 if key == "ssl_server_name" => &mut self.sni,
            0x0f787272 if key == "x_forwarded_for" => &mut self.xff,
            0x10637036 if key == "client_fp_sha256" => &mut self.fp256,
            0x10736e64 if key == "ssl_client_v_end" => &mut self.v_end,
            0x11686564 if key == "http_x_request_id" => &mut self.request_id,
            0x11687465 if key == "http_content_type" => &mut self.content_type,
            0x11736e6c if key == "ssl_client_serial" => &mut self.serial,
            0x11736e79 if key == "ssl_client_verify" => &mut self.verify,
            0x12676e65 if key == "geoip_country_code" => &mut self.country,
            0x13677565 if key == "geoip2_country_code" => &mut self.country,
            0x14687772 if key == "http_x_forwarded_for" => &mut self.xff,
            0x16736674 if key == "ssl_client_fingerprint" => &mut self.fp1,
            0x16736979 if key == "ssl_client_i_dn_legacy" => &mut self.i_dn_legacy,
            0x16737379 if key == "ssl_client_s_dn_legacy" => &mut self.s_dn_legacy,
            0x19706672 if key == "proxy_add_x_forwarded_for" => &mut self.xff,
            0x1d736736 if key == "ssl_client_fingerprint_sha256" => &mut self.fp256,
            _ => return self.other(key, v),
        };
        *slot = Some(v);
        true
    }

    /// Keys that are not a plain slot: the FAPI id and `http_*` headers.
    #[cold]
    fn other(&mut self, key: &str, v: Val<'a>) -> bool {
        if key == "fapi_interaction_id" {
            self.header(Cow::Borrowed("x-fapi-interaction-id"), v);
            return true;
        }
        if let Some(h) = key.strip_prefix("http_") {
            self.header(Cow::Owned(h.replace('_', "-")), v);
            return true;
        }
        false
    }

    /// The routing as first written (one list of names), kept to check `take`.
    #[cfg(test)]
    fn take_reference(&mut self, key: &str, v: Val<'a>) -> bool {
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

/// Length, first, middle and last byte of a key in one number (0 for the
/// empty key and for keys longer than any known one).
fn route_code(key: &str) -> u32 {
    let b = key.as_bytes();
    match (b.first(), b.get(b.len() / 2), b.last()) {
        (Some(&f), Some(&m), Some(&l)) if b.len() < 256 => {
            (b.len() as u32) << 24 | u32::from(f) << 16 | u32::from(m) << 8 | u32::from(l)
        }
        _ => 0,
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
    if !flat::scan_plain(line, |k, v| known += usize::from(s.take(k, v))) {
        s = Slots::default();
        known = 0;
        flat::scan(line, |f| {
            known += usize::from(s.take(&f.key, f.val));
            Ok(())
        })?;
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Length-first routing sends every name where the plain list did.
    #[test]
    fn routing_matches_the_reference_list() {
        let mut keys: Vec<String> = [
            "@timestamp",
            "api_key_id",
            "args",
            "asn",
            "auth_api_key_id",
            "auth_client_id",
            "auth_consumer",
            "auth_subject",
            "body_bytes_sent",
            "bytes_sent",
            "client_fp_sha1",
            "client_fp_sha256",
            "client_i_dn",
            "client_id",
            "client_ip",
            "client_s_dn",
            "client_serial",
            "client_uri_san",
            "client_v_end",
            "client_verify",
            "consumer",
            "content_type",
            "country",
            "country_code",
            "document_uri",
            "geoip2_asn",
            "geoip2_country_code",
            "geoip_country_code",
            "host",
            "http_content_type",
            "http_host",
            "http_referer",
            "http_user_agent",
            "http_x_forwarded_for",
            "http_x_request_id",
            "jwt_client_id",
            "jwt_sub",
            "method",
            "msec",
            "proto",
            "protocol",
            "proxy_add_x_forwarded_for",
            "query_string",
            "referer",
            "referrer",
            "remote_addr",
            "remote_port",
            "remote_user",
            "request",
            "request_body",
            "request_id",
            "request_length",
            "request_method",
            "request_time",
            "request_uri",
            "server_name",
            "server_protocol",
            "sni",
            "ssl_cipher",
            "ssl_client_fingerprint",
            "ssl_client_fingerprint_sha256",
            "ssl_client_i_dn",
            "ssl_client_i_dn_legacy",
            "ssl_client_s_dn",
            "ssl_client_s_dn_legacy",
            "ssl_client_serial",
            "ssl_client_v_end",
            "ssl_client_verify",
            "ssl_protocol",
            "ssl_server_name",
            "status",
            "subject",
            "time",
            "time_iso8601",
            "time_local",
            "timestamp",
            "ts",
            "ua",
            "uri",
            "user_agent",
            "x_forwarded_for",
            "xff",
            "fapi_interaction_id",
            "http_x_custom_thing",
            "http_",
            "unknown",
            "",
            "x",
            "status_",
            "statuz",
            "upstream_response_time",
        ]
        .iter()
        .map(|k| k.to_string())
        .collect();
        // Near misses: every name with its last byte changed.
        let near: Vec<String> = keys
            .iter()
            .filter(|k| !k.is_empty())
            .map(|k| format!("{}Z", &k[..k.len() - 1]))
            .collect();
        keys.extend(near);
        for k in &keys {
            let (mut a, mut b) = (Slots::default(), Slots::default());
            let v = || Val::Str(Cow::Borrowed("v"));
            assert_eq!(a.take(k, v()), b.take_reference(k, v()), "{k}");
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{k}");
        }
    }

    /// The fast scanner and the general one give the same records, and
    /// lines the fast one declines (escapes, nested values, errors) still
    /// parse, or fail, as before.
    #[test]
    fn fast_and_general_scans_agree() {
        let corpus = include_str!("../../tests/data/nginx_json.log");
        for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
            let fast = parse(line);
            let mut s = Slots::default();
            let mut known = 0usize;
            let general = flat::scan(line, |f| {
                known += usize::from(s.take_reference(&f.key, f.val));
                Ok(())
            })
            .and_then(|()| {
                if known == 0 {
                    Err(ParseError::WrongShape(
                        "no NGINX variable names in this object",
                    ))
                } else {
                    build(s)
                }
            });
            assert_eq!(fast, general, "{line}");
        }
    }
}
