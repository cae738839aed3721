//! HAR 1.2 documents (browser DevTools, proxies, API tools; integrations
//! §1.10).
//!
//! HAR is the one input with full headers and bodies, and the one most
//! likely to contain live credentials: someone exported their browser
//! session. Credentials are therefore redacted on import (the scheme word and
//! cookie names survive, so auth detection still works), credential query
//! parameters too, and bodies are kept only up to
//! [`MAX_BODY_SAMPLE`](linkwell_core::call::MAX_BODY_SAMPLE) bytes.
//!
//! A broken entry is reported on its own; only a document that is not HAR at
//! all fails as a whole.

use std::borrow::Cow;

use linkwell_core::{CallRecord, SourceFormat, SourceRef};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::LatencyUnit;
use crate::error::{ParseError, from_json};
use crate::fields;
use crate::flat;
use crate::json::{CowStr, Val};

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow)]
    log: Log<'a>,
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    entries: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    #[serde(borrow)]
    started_date_time: Option<Val<'a>>,
    #[serde(borrow)]
    time: Option<Val<'a>>,
    #[serde(borrow)]
    request: Request<'a>,
    #[serde(borrow)]
    response: Response<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(borrow)]
    method: Option<Val<'a>>,
    #[serde(borrow)]
    url: Option<Val<'a>>,
    #[serde(borrow)]
    http_version: Option<Val<'a>>,
    #[serde(borrow, default)]
    headers: Vec<Pair<'a>>,
    #[serde(borrow, default)]
    cookies: Vec<Pair<'a>>,
    #[serde(borrow)]
    post_data: Option<PostData<'a>>,
    #[serde(borrow)]
    headers_size: Option<Val<'a>>,
    #[serde(borrow)]
    body_size: Option<Val<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response<'a> {
    #[serde(borrow)]
    status: Option<Val<'a>>,
    #[serde(borrow)]
    content: Option<Content<'a>>,
    #[serde(borrow)]
    body_size: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Pair<'a> {
    #[serde(borrow)]
    name: CowStr<'a>,
    #[serde(borrow)]
    value: Option<Val<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostData<'a> {
    #[serde(borrow)]
    mime_type: Option<Val<'a>>,
    #[serde(borrow)]
    text: Option<Val<'a>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow)]
    size: Option<Val<'a>>,
    #[serde(borrow)]
    text: Option<Val<'a>>,
    #[serde(borrow)]
    encoding: Option<Val<'a>>,
}

/// Parses a HAR document: one result per entry, in order, with
/// `source.line` set to the 1-based entry index. Fails as a whole only when
/// the text is not a HAR document (`{"log": {"entries": [...]}}`).
pub fn parse_har(text: &str) -> Result<Vec<Result<CallRecord<'_>, ParseError>>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    crate::json::expect_object(text)?;
    let doc: Document<'_> = serde_json::from_str(text).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            ParseError::WrongShape("not a HAR document: expected {\"log\": {\"entries\": [...]}}")
        } else {
            from_json(&e)
        }
    })?;
    Ok(doc
        .log
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let mut rec = parse_entry(raw.get())?;
            rec.source = SourceRef {
                input: 0,
                line: i as u64 + 1,
            };
            Ok(rec)
        })
        .collect())
}

