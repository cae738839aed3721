//! NGINX `combined` (and Apache common / combined) text lines.
//!
//! `addr ident user [time] "request" status bytes ["referer" "ua"] [extras]`
//!
//! The user field comes from an unverified `Authorization: Basic` header and
//! NGINX does not escape spaces in it, so fields are not simply split on
//! spaces: the request starts at the line's first `"` (NGINX writes any `"`
//! in earlier fields as `\x22`) and the time is the last `[...]` before it.
//! Trailing fields that popular variants append (`$http_x_forwarded_for`,
//! `$request_time`, ingress-nginx's `$request_length $request_time ...
//! $req_id`) are recognised by shape, never required.

use std::borrow::Cow;

use linkwell_core::{CallRecord, Timestamp};

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::fields::{self, present};
use crate::json::Val;
use crate::text::{self, Kind, Tok};

const SHAPE: &str =
    "not an NGINX combined/common line: expected `addr ident user [time] \"request\" status bytes`";

pub(crate) fn parse(line: &str) -> Result<CallRecord<'_>, ParseError> {
    let b = line.as_bytes();
    if b.first() == Some(&b'{') {
        return Err(ParseError::WrongShape(
            "a JSON line, not NGINX combined (try --format nginx-json)",
        ));
    }
    let sp1 = memchr::memchr(b' ', b).ok_or(ParseError::WrongShape(SHAPE))?;
    let q = memchr::memchr(b'"', b)
        .filter(|&q| q > sp1)
        .ok_or(ParseError::WrongShape(SHAPE))?;
    let head = &line[sp1 + 1..q];
    let lb = memchr::memrchr(b'[', head.as_bytes()).ok_or(ParseError::WrongShape(SHAPE))?;
    let rb = memchr::memrchr(b']', head.as_bytes())
        .filter(|&r| r > lb)
        .ok_or(ParseError::WrongShape(SHAPE))?;
    if !head[rb + 1..].trim().is_empty() {
        return Err(ParseError::WrongShape(SHAPE));
    }

    let mut rec = CallRecord::default();
    let (ip, port) = fields::peer("remote_addr", Some(&line[..sp1]))?;
    rec.client_ip = ip;
    rec.client_port = port;

    let who = head[..lb].trim();
    let user = who.split_once(' ').map_or("", |(_, u)| u.trim());
    rec.identity.basic_user = present(user).map(text::unescape);

    let time = &head[lb + 1..rb];
    rec.time = Timestamp::parse_clf(time).ok_or_else(|| ParseError::bad("time_local", time))?;

    let tail = &line[q..];
    let toks = text::tokenize(tail, true)?;
    let t = toks.as_slice();
    let req = t
        .first()
        .filter(|t| t.kind == Kind::Quoted)
        .ok_or(ParseError::WrongShape(SHAPE))?;
    request(&mut rec, text::text(tail, req))?;

    let status = t
        .get(1)
        .filter(|t| t.kind == Kind::Bare)
        .ok_or(ParseError::MissingField("status"))?;
    rec.status = fields::status_text("status", text::text(tail, status))?;
    let bytes = t
        .get(2)
        .filter(|t| t.kind == Kind::Bare)
        .ok_or(ParseError::MissingField("body_bytes_sent"))?;
    rec.response_bytes = fields::count(
        "body_bytes_sent",
        Some(Val::Str(Cow::Borrowed(text::text(tail, bytes)))),
    )?;

    let mut rest = &t[3..];
    if let [r, u, more @ ..] = rest
        && r.kind == Kind::Quoted
        && u.kind == Kind::Quoted
    {
        rec.referer = present(text::text(tail, r)).map(text::unescape);
        rec.user_agent = present(text::text(tail, u)).map(text::unescape);
        rest = more;
    }
    extras(&mut rec, tail, rest);

    if rec.client_ip.is_none() {
        rec.client_ip = rec
            .forwarded_for
            .as_deref()
            .and_then(fields::first_forwarded);
    }
    Ok(rec)
}

/// `"$request"`: `-` or empty when NGINX never got a request line (the
/// client connected and left: 400/408), which is a call without an endpoint
/// rather than a broken line.
fn request<'a>(rec: &mut CallRecord<'a>, raw: &'a str) -> Result<(), ParseError> {
    let Some(raw) = present(raw) else {
        return Ok(());
    };
    let line = text::request_line(text::unescape(raw))?;
    rec.method = Some(line.method);
    fields::set_target(rec, line.target);
    rec.protocol = line.protocol;
    Ok(())
}

/// Recognises the common trailing additions by shape. Anything unknown is
/// ignored: these fields are a convenience, never a reason to reject.
fn extras<'a>(rec: &mut CallRecord<'a>, tail: &'a str, toks: &[Tok]) {
    let mut leading_int: Option<u64> = None;
    for (i, tok) in toks.iter().enumerate() {
        let s = text::text(tail, tok);
        match tok.kind {
            Kind::Quoted => {
                if rec.forwarded_for.is_none()
                    && let Some(v) = present(s)
                    && fields::first_forwarded(v).is_some()
                {
                    rec.forwarded_for = Some(text::unescape(v));
                }
            }
            Kind::Bracket => {}
            Kind::Bare => {
                let latency = s
                    .strip_prefix("rt=")
                    .or_else(|| s.strip_prefix("request_time="))
                    .or_else(|| s.contains('.').then_some(s));
                if let Some(v) = latency {
                    if rec.latency_us.is_none() {
                        let d = fields::duration_us(
                            "request_time",
                            Some(Val::Str(Cow::Borrowed(v))),
                            LatencyUnit::S,
                        );
                        if let Ok(Some(us)) = d {
                            rec.latency_us = Some(us);
                            // ingress-nginx: `$request_length $request_time`.
                            if i == 1 {
                                rec.request_bytes = leading_int;
                            }
                        }
                    }
                } else if i == 0 && s.bytes().all(|c| c.is_ascii_digit()) {
                    leading_int = s.parse().ok();
                } else if s.len() == 32 && s.bytes().all(|c| c.is_ascii_hexdigit()) {
                    rec.request_id = Some(Cow::Borrowed(s));
                }
            }
        }
    }
}
