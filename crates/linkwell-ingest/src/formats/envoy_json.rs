//! Envoy `json_format` access logs: the keys of our sample config
//! (integrations §1.3: `ts`, `client`, `peer`, `flags`, `duration_ms`,
//! `peer_subject`, `jwt_sub`, ...) and Istio's default JSON keys
//! (`start_time`, `response_code`, `response_flags`, `bytes_received`,
//! `downstream_remote_address`, `upstream_host`, ...).
//!
//! Envoy writes an unset operator as `"-"` (or `null` with typed JSON), and a
//! number as a number or a string depending on the version, so values are
//! read by content. The client is `downstream_remote_address` (Envoy already
//! applied its trusted-XFF logic), then the direct peer, then the first
//! forwarded-for address.

use linkwell_core::CallRecord;

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts};
use crate::flat;
use crate::json::Val;

#[derive(Default)]
struct Slots<'a> {
    time: Option<Val<'a>>,
    method: Option<Val<'a>>,
    path: Option<Val<'a>>,
    original_path: Option<Val<'a>>,
    protocol: Option<Val<'a>>,
    status: Option<Val<'a>>,
    flags: Option<Val<'a>>,
    rx: Option<Val<'a>>,
    tx: Option<Val<'a>>,
    duration: Option<Val<'a>>,
    xff: Option<Val<'a>>,
    ua: Option<Val<'a>>,
    referer: Option<Val<'a>>,
    request_id: Option<Val<'a>>,
    authority: Option<Val<'a>>,
    client: Option<Val<'a>>,
    peer: Option<Val<'a>>,
    sni: Option<Val<'a>>,
    tls_version: Option<Val<'a>>,
    tls_cipher: Option<Val<'a>>,
    subject: Option<Val<'a>>,
    issuer: Option<Val<'a>>,
    uri_san: Option<Val<'a>>,
    fp256: Option<Val<'a>>,
    fp1: Option<Val<'a>>,
    serial: Option<Val<'a>>,
    v_end: Option<Val<'a>>,
    jwt_sub: Option<Val<'a>>,
    jwt_client_id: Option<Val<'a>>,
    jwt_scope: Option<Val<'a>>,
    content_type: Option<Val<'a>>,
}

impl<'a> Slots<'a> {
    fn take(&mut self, key: &str, v: Val<'a>) -> bool {
        let slot = match key {
            "start_time" | "ts" | "timestamp" | "time" | "@timestamp" => &mut self.time,
            "method" | "request_method" => &mut self.method,
            "path" => &mut self.path,
            "x_envoy_original_path" | "original_path" => &mut self.original_path,
            "protocol" => &mut self.protocol,
            "response_code" | "status" | "status_code" => &mut self.status,
            "response_flags" | "flags" => &mut self.flags,
            "bytes_received" | "req_body_bytes" | "request_bytes" => &mut self.rx,
            "bytes_sent" | "resp_body_bytes" | "response_bytes" => &mut self.tx,
            "duration" | "duration_ms" => &mut self.duration,
            "x_forwarded_for" | "xff" | "forwarded_for" => &mut self.xff,
            "user_agent" | "ua" => &mut self.ua,
            "referer" | "referrer" => &mut self.referer,
            "request_id" | "x_request_id" => &mut self.request_id,
            "authority" | "host" => &mut self.authority,
            "downstream_remote_address" | "client" | "client_address" => &mut self.client,
            "downstream_direct_remote_address" | "peer" => &mut self.peer,
            "requested_server_name" | "sni" => &mut self.sni,
            "tls_version" | "downstream_tls_version" => &mut self.tls_version,
            "tls_cipher" | "downstream_tls_cipher" => &mut self.tls_cipher,
            "peer_subject" | "downstream_peer_subject" => &mut self.subject,
            "peer_issuer" | "downstream_peer_issuer" => &mut self.issuer,
            "peer_uri_san" | "downstream_peer_uri_san" => &mut self.uri_san,
            "peer_fp256" | "downstream_peer_fingerprint_256" => &mut self.fp256,
            "peer_fp1" | "downstream_peer_fingerprint_1" => &mut self.fp1,
            "peer_serial" | "downstream_peer_serial" => &mut self.serial,
            "peer_v_end" | "downstream_peer_cert_v_end" => &mut self.v_end,
            "jwt_sub" => &mut self.jwt_sub,
            "jwt_client_id" | "jwt_azp" => &mut self.jwt_client_id,
            "jwt_scope" | "jwt_scopes" => &mut self.jwt_scope,
            "content_type" => &mut self.content_type,
            _ => return false,
        };
        *slot = Some(v);
        true
    }
}

