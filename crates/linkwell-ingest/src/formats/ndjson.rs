//! Generic NDJSON: any object per line, fields located through a
//! [`FieldMap`].
//!
//! This is the escape hatch for gateways we have no adapter for (and for
//! application logs): instead of writing code, the operator names the keys.
//! Without configuration the usual names are tried, which is also how
//! detection recognises such a file at all.

use std::borrow::Cow;

use linkwell_core::{CallRecord, Timestamp};

use crate::config::{FieldMap, LatencyUnit, TimeFormat};
use crate::error::ParseError;
use crate::fields;
use crate::flat::{self, Field, lookup};
use crate::json::{HeaderList, Val};

const TIME: &[&str] = &[
    "time",
    "timestamp",
    "ts",
    "@timestamp",
    "start_time",
    "datetime",
    "date",
];
const CLIENT_IP: &[&str] = &[
    "client_ip",
    "ip",
    "remote_addr",
    "client",
    "src_ip",
    "source_ip",
    "remote_ip",
    "clientip",
];
const FORWARDED_FOR: &[&str] = &["x_forwarded_for", "xff", "forwarded_for"];
const METHOD: &[&str] = &["method", "http_method", "request_method", "verb"];
const HOST: &[&str] = &["host", "hostname", "authority", "server_name", "domain"];
const PATH: &[&str] = &[
    "path",
    "uri",
    "url",
    "request_uri",
    "target",
    "request_path",
];
const QUERY: &[&str] = &["query", "query_string", "querystring", "args"];
const PROTOCOL: &[&str] = &["protocol", "proto", "http_version"];
const STATUS: &[&str] = &[
    "status",
    "status_code",
    "response_code",
    "code",
    "statuscode",
];
const USER_AGENT: &[&str] = &["user_agent", "ua", "useragent", "http_user_agent"];
const REFERER: &[&str] = &["referer", "referrer", "http_referer"];
const LATENCY: &[(&str, LatencyUnit)] = &[
    ("latency_ms", LatencyUnit::Ms),
    ("duration_ms", LatencyUnit::Ms),
    ("response_time_ms", LatencyUnit::Ms),
    ("elapsed_ms", LatencyUnit::Ms),
    ("request_time", LatencyUnit::S),
    ("latency", LatencyUnit::Ms),
    ("duration", LatencyUnit::Ms),
];
const REQUEST_BYTES: &[&str] = &[
    "request_bytes",
    "bytes_in",
    "request_length",
    "request_size",
    "req_bytes",
];
const RESPONSE_BYTES: &[&str] = &[
    "response_bytes",
    "bytes_out",
    "body_bytes_sent",
    "bytes_sent",
    "response_size",
    "resp_bytes",
    "size",
];
const SUBJECT: &[&str] = &["subject", "sub", "user_id", "principal"];
const CLIENT_ID: &[&str] = &["client_id", "azp"];
const CONSUMER: &[&str] = &["consumer", "consumer_name"];
const API_KEY_ID: &[&str] = &["api_key_id", "apikey_id", "key_id"];
const COUNTRY: &[&str] = &["country", "country_code", "geo_country"];
const ASN: &[&str] = &["asn", "client_asn"];
const REQUEST_ID: &[&str] = &[
    "request_id",
    "requestid",
    "req_id",
    "x_request_id",
    "trace_id",
];
const HEADERS: &[&str] = &["headers", "request_headers"];

/// The object's members, for field lookups.
struct Obj<'a> {
    fields: Vec<Field<'a>>,
}

impl<'a> Obj<'a> {
    /// The first present member among the configured keys (or the
    /// defaults). Nested values count as present (the headers object);
    /// empty scalars do not, so the next alternative is tried.
    fn field(&self, spec: &Option<String>, defaults: &[&str]) -> Option<Field<'a>> {
        let present = |k: &str| {
            lookup(&self.fields, k).filter(|f| matches!(f.val, Val::Nested) || !f.val.is_missing())
        };
        match spec {
            Some(spec) => spec
                .split('|')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .find_map(present),
            None => defaults.iter().find_map(|k| present(k)),
        }
    }

    fn val(&self, spec: &Option<String>, defaults: &[&str]) -> Option<Val<'a>> {
        self.field(spec, defaults).map(|f| f.val)
    }

    fn text(&self, spec: &Option<String>, defaults: &[&str]) -> Option<Cow<'a, str>> {
        self.val(spec, defaults).and_then(Val::text)
    }
}

