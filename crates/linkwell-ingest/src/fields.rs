//! Field conversions every format shares.
//!
//! Formats disagree on units (seconds, ms, ns), on how "absent" is written
//! (`-`, `""`, `null`, `-1`), on whether numbers are quoted, and on where the
//! port goes. Doing those conversions once, here, is what keeps a latency
//! from NGINX comparable to one from Traefik, and keeps every format equally
//! strict about garbage.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use linkwell_core::call::MAX_BODY_SAMPLE;
use linkwell_core::{CallRecord, CertVerify, ClientCert, Method, Timestamp, Tls};

use crate::config::LatencyUnit;
use crate::error::ParseError;
use crate::json::Val;

/// `None` for the spellings of "absent" in text logs.
pub(crate) fn present(s: &str) -> Option<&str> {
    let t = trim(s);
    if t.is_empty() || t == "-" {
        None
    } else {
        Some(t)
    }
}

/// Like [`present`] for a `Cow`, keeping it borrowed when possible.
pub(crate) fn present_cow(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    Val::Str(s).text()
}

// === numbers ===

/// Parses a non-negative decimal (`"0.057"`, `"12"`) times `10^exp`,
/// truncating digits beyond the unit. Exact: no floating point, so a latency
/// of `0.057` s is exactly 57 000 µs.
pub(crate) fn decimal_scaled(s: &str, exp: i32) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    if int.len() > 20 {
        return None;
    }
    let int_v: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    if exp >= 0 {
        let exp = exp.unsigned_abs();
        let mut v = int_v.checked_mul(10u64.checked_pow(exp)?)?;
        let fb = frac.as_bytes();
        for i in 0..exp as usize {
            let d = fb.get(i).map_or(0, |b| u64::from(b - b'0'));
            v = v.checked_add(d.checked_mul(10u64.pow(exp - 1 - i as u32))?)?;
        }
        Some(v)
    } else {
        Some(int_v / 10u64.checked_pow(exp.unsigned_abs())?)
    }
}

fn float_scaled(f: f64, exp: i32) -> Option<u64> {
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    let v = (f * 10f64.powi(exp)).round();
    // u64::MAX is not exactly representable; stay clearly below it.
    (v < 1.8e19).then_some(v as u64)
}

fn int_scaled(u: u64, exp: i32) -> Option<u64> {
    if exp >= 0 {
        u.checked_mul(10u64.checked_pow(exp.unsigned_abs())?)
    } else {
        Some(u / 10u64.checked_pow(exp.unsigned_abs())?)
    }
}

/// The value as a non-negative number times `10^exp`; `Err(())` for garbage
/// and negatives, `Ok(None)` when absent.
fn scaled(v: &Val<'_>, exp: i32) -> Result<Option<u64>, ()> {
    match v {
        Val::U(u) => int_scaled(*u, exp).map(Some).ok_or(()),
        Val::I(_) | Val::Bool(_) => Err(()),
        Val::F(f) => float_scaled(*f, exp).map(Some).ok_or(()),
        Val::Str(s) => {
            let t = trim(s);
            if t.is_empty() || t == "-" {
                return Ok(None);
            }
            match decimal_scaled(t, exp) {
                Some(v) => Ok(Some(v)),
                None if t.contains(['e', 'E']) => t
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| float_scaled(f, exp))
                    .map(Some)
                    .ok_or(()),
                None => Err(()),
            }
        }
        Val::Null | Val::Nested => Ok(None),
    }
}

/// ASCII-whitespace trim on bytes (the `char`-based `str::trim` shows up in
/// profiles, and logs pad with ASCII only).
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !f.is_ascii_whitespace() && !l.is_ascii_whitespace() => s,
        _ => s.trim_matches(|c: char| c.is_ascii_whitespace()),
    }
}

