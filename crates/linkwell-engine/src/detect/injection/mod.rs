//! Injection attempts anywhere the client controls text: path segments,
//! query parameter names and values, headers, cookies and the request body
//! (form fields and JSON strings).
//!
//! Each value is decoded the way the application would decode it
//! ([`decode`]), then one Aho-Corasick pass over a set of cheap triggers
//! picks which analysers can possibly match; most benign values trigger
//! none and cost one scan. The analysers are tokenizers and small scanners,
//! never backtracking regexes, so time per value is linear and the input is
//! capped. Mapping (docs/injection.md, docs/detections.md): SSRF is OWASP
//! API7:2023; the other classes have no Top 10 entry of their own in 2023
//! and are filed under API8:2023 Security Misconfiguration, each with its
//! CWE.

mod body;
mod cmd;
mod decode;
mod nosql;
mod sqli;
mod ssrf;
mod traversal;
mod triggers;
mod xss;

use std::fmt;

use linkwell_core::{CallRecord, Finding, FindingKind, Owasp, Severity};

use super::clean_cache::{CACHE_MIN_LEN, COOKIE, CleanCache};
use triggers::Hits;

use super::{Detector, Draft};
use crate::CallContext;
use crate::state::SharedState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InjectionClass {
    Sql,
    Xss,
    Command,
    PathTraversal,
    NoSql,
    Ssrf,
}

impl InjectionClass {
    pub const ALL: [InjectionClass; 6] = [
        InjectionClass::Sql,
        InjectionClass::Xss,
        InjectionClass::Command,
        InjectionClass::PathTraversal,
        InjectionClass::NoSql,
        InjectionClass::Ssrf,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InjectionClass::Sql => "SQL injection",
            InjectionClass::Xss => "cross-site scripting",
            InjectionClass::Command => "command injection",
            InjectionClass::PathTraversal => "path traversal",
            InjectionClass::NoSql => "NoSQL operator injection",
            InjectionClass::Ssrf => "server-side request forgery",
        }
    }

    /// A short stable code for records and metrics labels.
    pub fn code(self) -> &'static str {
        match self {
            InjectionClass::Sql => "sqli",
            InjectionClass::Xss => "xss",
            InjectionClass::Command => "command",
            InjectionClass::PathTraversal => "path-traversal",
            InjectionClass::NoSql => "nosql",
            InjectionClass::Ssrf => "ssrf",
        }
    }

    pub fn cwe(self) -> u32 {
        match self {
            InjectionClass::Sql => 89,
            InjectionClass::Xss => 79,
            InjectionClass::Command => 78,
            InjectionClass::PathTraversal => 22,
            InjectionClass::NoSql => 943,
            InjectionClass::Ssrf => 918,
        }
    }

    pub fn owasp(self) -> Owasp {
        match self {
            InjectionClass::Ssrf => Owasp::Api7,
            _ => Owasp::Api8,
        }
    }
}

/// Where in the request a payload was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Path,
    QueryName,
    Query(String),
    Header(String),
    Cookie(String),
    Body(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Path => f.write_str("path"),
            Place::QueryName => f.write_str("query parameter name"),
            Place::Query(n) => write!(f, "query parameter '{n}'"),
            Place::Header(n) => write!(f, "header '{n}'"),
            Place::Cookie(n) => write!(f, "cookie '{n}'"),
            Place::Body(n) if n.is_empty() => f.write_str("request body"),
            Place::Body(n) => write!(f, "body field '{n}'"),
        }
    }
}

/// One payload found in a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectionHit {
    pub class: InjectionClass,
    /// The rule that matched, as a phrase ("UNION SELECT").
    pub rule: &'static str,
    pub place: Place,
    /// The decoded value, cut to 160 bytes.
    pub excerpt: String,
}

/// Bytes of a decoded payload kept as evidence.
const EXCERPT_LEN: usize = 160;

/// Which checks apply to a value, by where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// Parameters, body fields, custom headers: everything.
    All,
    /// No SSRF verdict (parameter names, `Referer`, `Origin`).
    NoSsrf,
    /// The request path: no SSRF, and a system file name alone is a
    /// probe for the scanning detector, not traversal; `../` still counts.
    Path,
}

/// Analysers in the order they are asked: the more specific classes first
/// (an SSI `<!--#exec` is command injection even though it names
/// `/etc/passwd`; `"><script>` is XSS even though it closes a quote).
fn analyse(s: &str, h: Hits, rules: Rules) -> Option<(InjectionClass, &'static str)> {
    if h.class(InjectionClass::Xss)
        && let Some(r) = xss::detect_with(s, h)
    {
        return Some((InjectionClass::Xss, r));
    }
    if h.class(InjectionClass::Command)
        && let Some(r) = cmd::detect_with(s, h)
    {
        return Some((InjectionClass::Command, r));
    }
    if h.class(InjectionClass::PathTraversal)
        && let Some(r) = traversal::detect_with(s, h, rules != Rules::Path)
    {
        return Some((InjectionClass::PathTraversal, r));
    }
    if h.class(InjectionClass::Sql)
        && let Some((r, _shape)) = sqli::detect(s)
    {
        return Some((InjectionClass::Sql, r));
    }
    if h.class(InjectionClass::NoSql)
        && let Some(r) = nosql::detect(s)
    {
        return Some((InjectionClass::NoSql, r));
    }
    if rules == Rules::All
        && h.class(InjectionClass::Ssrf)
        && let Some(r) = ssrf::detect(s)
    {
        return Some((InjectionClass::Ssrf, r));
    }
    None
}

