//! Percent-decoding and the canonical spelling of literal path segments.
//!
//! The same resource reaches the logs as `caf%C3%A9`, `café` or `%63afé`,
//! depending on the client and on which proxy logged it. Classifying and
//! comparing the decoded form keeps those one endpoint; re-escaping only the
//! characters that would be ambiguous in a template (`/`, `%`, braces,
//! spaces, controls) keeps the template unambiguous, so a literal segment can
//! never be mistaken for a `{placeholder}`.

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// True when `s` has something [`decode_into`] would change.
pub(crate) fn needs_decoding(s: &str, plus_is_space: bool) -> bool {
    s.bytes().any(|b| b == b'%' || (plus_is_space && b == b'+'))
}

/// Decodes `%XX` escapes (malformed ones are kept verbatim) into `out`.
/// `plus_is_space` applies form encoding (query strings and form bodies).
pub(crate) fn decode_into(s: &str, plus_is_space: bool, out: &mut Vec<u8>) {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && c == b'+' { b' ' } else { c });
        i += 1;
    }
}

/// `s` decoded, borrowing `scratch` only when decoding changed something.
/// Falls back to the raw text when the decoded bytes are not UTF-8.
pub(crate) fn decoded<'a>(s: &'a str, plus_is_space: bool, scratch: &'a mut Vec<u8>) -> &'a str {
    if !needs_decoding(s, plus_is_space) {
        return s;
    }
    decode_into(s, plus_is_space, scratch);
    std::str::from_utf8(scratch).unwrap_or(s)
}

fn must_escape(c: char) -> bool {
    matches!(c, '/' | '%' | '{' | '}' | '?' | '#' | ' ') || c.is_control()
}

fn push_escaped_byte(b: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// Appends the canonical spelling of a decoded literal segment.
pub(crate) fn push_literal(decoded: &[u8], out: &mut String) {
    for chunk in decoded.utf8_chunks() {
        for c in chunk.valid().chars() {
            if must_escape(c) {
                let mut buf = [0u8; 4];
                for &b in c.encode_utf8(&mut buf).as_bytes() {
                    push_escaped_byte(b, out);
                }
            } else {
                out.push(c);
            }
        }
        for &b in chunk.invalid() {
            push_escaped_byte(b, out);
        }
    }
}

/// The canonical spelling of a raw (possibly percent-encoded) literal segment.
pub(crate) fn normalize_literal(raw: &str) -> String {
    let mut buf = Vec::new();
    decode_into(raw, false, &mut buf);
    let mut out = String::with_capacity(raw.len());
    push_literal(&buf, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_literals() {
        let mut s = Vec::new();
        assert_eq!(decoded("a%40b", false, &mut s), "a@b");
        assert_eq!(decoded("a+b", true, &mut s), "a b");
        assert_eq!(decoded("a+b", false, &mut s), "a+b");
        assert_eq!(decoded("100%", false, &mut s), "100%");
        assert_eq!(decoded("%zz", false, &mut s), "%zz");
        assert_eq!(normalize_literal("caf%C3%A9"), "café");
        assert_eq!(normalize_literal("%63af%c3%a9"), "café");
        assert_eq!(normalize_literal("a%2fb"), "a%2Fb");
        assert_eq!(normalize_literal("{id}"), "%7Bid%7D");
        assert_eq!(normalize_literal("%2e%2E"), "..");
        assert_eq!(normalize_literal("%ff"), "%FF");
        assert_eq!(normalize_literal("50%"), "50%25");
    }
}