/// The offending value for an error message (only built on the error path).
fn describe(v: &Val<'_>) -> String {
    match v {
        Val::Str(s) => crate::error::excerpt(s),
        Val::U(n) => n.to_string(),
        Val::I(n) => n.to_string(),
        Val::F(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Null => "null".into(),
        Val::Nested => "{…}".into(),
    }
}

fn bad(field: &'static str, v: &Val<'_>) -> ParseError {
    ParseError::BadField {
        field,
        value: describe(v),
    }
}

/// A byte count. Negative, fractional or non-numeric values are errors: a
/// size that cannot be trusted would poison the exfiltration statistics.
pub(crate) fn count(field: &'static str, v: Option<Val<'_>>) -> Result<Option<u64>, ParseError> {
    let Some(v) = v else { return Ok(None) };
    let fractional = match &v {
        Val::F(f) => f.fract() != 0.0,
        Val::Str(s) => s.contains('.'),
        _ => false,
    };
    if fractional {
        return Err(bad(field, &v));
    }
    scaled(&v, 0).map_err(|()| bad(field, &v))
}

/// Like [`count`], but `-1` (the HAR and Kong spelling of "not applicable")
/// is absent rather than an error.
pub(crate) fn count_or_minus_one(
    field: &'static str,
    v: Option<Val<'_>>,
) -> Result<Option<u64>, ParseError> {
    match v {
        Some(Val::I(-1)) => Ok(None),
        Some(Val::F(-1.0)) => Ok(None),
        Some(Val::Str(s)) if trim(&s) == "-1" => Ok(None),
        other => count(field, other),
    }
}

/// A duration in `unit`, converted to microseconds. `-1` means "not
/// measured" (Kong, HAR, ALB) and is absent; other negatives are errors.
pub(crate) fn duration_us(
    field: &'static str,
    v: Option<Val<'_>>,
    unit: LatencyUnit,
) -> Result<Option<u64>, ParseError> {
    let Some(v) = v else { return Ok(None) };
    match &v {
        Val::I(-1) => Ok(None),
        Val::F(f) if *f == -1.0 => Ok(None),
        Val::Str(s) if matches!(trim(s), "-1" | "-1.000" | "-1.0") => Ok(None),
        _ => scaled(&v, unit.micros_exponent()).map_err(|()| bad(field, &v)),
    }
}

/// The HTTP status. Required by every format: a line without one is not an
/// access-log line. `0` (client left before a response) is kept.
pub(crate) fn status(field: &'static str, v: Option<Val<'_>>) -> Result<u16, ParseError> {
    let v = v.ok_or(ParseError::MissingField(field))?;
    if v.is_missing() {
        return Err(ParseError::MissingField(field));
    }
    match scaled(&v, 0) {
        Ok(Some(n)) if n <= 999 => Ok(n as u16),
        _ => Err(bad(field, &v)),
    }
}

/// A status written as text (the text formats).
pub(crate) fn status_text(field: &'static str, s: &str) -> Result<u16, ParseError> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 3 && b.iter().all(u8::is_ascii_digit) {
        return Ok(b.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')));
    }
    status(field, Some(Val::Str(Cow::Borrowed(s))))
}

pub(crate) fn u32_val(field: &'static str, v: Option<Val<'_>>) -> Result<Option<u32>, ParseError> {
    let Some(v) = v else { return Ok(None) };
    match scaled(&v, 0) {
        Ok(None) => Ok(None),
        Ok(Some(n)) => u32::try_from(n).map(Some).map_err(|_| bad(field, &v)),
        Err(()) => Err(bad(field, &v)),
    }
}

// === addresses ===

/// An address with or without a port: `203.0.113.7`, `203.0.113.7:51514`,
/// `[2001:db8::1]:443`, `2001:db8::1`, `fe80::1%eth0`. IPv4-mapped IPv6 is
/// folded to IPv4 so one client is one key.
pub(crate) fn parse_ip(s: &str) -> Option<(IpAddr, Option<u16>)> {
    let s = s.trim();
    if let Some(ip) = dotted_quad(s.as_bytes()) {
        return Some((IpAddr::V4(ip), None));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some((ip.to_canonical(), None));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let inside = inside.split_once('%').map_or(inside, |(a, _)| a);
        let ip = IpAddr::V6(inside.parse::<Ipv6Addr>().ok()?);
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse::<u16>().ok()?),
        };
        return Some((ip.to_canonical(), port));
    }
    if let Some((h, p)) = s.rsplit_once(':')
        && !h.contains(':')
    {
        let ip = h.parse::<Ipv4Addr>().ok()?;
        return Some((IpAddr::V4(ip), Some(p.parse::<u16>().ok()?)));
    }
    if let Some((a, _zone)) = s.split_once('%') {
        return Some((IpAddr::V6(a.parse::<Ipv6Addr>().ok()?).to_canonical(), None));
    }
    None
}