/// How a value was encoded where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    /// Query strings and form bodies: `+` is a space.
    Form,
    /// Paths, headers, JSON strings: `+` is a plus.
    Plain,
}

/// Scratch reused across the values of one call.
#[derive(Default)]
struct Scan<'c> {
    decoded: String,
    /// Header values known clean; `None` for one-off scans.
    clean: Option<&'c mut CleanCache>,
}

impl Scan<'_> {
    /// [`Scan::value`] for a header value that repeats across calls:
    /// skipped when it was clean before, remembered when clean now.
    fn repeated(
        &mut self,
        raw: &str,
        enc: Enc,
        rules: Rules,
    ) -> Option<(InjectionClass, &'static str, String)> {
        let key = match &self.clean {
            Some(c) if raw.len() >= CACHE_MIN_LEN => {
                let k = c.key(raw, rules as u8);
                if c.contains(k) {
                    return None;
                }
                Some(k)
            }
            _ => None,
        };
        let hit = self.value(raw, enc, rules);
        if hit.is_none()
            && let (Some(k), Some(c)) = (key, self.clean.as_deref_mut())
        {
            c.insert(k);
        }
        hit
    }

    /// Decodes and analyses one value; also looks inside it when it is
    /// obviously base64.
    fn value(
        &mut self,
        raw: &str,
        enc: Enc,
        rules: Rules,
    ) -> Option<(InjectionClass, &'static str, String)> {
        if raw.is_empty() {
            return None;
        }
        let text = if decode::normalize(raw, enc == Enc::Form, &mut self.decoded) {
            self.decoded.as_str()
        } else {
            decode::bounded(raw)
        };
        let h = triggers::scan(text);
        if h.any()
            && let Some((c, r)) = analyse(text, h, rules)
        {
            return Some((c, r, excerpt(text)));
        }
        if text.len() >= 16
            && (text.len() % 4 == 0 || text.ends_with('='))
            && let Some(inner) = decode::base64_text(text)
        {
            let h = triggers::scan(&inner);
            if h.any()
                && let Some((c, r)) = analyse(&inner, h, rules)
            {
                return Some((c, r, excerpt(&inner)));
            }
        }
        None
    }
}

