//! Request bodies: JSON strings, form fields, XML attribute values and
//! text, or the body as one value.

use super::{
    Enc, InjectionClass, InjectionHit, Place, Rules, Scan, excerpt, excerpt_name, nosql, scan_form,
};

/// Most strings taken from one JSON body.
pub(super) const MAX_JSON_STRINGS: usize = 256;

/// Calls `f(key, string, is_key)` for each string of a JSON document:
/// keys (`is_key`, the string is the key) and values (with the key they
/// belong to), unescaping as it goes; stops when `f` returns false.
/// A hand-rolled scanner: bodies are samples that may be cut mid-document,
/// so a strict parser would see nothing.
pub(super) fn json_strings(body: &str, mut f: impl FnMut(&str, &str, bool) -> bool) {
    let b = body.as_bytes();
    let mut i = 0;
    let mut key = String::new();
    let mut buf = String::new();
    let mut seen = 0;
    while i < b.len() && seen < MAX_JSON_STRINGS {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        buf.clear();
        i += 1;
        let mut start = i;
        while i < b.len() && b[i] != b'"' {
            if b[i] == b'\\' {
                buf.push_str(&body[start..i]);
                match b.get(i + 1) {
                    Some(b'n') => buf.push('\n'),
                    Some(b't') => buf.push('\t'),
                    Some(b'r') => buf.push('\r'),
                    Some(b'u') => {
                        let code = body
                            .get(i + 2..i + 6)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .and_then(char::from_u32);
                        if let Some(c) = code {
                            buf.push(c);
                            i += 4;
                        }
                    }
                    Some(&c) if c.is_ascii() => buf.push(char::from(c)),
                    _ => {}
                }
                i = (i + 2).min(b.len());
                while !body.is_char_boundary(i) {
                    i += 1;
                }
                start = i;
                continue;
            }
            i += 1;
        }
        buf.push_str(&body[start..i.min(b.len())]);
        i += 1;
        seen += 1;
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        let is_key = b.get(j) == Some(&b':');
        if is_key {
            key.clear();
            key.push_str(&buf);
        }
        if !f(&key, &buf, is_key) {
            return;
        }
    }
}

pub(super) fn scan_body(
    scan: &mut Scan,
    body: &str,
    content_type: Option<&str>,
) -> Option<InjectionHit> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let trimmed = body.trim_start();
    if ct.contains("json") || (ct.is_empty() && trimmed.starts_with(['{', '['])) {
        let mut found = None;
        json_strings(body, |key, value, is_key| {
            if is_key {
                if nosql::is_operator(value) {
                    found = Some(InjectionHit {
                        class: InjectionClass::NoSql,
                        rule: "a query operator as a JSON key ({\"$ne\": ...})",
                        place: Place::Body(excerpt_name(value)),
                        excerpt: excerpt(trimmed),
                    });
                    return false;
                }
                return true;
            }
            if let Some((class, rule, excerpt)) = scan.value(value, Enc::Plain, Rules::All) {
                found = Some(InjectionHit {
                    class,
                    rule,
                    place: Place::Body(excerpt_name(key)),
                    excerpt,
                });
                return false;
            }
            true
        });
        return found;
    }
    if ct.starts_with("multipart/") {
        return None;
    }
    if ct.contains("xml") || trimmed.starts_with("<?xml") {
        return scan_xml(scan, body);
    }
    let form_like = ct.contains("x-www-form-urlencoded")
        || (ct.is_empty() && body.contains('=') && !trimmed.starts_with('<'));
    if form_like {
        return scan_form(scan, body, |n| Place::Body(n.to_string()));
    }
    // Anything else is one value; clients that send no content type
    // almost always send form encoding.
    let enc = if ct.is_empty() { Enc::Form } else { Enc::Plain };
    scan.value(body, enc, Rules::All)
        .map(|(class, rule, excerpt)| InjectionHit {
            class,
            rule,
            place: Place::Body(String::new()),
            excerpt,
        })
}

/// Most values taken from one XML body.
const MAX_XML_VALUES: usize = 256;

/// XML bodies: attribute values and text between tags, each on its own
/// (markup is the document's, not the attacker's, so the whole body is
/// never judged as HTML).
fn scan_xml(scan: &mut Scan, body: &str) -> Option<InjectionHit> {
    let b = body.as_bytes();
    let mut values = Vec::new();
    let mut i = 0;
    while i < b.len() && values.len() < MAX_XML_VALUES {
        match b[i] {
            b'"' | b'\''
                if i > 0
                    && b[..i].iter().rev().find(|c| !c.is_ascii_whitespace()) == Some(&b'=') =>
            {
                let q = b[i];
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| i + 1 + p);
                values.push((i + 1, end));
                i = end + 1;
            }
            b'>' => {
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == b'<')
                    .map_or(b.len(), |p| i + 1 + p);
                if body[i + 1..end].trim().is_empty() {
                    i = end;
                } else {
                    values.push((i + 1, end));
                    i = end;
                }
            }
            _ => i += 1,
        }
    }
    for (start, end) in values {
        let (Some(v), true) = (body.get(start..end), end > start) else {
            continue;
        };
        if let Some((class, rule, excerpt)) = scan.value(v, Enc::Plain, Rules::All) {
            return Some(InjectionHit {
                class,
                rule,
                place: Place::Body(String::new()),
                excerpt,
            });
        }
    }
    None
}