/// A plain dotted-quad IPv4 address, read in one pass; `None` for anything
/// else, which the general parser then decides. Accepts exactly what
/// `Ipv4Addr::from_str` accepts among 4-part inputs (1-3 digits per part,
/// no leading zeros, at most 255), so the two cannot disagree. Every line
/// has an address and std's parser tries several grammars first.
fn dotted_quad(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, octet) in octets.iter_mut().enumerate() {
        if n > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v: u16 = 0;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start == 3 {
                return None;
            }
            v = v * 10 + u16::from(d - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || (len > 1 && b[start] == b'0') {
            return None;
        }
        *octet = u8::try_from(v).ok()?;
    }
    (i == b.len()).then_some(Ipv4Addr::from(octets))
}

/// The connection's peer address: must be an address when present (a bad one
/// means the line is not what the format says). A Unix socket peer has none.
pub(crate) fn peer(
    field: &'static str,
    s: Option<&str>,
) -> Result<(Option<IpAddr>, Option<u16>), ParseError> {
    let Some(s) = s.and_then(present) else {
        return Ok((None, None));
    };
    if s.starts_with("unix:") {
        return Ok((None, None));
    }
    match parse_ip(s) {
        Some((ip, port)) => Ok((Some(ip), port)),
        None => Err(ParseError::bad(field, s)),
    }
}

/// First address of an `X-Forwarded-For` list. The header is client-supplied,
/// so garbage is tolerated (no address) rather than rejecting the line.
pub(crate) fn first_forwarded(s: &str) -> Option<IpAddr> {
    let first = s.split(',').next()?.trim();
    parse_ip(first).map(|(ip, _)| ip)
}

/// The authority of an absolute URL, without user info.
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let i = url.find("://")?;
    if url[..i]
        .bytes()
        .any(|b| !(b.is_ascii_alphanumeric() || b"+-.".contains(&b)))
    {
        return None;
    }
    let rest = &url[i + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let auth = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    (!auth.is_empty()).then_some(auth)
}

// === time ===

/// Epoch text (`1772446530`, `1772446530.123`, `1772446530123`, ns) with the
/// unit guessed from the integer part's magnitude, computed with checked
/// arithmetic so absurd values are rejected instead of overflowing.
pub(crate) fn epoch_text(s: &str) -> Option<Timestamp> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 19 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = int.parse().ok()?;
    let exp = if v < 100_000_000_000 {
        6
    } else if v < 100_000_000_000_000 {
        3
    } else if v < 100_000_000_000_000_000 {
        0
    } else {
        -3
    };
    let micros = if exp >= 0 {
        let whole = if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        };
        decimal_scaled(&whole, exp)?
    } else {
        v / 1000
    };
    i64::try_from(micros).ok().map(Timestamp)
}

/// Any textual timestamp a gateway writes: RFC 3339, CLF, epoch.
pub(crate) fn time_text(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let b = s.as_bytes();
    match b {
        [b'[', ..] => Timestamp::parse_clf(s),
        [_, _, b'/', ..] => Timestamp::parse_clf(s),
        [_, _, _, _, b'-', ..] => Timestamp::parse_rfc3339(s),
        _ => epoch_text(s),
    }
}

