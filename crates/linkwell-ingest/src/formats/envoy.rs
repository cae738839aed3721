//! Envoy's default text access log, and Istio's default text format (the
//! same with response details before the byte counts and six addresses and
//! names after the quoted fields).
//!
//! ```text
//! [START] "METHOD PATH PROTO" CODE FLAGS RX TX DURATION UPSTREAM_MS "XFF" "UA" "REQ_ID" "AUTHORITY" "UPSTREAM_HOST"
//! ```
//!
//! Envoy does not escape quotes in its text format, and the user agent is
//! client-controlled, so the three quoted fields at the end are read from
//! the right and the user agent is whatever lies between them and the
//! forwarded-for field.

use std::borrow::Cow;

use linkwell_core::{CallRecord, Timestamp};

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, TlsParts, present};
use crate::json::Val;
use crate::text::{self, Kind, Tok};

const SHAPE: &str =
    "not an Envoy access log line: expected `[time] \"METHOD path proto\" code flags ...`";

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let toks = text::tokenize(line, false)?;
    let t = toks.as_slice();
    let kind = |i: usize| t.get(i).map(|t| t.kind);
    if kind(0) != Some(Kind::Bracket) || kind(1) != Some(Kind::Quoted) {
        return Err(ParseError::WrongShape(SHAPE));
    }
    // Istio puts `details termination "failure"` between flags and counters.
    let istio =
        kind(4) == Some(Kind::Bare) && kind(5) == Some(Kind::Bare) && kind(6) == Some(Kind::Quoted);
    let counters = if istio { 7 } else { 4 };
    let quoted_start = counters + 4;
    let bare = |r: std::ops::Range<usize>| {
        t.get(r)
            .is_some_and(|ts| ts.iter().all(|t| t.kind == Kind::Bare))
    };
    if t.len() < quoted_start + 5 || !bare(2..4) || !bare(counters..counters + 4) {
        return Err(ParseError::WrongShape(SHAPE));
    }
    let trailing = t.iter().rev().take_while(|t| t.kind == Kind::Bare).count();
    let end = t.len() - trailing;
    if end < quoted_start + 5 {
        return Err(ParseError::WrongShape(SHAPE));
    }
    let (xff, up_host, authority, req_id) =
        (&t[quoted_start], &t[end - 1], &t[end - 2], &t[end - 3]);
    if [xff, up_host, authority, req_id]
        .iter()
        .any(|t| t.kind != Kind::Quoted)
    {
        return Err(ParseError::WrongShape(SHAPE));
    }
    let s = |tok: &Tok| text::text(line, tok);

    let mut rec = CallRecord::default();
    let time = s(&t[0]);
    rec.time = Timestamp::parse_rfc3339(time).ok_or_else(|| ParseError::bad("start_time", time))?;
    request(&mut rec, s(&t[1]))?;
    rec.status = fields::status_text("response_code", s(&t[2]))?;
    rec.gateway_flags = present(s(&t[3])).map(Cow::Borrowed);
    let num = |i: usize| Some(Val::Str(Cow::Borrowed(s(&t[i]))));
    rec.request_bytes = fields::count("bytes_received", num(counters))?;
    rec.response_bytes = fields::count("bytes_sent", num(counters + 1))?;
    rec.latency_us = fields::duration_us("duration", num(counters + 2), LatencyUnit::Ms)?;

    rec.forwarded_for = present(s(xff)).map(Cow::Borrowed);
    let ua_first = quoted_start + 1;
    let ua_last = end - 4;
    if ua_first <= ua_last {
        // A bare last piece is the tail of a user agent that contained
        // `" `; its closing quote is part of the token.
        let mut ua_end = t[ua_last].end;
        if t[ua_last].kind == Kind::Bare
            && line.as_bytes().get(ua_end.wrapping_sub(1)) == Some(&b'"')
        {
            ua_end -= 1;
        }
        let ua = line.get(t[ua_first].start..ua_end).unwrap_or("");
        rec.user_agent = present(ua).map(Cow::Borrowed);
    }
    rec.request_id = present(s(req_id)).map(Cow::Borrowed);
    rec.host = present(s(authority)).map(Cow::Borrowed);

    // Istio's tail: cluster, upstream local, downstream local, downstream
    // remote (the real client), SNI, route.
    if trailing == 6 {
        let tail = &t[end..];
        if let Some(addr) = present(s(&tail[3]))
            && let Some((ip, port)) = fields::parse_ip(addr)
        {
            rec.client_ip = Some(ip);
            rec.client_port = port;
        }
        rec.tls = TlsParts {
            sni: present(s(&tail[4])).map(Cow::Borrowed),
            ..Default::default()
        }
        .build();
    }
    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }
    Ok(rec)
}

/// `"METHOD PATH PROTO"`; all `-` when Envoy saw no HTTP request.
fn request<'a>(rec: &mut CallRecord<'a>, raw: &'a str) -> Result<(), ParseError> {
    let mut parts = raw.split(' ').filter(|p| !p.is_empty());
    let (m, p, proto) = (parts.next(), parts.next(), parts.next());
    if parts.next().is_some() {
        return Err(ParseError::BadRequestLine);
    }
    let m = m.and_then(present);
    let p = p.and_then(present);
    match (m, p) {
        (None, None) => {}
        (Some(m), Some(p)) => {
            rec.method = Some(
                fields::method("method", Cow::Borrowed(m))
                    .map_err(|_| ParseError::BadRequestLine)?,
            );
            fields::set_target(rec, Cow::Borrowed(p));
        }
        _ => return Err(ParseError::BadRequestLine),
    }
    rec.protocol = proto.and_then(present).map(Cow::Borrowed);
    Ok(())
}