fn excerpt(s: &str) -> String {
    let mut end = s.len().min(EXCERPT_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Headers whose values are protocol machinery or credentials, not
/// application input.
const SKIPPED_HEADERS: &[&str] = &[
    "host",
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-charset",
    "content-type",
    "content-length",
    "connection",
    "authorization",
    "proxy-authorization",
    "cache-control",
    "pragma",
    "te",
    "upgrade-insecure-requests",
    "if-modified-since",
    "if-none-match",
    "if-match",
    "keep-alive",
    "origin",
    "user-agent",
    "referer",
    "x-forwarded-for",
    "cookie",
];

/// Headers where a URL to an internal host is normal (development
/// frontends, proxies): no SSRF verdict there.
fn header_rules(name: &str) -> Rules {
    if name.eq_ignore_ascii_case("referer") || name.eq_ignore_ascii_case("origin") {
        Rules::NoSsrf
    } else {
        Rules::All
    }
}

/// Scans one call. Returns the first payload found, looking at the path,
/// the query, the body, then headers and cookies.
pub fn scan_call(call: &CallRecord<'_>) -> Option<InjectionHit> {
    scan_call_with(call, None)
}

fn scan_call_with(call: &CallRecord<'_>, clean: Option<&mut CleanCache>) -> Option<InjectionHit> {
    let mut scan = Scan {
        decoded: String::new(),
        clean,
    };
    let hit = |class, rule, place, excerpt| {
        Some(InjectionHit {
            class,
            rule,
            place,
            excerpt,
        })
    };

    // Path: traversal on the whole decoded path, everything else per
    // segment (SSRF does not apply to our own path).
    if triggers::scan(&call.path).any() || call.path.contains(['%', '+']) {
        if let Some((c, r, e)) = scan.value(&call.path, Enc::Plain, Rules::Path) {
            return hit(c, r, Place::Path, e);
        }
        // Segments with `+` read as a space: many frameworks decode paths
        // that way, and a payload should not hide behind the difference.
        for seg in call.path.split('/').filter(|s| !s.is_empty()) {
            if let Some((c, r, e)) = scan.value(seg, Enc::Form, Rules::Path) {
                return hit(c, r, Place::Path, e);
            }
        }
    }

    if let Some(q) = call.query.as_deref()
        && let Some(h) = scan_form(&mut scan, q, |n| Place::Query(n.to_string()))
    {
        return Some(h);
    }

    if let Some(body) = call.request_body.as_deref()
        && let Some(h) = body::scan_body(&mut scan, body, call.content_type.as_deref())
    {
        return Some(h);
    }

    for (name, value) in [
        ("user-agent", call.user_agent.as_deref()),
        ("referer", call.referer.as_deref()),
        ("x-forwarded-for", call.forwarded_for.as_deref()),
    ] {
        if let Some(v) = value
            && let Some((c, r, e)) = scan.repeated(v, Enc::Plain, header_rules(name))
        {
            return hit(c, r, Place::Header(name.to_string()), e);
        }
    }
    for (name, value) in &call.headers {
        if name.eq_ignore_ascii_case("cookie") {
            if let Some(c) = &scan.clean
                && value.len() >= CACHE_MIN_LEN
                && c.contains(c.key(value, COOKIE))
            {
                continue;
            }
            for pair in value.split(';') {
                let (k, v) = pair.trim().split_once('=').unwrap_or(("", pair.trim()));
                if let Some((c, r, e)) = scan.value(v, Enc::Form, Rules::All) {
                    return hit(c, r, Place::Cookie(excerpt_name(k)), e);
                }
                if let Some((c, r, e)) = scan.value(k, Enc::Form, Rules::NoSsrf) {
                    return hit(c, r, Place::Cookie(excerpt_name(k)), e);
                }
            }
            if let Some(c) = scan.clean.as_deref_mut()
                && value.len() >= CACHE_MIN_LEN
            {
                let k = c.key(value, COOKIE);
                c.insert(k);
            }
            continue;
        }
        let skipped = SKIPPED_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
            && !(name.eq_ignore_ascii_case("user-agent") && call.user_agent.is_none())
            && !(name.eq_ignore_ascii_case("referer") && call.referer.is_none());
        if skipped {
            continue;
        }
        if let Some((c, r, e)) = scan.repeated(value, Enc::Plain, header_rules(name)) {
            return hit(c, r, Place::Header(name.to_ascii_lowercase()), e);
        }
    }
    None
}

/// Query strings and form bodies: each name (for NoSQL operators and
/// payloads in names) and each value.
fn scan_form(scan: &mut Scan, form: &str, place: impl Fn(&str) -> Place) -> Option<InjectionHit> {
    for pair in form.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded_name = linkwell_core::pct::decode_form(name);
        if let Some(r) = nosql::detect_name(&decoded_name) {
            return Some(InjectionHit {
                class: InjectionClass::NoSql,
                rule: r,
                place: place(&decoded_name),
                excerpt: excerpt(pair),
            });
        }
        if let Some((class, rule, excerpt)) = scan.value(value, Enc::Form, Rules::All) {
            return Some(InjectionHit {
                class,
                rule,
                place: place(&excerpt_name(&decoded_name)),
                excerpt,
            });
        }
        if let Some((class, rule, excerpt)) = scan.value(name, Enc::Form, Rules::NoSsrf) {
            return Some(InjectionHit {
                class,
                rule,
                place: Place::QueryName,
                excerpt,
            });
        }
    }
    None
}

fn excerpt_name(n: &str) -> String {
    excerpt(n).chars().take(64).collect()
}

/// The injection class and rule `input` (one value, URL-encoded as in a
/// query string) matches after decoding.
pub fn classify_injection(input: &str) -> Option<(InjectionClass, &'static str)> {
    Scan::default()
        .value(input, Enc::Form, Rules::All)
        .map(|(c, r, _)| (c, r))
}

#[derive(Default)]
pub(crate) struct Injection {
    clean: CleanCache,
}

impl Detector for Injection {
    fn name(&self) -> &'static str {
        "injection"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        _state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let Some(h) = scan_call_with(ctx.call, Some(&mut self.clean)) else {
            return;
        };
        let confidence = match h.class {
            InjectionClass::Ssrf | InjectionClass::NoSql => 0.7,
            _ => 0.8,
        };
        let mut d = Draft::new(
            FindingKind::Injection,
            h.class.owasp(),
            Severity::High,
            confidence,
        )
        .explain(format!(
            "The request {} carries {} ({}): an attempt to make the API execute or fetch attacker input.",
            h.place,
            h.class.name(),
            h.rule
        ));
        d.cwe = Some(h.class.cwe());
        d.evidence.add_excerpt(&format!("in {}", h.place));
        d.evidence.add_excerpt(&h.excerpt);
        out.push(d.finish(ctx));
    }
}

#[cfg(test)]
mod tests;

/// Analyser tests: every attack in `cases` must wake the trigger pass for
/// `class` (or the analyser would never run on it) and be caught by
/// `detect`.
#[cfg(test)]
fn assert_caught(class: InjectionClass, cases: &[&str], detect: impl Fn(&str) -> bool) {
    for a in cases {
        assert!(triggers::scan(a).class(class), "trigger set misses {a:?}");
        assert!(detect(a), "missed {a:?}");
    }
}