/// A timestamp value: text in any known form, or an epoch number.
pub(crate) fn time_val(v: &Val<'_>) -> Option<Timestamp> {
    match v {
        Val::Str(s) => time_text(s),
        Val::U(u) => i64::try_from(*u).ok().map(Timestamp::from_epoch_guess),
        Val::I(i) if *i >= 0 => Some(Timestamp::from_epoch_guess(*i)),
        Val::F(f) if f.is_finite() && *f >= 0.0 => {
            if *f < 1e11 {
                Some(Timestamp((f * 1e6).round() as i64))
            } else if *f < 9e18 {
                Some(Timestamp::from_epoch_guess(*f as i64))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Required time field: absent is `MissingField`, unreadable is `BadField`.
pub(crate) fn require_time(
    field: &'static str,
    v: Option<Val<'_>>,
) -> Result<Timestamp, ParseError> {
    match v {
        None => Err(ParseError::MissingField(field)),
        Some(v) if v.is_missing() => Err(ParseError::MissingField(field)),
        Some(v) => time_val(&v).ok_or_else(|| ParseError::bad(field, &describe(&v))),
    }
}

// === text ===

pub(crate) fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
}

pub(crate) fn upper(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(s.to_ascii_uppercase())
    } else {
        s
    }
}

/// Cuts a `Cow` at a byte index known to be a char boundary.
fn cut(s: Cow<'_, str>, at: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..at]),
        Cow::Owned(mut o) => {
            o.truncate(at);
            Cow::Owned(o)
        }
    }
}

/// A body sample bounded to [`MAX_BODY_SAMPLE`] bytes, cut on a char boundary.
pub(crate) fn bound_body(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.len() <= MAX_BODY_SAMPLE {
        return s;
    }
    let end = s.floor_char_boundary(MAX_BODY_SAMPLE);
    cut(s, end)
}

/// A method token (RFC 9110 `tchar`s, at most 32 bytes).
pub(crate) fn method<'a>(field: &'static str, s: Cow<'a, str>) -> Result<Method<'a>, ParseError> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !ok {
        return Err(ParseError::bad(field, &s));
    }
    Ok(match s {
        Cow::Borrowed(b) => Method::parse(b),
        Cow::Owned(o) => Method::parse(&o).into_owned(),
    })
}

/// Sets path and query from a request target.
///
/// An origin-form target (`/a?b`) is split here on its first `?`; only an
/// absolute URL goes through [`CallRecord::set_target`], because that one
/// looks for `://` anywhere and would take `/r?next=http://x/y` for a URL.
/// The fragment is dropped first (clients never send one; a logged one is
/// noise).
pub(crate) fn set_target<'a>(rec: &mut CallRecord<'a>, t: Cow<'a, str>) {
    let t = match memchr::memchr(b'#', t.as_bytes()) {
        Some(i) => cut(t, i),
        None => t,
    };
    // An origin-form target (the usual case) cannot hold a scheme before
    // its first `/`, so only other targets are searched for `://`.
    let absolute = !t.starts_with('/')
        && t.find("://")
            .is_some_and(|i| !t[..i].contains(['/', '?']) && i > 0);
    if absolute {
        // `https://host?x=1`: core would drop the query with no path to hang it on.
        let after = t.find("://").map_or(0, |i| i + 3);
        let auth_end = t[after..].find(['/', '?']).map_or(t.len(), |j| after + j);
        if t.as_bytes().get(auth_end) == Some(&b'?') {
            let q = t[auth_end + 1..].to_string();
            rec.path = Cow::Borrowed("/");
            rec.query = Some(Cow::Owned(q));
            return;
        }
        rec.set_target(t);
        return;
    }
    match memchr::memchr(b'?', t.as_bytes()) {
        None => {
            rec.path = if t.is_empty() { Cow::Borrowed("/") } else { t };
            rec.query = None;
        }
        Some(q) => match t {
            Cow::Borrowed(s) => {
                rec.path = Cow::Borrowed(if q == 0 { "/" } else { &s[..q] });
                rec.query = Some(Cow::Borrowed(&s[q + 1..]));
            }
            Cow::Owned(s) => {
                rec.query = Some(Cow::Owned(s[q + 1..].to_string()));
                rec.path = Cow::Owned(if q == 0 {
                    "/".to_string()
                } else {
                    s[..q].to_string()
                });
            }
        },
    }
}

// === headers and credentials ===