/// One HAR entry object.
pub(crate) fn parse_entry(text: &str) -> Result<CallRecord<'_>, ParseError> {
    let e: Entry<'_> = crate::json::parse_typed(text)?;
    let mut rec = CallRecord {
        format: Some(SourceFormat::Har),
        ..Default::default()
    };
    rec.status = fields::status("response.status", e.response.status)?;
    rec.time = fields::require_time("startedDateTime", e.started_date_time)?;
    rec.latency_us = fields::duration_us("time", e.time, LatencyUnit::Ms)?;

    let req = e.request;
    let url = req
        .url
        .and_then(Val::text)
        .ok_or(ParseError::MissingField("request.url"))?;
    rec.host = fields::url_host(&url).map(|h| Cow::Owned(h.to_string()));
    fields::set_target(&mut rec, url);
    rec.query = rec.query.take().map(fields::redact_query);
    if let Some(m) = req.method.and_then(Val::text) {
        rec.method = Some(fields::method("request.method", m)?);
    }
    rec.protocol = req.http_version.and_then(Val::text);

    for Pair { name, value } in req.headers {
        let value = value.and_then(Val::text).unwrap_or(Cow::Borrowed(""));
        if (name.0.eq_ignore_ascii_case(":authority") || name.0.eq_ignore_ascii_case("host"))
            && rec.host.is_none()
        {
            rec.host = fields::present_cow(value.clone());
        }
        fields::add_header(&mut rec, name.0, value);
    }
    if rec.header("cookie").is_none() && !req.cookies.is_empty() {
        let names: Vec<String> = req
            .cookies
            .iter()
            .map(|c| format!("{}=x", c.name.0))
            .collect();
        fields::add_header(
            &mut rec,
            Cow::Borrowed("cookie"),
            Cow::Owned(names.join("; ")),
        );
    }

    let headers_size = fields::count_or_minus_one("request.headersSize", req.headers_size)?;
    let body_size = fields::count_or_minus_one("request.bodySize", req.body_size)?;
    rec.request_bytes = match (headers_size, body_size) {
        (None, None) => None,
        (h, b) => h.unwrap_or(0).checked_add(b.unwrap_or(0)),
    };
    let content = e.response.content;
    rec.response_bytes =
        match fields::count_or_minus_one("response.bodySize", e.response.body_size)? {
            Some(n) => Some(n),
            None => match &content {
                Some(c) => fields::count_or_minus_one("response.content.size", c.size.clone())?,
                None => None,
            },
        };

    if let Some(pd) = req.post_data {
        if rec.content_type.is_none() {
            rec.content_type = pd.mime_type.and_then(Val::text);
        }
        rec.request_body = pd.text.and_then(Val::text).map(fields::bound_body);
    }
    rec.identity.login_user = rec
        .request_body
        .as_deref()
        .and_then(|b| login_user(b, rec.content_type.as_deref()));
    if let Some(c) = content {
        let base64 = c
            .encoding
            .and_then(Val::text)
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        if !base64 {
            rec.response_body = c.text.and_then(Val::text).map(fields::bound_body);
        }
    }
    rec.infer_auth();
    Ok(rec)
}

/// Field names that carry the login name in a sign-in request body.
const LOGIN_FIELDS: &[&str] = &[
    "username",
    "user",
    "email",
    "login",
    "user_name",
    "userName",
];

/// The login name submitted in a JSON or form body, for login-abuse
/// detection (distinct user names per client).
pub fn login_user(body: &str, content_type: Option<&str>) -> Option<Cow<'static, str>> {
    let ct = content_type.unwrap_or("");
    if ct.contains("json") || body.trim_start().starts_with('{') {
        let mut found = None;
        let _ = flat::scan(body, |f| {
            if found.is_none() && LOGIN_FIELDS.contains(&f.key.as_ref()) {
                found = f.val.text().map(|s| s.into_owned());
            }
            Ok(())
        });
        return found.map(|s| Cow::Owned(crate::error::excerpt(&s)));
    }
    if ct.contains("x-www-form-urlencoded") {
        return body.split('&').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (LOGIN_FIELDS.contains(&k) && !v.is_empty())
                .then(|| Cow::Owned(crate::error::excerpt(v)))
        });
    }
    None
}

/// Whether text looks like the start of a HAR document (used by detection,
/// which sees only the first lines of a file).
pub(crate) fn looks_like_har(text: &str) -> bool {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let Some(rest) = t.strip_prefix('{') else {
        return false;
    };
    if rest.trim_start().starts_with("\"log\"") {
        return true;
    }
    t.contains("\"log\"") && t.contains("\"entries\"")
}
