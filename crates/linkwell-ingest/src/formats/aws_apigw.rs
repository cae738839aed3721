//! AWS API Gateway access logs in JSON (`$context` variables), with the key
//! names of the console template plus the additions we recommend
//! (integrations §1.5), and the HTTP API default (`routeKey`).
//!
//! API Gateway substitutes variables textually: every value is a string and
//! a missing one is `"-"`. `requestId` can be set by the client,
//! `extendedRequestId` cannot, so the latter is the record's request id when
//! both are logged. `resourcePath` is the route template (`/v1/accounts/{id}`)
//! and is used only when the concrete `path` was not logged.

use std::borrow::Cow;

use linkwell_core::{CallRecord, CertVerify};
use serde::Deserialize;

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts};
use crate::json::{Val, parse_typed};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    #[serde(borrow)]
    request_id: Option<Val<'a>>,
    #[serde(borrow)]
    extended_request_id: Option<Val<'a>>,
    #[serde(borrow, alias = "sourceIp")]
    ip: Option<Val<'a>>,
    #[serde(borrow)]
    caller: Option<Val<'a>>,
    #[serde(borrow)]
    user: Option<Val<'a>>,
    #[serde(borrow)]
    user_arn: Option<Val<'a>>,
    #[serde(borrow)]
    request_time: Option<Val<'a>>,
    #[serde(borrow)]
    request_time_epoch: Option<Val<'a>>,
    #[serde(borrow)]
    http_method: Option<Val<'a>>,
    #[serde(borrow)]
    resource_path: Option<Val<'a>>,
    #[serde(borrow)]
    route_key: Option<Val<'a>>,
    #[serde(borrow)]
    path: Option<Val<'a>>,
    #[serde(borrow)]
    status: Option<Val<'a>>,
    #[serde(borrow)]
    protocol: Option<Val<'a>>,
    #[serde(borrow)]
    response_length: Option<Val<'a>>,
    #[serde(borrow)]
    response_latency: Option<Val<'a>>,
    #[serde(borrow)]
    domain_name: Option<Val<'a>>,
    #[serde(borrow)]
    user_agent: Option<Val<'a>>,
    #[serde(borrow)]
    api_key_id: Option<Val<'a>>,
    #[serde(borrow)]
    principal_id: Option<Val<'a>>,
    #[serde(borrow)]
    sub: Option<Val<'a>>,
    #[serde(borrow)]
    client_id: Option<Val<'a>>,
    #[serde(borrow)]
    scope: Option<Val<'a>>,
    #[serde(borrow)]
    authorizer_error: Option<Val<'a>>,
    #[serde(borrow)]
    waf_status: Option<Val<'a>>,
    #[serde(borrow)]
    cert_subject: Option<Val<'a>>,
    #[serde(borrow)]
    cert_issuer: Option<Val<'a>>,
    #[serde(borrow)]
    cert_serial: Option<Val<'a>>,
    #[serde(borrow)]
    cert_not_after: Option<Val<'a>>,
    #[serde(borrow, alias = "xForwardedFor")]
    xff: Option<Val<'a>>,
}

/// Keys that mark a line as API Gateway's (used by detection).
pub(crate) const SIGNATURE: &[&str] = &[
    "httpMethod",
    "requestId",
    "resourcePath",
    "extendedRequestId",
    "requestTime",
    "requestTimeEpoch",
    "routeKey",
    "responseLength",
    "responseLatency",
    "integrationLatency",
];

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let l: Line<'_> = parse_typed(line)?;
    let status = fields::status("status", l.status)?;
    let time = match l.request_time_epoch.filter(|v| !v.is_missing()) {
        Some(v) => fields::require_time("requestTimeEpoch", Some(v))?,
        None => fields::require_time("requestTime", l.request_time)?,
    };
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };

    // HTTP APIs log `routeKey` = "GET /pets/{id}" (or "$default").
    let (route_method, route_path) = match l.route_key.and_then(Val::text) {
        Some(Cow::Borrowed(rk)) => match rk.split_once(' ') {
            Some((m, p)) => (Some(Cow::Borrowed(m)), Some(Cow::Borrowed(p))),
            None => (None, None),
        },
        Some(Cow::Owned(rk)) => match rk.split_once(' ') {
            Some((m, p)) => (
                Some(Cow::Owned(m.to_string())),
                Some(Cow::Owned(p.to_string())),
            ),
            None => (None, None),
        },
        None => (None, None),
    };
    let method = l.http_method.and_then(Val::text).or(route_method);
    if let Some(m) = method.filter(|m| m != "ANY") {
        rec.method = Some(fields::method("httpMethod", m)?);
    }
    let target = l
        .path
        .and_then(Val::text)
        .or_else(|| l.resource_path.and_then(Val::text))
        .or(route_path)
        .ok_or(ParseError::MissingField("path"))?;
    fields::set_target(&mut rec, target);
    rec.protocol = l.protocol.and_then(Val::text);
    rec.host = l.domain_name.and_then(Val::text);

    let (ip, port) = fields::peer("ip", l.ip.and_then(Val::text).as_deref())?;
    rec.client_ip = ip;
    rec.client_port = port;
    rec.forwarded_for = l.xff.and_then(Val::text);
    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }

    rec.response_bytes = fields::count("responseLength", l.response_length)?;
    rec.latency_us = fields::duration_us("responseLatency", l.response_latency, LatencyUnit::Ms)?;
    rec.user_agent = l.user_agent.and_then(Val::text);
    rec.request_id = l
        .extended_request_id
        .and_then(Val::text)
        .or_else(|| l.request_id.and_then(Val::text));
    rec.gateway_flags = l
        .waf_status
        .and_then(Val::text)
        .or_else(|| l.authorizer_error.and_then(Val::text));

    let iam = l
        .user_arn
        .and_then(Val::text)
        .or_else(|| l.user.and_then(Val::text))
        .or_else(|| l.caller.and_then(Val::text));
    rec.identity.subject = l
        .sub
        .and_then(Val::text)
        .or_else(|| l.principal_id.and_then(Val::text))
        .or(iam);
    rec.identity.client_id = l.client_id.and_then(Val::text);
    rec.identity.scopes = l.scope.and_then(Val::text);
    rec.identity.api_key_id = l.api_key_id.and_then(Val::text);

    // API Gateway rejects a client certificate that fails its truststore
    // before the request exists, so a logged certificate was verified.
    let subject = l.cert_subject.and_then(Val::text);
    rec.tls = TlsParts {
        verify: subject.is_some().then_some(CertVerify::Success),
        subject,
        issuer: l.cert_issuer.and_then(Val::text),
        serial: l.cert_serial.and_then(Val::text),
        not_after: l.cert_not_after.and_then(Val::text),
        ..Default::default()
    }
    .build();
    Ok(rec)
}