/// Keys that mark a line as Envoy's (used by detection).
pub(crate) const SIGNATURE: &[&str] = &[
    "authority",
    "response_code",
    "response_flags",
    "upstream_host",
    "upstream_cluster",
    "downstream_remote_address",
    "downstream_local_address",
    "bytes_received",
    "x_forwarded_for",
    "response_code_details",
    "upstream_service_time",
    "requested_server_name",
    "duration_ms",
    "req_body_bytes",
    "resp_body_bytes",
    "upstream_ms",
    "peer_subject",
    "jwt_sub",
];

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let mut s = Slots::default();
    flat::scan(line, |f| {
        s.take(&f.key, f.val);
        Ok(())
    })?;
    build(s)
}

fn build(s: Slots<'_>) -> Result<CallRecord<'_>, ParseError> {
    let status = fields::status("response_code", s.status)?;
    let time = fields::require_time("start_time", s.time)?;
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };

    let target = s
        .original_path
        .and_then(Val::text)
        .or_else(|| s.path.and_then(Val::text))
        .ok_or(ParseError::MissingField("path"))?;
    fields::set_target(&mut rec, target);
    if let Some(m) = s.method.and_then(Val::text) {
        rec.method = Some(fields::method("method", m)?);
    }
    rec.protocol = s.protocol.and_then(Val::text);
    rec.host = s.authority.and_then(Val::text);
    rec.gateway_flags = s.flags.and_then(Val::text);
    rec.request_bytes = fields::count("bytes_received", s.rx)?;
    rec.response_bytes = fields::count("bytes_sent", s.tx)?;
    rec.latency_us = fields::duration_us("duration", s.duration, LatencyUnit::Ms)?;

    rec.forwarded_for = s.xff.and_then(Val::text);
    let (ip, port) = match s.client.and_then(Val::text) {
        Some(c) => fields::peer("downstream_remote_address", Some(&c))?,
        None => (None, None),
    };
    rec.client_ip = ip;
    rec.client_port = port;
    if rec.client_ip.is_none()
        && let Some(p) = s.peer.and_then(Val::text)
    {
        let (ip, port) = fields::peer("downstream_direct_remote_address", Some(&p))?;
        rec.client_ip = ip;
        rec.client_port = port;
    }
    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }

    rec.user_agent = s.ua.and_then(Val::text);
    rec.referer = s.referer.and_then(Val::text);
    rec.request_id = s.request_id.and_then(Val::text);
    rec.content_type = s.content_type.and_then(Val::text);
    rec.identity.subject = s.jwt_sub.and_then(Val::text);
    rec.identity.client_id = s.jwt_client_id.and_then(Val::text);
    rec.identity.scopes = s.jwt_scope.and_then(Val::text);

    rec.tls = TlsParts {
        version: s.tls_version.and_then(Val::text),
        cipher: s.tls_cipher.and_then(Val::text),
        sni: s.sni.and_then(Val::text),
        // Envoy's file log has no verification result; a peer certificate
        // is logged whether or not a validation context checked it.
        verify: None,
        subject: s.subject.and_then(Val::text),
        issuer: s.issuer.and_then(Val::text),
        serial: s.serial.and_then(Val::text),
        uri_san: s.uri_san.and_then(Val::text),
        fp256: s.fp256.and_then(Val::text),
        fp1: s.fp1.and_then(Val::text),
        not_after: s.v_end.and_then(Val::text),
    }
    .build();
    Ok(rec)
}