/// Replaces credential values with a marker that keeps what detection needs:
/// the auth scheme word, cookie names. Logs and HAR files carry live tokens,
/// and a monitor that copies them into its own store becomes a second place
/// to steal them from.
pub(crate) fn redact_header<'a>(name: &str, value: Cow<'a, str>) -> Cow<'a, str> {
    const R: &str = "[redacted]";
    match name {
        "authorization" | "proxy-authorization" => {
            let v = value.trim();
            if v.is_empty() || v == R {
                return value;
            }
            match v.split_once(char::is_whitespace) {
                None => Cow::Borrowed(R),
                Some((scheme, _)) => match scheme.to_ascii_lowercase().as_str() {
                    "bearer" => Cow::Borrowed("Bearer [redacted]"),
                    "basic" => Cow::Borrowed("Basic [redacted]"),
                    "dpop" => Cow::Borrowed("DPoP [redacted]"),
                    "digest" => Cow::Borrowed("Digest [redacted]"),
                    _ => Cow::Owned(format!("{} {R}", crate::error::excerpt(scheme))),
                },
            }
        }
        "cookie" => {
            let names: Vec<&str> = value
                .split(';')
                .filter_map(|p| {
                    let n = p.split_once('=').map_or(p, |(n, _)| n).trim();
                    (!n.is_empty()).then_some(n)
                })
                .collect();
            Cow::Owned(
                names
                    .iter()
                    .map(|n| format!("{n}={R}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        }
        "set-cookie" => {
            let n = value.split_once('=').map_or("", |(n, _)| n.trim());
            Cow::Owned(format!("{n}={R}"))
        }
        "x-api-key"
        | "api-key"
        | "apikey"
        | "x-auth-token"
        | "x-access-token"
        | "x-amz-security-token"
        | "dpop"
        | "private-token"
        | "x-vault-token"
        | "x-csrf-token"
        | "x-xsrf-token"
        | "x-goog-api-key" => {
            if value.is_empty() {
                value
            } else {
                Cow::Borrowed(R)
            }
        }
        _ => value,
    }
}

/// Query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "id_token",
    "refresh_token",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "client_secret",
    "password",
    "secret",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-security-token",
];

/// The query with credential parameter values replaced (names kept, so
/// `infer_auth` still sees an API key in the query).
pub(crate) fn redact_query(q: Cow<'_, str>) -> Cow<'_, str> {
    let secret = |p: &str| {
        let name = p.split_once('=').map_or(p, |(n, _)| n);
        SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name)) && p.contains('=')
    };
    if !q.split('&').any(secret) {
        return q;
    }
    let parts: Vec<String> = q
        .split('&')
        .map(|p| {
            if secret(p) {
                let name = p.split_once('=').map_or(p, |(n, _)| n);
                format!("{name}=[redacted]")
            } else {
                p.to_string()
            }
        })
        .collect();
    Cow::Owned(parts.join("&"))
}

/// Adds a request header: lower-cases the name, redacts credentials, fills
/// the record's UA / referer / content type / forwarded-for from it, and
/// skips HTTP/2 pseudo-headers (callers read `:authority` themselves).
pub(crate) fn add_header<'a>(rec: &mut CallRecord<'a>, name: Cow<'a, str>, value: Cow<'a, str>) {
    let name = lower(name);
    if name.starts_with(':') || name.is_empty() {
        return;
    }
    match name.as_ref() {
        "user-agent" if rec.user_agent.is_none() => rec.user_agent = present_cow(value.clone()),
        "referer" if rec.referer.is_none() => rec.referer = present_cow(value.clone()),
        "content-type" if rec.content_type.is_none() => {
            rec.content_type = present_cow(value.clone())
        }
        "x-forwarded-for" if rec.forwarded_for.is_none() => {
            rec.forwarded_for = present_cow(value.clone());
        }
        "x-request-id" if rec.request_id.is_none() => rec.request_id = present_cow(value.clone()),
        _ => {}
    }
    let value = redact_header(&name, value);
    rec.push_header(name, value);
}

// === TLS ===

/// `$ssl_client_verify`-style text. Core's parser slices the first six bytes,
/// so non-ASCII input (from a hostile log) is answered here, without it.
pub(crate) fn cert_verify(s: &str) -> CertVerify {
    if s.is_ascii() {
        CertVerify::parse(s)
    } else {
        CertVerify::Unknown
    }
}

/// TLS facts gathered field by field, turned into a [`Tls`] only when the
/// source said anything at all.
#[derive(Default)]
pub(crate) struct TlsParts<'a> {
    pub(crate) version: Option<Cow<'a, str>>,
    pub(crate) cipher: Option<Cow<'a, str>>,
    pub(crate) sni: Option<Cow<'a, str>>,
    pub(crate) verify: Option<CertVerify>,
    pub(crate) subject: Option<Cow<'a, str>>,
    pub(crate) issuer: Option<Cow<'a, str>>,
    pub(crate) serial: Option<Cow<'a, str>>,
    pub(crate) uri_san: Option<Cow<'a, str>>,
    pub(crate) fp256: Option<Cow<'a, str>>,
    pub(crate) fp1: Option<Cow<'a, str>>,
    pub(crate) not_after: Option<Cow<'a, str>>,
}

