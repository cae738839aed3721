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
    /// Every line has 20-40 keys, so the names are told apart by length
    /// first: one jump and a compare or two per key, not a walk down a list
    /// of eighty names.
    fn take(&mut self, key: &str, v: Val<'a>) -> bool {
        let slot = match key.len() {
            2 => match key {
                "ts" => &mut self.iso,
                "ua" => &mut self.ua,
                _ => return self.other(key, v),
            },
            3 => match key {
                "asn" => &mut self.asn,
                "sni" => &mut self.sni,
                "uri" => &mut self.uri,
                "xff" => &mut self.xff,
                _ => return self.other(key, v),
            },
            4 => match key {
                "args" => &mut self.args,
                "host" => &mut self.host,
                "msec" => &mut self.msec,
                "time" => &mut self.iso,
                _ => return self.other(key, v),
            },
            5 => match key {
                "proto" => &mut self.proto,
                _ => return self.other(key, v),
            },
            6 => match key {
                "method" => &mut self.method,
                "status" => &mut self.status,
                _ => return self.other(key, v),
            },
            7 => match key {
                "country" => &mut self.country,
                "jwt_sub" => &mut self.subject,
                "referer" => &mut self.referer,
                "request" => &mut self.request,
                "subject" => &mut self.subject,
                _ => return self.other(key, v),
            },
            8 => match key {
                "consumer" => &mut self.consumer,
                "protocol" => &mut self.proto,
                "referrer" => &mut self.referer,
                _ => return self.other(key, v),
            },
            9 => match key {
                "client_id" => &mut self.client_id,
                "client_ip" => &mut self.remote_addr,
                "http_host" => &mut self.host,
                "timestamp" => &mut self.iso,
                _ => return self.other(key, v),
            },
            10 => match key {
                "@timestamp" => &mut self.iso,
                "api_key_id" => &mut self.api_key_id,
                "bytes_sent" => &mut self.bytes_sent,
                "geoip2_asn" => &mut self.asn,
                "request_id" => &mut self.request_id,
                "ssl_cipher" => &mut self.ssl_cipher,
                "time_local" => &mut self.local,
                "user_agent" => &mut self.ua,
                _ => return self.other(key, v),
            },
            11 => match key {
                "client_i_dn" => &mut self.i_dn,
                "client_s_dn" => &mut self.s_dn,
                "remote_addr" => &mut self.remote_addr,
                "remote_port" => &mut self.remote_port,
                "remote_user" => &mut self.remote_user,
                "request_uri" => &mut self.request_uri,
                "server_name" => &mut self.server_name,
                _ => return self.other(key, v),
            },
            12 => match key {
                "auth_subject" => &mut self.subject,
                "client_v_end" => &mut self.v_end,
                "content_type" => &mut self.content_type,
                "country_code" => &mut self.country,
                "document_uri" => &mut self.uri,
                "http_referer" => &mut self.referer,
                "query_string" => &mut self.args,
                "request_body" => &mut self.request_body,
                "request_time" => &mut self.request_time,
                "ssl_protocol" => &mut self.ssl_protocol,
                "time_iso8601" => &mut self.iso,
                _ => return self.other(key, v),
            },
            13 => match key {
                "auth_consumer" => &mut self.consumer,
                "client_serial" => &mut self.serial,
                "client_verify" => &mut self.verify,
                "jwt_client_id" => &mut self.client_id,
                _ => return self.other(key, v),
            },
            14 => match key {
                "auth_client_id" => &mut self.client_id,
                "client_fp_sha1" => &mut self.fp1,
                "client_uri_san" => &mut self.uri_san,
                "request_length" => &mut self.request_length,
                "request_method" => &mut self.method,
                _ => return self.other(key, v),
            },
            15 => match key {
                "auth_api_key_id" => &mut self.api_key_id,
                "body_bytes_sent" => &mut self.body_bytes_sent,
                "http_user_agent" => &mut self.ua,
                "server_protocol" => &mut self.proto,
                "ssl_client_i_dn" => &mut self.i_dn,
                "ssl_client_s_dn" => &mut self.s_dn,
                "ssl_server_name" => &mut self.sni,
                "x_forwarded_for" => &mut self.xff,
                _ => return self.other(key, v),
            },
            16 => match key {
                "client_fp_sha256" => &mut self.fp256,
                "ssl_client_v_end" => &mut self.v_end,
                _ => return self.other(key, v),
            },
            17 => match key {
                "http_content_type" => &mut self.content_type,
                "http_x_request_id" => &mut self.request_id,
                "ssl_client_serial" => &mut self.serial,
                "ssl_client_verify" => &mut self.verify,
                _ => return self.other(key, v),
            },
            18 => match key {
                "geoip_country_code" => &mut self.country,
                _ => return self.other(key, v),
            },
            19 => match key {
                "geoip2_country_code" => &mut self.country,
                _ => return self.other(key, v),
            },
            20 => match key {
                "http_x_forwarded_for" => &mut self.xff,
                _ => return self.other(key, v),
            },
            22 => match key {
                "ssl_client_fingerprint" => &mut self.fp1,
                "ssl_client_i_dn_legacy" => &mut self.i_dn_legacy,
                "ssl_client_s_dn_legacy" => &mut self.s_dn_legacy,
                _ => return self.other(key, v),
            },
            25 => match key {
                "proxy_add_x_forwarded_for" => &mut self.xff,
                _ => return self.other(key, v),
            },
            29 => match key {
                "ssl_client_fingerprint_sha256" => &mut self.fp256,
                _ => return self.other(key, v),
            },
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