pub(crate) fn parse<'a>(line: &'a str, map: &FieldMap) -> Result<CallRecord<'a>, ParseError> {
    let o = Obj {
        fields: flat::entries(line)?,
    };
    let status = fields::status("status", o.val(&map.status, STATUS))?;
    let time = time(&o, map)?;
    let mut rec = CallRecord {
        status,
        time,
        ..Default::default()
    };

    let target = o
        .text(&map.path, PATH)
        .ok_or(ParseError::MissingField("path"))?;
    let url_host = fields::url_host(&target).map(|h| Cow::Owned(h.to_string()));
    fields::set_target(&mut rec, target);
    if rec.query.is_none() {
        rec.query = o.text(&map.query, QUERY);
    }
    if let Some(m) = o.text(&map.method, METHOD) {
        rec.method = Some(fields::method("method", m)?);
    }
    rec.host = o.text(&map.host, HOST).or(url_host);
    rec.protocol = o.text(&map.protocol, PROTOCOL);

    let (ip, port) = fields::peer("client_ip", o.text(&map.client_ip, CLIENT_IP).as_deref())?;
    rec.client_ip = ip;
    rec.client_port = port;
    rec.forwarded_for = o.text(&map.forwarded_for, FORWARDED_FOR);
    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }

    rec.latency_us = match &map.latency {
        Some(_) => fields::duration_us("latency", o.val(&map.latency, &[]), map.latency_unit)?,
        None => {
            let found = LATENCY.iter().find_map(|(k, unit)| {
                lookup(&o.fields, k)
                    .map(|f| f.val)
                    .filter(|v| !v.is_missing())
                    .map(|v| (v, *unit))
            });
            match found {
                Some((v, unit)) => fields::duration_us("latency", Some(v), unit)?,
                None => None,
            }
        }
    };
    rec.request_bytes = fields::count("request_bytes", o.val(&map.request_bytes, REQUEST_BYTES))?;
    rec.response_bytes =
        fields::count("response_bytes", o.val(&map.response_bytes, RESPONSE_BYTES))?;
    rec.user_agent = o.text(&map.user_agent, USER_AGENT);
    rec.referer = o.text(&map.referer, REFERER);
    rec.request_id = o.text(&map.request_id, REQUEST_ID);
    rec.country = o.text(&map.country, COUNTRY).map(fields::upper);
    rec.asn = fields::u32_val("asn", o.val(&map.asn, ASN))?;

    rec.identity.subject = o.text(&map.subject, SUBJECT);
    rec.identity.client_id = o.text(&map.client_id, CLIENT_ID);
    rec.identity.consumer = o.text(&map.consumer, CONSUMER);
    rec.identity.api_key_id = o.text(&map.api_key_id, API_KEY_ID);

    if let Some(f) = o.field(&map.headers, HEADERS)
        && let Ok(HeaderList(h)) = serde_json::from_str::<HeaderList<'_>>(f.raw)
    {
        for (name, value) in h {
            fields::add_header(&mut rec, name, value);
        }
    }
    Ok(rec)
}

fn time(o: &Obj<'_>, map: &FieldMap) -> Result<Timestamp, ParseError> {
    let v = o
        .val(&map.time, TIME)
        .ok_or(ParseError::MissingField("time"))?;
    let exp = match map.time_format {
        TimeFormat::Auto => return fields::require_time("time", Some(v)),
        TimeFormat::Rfc3339 => {
            return match &v {
                Val::Str(s) => Timestamp::parse_rfc3339(s.trim()),
                _ => None,
            }
            .ok_or_else(|| bad_time(&v));
        }
        TimeFormat::Clf => {
            return match &v {
                Val::Str(s) => Timestamp::parse_clf(s.trim()),
                _ => None,
            }
            .ok_or_else(|| bad_time(&v));
        }
        TimeFormat::EpochS => LatencyUnit::S,
        TimeFormat::EpochMs => LatencyUnit::Ms,
        TimeFormat::EpochUs => LatencyUnit::Us,
        TimeFormat::EpochNs => LatencyUnit::Ns,
    };
    let shown = bad_time(&v);
    match fields::duration_us("time", Some(v), exp) {
        Ok(Some(us)) => i64::try_from(us).map(Timestamp).map_err(|_| shown),
        _ => Err(shown),
    }
}

fn bad_time(v: &Val<'_>) -> ParseError {
    let text = v.clone().text().unwrap_or(Cow::Borrowed(""));
    ParseError::bad("time", &text)
}