impl<'a> TlsParts<'a> {
    pub(crate) fn build(self) -> Option<Tls<'a>> {
        let has_cert = self.subject.is_some()
            || self.issuer.is_some()
            || self.serial.is_some()
            || self.uri_san.is_some()
            || self.fp256.is_some()
            || self.fp1.is_some()
            || self.not_after.is_some();
        let verify = match self.verify {
            Some(CertVerify::None) if has_cert => CertVerify::Unknown,
            Some(v) => v,
            None if has_cert => CertVerify::Unknown,
            None => CertVerify::None,
        };
        let client_cert = (has_cert || verify != CertVerify::None).then(|| ClientCert {
            verify,
            subject: self.subject,
            issuer: self.issuer,
            serial: self.serial,
            uri_san: self.uri_san,
            fingerprint_sha256: self.fp256.map(fingerprint),
            fingerprint_sha1: self.fp1.map(fingerprint),
            not_after: self.not_after,
            reason: None,
        });
        if self.version.is_none()
            && self.cipher.is_none()
            && self.sni.is_none()
            && client_cert.is_none()
        {
            return None;
        }
        Some(Tls {
            version: self.version,
            cipher: self.cipher,
            sni: self.sni,
            client_cert,
        })
    }
}

/// Fingerprints are stored as lower-case hex without separators.
fn fingerprint(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.contains(':') {
        Cow::Owned(s.replace(':', "").to_ascii_lowercase())
    } else {
        lower(s)
    }
}

