//! Kong `file-log` / `http-log` lines (`kong.log.serialize()`,
//! integrations §1.8).
//!
//! Kong logs every request header, with `authorization` already replaced by
//! `REDACTED` but API keys and cookies in clear; headers go through the same
//! redaction as every other source. The caller's identity is what an auth
//! plugin established: `consumer` (the entity) and `authenticated_entity.id`
//! (the credential). Latencies are milliseconds, `-1` when not applicable.

use std::borrow::Cow;

use linkwell_core::CallRecord;
use serde::Deserialize;

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts};
use crate::json::{HeaderList, Val, parse_typed};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    request: Option<Request<'a>>,
    #[serde(borrow)]
    response: Option<Response<'a>>,
    #[serde(borrow)]
    latencies: Option<Latencies<'a>>,
    #[serde(borrow)]
    authenticated_entity: Option<Entity<'a>>,
    #[serde(borrow)]
    consumer: Option<Consumer<'a>>,
    #[serde(borrow)]
    client_ip: Option<Val<'a>>,
    #[serde(borrow)]
    started_at: Option<Val<'a>>,
    #[serde(borrow)]
    correlation_id: Option<Val<'a>>,
    #[serde(borrow)]
    source: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    id: Option<Val<'a>>,
    #[serde(borrow)]
    method: Option<Val<'a>>,
    #[serde(borrow)]
    uri: Option<Val<'a>>,
    #[serde(borrow)]
    url: Option<Val<'a>>,
    #[serde(borrow)]
    headers: Option<HeaderList<'a>>,
    #[serde(borrow)]
    size: Option<Val<'a>>,
    #[serde(borrow)]
    tls: Option<RequestTls<'a>>,
}

#[derive(Deserialize)]
struct RequestTls<'a> {
    #[serde(borrow)]
    version: Option<Val<'a>>,
    #[serde(borrow)]
    cipher: Option<Val<'a>>,
    #[serde(borrow)]
    client_verify: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    status: Option<Val<'a>>,
    #[serde(borrow)]
    size: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Latencies<'a> {
    #[serde(borrow)]
    request: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Entity<'a> {
    #[serde(borrow)]
    id: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Consumer<'a> {
    #[serde(borrow)]
    id: Option<Val<'a>>,
    #[serde(borrow)]
    username: Option<Val<'a>>,
    #[serde(borrow)]
    custom_id: Option<Val<'a>>,
}

/// Keys that mark a line as Kong's (used by detection).
pub(crate) const SIGNATURE: &[&str] = &[
    "latencies",
    "started_at",
    "upstream_uri",
    "authenticated_entity",
    "tries",
    "workspace_name",
];

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let l: Line<'_> = parse_typed(line)?;
    let req = l.request.ok_or(ParseError::MissingField("request"))?;
    let resp = l.response.ok_or(ParseError::MissingField("response"))?;
    let status = fields::status("response.status", resp.status)?;
    let time = fields::require_time("started_at", l.started_at)?;
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };

    let url = req.url.and_then(Val::text);
    let target = req
        .uri
        .and_then(Val::text)
        .or_else(|| url.clone())
        .ok_or(ParseError::MissingField("request.uri"))?;
    fields::set_target(&mut rec, target);
    if let Some(m) = req.method.and_then(Val::text) {
        rec.method = Some(fields::method("request.method", m)?);
    }
    rec.request_bytes = fields::count("request.size", req.size)?;
    rec.response_bytes = fields::count("response.size", resp.size)?;
    rec.latency_us = match l.latencies {
        Some(lat) => fields::duration_us("latencies.request", lat.request, LatencyUnit::Ms)?,
        None => None,
    };

    let (ip, port) = fields::peer("client_ip", l.client_ip.and_then(Val::text).as_deref())?;
    rec.client_ip = ip;
    rec.client_port = port;

    rec.request_id = req
        .id
        .and_then(Val::text)
        .or_else(|| l.correlation_id.and_then(Val::text));
    // `source` = who produced the response: upstream, kong (a plugin), exit.
    rec.gateway_flags = l
        .source
        .and_then(Val::text)
        .filter(|s| s != "upstream")
        .map(|s| Cow::Owned(format!("source={s}")));

    if let Some(c) = l.consumer {
        rec.identity.consumer = c
            .username
            .and_then(Val::text)
            .or_else(|| c.custom_id.and_then(Val::text))
            .or_else(|| c.id.and_then(Val::text));
    }
    rec.identity.api_key_id = l
        .authenticated_entity
        .and_then(|e| e.id.and_then(Val::text));

    if let Some(tls) = req.tls {
        rec.tls = TlsParts {
            version: tls.version.and_then(Val::text),
            cipher: tls.cipher.and_then(Val::text),
            verify: tls
                .client_verify
                .and_then(Val::text)
                .map(|v| fields::cert_verify(&v)),
            ..Default::default()
        }
        .build();
    }

    for (name, value) in req.headers.unwrap_or_default().0 {
        if name.eq_ignore_ascii_case("host") && rec.host.is_none() {
            rec.host = fields::present_cow(value.clone());
        }
        fields::add_header(&mut rec, name, value);
    }
    if rec.host.is_none() {
        rec.host = url
            .as_deref()
            .and_then(fields::url_host)
            .map(|h| Cow::Owned(h.to_string()));
    }
    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }
    Ok(rec)
}
