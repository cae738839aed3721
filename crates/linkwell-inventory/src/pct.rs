//! Percent-decoding and the canonical spelling of literal path segments.
//!
//! The same resource reaches the logs as `caf%C3%A9`, `café` or `%63afé`,
//! depending on the client and on which proxy logged it. Classifying and
//! comparing the decoded form keeps those one endpoint; re-escaping only the
//! characters that would be ambiguous in a template (`/`, `%`, braces,
//! spaces, controls) keeps the template unambiguous, so a literal segment can
//! never be mistaken for a `{placeholder}`.

pub(crate) use linkwell_core::pct::{decode_into, decoded};

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
    fn literals() {
        assert_eq!(normalize_literal("caf%C3%A9"), "café");
        assert_eq!(normalize_literal("%63af%c3%a9"), "café");
        assert_eq!(normalize_literal("a%2fb"), "a%2Fb");
        assert_eq!(normalize_literal("{id}"), "%7Bid%7D");
        assert_eq!(normalize_literal("%2e%2E"), "..");
        assert_eq!(normalize_literal("%ff"), "%FF");
        assert_eq!(normalize_literal("50%"), "50%25");
    }
}
