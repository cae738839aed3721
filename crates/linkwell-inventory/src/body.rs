//! Request-body parameter names, read without a JSON parser.
//!
//! Only the top-level keys of a JSON object or the names of a form body are
//! wanted, from a bounded prefix of a body sample that may be cut off
//! mid-document. A full parser would allocate a tree per call and reject the
//! truncated sample; this scanner reads keys until the data ends or stops
//! making sense.

/// Bytes of a body (or of one path segment or parameter value) scanned for
/// sensitive data per call.
pub(crate) const BODY_SCAN_BYTES: usize = 4096;
/// Parameters (query or body) looked at per call.
pub(crate) const MAX_PARAMS_PER_CALL: usize = 64;

/// The first `max` bytes of `s`, cut at a character boundary.
pub(crate) fn prefix(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

/// What a body sample is, for parameter extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Form,
    Other,
}

pub(crate) fn kind(body: &str, content_type: Option<&str>) -> BodyKind {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        return BodyKind::Json;
    }
    match content_type {
        Some(ct) if contains_ignore_case(ct, "x-www-form-urlencoded") => BodyKind::Form,
        Some(_) => BodyKind::Other,
        None => {
            let head = prefix(trimmed, 256).as_bytes();
            let looks_form = head.first().is_some_and(u8::is_ascii_alphanumeric)
                && head.contains(&b'=')
                && !head
                    .iter()
                    .any(|b| matches!(b, b'<' | b'{' | b' ' | b'\n' | b'"'));
            if looks_form {
                BodyKind::Form
            } else {
                BodyKind::Other
            }
        }
    }
}

fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Calls `f(key, string_value)` for each top-level key of a JSON object
/// (keys and values still JSON-escaped; the value only when it is a string).
pub(crate) fn json_top_level(s: &str, mut f: impl FnMut(&str, Option<&str>)) {
    let b = s.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return;
    }
    i += 1;
    for _ in 0..MAX_PARAMS_PER_CALL {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return;
        }
        let Some(key_end) = string_end(b, i) else {
            return;
        };
        let key = &s[i + 1..key_end];
        i = skip_ws(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return;
        }
        i = skip_ws(b, i + 1);
        if b.get(i) == Some(&b'"') {
            let Some(end) = string_end(b, i) else {
                f(key, None);
                return;
            };
            f(key, Some(&s[i + 1..end]));
            i = end + 1;
        } else {
            f(key, None);
            match skip_value(b, i) {
                Some(next) => i = next,
                None => return,
            }
        }
        i = skip_ws(b, i);
        if b.get(i) != Some(&b',') {
            return;
        }
        i += 1;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Index of the quote closing the string that opens at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Index just after the non-string value starting at `i`.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => i = string_end(b, i)?,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(i),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<(String, Option<String>)> {
        let mut v = Vec::new();
        json_top_level(s, |k, val| v.push((k.to_string(), val.map(str::to_string))));
        v
    }

    #[test]
    fn top_level_keys() {
        assert_eq!(
            keys(
                r#" {"a": 1, "b": {"x": [1, {"y": "}"}]}, "c": "str\"ing", "d": [1,2], "e": null}"#
            ),
            [
                ("a".into(), None),
                ("b".into(), None),
                ("c".into(), Some("str\\\"ing".into())),
                ("d".into(), None),
                ("e".into(), None),
            ]
        );
        // Truncated samples yield the keys seen so far (a cut-off value is None).
        assert_eq!(
            keys(r#"{"amount": 10, "iban": "DE89370400440532013000", "note": "abc"#),
            [
                ("amount".into(), None),
                ("iban".into(), Some("DE89370400440532013000".into())),
                ("note".into(), None),
            ]
        );
        assert!(keys("[1,2]").is_empty());
        assert!(keys("not json").is_empty());
    }

    #[test]
    fn body_kinds() {
        assert_eq!(kind(" {\"a\":1}", None), BodyKind::Json);
        assert_eq!(kind("a=1&b=2", None), BodyKind::Form);
        assert_eq!(
            kind(
                "a=1",
                Some("application/x-www-form-urlencoded; charset=utf-8")
            ),
            BodyKind::Form
        );
        assert_eq!(kind("<xml/>", Some("application/xml")), BodyKind::Other);
        assert_eq!(kind("hello world", None), BodyKind::Other);
        assert_eq!(prefix("héllo", 2), "h");
    }
}