/// `1.3` (Traefik, Go) becomes `TLSv1.3` so versions compare across sources.
pub(crate) fn tls_version(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        Cow::Owned(format!("TLSv{s}"))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal_scaled("0.057", 6), Some(57_000));
        assert_eq!(decimal_scaled("1.5", 3), Some(1500));
        assert_eq!(decimal_scaled("12", 0), Some(12));
        assert_eq!(decimal_scaled("43125000", -3), Some(43_125));
        assert_eq!(decimal_scaled("1.23456789", 6), Some(1_234_567));
        assert_eq!(decimal_scaled(".5", 6), Some(500_000));
        assert_eq!(decimal_scaled("", 6), None);
        assert_eq!(decimal_scaled(".", 6), None);
        assert_eq!(decimal_scaled("-1", 0), None);
        assert_eq!(decimal_scaled("1e3", 0), None);
        assert_eq!(decimal_scaled("99999999999999999999999", 0), None);
        assert_eq!(decimal_scaled("18446744073709551615", 1), None);
    }

    #[test]
    fn addresses() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(parse_ip("203.0.113.7"), Some((v4, None)));
        assert_eq!(parse_ip("203.0.113.7:51514"), Some((v4, Some(51514))));
        assert_eq!(parse_ip("::ffff:203.0.113.7"), Some((v4, None)));
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(parse_ip("[2001:db8::1]:443"), Some((v6, Some(443))));
        assert_eq!(parse_ip("2001:db8::1"), Some((v6, None)));
        assert_eq!(parse_ip("[2001:db8::1]"), Some((v6, None)));
        assert!(parse_ip("fe80::1%eth0").is_some());
        assert_eq!(parse_ip("203.0.113.7:99999"), None);
        assert_eq!(parse_ip("not-an-ip"), None);
        assert_eq!(parse_ip("999.1.1.1"), None);
        assert_eq!(
            first_forwarded("198.51.100.9, 10.0.0.1"),
            "198.51.100.9".parse().ok()
        );
        assert_eq!(first_forwarded("unknown, 10.0.0.1"), None);
        assert_eq!(peer("ip", Some("unix:")), Ok((None, None)));
        assert!(matches!(
            peer("ip", Some("x.y")),
            Err(ParseError::BadField { field: "ip", .. })
        ));
    }

    /// The one-pass IPv4 reader agrees with std on every input it takes.
    #[test]
    fn dotted_quads_agree_with_std() {
        let parts = [
            "0", "1", "9", "10", "99", "100", "255", "256", "300", "01", "001", "", "1a", "+1",
            " 1", "1000",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for tail in ["", ".", ".5", ":80", " ", "x"] {
                    let s = format!("{a}.{b}.{a}.{b}{tail}");
                    let std = s.parse::<Ipv4Addr>().ok();
                    assert_eq!(dotted_quad(s.as_bytes()).or(std), std, "{s}");
                    if std.is_some() {
                        assert_eq!(dotted_quad(s.as_bytes()), std, "{s}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 49);
        assert_eq!(
            dotted_quad(b"203.0.113.7"),
            Some(Ipv4Addr::new(203, 0, 113, 7))
        );
        assert_eq!(dotted_quad(b"1.2.3"), None);
        assert_eq!(dotted_quad(b"1.2.3.4.5"), None);
    }

    #[test]
    fn epochs_guess_units_without_overflow() {
        let t = Timestamp(1_772_446_530_123_000);
        assert_eq!(epoch_text("1772446530.123"), Some(t));
        assert_eq!(epoch_text("1772446530123"), Some(t));
        assert_eq!(epoch_text("1772446530123000000"), Some(t));
        // Read as milliseconds by magnitude; core's parse_epoch_decimal overflows here.
        assert_eq!(
            epoch_text("9223372036854.999999"),
            Some(Timestamp(9_223_372_036_854_999))
        );
        assert_eq!(epoch_text("99999999999999999999"), None);
        assert_eq!(time_val(&Val::F(1772446530.123)), Some(t));
        assert_eq!(time_val(&Val::U(1_772_446_530_123)), Some(t));
        assert_eq!(time_val(&Val::F(f64::MAX)), None);
    }

    #[test]
    fn targets() {
        let mut r = CallRecord::default();
        set_target(&mut r, "/r?next=http://evil.example/x".into());
        assert_eq!(r.path, "/r");
        assert_eq!(r.query.as_deref(), Some("next=http://evil.example/x"));
        set_target(&mut r, "https://api.example.com:8443/v1/x?a=1#frag".into());
        assert_eq!(r.path, "/v1/x");
        assert_eq!(r.query.as_deref(), Some("a=1"));
        set_target(&mut r, "#://x/y".into());
        assert_eq!(r.path, "/");
        set_target(&mut r, "https://api.example.com?x=1".into());
        assert_eq!((r.path.as_ref(), r.query.as_deref()), ("/", Some("x=1")));
        set_target(&mut r, "https://api.example.com".into());
        assert_eq!((r.path.as_ref(), r.query.as_deref()), ("/", None));
        assert_eq!(
            url_host("https://user:pw@api.example.com:8443/x"),
            Some("api.example.com:8443")
        );
        assert_eq!(url_host("/relative"), None);
    }

    #[test]
    fn redaction_keeps_scheme_and_names() {
        assert_eq!(
            redact_header("authorization", "Bearer eyJabc".into()),
            "Bearer [redacted]"
        );
        assert_eq!(
            redact_header("authorization", "basic dXNlcjpwdw==".into()),
            "Basic [redacted]"
        );
        assert_eq!(
            redact_header("authorization", "REDACTED".into()),
            "[redacted]"
        );
        assert_eq!(
            redact_header("cookie", "sid=abc; theme=dark".into()),
            "sid=[redacted]; theme=[redacted]"
        );
        assert_eq!(redact_header("x-api-key", "k-123".into()), "[redacted]");
        assert_eq!(redact_header("accept", "*/*".into()), "*/*");
        assert_eq!(
            redact_query("a=1&api_key=s3cret&b=2".into()),
            "a=1&api_key=[redacted]&b=2"
        );
        assert!(matches!(redact_query("a=1".into()), Cow::Borrowed("a=1")));
    }

    #[test]
    fn body_bound_is_char_safe() {
        let long = "é".repeat(MAX_BODY_SAMPLE);
        let b = bound_body(Cow::Borrowed(&long));
        assert!(b.len() <= MAX_BODY_SAMPLE);
        assert!(b.chars().all(|c| c == 'é'));
    }

    #[test]
    fn tls_parts() {
        assert_eq!(TlsParts::default().build(), None);
        let t = TlsParts {
            verify: Some(CertVerify::None),
            version: Some("TLSv1.3".into()),
            ..Default::default()
        }
        .build()
        .unwrap();
        assert!(t.client_cert.is_none());
        let t = TlsParts {
            fp1: Some("3D:1F:0C".into()),
            ..Default::default()
        }
        .build()
        .unwrap();
        let c = t.client_cert.unwrap();
        assert_eq!(c.verify, CertVerify::Unknown);
        assert_eq!(c.fingerprint_sha1.as_deref(), Some("3d1f0c"));
        assert_eq!(cert_verify("aaaaaé"), CertVerify::Unknown);
    }
}
